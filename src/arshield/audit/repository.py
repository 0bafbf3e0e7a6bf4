"""Every query on the audit trail: insert and filtered, paginated reads."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased

from arshield.audit.domain import EventFilter
from arshield.audit.models import AuditEvent
from arshield.orgs.models import Organisation


def add(session: Session, event: AuditEvent) -> AuditEvent:
    session.add(event)
    session.flush()
    return event


def _where(query: Select[Any], flt: EventFilter) -> Select[Any]:
    conditions = []
    if flt.object_type is not None:
        conditions.append(AuditEvent.object_type == flt.object_type)
    if flt.object_id is not None:
        conditions.append(AuditEvent.object_id == flt.object_id)
    if flt.action is not None:
        conditions.append(AuditEvent.action == flt.action)
    if flt.tenant_org_id is not None:
        conditions.append(AuditEvent.tenant_org_id == flt.tenant_org_id)
    if flt.at_from is not None:
        conditions.append(AuditEvent.at >= flt.at_from)
    if flt.at_to is not None:
        conditions.append(AuditEvent.at < flt.at_to)
    return query.where(*conditions)


def list_events(
    session: Session, flt: EventFilter, *, limit: int | None, offset: int
) -> tuple[list[tuple[AuditEvent, str, str | None]], int]:
    """(event, actor organisation ref, tenant ref) newest first (ties by id), and the total."""
    actor_org = aliased(Organisation)
    tenant_org = aliased(Organisation)
    query = _where(
        select(AuditEvent, actor_org.ref, tenant_org.ref)
        .join(actor_org, actor_org.id == AuditEvent.actor_org_id)
        .outerjoin(tenant_org, tenant_org.id == AuditEvent.tenant_org_id),
        flt,
    )
    query = query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    rows = [(e, a, t) for e, a, t in session.execute(query).tuples()]
    total = session.scalar(_where(select(func.count()).select_from(AuditEvent), flt)) or 0
    return rows, int(total)
