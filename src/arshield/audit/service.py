"""Use cases of the audit trail: record an event in the caller's transaction, list events.

Events are only ever added (the table refuses UPDATE and DELETE); a correction is a new event.
Services never commit: the event commits with the change it records, or not at all.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.orm import Session

from arshield.audit import repository
from arshield.audit.domain import (
    AuditActor,
    EventFilter,
    as_utc,
    check_action,
    check_actor,
    check_filter,
    check_object,
    check_reason,
    details_text,
    key_actor_name,
    shown_actor,
)
from arshield.audit.models import AuditEvent
from arshield.kit.errors import NotFound
from arshield.orgs import repository as orgs_repository
from arshield.orgs.domain import Action, Principal

__all__ = [
    "AuditActor",
    "AuditNotFound",
    "EventFilter",
    "EventView",
    "actor_of",
    "list_events",
    "list_visible",
    "record",
]


class AuditNotFound(NotFound):
    """No such organisation's audit trail for this caller."""


@dataclass(frozen=True, slots=True)
class EventView:
    """An event as a reader may see it, with the organisations' references."""

    event: AuditEvent
    actor: str
    key_id: uuid.UUID | None
    actor_org_ref: str
    tenant_org_ref: str | None


def actor_of(session: Session, principal: Principal) -> AuditActor:
    """The actor for a request's key: its role, prefix and label."""
    key = orgs_repository.get_key(session, principal.key_id)
    prefix = key.prefix if key is not None else str(principal.key_id)
    label = key.label if key is not None else None
    return AuditActor(
        org_id=principal.org_id,
        name=key_actor_name(principal.role.value, prefix, label),
        key_id=principal.key_id,
    )


def record(
    session: Session,
    *,
    actor: Principal | AuditActor,
    action: str,
    object_type: str,
    object_id: str | uuid.UUID,
    tenant_org_id: uuid.UUID | None,
    reason: str | None = None,
    details: Mapping[str, Any] | None = None,
    at: dt.datetime,
) -> AuditEvent:
    """Add one event in the caller's transaction (it commits with the change it records)."""
    who = check_actor(actor_of(session, actor) if isinstance(actor, Principal) else actor)
    object_type, object_text = check_object(object_type, str(object_id))
    return repository.add(
        session,
        AuditEvent(
            at=as_utc(at),
            actor_org_id=who.org_id,
            actor=who.name,
            key_id=who.key_id,
            action=check_action(action),
            object_type=object_type,
            object_id=object_text,
            tenant_org_id=tenant_org_id,
            reason=check_reason(reason),
            details=details_text(details),
        ),
    )


def list_events(
    session: Session, flt: EventFilter, *, limit: int | None = None, offset: int = 0
) -> tuple[list[EventView], int]:
    """Every matching event (no scoping: for the operator's command line), newest first."""
    rows, total = repository.list_events(session, check_filter(flt), limit=limit, offset=offset)
    views = [
        EventView(event=e, actor=e.actor, key_id=e.key_id, actor_org_ref=a, tenant_org_ref=t)
        for e, a, t in rows
    ]
    return views, total


def list_visible(
    session: Session,
    principal: Principal,
    flt: EventFilter,
    *,
    tenant_ref: str | None,
    limit: int,
    offset: int,
) -> tuple[list[EventView], int]:
    """The events ``principal`` may read: the insurer's staff all of them (or one tenant's with
    ``tenant_ref``), a seller only those about its own objects, with other organisations'
    keys shown by role only."""
    principal.require(Action.READ_AUDIT)
    tenant_org_id = _tenant_scope(session, principal, tenant_ref)
    scoped = replace(flt, tenant_org_id=tenant_org_id)
    views, total = list_events(session, scoped, limit=limit, offset=offset)
    if principal.is_insurer:
        return views, total
    return [_as_seen_by(v, principal) for v in views], total


def _tenant_scope(
    session: Session, principal: Principal, tenant_ref: str | None
) -> uuid.UUID | None:
    if not principal.is_insurer:
        if tenant_ref is not None and tenant_ref != principal.org_ref:
            raise AuditNotFound(f"no audit trail {tenant_ref!r}")
        return principal.org_id
    if tenant_ref is None:
        return None
    org = orgs_repository.get_org_by_ref(session, tenant_ref)
    if org is None:
        raise AuditNotFound(f"no organisation {tenant_ref!r}")
    return org.id


def _as_seen_by(view: EventView, principal: Principal) -> EventView:
    same_org = view.event.actor_org_id == principal.org_id
    return replace(
        view,
        actor=shown_actor(view.actor, same_org=same_org),
        key_id=view.key_id if same_org else None,
    )
