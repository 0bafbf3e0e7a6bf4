"""Every query on the country and sector risk tables."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import CursorResult, and_, insert, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from arshield.risk.models import CountryRisk, SectorRisk


def _country_in_force(as_of: dt.date) -> ColumnElement[bool]:
    return and_(
        CountryRisk.valid_from <= as_of,
        or_(CountryRisk.valid_to.is_(None), CountryRisk.valid_to > as_of),
    )


def _sector_in_force(as_of: dt.date) -> ColumnElement[bool]:
    return and_(
        SectorRisk.valid_from <= as_of,
        or_(SectorRisk.valid_to.is_(None), SectorRisk.valid_to > as_of),
    )


def country_values_in_force(session: Session, *, as_of: dt.date) -> list[tuple[str, int, str]]:
    """(country, short_term, medium_term) of every rating in force on ``as_of``: one query."""
    rows = session.execute(
        select(CountryRisk.country, CountryRisk.short_term, CountryRisk.medium_term).where(
            _country_in_force(as_of)
        )
    )
    return [(r[0], r[1], r[2]) for r in rows]


def sector_values_in_force(session: Session, *, as_of: dt.date) -> list[tuple[str, str]]:
    """(section, risk) of every sector rating in force on ``as_of``: one query."""
    rows = session.execute(
        select(SectorRisk.section, SectorRisk.risk).where(_sector_in_force(as_of))
    )
    return [(r[0], r[1]) for r in rows]


def countries_in_force(
    session: Session, *, as_of: dt.date, country: str | None = None
) -> list[CountryRisk]:
    """Rows in force on ``as_of`` (one country's, or all), ordered by country."""
    query = select(CountryRisk).where(_country_in_force(as_of)).order_by(CountryRisk.country)
    if country is not None:
        query = query.where(CountryRisk.country == country)
    return list(session.scalars(query))


def sectors_in_force(
    session: Session, *, as_of: dt.date, section: str | None = None
) -> list[SectorRisk]:
    """Rows in force on ``as_of`` (one section's, or all), ordered by section."""
    query = select(SectorRisk).where(_sector_in_force(as_of)).order_by(SectorRisk.section)
    if section is not None:
        query = query.where(SectorRisk.section == section)
    return list(session.scalars(query))


def country_history(session: Session, *, country: str) -> list[CountryRisk]:
    """Every row of one country, oldest first."""
    return list(
        session.scalars(
            select(CountryRisk)
            .where(CountryRisk.country == country)
            .order_by(CountryRisk.valid_from)
        )
    )


def sector_history(session: Session, *, section: str) -> list[SectorRisk]:
    """Every row of one section, oldest first."""
    return list(
        session.scalars(
            select(SectorRisk).where(SectorRisk.section == section).order_by(SectorRisk.valid_from)
        )
    )


def latest_country(session: Session, *, country: str) -> CountryRisk | None:
    """The row of ``country`` that starts last (the current one in a sound history)."""
    return session.scalars(
        select(CountryRisk)
        .where(CountryRisk.country == country)
        .order_by(CountryRisk.valid_from.desc())
        .limit(1)
    ).one_or_none()


def latest_sector(session: Session, *, section: str) -> SectorRisk | None:
    """The row of ``section`` that starts last (the current one in a sound history)."""
    return session.scalars(
        select(SectorRisk)
        .where(SectorRisk.section == section)
        .order_by(SectorRisk.valid_from.desc())
        .limit(1)
    ).one_or_none()


def close_country_row(session: Session, *, row_id: uuid.UUID, valid_to: dt.date) -> bool:
    """Close an open row at ``valid_to``; False if a concurrent change closed it first."""
    result = session.execute(
        update(CountryRisk)
        .where(CountryRisk.id == row_id, CountryRisk.valid_to.is_(None))
        .values(valid_to=valid_to)
    )
    return cast(CursorResult[Any], result).rowcount == 1


def close_sector_row(session: Session, *, row_id: uuid.UUID, valid_to: dt.date) -> bool:
    """Close an open row at ``valid_to``; False if a concurrent change closed it first."""
    result = session.execute(
        update(SectorRisk)
        .where(SectorRisk.id == row_id, SectorRisk.valid_to.is_(None))
        .values(valid_to=valid_to)
    )
    return cast(CursorResult[Any], result).rowcount == 1


def countries_with_rows(session: Session) -> set[str]:
    """Countries that have at least one row."""
    return set(session.scalars(select(CountryRisk.country).distinct()))


def sections_with_rows(session: Session) -> set[str]:
    """Sections that have at least one row."""
    return set(session.scalars(select(SectorRisk.section).distinct()))


def insert_countries(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert country rows in one executemany."""
    if rows:
        session.execute(insert(CountryRisk), list(rows))


def insert_sectors(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert sector rows in one executemany."""
    if rows:
        session.execute(insert(SectorRisk), list(rows))
