"""Idempotency keys: one effect per key and request, and the first response replayed.

A request carrying a key first *claims* it for its organisation in a short transaction of its
own, so parallel requests with one key see each other's claim before any work starts:

- no row yet: the claim is inserted (``in_flight``) and the request does its work;
- a finished row with the same request fingerprint: its stored response is replayed;
- a row with another fingerprint: :class:`IdempotencyKeyReused` (422);
- an unfinished row: :class:`IdempotencyKeyInProgress` (409), unless it is older than the
  stale limit: its process died and its transaction rolled back, so the claim is taken over.

The work's transaction then *completes* the claim (state, status and body), so the stored
response commits with the effect or not at all. When the work fails the claim is *released*
(deleted) and the same key may be sent again.

Keys are kept until :func:`purge` deletes them (``arshield idempotency purge``, by default
those finished more than ``ARSHIELD_IDEMPOTENCY_RETENTION_HOURS`` ago). A request sent again
with a purged key is a new request.

Concurrency: PostgreSQL serialises claims on the unique ``(org_id, key)`` index
(``INSERT ... ON CONFLICT DO NOTHING`` waits for a concurrent claimer) and a row lock; SQLite
takes its write lock up front (``BEGIN IMMEDIATE``). A claim carries a random token, so a
request whose stale claim was taken over cannot complete or release the new owner's.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Integer,
    String,
    Text,
    Uuid,
    and_,
    delete,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.sql.schema import UniqueConstraint

from arshield.kit.db import Base, IdMixin, StrEnumType, UTCDateTime, lock_for_write, unit_of_work
from arshield.kit.errors import Conflict, ValidationFailed

MAX_KEY_LENGTH = 255
DEFAULT_STALE_AFTER = dt.timedelta(seconds=60)
CLAIM_ATTEMPTS = 5

# Printable ASCII (space to tilde), not starting or ending with a space.
_KEY = re.compile(rf"^[!-~](?:[ -~]{{0,{MAX_KEY_LENGTH - 2}}}[!-~])?$")


class KeyState(enum.StrEnum):
    """A claim whose request is running, or finished with its response stored."""

    IN_FLIGHT = "in_flight"
    DONE = "done"


class IdempotencyKey(IdMixin, Base):
    """One organisation's use of one key: the request's fingerprint and, once done, its
    response."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("org_id", "key"),)

    org_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"))
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH))
    fingerprint: Mapped[str] = mapped_column(String(64))
    state: Mapped[KeyState] = mapped_column(StrEnumType(KeyState, 16))
    token: Mapped[uuid.UUID] = mapped_column(Uuid)
    status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    response_body: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)


class InvalidIdempotencyKey(ValidationFailed):
    """The Idempotency-Key header is not 1-255 printable ASCII characters."""

    error_type = "invalid_idempotency_key"


class IdempotencyKeyReused(ValidationFailed):
    """The Idempotency-Key was first used with a different request."""

    error_type = "idempotency_key_reused"


class IdempotencyKeyInProgress(Conflict):
    """A request with this Idempotency-Key is still in progress."""

    error_type = "idempotency_key_in_progress"


@dataclass(frozen=True, slots=True)
class Claim:
    """A key this request holds: complete it with the response, or release it."""

    id: uuid.UUID
    token: uuid.UUID
    org_id: uuid.UUID
    key: str


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """The first request's response, to send again as it was."""

    status_code: int
    body: str


def check_key(value: str) -> str:
    """The key itself, if it is 1-255 printable ASCII characters without outer spaces."""
    if not _KEY.match(value):
        shown = value if len(value) <= 40 else value[:40] + "..."
        raise InvalidIdempotencyKey(
            f"Idempotency-Key {shown!r} must be 1-{MAX_KEY_LENGTH} printable ASCII characters "
            "(no leading or trailing space)"
        )
    return value


def canonical_json(value: Any) -> str:
    """``value`` as JSON with sorted keys and no spaces: equal data, equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def fingerprint(*, method: str, path: str, query: Any = None, body: Any = None) -> str:
    """SHA-256 (hex) of a request: method, path, query and body as canonical JSON."""
    text = canonical_json([method.upper(), path, query, body])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def claim(
    factory: sessionmaker[Session],
    *,
    org_id: uuid.UUID,
    key: str,
    fingerprint: str,
    now: dt.datetime,
    stale_after: dt.timedelta = DEFAULT_STALE_AFTER,
) -> Claim | StoredResponse:
    """Claim ``key`` for ``org_id`` in a transaction of its own (committed on return).

    Returns the new claim, or the stored response of an earlier identical request; raises
    :class:`IdempotencyKeyReused` or :class:`IdempotencyKeyInProgress`.
    """
    check_key(key)
    for _attempt in range(CLAIM_ATTEMPTS):
        with unit_of_work(factory) as session:
            lock_for_write(session)
            outcome = _claim_once(
                session,
                org_id=org_id,
                key=key,
                fingerprint=fingerprint,
                now=now,
                stale_after=stale_after,
            )
        if outcome is not None:
            return outcome
    # The row kept vanishing between the insert and the read: claimers and failures racing.
    raise IdempotencyKeyInProgress("a request with this Idempotency-Key is still in progress")


def _claim_once(
    session: Session,
    *,
    org_id: uuid.UUID,
    key: str,
    fingerprint: str,
    now: dt.datetime,
    stale_after: dt.timedelta,
) -> Claim | StoredResponse | None:
    token = uuid.uuid4()
    new_id = _insert_if_absent(
        session, org_id=org_id, key=key, fp=fingerprint, token=token, now=now
    )
    if new_id is not None:
        return Claim(id=new_id, token=token, org_id=org_id, key=key)
    row = session.scalars(
        select(IdempotencyKey)
        .where(IdempotencyKey.org_id == org_id, IdempotencyKey.key == key)
        .with_for_update()
    ).one_or_none()
    if row is None:
        return None  # released since the insert saw it: try again
    if row.state is KeyState.IN_FLIGHT and row.created_at <= now - stale_after:
        # Abandoned: its request died and its effect rolled back. Take it over.
        row.token, row.fingerprint, row.created_at = token, fingerprint, now
        session.flush()
        return Claim(id=row.id, token=token, org_id=org_id, key=key)
    if row.fingerprint != fingerprint:
        raise IdempotencyKeyReused("this Idempotency-Key was used with a different request")
    if row.state is KeyState.IN_FLIGHT:
        raise IdempotencyKeyInProgress("a request with this Idempotency-Key is still in progress")
    assert row.status_code is not None
    assert row.response_body is not None
    return StoredResponse(status_code=row.status_code, body=row.response_body)


def _insert_if_absent(
    session: Session,
    *,
    org_id: uuid.UUID,
    key: str,
    fp: str,
    token: uuid.UUID,
    now: dt.datetime,
) -> uuid.UUID | None:
    """Insert a fresh ``in_flight`` claim unless the key exists; its id, or None."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    new_id = uuid.uuid4()
    statement = (
        insert(IdempotencyKey)
        .values(
            id=new_id,
            org_id=org_id,
            key=key,
            fingerprint=fp,
            state=KeyState.IN_FLIGHT,
            token=token,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["org_id", "key"])
        .returning(IdempotencyKey.id)
    )
    inserted = session.execute(statement).scalar_one_or_none()
    return None if inserted is None else new_id


def complete(
    session: Session, claim: Claim, *, status_code: int, body: str, now: dt.datetime
) -> None:
    """Store the response in the caller's transaction (it commits with the effect).

    Raises :class:`IdempotencyKeyInProgress` when the claim was taken over meanwhile (this
    request ran past the stale limit): the caller's transaction must then roll back.
    """
    result = session.execute(
        update(IdempotencyKey)
        .where(
            IdempotencyKey.id == claim.id,
            IdempotencyKey.token == claim.token,
            IdempotencyKey.state == KeyState.IN_FLIGHT,
        )
        .values(state=KeyState.DONE, status_code=status_code, response_body=body, completed_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        raise IdempotencyKeyInProgress(
            "this request ran past the Idempotency-Key's time limit and a retry took the key "
            "over; nothing was written"
        )


def release(factory: sessionmaker[Session], claim: Claim) -> None:
    """Delete an unfinished claim in a transaction of its own, so the key may be sent again."""
    with unit_of_work(factory) as session:
        lock_for_write(session)
        session.execute(
            delete(IdempotencyKey)
            .where(
                IdempotencyKey.id == claim.id,
                IdempotencyKey.token == claim.token,
                IdempotencyKey.state == KeyState.IN_FLIGHT,
            )
            .execution_options(synchronize_session=False)
        )


def purge(
    session: Session, *, now: dt.datetime, older_than: dt.timedelta, stale_after: dt.timedelta
) -> int:
    """Delete the keys finished more than ``older_than`` before ``now``, and the claims begun
    that long ago that never finished (their requests died). Returns how many were deleted.

    ``older_than`` may not be shorter than ``stale_after``: a younger claim may still be running.
    """
    if older_than < stale_after:
        raise ValidationFailed(
            f"keys younger than the stale limit ({stale_after.total_seconds():g} s) may belong to "
            "running requests: purge older ones only"
        )
    before = now - older_than
    result = session.execute(
        delete(IdempotencyKey).where(
            or_(
                and_(IdempotencyKey.state == KeyState.DONE, IdempotencyKey.completed_at < before),
                and_(
                    IdempotencyKey.state == KeyState.IN_FLIGHT,
                    IdempotencyKey.created_at < before,
                ),
            )
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
