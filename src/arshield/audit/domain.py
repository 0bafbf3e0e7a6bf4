"""Rules of the audit trail: what an event may say and who may read it. Pure: no database."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from arshield.kit.errors import ValidationFailed

MAX_ACTION = 64
MAX_OBJECT_TYPE = 64
MAX_OBJECT_ID = 200
MAX_ACTOR = 200
MAX_REASON = 4000
MAX_DETAILS_BYTES = 64 * 1024

# "area.verb" (more dots allowed): cover.decide, ledger.write_off, apikey.revoke.
_ACTION = re.compile(r"^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+$")
_OBJECT_TYPE = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class AuditActor:
    """Who acted: an organisation, a description (a key's role and prefix, a command, a job)
    and the API key when there was one."""

    org_id: uuid.UUID
    name: str
    key_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class EventFilter:
    """Which events to list; ``None`` means any. Times are a half-open range ``[at_from,
    at_to)``."""

    object_type: str | None = None
    object_id: str | None = None
    action: str | None = None
    tenant_org_id: uuid.UUID | None = None
    at_from: dt.datetime | None = None
    at_to: dt.datetime | None = None


def key_actor_name(role: str, prefix: str, label: str | None) -> str:
    """How a key appears as an actor: ``"underwriter key ars_1a2b3c (Jane Doe)"``."""
    name = f"{role} key {prefix}" + (f" ({label})" if label else "")
    return name[:MAX_ACTOR]


def check_action(action: str) -> str:
    """An action name such as ``cover.decide``: lower-case words joined by dots."""
    if len(action) > MAX_ACTION or not _ACTION.match(action):
        raise ValidationFailed(
            f"action {action!r} must be lower-case words joined by dots (e.g. cover.decide), "
            f"at most {MAX_ACTION} characters"
        )
    return action


def check_object(object_type: str, object_id: str) -> tuple[str, str]:
    """The object an event is about: a lower-case type and a non-empty id."""
    if len(object_type) > MAX_OBJECT_TYPE or not _OBJECT_TYPE.match(object_type):
        raise ValidationFailed(
            f"object_type {object_type!r} must be a lower-case word (letters, digits, '_')"
        )
    if not object_id.strip() or len(object_id) > MAX_OBJECT_ID:
        raise ValidationFailed(f"object_id must be 1-{MAX_OBJECT_ID} characters")
    return object_type, object_id


def check_actor(actor: AuditActor) -> AuditActor:
    if not actor.name.strip() or len(actor.name) > MAX_ACTOR:
        raise ValidationFailed(f"an actor's name must be 1-{MAX_ACTOR} characters")
    return actor


def check_reason(reason: str | None) -> str | None:
    if reason is None:
        return None
    text = reason.strip()
    if len(text) > MAX_REASON:
        raise ValidationFailed(f"reason is longer than {MAX_REASON} characters")
    return text or None


def details_text(details: Mapping[str, Any] | None) -> str:
    """Details as canonical JSON text (sorted keys); only JSON values are accepted."""
    try:
        text = json.dumps(dict(details or {}), sort_keys=True, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValidationFailed(f"details must be plain JSON values: {exc}") from None
    if len(text.encode("utf-8")) > MAX_DETAILS_BYTES:
        raise ValidationFailed(f"details are larger than {MAX_DETAILS_BYTES} bytes")
    return text


def as_utc(value: dt.datetime) -> dt.datetime:
    """A time in UTC; a naive time is read as UTC."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def check_filter(flt: EventFilter) -> EventFilter:
    """The filter with its times in UTC; an empty or reversed time range is refused."""
    at_from = None if flt.at_from is None else as_utc(flt.at_from)
    at_to = None if flt.at_to is None else as_utc(flt.at_to)
    if at_from is not None and at_to is not None and at_to <= at_from:
        raise ValidationFailed("the time range is empty: 'to' must be after 'from'")
    return EventFilter(
        object_type=flt.object_type,
        object_id=flt.object_id,
        action=flt.action,
        tenant_org_id=flt.tenant_org_id,
        at_from=at_from,
        at_to=at_to,
    )


def shown_actor(actor: str, *, same_org: bool) -> str:
    """The actor as a seller sees it: in full for its own organisation's keys, otherwise only
    the role (the first word); another organisation's key prefixes and labels stay private."""
    return actor if same_org else actor.split(" ", 1)[0]
