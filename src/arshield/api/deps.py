"""FastAPI dependencies: the request's transaction and the calling principal."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Annotated

from anyio import CapacityLimiter
from anyio.lowlevel import RunVar
from fastapi import Depends, Request
from sqlalchemy.orm import Session

from arshield.kit.db import POOL_SIZE, autocommit_reads, unit_of_work
from arshield.kit.errors import Unauthorized
from arshield.kit.time import utcnow
from arshield.orgs import service as orgs_service
from arshield.orgs.domain import Principal

# Requests of a worker that may use the database at once. A request holds at most two pool
# connections at a time (its transaction, and an Idempotency-Key claim or a key lookup in a
# short transaction of its own), so half the pool's connections always go round. A request
# waits for its slot on the event loop, before it takes a thread: without the slots, under
# enough parallel requests every thread of the pool waited for a connection while every
# connection was held by a request whose response waited for a thread to be validated
# (FastAPI validates a ``def`` route's response in its thread pool, before the request's
# transaction ends), until the pool's checkout timeout failed them.
DB_SLOTS = POOL_SIZE // 2
_db_slots: RunVar[CapacityLimiter] = RunVar("arshield_db_slots")


async def db_slot() -> AsyncIterator[None]:
    """Hold one of the worker's database slots until the route's dependencies have ended."""
    try:
        slots = _db_slots.get()
    except LookupError:
        slots = CapacityLimiter(DB_SLOTS)
        _db_slots.set(slots)
    async with slots:
        yield


DbSlot = Depends(db_slot, scope="function")


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the route returns, rolled back on error.

    The dependency's scope is the route function, so the commit happens before the response is
    sent: a client never reads 200 or 201 for a change that failed to commit.
    """
    with unit_of_work(request.app.state.session_factory) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def bearer_of(header: str) -> str | None:
    """The key of an ``Authorization: Bearer <key>`` header's value, or None."""
    scheme, _, secret = header.partition(" ")
    secret = secret.strip()
    return secret if scheme.lower() == "bearer" and secret else None


def bearer_secret(request: Request) -> str:
    """The key of ``Authorization: Bearer <key>``; 401 without one."""
    secret = bearer_of(request.headers.get("authorization", ""))
    if secret is None:
        raise Unauthorized("send Authorization: Bearer <api key>")
    return secret


def authenticate(session: Session, secret: str) -> Principal:
    """The holder of the key ``secret``, read on ``session``; 401 unless the key is valid and
    unrevoked. Nothing is cached: a revoked key is refused on its next request."""
    return orgs_service.authenticate(session, secret=secret, now=utcnow())


def get_principal(request: Request, _slot: Annotated[None, DbSlot]) -> Principal:
    """Authenticate ``Authorization: Bearer <key>``; 401 without a valid, unrevoked key.

    The key is read on a connection of its own (one statement, without a transaction on
    PostgreSQL), so the request's transaction starts only when the route uses it (a writer can
    then take SQLite's write lock up front).
    """
    secret = bearer_secret(request)
    with unit_of_work(request.app.state.session_factory) as session:
        autocommit_reads(session)
        return authenticate(session, secret)


PrincipalDep = Annotated[Principal, Depends(get_principal)]
