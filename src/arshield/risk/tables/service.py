"""Use cases for country and sector risk tables. Services never commit: callers own transactions."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from importlib import resources

from sqlalchemy.orm import Session

from arshield.kit.db import lock_for_write
from arshield.risk.models import CountryRisk, SectorRisk
from arshield.risk.tables import repository
from arshield.risk.tables.domain import (
    ChangeKind,
    CountryDefault,
    CountryRating,
    HistoryConflict,
    NoRatingInForce,
    SectorDefault,
    SectorRiskLevel,
    Validity,
    check_actor,
    check_country,
    check_medium_term,
    check_reason,
    check_section,
    check_sector_risk,
    check_short_term,
    parse_country_defaults,
    parse_sector_defaults,
    plan_change,
)

DEFAULTS_FROM = dt.date(2000, 1, 1)
DEFAULTS_ACTOR = "system"


def _data_text(name: str) -> str:
    return resources.files("arshield.risk.tables").joinpath("data", name).read_text("utf-8")


@lru_cache(maxsize=1)
def country_defaults() -> tuple[CountryDefault, ...]:
    """The shipped default rating of every ISO country (``data/countries.csv``)."""
    return tuple(parse_country_defaults(_data_text("countries.csv")))


@lru_cache(maxsize=1)
def sector_defaults() -> tuple[SectorDefault, ...]:
    """The shipped default risk of every NACE section (``data/sectors.csv``)."""
    return tuple(parse_sector_defaults(_data_text("sectors.csv")))


@lru_cache(maxsize=1)
def _section_names() -> dict[str, str]:
    return {d.section: d.name for d in sector_defaults()}


def section_name(section: str) -> str:
    """The NACE Rev. 2 name of a section letter."""
    return _section_names().get(section, section)


def load_defaults(session: Session, *, effective_from: dt.date = DEFAULTS_FROM) -> int:
    """Insert the shipped defaults for every country and section with no row yet; rows inserted."""
    have_countries = repository.countries_with_rows(session)
    country_rows = [
        {
            "country": d.country,
            "short_term": d.rating.short_term,
            "medium_term": d.rating.medium_term.value,
            "valid_from": effective_from,
            "valid_to": None,
            "changed_by": DEFAULTS_ACTOR,
            "reason": f"platform default: {d.rationale}",
        }
        for d in country_defaults()
        if d.country not in have_countries
    ]
    have_sections = repository.sections_with_rows(session)
    sector_rows = [
        {
            "section": d.section,
            "risk": d.risk.value,
            "valid_from": effective_from,
            "valid_to": None,
            "changed_by": DEFAULTS_ACTOR,
            "reason": f"platform default: {d.rationale}",
        }
        for d in sector_defaults()
        if d.section not in have_sections
    ]
    repository.insert_countries(session, country_rows)
    repository.insert_sectors(session, sector_rows)
    session.flush()
    return len(country_rows) + len(sector_rows)


# Countries -------------------------------------------------------------------------------------


def country_risk_as_of(session: Session, *, as_of: dt.date) -> dict[str, CountryRating]:
    """The rating in force on ``as_of`` of every rated country, in one query."""
    return {
        country: CountryRating(short_term=short, medium_term=check_medium_term(medium))
        for country, short, medium in repository.country_values_in_force(session, as_of=as_of)
    }


def get_country(session: Session, *, country: str, as_of: dt.date) -> CountryRisk:
    """The row of ``country`` in force on ``as_of``."""
    code = check_country(country)
    rows = repository.countries_in_force(session, as_of=as_of, country=code)
    if not rows:
        raise NoRatingInForce(f"no rating for country {code} in force on {as_of}")
    return rows[0]


def list_countries(session: Session, *, as_of: dt.date) -> list[CountryRisk]:
    """The rows in force on ``as_of``, by country code."""
    return repository.countries_in_force(session, as_of=as_of)


def country_history(session: Session, *, country: str) -> list[CountryRisk]:
    """Every rating ``country`` has had, oldest first (empty if never rated)."""
    return repository.country_history(session, country=check_country(country))


def set_country(
    session: Session,
    *,
    country: str,
    short_term: int,
    medium_term: str,
    effective_from: dt.date,
    reason: str,
    actor: str,
) -> CountryRisk:
    """Rate ``country`` from ``effective_from`` on; returns the current row (new or unchanged)."""
    code = check_country(country)
    rating = CountryRating(
        short_term=check_short_term(short_term), medium_term=check_medium_term(medium_term)
    )
    why, who = check_reason(reason), check_actor(actor)
    lock_for_write(session)
    latest = repository.latest_country(session, country=code)
    same = latest is not None and (latest.short_term, latest.medium_term) == (
        rating.short_term,
        rating.medium_term.value,
    )
    plan = plan_change(
        subject=f"country {code}",
        current=None if latest is None else Validity(latest.valid_from, latest.valid_to),
        same_values=same,
        effective_from=effective_from,
    )
    if plan is ChangeKind.UNCHANGED:
        assert latest is not None
        return latest
    if plan is ChangeKind.SUCCEED:
        assert latest is not None
        if not repository.close_country_row(session, row_id=latest.id, valid_to=effective_from):
            raise HistoryConflict(f"country {code} was changed concurrently; reload and retry")
    row = CountryRisk(
        country=code,
        short_term=rating.short_term,
        medium_term=rating.medium_term.value,
        valid_from=effective_from,
        valid_to=None,
        changed_by=who,
        reason=why,
    )
    session.add(row)
    session.flush()
    return row


# Sectors ---------------------------------------------------------------------------------------


def sector_risk_as_of(session: Session, *, as_of: dt.date) -> dict[str, str]:
    """The risk level in force on ``as_of`` of every rated NACE section, in one query."""
    return dict(repository.sector_values_in_force(session, as_of=as_of))


def get_sector(session: Session, *, section: str, as_of: dt.date) -> SectorRisk:
    """The row of ``section`` in force on ``as_of``."""
    code = check_section(section)
    rows = repository.sectors_in_force(session, as_of=as_of, section=code)
    if not rows:
        raise NoRatingInForce(f"no risk level for sector {code} in force on {as_of}")
    return rows[0]


def list_sectors(session: Session, *, as_of: dt.date) -> list[SectorRisk]:
    """The rows in force on ``as_of``, by section."""
    return repository.sectors_in_force(session, as_of=as_of)


def sector_history(session: Session, *, section: str) -> list[SectorRisk]:
    """Every risk level ``section`` has had, oldest first (empty if never rated)."""
    return repository.sector_history(session, section=check_section(section))


def set_sector(
    session: Session,
    *,
    section: str,
    risk: str,
    effective_from: dt.date,
    reason: str,
    actor: str,
) -> SectorRisk:
    """Rate ``section`` from ``effective_from`` on; returns the current row (new or unchanged)."""
    code = check_section(section)
    level: SectorRiskLevel = check_sector_risk(risk)
    why, who = check_reason(reason), check_actor(actor)
    lock_for_write(session)
    latest = repository.latest_sector(session, section=code)
    plan = plan_change(
        subject=f"sector {code}",
        current=None if latest is None else Validity(latest.valid_from, latest.valid_to),
        same_values=latest is not None and latest.risk == level.value,
        effective_from=effective_from,
    )
    if plan is ChangeKind.UNCHANGED:
        assert latest is not None
        return latest
    if plan is ChangeKind.SUCCEED:
        assert latest is not None
        if not repository.close_sector_row(session, row_id=latest.id, valid_to=effective_from):
            raise HistoryConflict(f"sector {code} was changed concurrently; reload and retry")
    row = SectorRisk(
        section=code,
        risk=level.value,
        valid_from=effective_from,
        valid_to=None,
        changed_by=who,
        reason=why,
    )
    session.add(row)
    session.flush()
    return row
