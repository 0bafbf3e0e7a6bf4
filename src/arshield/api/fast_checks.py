"""Credit checks on the event loop: the call an ERP makes before every shipment, on PostgreSQL.

``FastCreditChecks`` answers ``POST /api/v1/credit-checks`` on the worker's event loop with
asyncpg, before the framework's middleware and routing, with the rules of
:mod:`arshield.cover.checks`: the functions the route runs.

- A check holding no order reads everything in one statement
  (:func:`arshield.cover.checks.one_trip_query`), outside a transaction.
- A check holding an order runs in a transaction, as the route does: it locks the buyer's row,
  reads the exposure and holds the order with one insert-or-update. It goes over psycopg in
  pipeline mode, in two round trips: the transaction's start, the key's holder, the buyer's lock
  and the exposure (:func:`arshield.cover.checks.held_reads`) together, then the hold with the
  commit. Each statement still reads its own snapshot, after the lock of the one before.

The route answers the rest, unchanged:
- a request with an ``Idempotency-Key`` (its answer is stored under the key);
- a body that does not validate (the route's 422 detail, after its 401);
- a missing ``Authorization`` header;
- a body without a declared length, or over ``MAX_FAST_BODY``.

The statements are the route's own SQLAlchemy statements, compiled once for each driver, which
prepares them on each connection. The answer is the bytes the route
would send: the same response model, serialised by pydantic. BENCHMARKS.md has the figures.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import asyncpg
import psycopg
import psycopg_pool
from asyncpg.pool import PoolConnectionProxy
from pydantic import ValidationError
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect
from sqlalchemy.dialects.postgresql import psycopg as psycopg_dialect
from sqlalchemy.engine import make_url
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from arshield.api.deps import bearer_of
from arshield.api.errors import DATABASE_UNAVAILABLE, INTERNAL_ERROR, error_response
from arshield.api.idempotency import HEADER
from arshield.cover import checks
from arshield.cover.endpoints import may_check, to_check_in
from arshield.cover.schemas import CreditCheckIn, CreditCheckOut
from arshield.kit.errors import ArshieldError
from arshield.kit.security import hash_api_key
from arshield.kit.time import utcnow
from arshield.orgs import service as orgs_service

log = logging.getLogger(__name__)

PATH = "/api/v1/credit-checks"
# A check's body is a few hundred bytes; a larger or undeclared one goes the ordinary way.
MAX_FAST_BODY = 4096
_IDEMPOTENCY = HEADER.lower().encode("latin-1")
if TYPE_CHECKING:
    Conn = PoolConnectionProxy[asyncpg.Record]
_DIALECT = asyncpg_dialect.dialect()  # type: ignore[no-untyped-call]
_PSYCOPG = psycopg_dialect.dialect()  # type: ignore[no-untyped-call]
# Failures the application's handlers answer with 503: the server is unreachable, starting,
# full, or the connection broke or timed out.
_UNAVAILABLE = (
    OSError,
    TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    psycopg.OperationalError,
    psycopg_pool.PoolTimeout,
)


@dataclass(frozen=True, slots=True)
class Compiled:
    """A statement in asyncpg's ``$n`` form, and how to order its parameters."""

    sql: str
    names: tuple[str, ...]
    defaults: Mapping[str, Any]

    def args(self, params: Mapping[str, Any]) -> list[Any]:
        return [params[n] if n in params else self.defaults[n] for n in self.names]


@functools.cache
def compiled(statement: ClauseElement) -> Compiled:
    """``statement`` for asyncpg (built once: the check's statements are cached objects)."""
    done = statement.compile(dialect=_DIALECT)
    assert isinstance(done, SQLCompiler)
    names = tuple(done.positiontup or ())
    return Compiled(done.string, names, dict(done.params))


@dataclass(frozen=True, slots=True)
class Named:
    """A statement in psycopg's ``%(name)s`` form, and its parameters' defaults."""

    sql: str
    compiled: SQLCompiler

    def params(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return dict(self.compiled.construct_params(dict(params)))


@functools.cache
def named(statement: ClauseElement) -> Named:
    """``statement`` for psycopg (built once per statement)."""
    done = statement.compile(dialect=_PSYCOPG)
    assert isinstance(done, SQLCompiler)
    return Named(done.string, done)


def hold_pool_size(pool_size: int) -> int:
    """Connections per worker for checks that hold an order (one in twenty checks, say)."""
    return max(2, pool_size // 4)


def asyncpg_dsn(database_url: str) -> str:
    """The libpq-style DSN asyncpg takes for a SQLAlchemy PostgreSQL URL."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


class FastCreditChecks:
    """ASGI middleware answering credit checks on PostgreSQL (see the module).

    :class:`arshield.api.app.Api` calls it before the framework's own middleware: every
    ``await`` of a request resumes the whole chain of coroutines it runs in, so the shorter the
    chain, the cheaper the check.
    """

    def __init__(self, app: ASGIApp, *, database_url: str, pool_size: int) -> None:
        self.app = app
        self.dsn = asyncpg_dsn(database_url)
        self.pool_size = pool_size
        self._pool: asyncpg.Pool | None = None
        self._holds: psycopg_pool.AsyncConnectionPool | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._opening: asyncio.Lock | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == PATH and scope["method"] == "POST":
            await self._check(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self.app(scope, self._closing_on_shutdown(receive), send)
        else:
            await self.app(scope, receive, send)

    # --- the check -------------------------------------------------------------------------------

    async def _check(self, scope: Scope, receive: Receive, send: Send) -> None:
        secret = length = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                secret = bearer_of(value.decode("latin-1"))
            elif name == b"content-length":
                length = int(value) if value.isdigit() else None
            elif name == _IDEMPOTENCY:
                secret = None  # the answer is stored under the key: the route does that
                break
        if not secret or length is None or length > MAX_FAST_BODY:
            await self.app(scope, receive, send)
            return
        raw, complete = await _read_body(receive, length)
        if raw is None:  # the client went away
            return
        begun = _valid_check(raw) if complete else None
        if begun is None:
            await self.app(scope, _replay(raw, receive), send)
            return
        try:
            answer = await self._answer(secret, begun)
        except ArshieldError as exc:
            await error_response(exc)(scope, receive, send)
            return
        except _UNAVAILABLE:
            await error_response(DATABASE_UNAVAILABLE)(scope, receive, send)
            return
        except Exception:
            log.exception("credit check failed")
            await error_response(INTERNAL_ERROR)(scope, receive, send)
            return
        await Response(answer, media_type="application/json")(scope, receive, send)

    async def _answer(self, secret: str, begun: checks.Begun) -> bytes:
        key_hash = hash_api_key(secret)
        pool = await self._pool_here()
        if begun.order_ref is None:
            async with pool.acquire() as conn:
                result = await _read_only(conn, begun, key_hash)
        else:
            assert self._holds is not None
            async with self._holds.connection() as held:
                result = await _holding(held, begun, key_hash)
        return CreditCheckOut.build(result).model_dump_json().encode()

    # --- the pool --------------------------------------------------------------------------------

    async def _pool_here(self) -> asyncpg.Pool:
        """The pool of the running event loop, opened on first use (a worker has one loop; a
        test client opens a loop per client)."""
        loop = asyncio.get_running_loop()
        if self._pool is not None and self._loop is loop:
            return self._pool
        if self._opening is None or self._loop is not loop:
            self._opening, self._loop, self._pool = asyncio.Lock(), loop, None
        async with self._opening:
            if self._pool is None:
                size = hold_pool_size(self.pool_size)
                holds = psycopg_pool.AsyncConnectionPool(
                    self.dsn,
                    min_size=size,  # opened in the background; it does not grow under a burst
                    max_size=size,
                    timeout=30,
                    kwargs={"autocommit": True},
                    open=False,
                )
                await holds.open()
                try:
                    self._pool = await asyncpg.create_pool(
                        self.dsn,
                        min_size=1,
                        max_size=self.pool_size,
                        command_timeout=30,
                        reset=_keep_session,
                    )
                except BaseException:
                    await holds.close()
                    raise
                self._holds = holds
        assert self._pool is not None
        return self._pool

    def _closing_on_shutdown(self, receive: Receive) -> Receive:
        async def watched() -> Message:
            message = await receive()
            if message["type"] == "lifespan.shutdown" and self._pool is not None:
                pool, self._pool = self._pool, None
                holds, self._holds = self._holds, None
                await pool.close()
                if holds is not None:
                    await holds.close()
            return message

        return watched


async def _keep_session(_conn: asyncpg.Connection) -> None:
    """A connection goes back to the pool as it is: the checks change no session state, and
    asyncpg's default reset (``RESET ALL``, ``UNLISTEN *``, ...) cost a round trip a check.
    An open transaction is still rolled back by the pool."""


async def _read_only(conn: Conn, begun: checks.Begun, key_hash: str) -> checks.CheckOut:
    """A check holding no order: every read in one statement, outside a transaction (under
    READ COMMITTED a statement reads one snapshot)."""
    query = compiled(checks.one_trip_query(by_policy=begun.check.policy_id is not None))
    row = await conn.fetchrow(
        query.sql, *query.args(checks.one_trip_params(begun, key_hash=key_hash))
    )
    holder = None if row is None else tuple(row[:6])
    may_check(orgs_service.principal_of(holder, now=begun.now))
    assert row is not None
    return checks.from_one_trip(begun, row[6] or (), row[7] or ())


async def _holding(
    conn: psycopg.AsyncConnection[Any], begun: checks.Begun, key_hash: str
) -> checks.CheckOut:
    """A check holding its order, in one transaction and two round trips (see the module): the
    buyer's row is locked before its exposure is read (one writer per buyer), as the route
    does. A hold refused because the reference is another buyer's changes nothing."""
    reads = [named(s) for s in checks.held_reads(by_policy=begun.check.policy_id is not None)]
    params = checks.held_params(begun, key_hash=key_hash)
    held: psycopg.AsyncCursor[Any] | None = None
    async with conn.pipeline() as pipeline, conn.transaction():
        holder_rows, buyer_rows, exposure_rows = [
            await conn.execute(read.sql, read.params(params)) for read in reads
        ]
        await pipeline.sync()
        found = await holder_rows.fetchone()
        principal = orgs_service.principal_of(
            None if found is None else tuple(found), now=begun.now
        )
        may_check(principal)
        step = checks.with_cover(begun, await buyer_rows.fetchall())
        if isinstance(step, checks.CoverFound):
            step = checks.with_exposure(step, await exposure_rows.fetchall())
        hold = checks.hold_params(step, org_id=principal.org_id, now=begun.now)
        if hold is not None:
            statement = named(checks.hold_statement("postgresql"))
            held = await conn.execute(statement.sql, statement.params(hold))
    # The hold went with the commit; a reference held for another buyer changed no row.
    if held is not None and await held.fetchone() is None:
        raise checks.order_elsewhere(step)
    return step


def _valid_check(raw: bytes) -> checks.Begun | None:
    """The check if the body is a valid one, else None: the route then answers (401 before
    422, with its usual detail)."""
    try:
        body = CreditCheckIn.model_validate_json(raw)
        return checks.begin(to_check_in(body), now=utcnow())
    except (ValidationError, ArshieldError):
        return None


async def _read_body(receive: Receive, length: int) -> tuple[bytes | None, bool]:
    """The body read so far (None if the client went away) and whether it is complete within
    the ``length`` declared (if not, what was read goes on to the application's limits)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None, False
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if size > length:
            return b"".join(chunks), False
        if not message.get("more_body", False):
            return b"".join(chunks), True


def _replay(raw: bytes, receive: Receive) -> Receive:
    """A receive that hands on the body already read, then the client's next messages."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": raw, "more_body": False}
        return await receive()

    return replay
