"""Response bodies of the audit trail."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from pydantic import BaseModel, Field

from arshield.audit.service import EventView


class AuditEventOut(BaseModel):
    """One event of the audit trail."""

    id: uuid.UUID
    at: dt.datetime
    actor_org: str = Field(description="Reference of the organisation that acted.")
    actor: str = Field(
        description="The key's role, prefix and label (another organisation's keys: the role only)."
    )
    key_id: uuid.UUID | None
    action: str = Field(examples=["cover.decide"])
    object_type: str
    object_id: str
    tenant_org: str | None = Field(description="Reference of the organisation whose object it is.")
    reason: str | None
    details: dict[str, Any]

    @classmethod
    def build(cls, view: EventView) -> AuditEventOut:
        e = view.event
        return cls(
            id=e.id,
            at=e.at,
            actor_org=view.actor_org_ref,
            actor=view.actor,
            key_id=view.key_id,
            action=e.action,
            object_type=e.object_type,
            object_id=e.object_id,
            tenant_org=view.tenant_org_ref,
            reason=e.reason,
            details=json.loads(e.details),
        )
