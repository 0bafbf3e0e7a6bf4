"""Tables for organisations and API keys."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from arshield.kit.db import Base, IdMixin, StrEnumType, TimestampMixin, UTCDateTime
from arshield.orgs.domain import OrgKind, Role


class Organisation(IdMixin, TimestampMixin, Base):
    """The insurer operating the platform, or an insured seller."""

    __tablename__ = "organisations"

    ref: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[OrgKind] = mapped_column(StrEnumType(OrgKind))


class ApiKey(IdMixin, TimestampMixin, Base):
    """A hashed API key carrying one organisation and one role."""

    __tablename__ = "api_keys"

    org_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), index=True)
    role: Mapped[Role] = mapped_column(StrEnumType(Role))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    label: Mapped[str | None] = mapped_column(String(200), default=None)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
