"""Every query on organisations and API keys."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from arshield.orgs.domain import OrgKind, Role
from arshield.orgs.models import ApiKey, Organisation


def get_org_by_ref(session: Session, ref: str) -> Organisation | None:
    return session.scalars(select(Organisation).where(Organisation.ref == ref)).one_or_none()


def get_org(session: Session, org_id: uuid.UUID) -> Organisation | None:
    return session.get(Organisation, org_id)


def list_orgs(session: Session) -> list[Organisation]:
    return list(session.scalars(select(Organisation).order_by(Organisation.ref)))


KEY_HOLDER = (
    select(
        ApiKey.id,
        ApiKey.role,
        ApiKey.revoked_at,
        Organisation.id,
        Organisation.ref,
        Organisation.kind,
    )
    .join(Organisation, Organisation.id == ApiKey.org_id)
    .where(ApiKey.key_hash == bindparam("key_hash"))
)


def key_holder_by_hash(
    session: Session, key_hash: str
) -> tuple[uuid.UUID, Role, dt.datetime | None, uuid.UUID, str, OrgKind] | None:
    """(key id, role, revoked at, organisation id, ref, kind) of a key: one statement built
    once, as every authenticated request runs it."""
    return session.connection().execute(KEY_HOLDER, {"key_hash": key_hash}).tuples().one_or_none()


def get_key(session: Session, key_id: uuid.UUID) -> ApiKey | None:
    return session.get(ApiKey, key_id)


def list_keys(session: Session, *, org_id: uuid.UUID | None = None) -> list[ApiKey]:
    query = select(ApiKey).order_by(ApiKey.created_at)
    if org_id is not None:
        query = query.where(ApiKey.org_id == org_id)
    return list(session.scalars(query))
