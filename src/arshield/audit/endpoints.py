"""Route of the audit trail: list events (the insurer's staff all, a seller its own)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query

from arshield.api.deps import PrincipalDep, SessionDep
from arshield.api.errors import error_responses
from arshield.audit import service
from arshield.audit.domain import MAX_ACTION, MAX_OBJECT_ID, MAX_OBJECT_TYPE, EventFilter
from arshield.audit.schemas import AuditEventOut
from arshield.kit.errors import Forbidden, NotFound, Unauthorized, ValidationFailed
from arshield.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page

router = APIRouter(
    tags=["audit"], responses=error_responses(Unauthorized, Forbidden, NotFound, ValidationFailed)
)


@router.get("/audit-events", response_model=Page[AuditEventOut])
def list_audit_events(
    principal: PrincipalDep,
    session: SessionDep,
    object_type: Annotated[str | None, Query(max_length=MAX_OBJECT_TYPE)] = None,
    object_id: Annotated[str | None, Query(max_length=MAX_OBJECT_ID)] = None,
    action: Annotated[str | None, Query(max_length=MAX_ACTION, examples=["cover.decide"])] = None,
    tenant: Annotated[
        str | None,
        Query(max_length=64, description="Organisation whose objects (the insurer's staff)."),
    ] = None,
    at_from: Annotated[
        dt.datetime | None, Query(alias="from", description="Earliest time (inclusive; UTC).")
    ] = None,
    at_to: Annotated[
        dt.datetime | None, Query(alias="to", description="Latest time (exclusive; UTC).")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page[AuditEventOut]:
    """Audit events, newest first. A seller sees only events about its own objects."""
    flt = EventFilter(
        object_type=object_type, object_id=object_id, action=action, at_from=at_from, at_to=at_to
    )
    views, total = service.list_visible(
        session, principal, flt, tenant_ref=tenant, limit=limit, offset=offset
    )
    return Page[AuditEventOut](
        items=[AuditEventOut.build(v) for v in views], total=total, limit=limit, offset=offset
    )
