"""Routes for country and sector risk tables: every role reads, admins and analysts edit."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query

from arshield.api.deps import PrincipalDep, SessionDep
from arshield.api.errors import error_responses
from arshield.kit.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed
from arshield.kit.time import today
from arshield.orgs.domain import Action, Principal
from arshield.risk.tables import service
from arshield.risk.tables.schemas import (
    CountryRiskOut,
    CountryRiskUpdate,
    SectorRiskOut,
    SectorRiskUpdate,
)

router = APIRouter(
    tags=["country and sector risk"], responses=error_responses(Unauthorized, Forbidden)
)

AsOf = Annotated[
    dt.date | None, Query(description="Date the ratings are read for (default: today, UTC).")
]


def _actor(principal: Principal) -> str:
    return f"{principal.role.value}@{principal.org_ref} key {principal.key_id}"[:100]


@router.get("/countries", response_model=list[CountryRiskOut])
def list_countries(
    principal: PrincipalDep, session: SessionDep, as_of: AsOf = None
) -> list[CountryRiskOut]:
    """The rating in force of every country on ``as_of``."""
    principal.require(Action.READ_REGISTRY)
    rows = service.list_countries(session, as_of=as_of or today())
    return [CountryRiskOut.of(r) for r in rows]


@router.get("/countries/{code}", response_model=CountryRiskOut, responses=error_responses(NotFound))
def get_country(
    code: str, principal: PrincipalDep, session: SessionDep, as_of: AsOf = None
) -> CountryRiskOut:
    """One country's rating in force on ``as_of``."""
    principal.require(Action.READ_REGISTRY)
    return CountryRiskOut.of(service.get_country(session, country=code, as_of=as_of or today()))


@router.get(
    "/countries/{code}/history",
    response_model=list[CountryRiskOut],
    responses=error_responses(NotFound),
)
def country_history(
    code: str, principal: PrincipalDep, session: SessionDep
) -> list[CountryRiskOut]:
    """Every rating the country has had, oldest first."""
    principal.require(Action.READ_REGISTRY)
    return [CountryRiskOut.of(r) for r in service.country_history(session, country=code)]


@router.put(
    "/countries/{code}",
    response_model=CountryRiskOut,
    responses=error_responses(NotFound, Conflict, ValidationFailed),
)
def set_country(
    code: str, body: CountryRiskUpdate, principal: PrincipalDep, session: SessionDep
) -> CountryRiskOut:
    """Rate a country from ``effective_from`` on; returns the new current rating."""
    principal.require(Action.EDIT_RISK_TABLES)
    row = service.set_country(
        session,
        country=code,
        short_term=body.short_term,
        medium_term=body.medium_term,
        effective_from=body.effective_from,
        reason=body.reason,
        actor=_actor(principal),
    )
    return CountryRiskOut.of(row)


@router.get("/sectors", response_model=list[SectorRiskOut])
def list_sectors(
    principal: PrincipalDep, session: SessionDep, as_of: AsOf = None
) -> list[SectorRiskOut]:
    """The risk level in force of every NACE section on ``as_of``."""
    principal.require(Action.READ_REGISTRY)
    return [SectorRiskOut.of(r) for r in service.list_sectors(session, as_of=as_of or today())]


@router.get("/sectors/{section}", response_model=SectorRiskOut, responses=error_responses(NotFound))
def get_sector(
    section: str, principal: PrincipalDep, session: SessionDep, as_of: AsOf = None
) -> SectorRiskOut:
    """One NACE section's risk level in force on ``as_of``."""
    principal.require(Action.READ_REGISTRY)
    return SectorRiskOut.of(service.get_sector(session, section=section, as_of=as_of or today()))


@router.get(
    "/sectors/{section}/history",
    response_model=list[SectorRiskOut],
    responses=error_responses(NotFound),
)
def sector_history(
    section: str, principal: PrincipalDep, session: SessionDep
) -> list[SectorRiskOut]:
    """Every risk level the section has had, oldest first."""
    principal.require(Action.READ_REGISTRY)
    return [SectorRiskOut.of(r) for r in service.sector_history(session, section=section)]


@router.put(
    "/sectors/{section}",
    response_model=SectorRiskOut,
    responses=error_responses(NotFound, Conflict, ValidationFailed),
)
def set_sector(
    section: str, body: SectorRiskUpdate, principal: PrincipalDep, session: SessionDep
) -> SectorRiskOut:
    """Set a NACE section's risk level from ``effective_from`` on; returns the current one."""
    principal.require(Action.EDIT_RISK_TABLES)
    row = service.set_sector(
        session,
        section=section,
        risk=body.risk,
        effective_from=body.effective_from,
        reason=body.reason,
        actor=_actor(principal),
    )
    return SectorRiskOut.of(row)
