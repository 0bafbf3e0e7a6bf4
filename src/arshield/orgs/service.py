"""Use cases for organisations and API keys. Services never commit: callers own transactions."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from arshield.kit.errors import Conflict, NotFound, Unauthorized
from arshield.kit.security import hash_api_key, key_lookup_prefix, new_api_key
from arshield.orgs import repository
from arshield.orgs.domain import OrgKind, Principal, Role, check_org_ref, check_role_for_kind
from arshield.orgs.models import ApiKey, Organisation


class OrgNotFound(NotFound):
    """No organisation with that reference."""


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A newly created key: the secret is returned once and never stored."""

    key: ApiKey
    secret: str


def create_org(session: Session, *, ref: str, name: str, kind: OrgKind) -> Organisation:
    """Create an organisation; its reference must be new."""
    check_org_ref(ref)
    if repository.get_org_by_ref(session, ref) is not None:
        raise Conflict(f"organisation {ref!r} already exists")
    org = Organisation(ref=ref, name=name.strip() or ref, kind=OrgKind(kind))
    session.add(org)
    session.flush()
    return org


def get_org_by_ref(session: Session, ref: str) -> Organisation:
    org = repository.get_org_by_ref(session, ref)
    if org is None:
        raise OrgNotFound(f"no organisation {ref!r}")
    return org


def list_orgs(session: Session) -> list[Organisation]:
    return repository.list_orgs(session)


def create_api_key(
    session: Session, *, org_ref: str, role: Role, label: str | None = None
) -> IssuedKey:
    """Issue a key for ``org_ref`` with ``role``; the clear secret is returned once."""
    org = get_org_by_ref(session, org_ref)
    role = Role(role)
    check_role_for_kind(role, org.kind)
    secret = new_api_key()
    key = ApiKey(
        org_id=org.id,
        role=role,
        key_hash=hash_api_key(secret),
        prefix=key_lookup_prefix(secret),
        label=label,
    )
    session.add(key)
    session.flush()
    return IssuedKey(key=key, secret=secret)


def revoke_api_key(
    session: Session, *, key_id: uuid.UUID, now: dt.datetime, org_id: uuid.UUID | None = None
) -> ApiKey:
    """Revoke a key (idempotent). With ``org_id`` only that organisation's keys are visible."""
    key = repository.get_key(session, key_id)
    if key is None or (org_id is not None and key.org_id != org_id):
        raise NotFound(f"no API key {key_id}")
    if key.revoked_at is None:
        key.revoked_at = now
    session.flush()
    return key


def list_api_keys(session: Session, *, org_id: uuid.UUID | None = None) -> list[ApiKey]:
    return repository.list_keys(session, org_id=org_id)


def authenticate(session: Session, *, secret: str, now: dt.datetime) -> Principal:
    """Resolve a bearer secret to a principal; 401 if unknown or revoked."""
    return principal_of(repository.key_holder_by_hash(session, hash_api_key(secret)), now=now)


def principal_of(found: Sequence[Any] | None, *, now: dt.datetime) -> Principal:
    """The principal of a key holder row (key id, role, revoked at, organisation id, ref,
    kind), as any driver returns it; 401 if there is none or the key is revoked."""
    if found is None:
        raise Unauthorized("invalid API key")
    key_id, role, revoked_at, org_id, org_ref, org_kind = found
    if revoked_at is not None and revoked_at <= now:
        raise Unauthorized("this API key has been revoked")
    return Principal(
        key_id=key_id, org_id=org_id, org_ref=org_ref, org_kind=OrgKind(org_kind), role=Role(role)
    )
