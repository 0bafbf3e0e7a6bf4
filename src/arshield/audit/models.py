"""The audit trail's table. Append-only at the database: rows are never changed or deleted."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from arshield.audit.domain import MAX_ACTION, MAX_ACTOR, MAX_OBJECT_ID, MAX_OBJECT_TYPE
from arshield.kit.append_only import guard
from arshield.kit.db import Base, IdMixin, UTCDateTime


class AuditEvent(IdMixin, Base):
    """Who (``actor``, in ``actor_org_id``, with ``key_id``) did ``action`` to an object of
    ``tenant_org_id``, when and why; ``details`` is a JSON object as text."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_at_id", "at", "id"),
        Index("ix_audit_events_tenant_at", "tenant_org_id", "at"),
        Index("ix_audit_events_object", "object_type", "object_id"),
    )

    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    actor_org_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"))
    actor: Mapped[str] = mapped_column(String(MAX_ACTOR))
    key_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("api_keys.id"), default=None)
    action: Mapped[str] = mapped_column(String(MAX_ACTION))
    object_type: Mapped[str] = mapped_column(String(MAX_OBJECT_TYPE))
    object_id: Mapped[str] = mapped_column(String(MAX_OBJECT_ID))
    tenant_org_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("organisations.id"), default=None
    )
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    details: Mapped[str] = mapped_column(Text, default="{}")


guard(AuditEvent.__table__)
