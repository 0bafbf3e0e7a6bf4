"""Routes for reading the buyer registry: search, detail and matching (every role may read)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from arshield.api.deps import PrincipalDep, SessionDep
from arshield.api.errors import error_responses
from arshield.buyers import service
from arshield.buyers.schemas import (
    BuyerDetail,
    BuyerSummary,
    MatchCandidateOut,
    MatchRequest,
    MatchResponse,
)
from arshield.kit.errors import Forbidden, NotFound, Unauthorized, ValidationFailed
from arshield.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from arshield.kit.time import today
from arshield.orgs.domain import Action

router = APIRouter(tags=["buyers"], responses=error_responses(Unauthorized, Forbidden))

AsOf = Annotated[
    dt.date | None,
    Query(description="Payment experience covers the 24 months up to this date (today)."),
]


@router.get(
    "/buyers", response_model=Page[BuyerSummary], responses=error_responses(ValidationFailed)
)
def search_buyers(
    principal: PrincipalDep,
    session: SessionDep,
    q: Annotated[
        str | None,
        Query(max_length=300, description="Name (Chinese, pinyin or Latin), company_ref or id."),
    ] = None,
    country: Annotated[str | None, Query(max_length=2, description="ISO alpha-2.")] = None,
    identifier: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page[BuyerSummary]:
    """Search the registry; best matches first, stable order."""
    principal.require(Action.READ_REGISTRY)
    companies, total = service.search_companies(
        session, q=q, country=country, identifier=identifier, limit=limit, offset=offset
    )
    identifiers = service.identifiers_of(session, company_ids=[c.id for c in companies])
    return Page[BuyerSummary](
        items=[BuyerSummary.build(c, identifiers.get(c.id, [])) for c in companies],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.post(
    "/buyers/match", response_model=MatchResponse, responses=error_responses(ValidationFailed)
)
def match_buyers(body: MatchRequest, principal: PrincipalDep, session: SessionDep) -> MatchResponse:
    """Ranked candidates (score 0-100 with reasons) for a buyer's name and identifier."""
    principal.require(Action.READ_REGISTRY)
    candidates = service.match_companies(
        session,
        name=body.name,
        country=body.country,
        identifier=body.registration_id,
        id_type=body.id_type.value if body.id_type is not None else None,
        limit=body.limit,
    )
    return MatchResponse(candidates=[MatchCandidateOut.build(c) for c in candidates])


@router.get(
    "/buyers/by-ref/{company_ref:path}",
    response_model=BuyerDetail,
    responses=error_responses(NotFound),
)
def get_buyer_by_ref(
    company_ref: str, principal: PrincipalDep, session: SessionDep, as_of: AsOf = None
) -> BuyerDetail:
    """One company by its company_ref, with statements, payment experience and events."""
    principal.require(Action.READ_REGISTRY)
    company = service.get_company_by_ref(session, ref=company_ref)
    detail = service.company_detail(session, company_id=company.id, as_of=as_of or today())
    return BuyerDetail.from_detail(detail)


@router.get(
    "/buyers/{company_id:uuid}", response_model=BuyerDetail, responses=error_responses(NotFound)
)
def get_buyer(
    company_id: uuid.UUID, principal: PrincipalDep, session: SessionDep, as_of: AsOf = None
) -> BuyerDetail:
    """One company by id, with statements, payment experience and events."""
    principal.require(Action.READ_REGISTRY)
    detail = service.company_detail(session, company_id=company_id, as_of=as_of or today())
    return BuyerDetail.from_detail(detail)
