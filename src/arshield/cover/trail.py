"""Who acts on cover, and the audit trail every decision and override is written to."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from arshield.audit import service as audit_service
from arshield.audit.domain import AuditActor
from arshield.kit.errors import ValidationFailed
from arshield.orgs.domain import Principal


@dataclass(frozen=True, slots=True)
class Actor:
    """Who does something, and when (UTC). ``name`` reads "role:org/key" or "cli:user"."""

    name: str
    now: dt.datetime
    org_id: uuid.UUID | None = None
    key_id: uuid.UUID | None = None
    is_insurer: bool = True

    @classmethod
    def of(cls, principal: Principal, now: dt.datetime) -> Actor:
        return cls(
            name=f"{principal.role.value}:{principal.org_ref}/{principal.key_id}",
            now=now,
            org_id=principal.org_id,
            key_id=principal.key_id,
            is_insurer=principal.is_insurer,
        )

    @property
    def today(self) -> dt.date:
        return self.now.date()


def audit(
    session: Session,
    actor: Actor,
    *,
    action: str,
    object_type: str,
    object_id: str,
    tenant_org_id: uuid.UUID | None,
    reason: str,
    details: dict[str, Any],
) -> None:
    """Append one event to the audit trail, in the caller's transaction."""
    if actor.org_id is None:
        raise ValidationFailed("an audited change needs the acting organisation")
    audit_service.record(
        session,
        actor=AuditActor(org_id=actor.org_id, name=actor.name, key_id=actor.key_id),
        action=action,
        object_type=object_type,
        object_id=object_id,
        tenant_org_id=tenant_org_id,
        reason=reason,
        details=details,
        at=actor.now,
    )
