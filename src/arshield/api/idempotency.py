"""``Idempotency-Key`` on POSTs that create money-relevant things.

A route takes :data:`IdempotencyDep` and follows one pattern::

    def create_thing(body: ThingIn, principal: PrincipalDep, idem: IdempotencyDep,
                     session: SessionDep) -> Response:
        if (replay := idem.replay(principal, body)) is not None:
            return replay
        thing = service.create(session, ...)
        return idem.respond(session, ThingOut.build(thing), status_code=201)

Without the header ``replay`` returns None and ``respond`` only builds the response. With it,
the key is claimed for the caller's organisation before the work, the response is stored in
the request's transaction, and the same request sent again gets the same status and body back
(with ``Idempotent-Replayed: true``) and no second effect.

The dependency commits the request's transaction *before* the response leaves (a response
never announces an effect that did not commit), and releases the claim when the route or that
commit fails, so the client may retry with the same key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Iterator
from typing import Annotated, Any, TypeAlias

from fastapi import Depends, Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import UploadFile

from arshield.api.deps import SessionDep
from arshield.api.errors import error_responses
from arshield.kit import idempotency as store
from arshield.kit.time import utcnow
from arshield.orgs.domain import Principal

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
BLOCK = 1 << 20

HEADER_DESCRIPTION = (
    "Any unique string (1-255 printable ASCII characters, e.g. a UUID) that makes this request "
    "safe to retry. The same key with the same request replays the first response (status and "
    "body, with `Idempotent-Replayed: true`) without a second effect; with a different request "
    "it is refused (422 `idempotency_key_reused`); while the first request is still running, "
    "409 `idempotency_key_in_progress`. Keys are scoped to your organisation. A request that "
    "failed stores nothing: send it again with the same key."
)

# Merged first into a route's ``responses``, so the route's own descriptions of 409 and 422 win.
IDEMPOTENCY_ERRORS = error_responses(store.IdempotencyKeyReused, store.IdempotencyKeyInProgress)

Body: TypeAlias = BaseModel | list[Any] | dict[str, Any] | bytes | UploadFile | None


class Idempotency:
    """The request's ``Idempotency-Key`` (if any): replay a stored response or store this one."""

    def __init__(self, *, request: Request, key: str | None) -> None:
        self._request = request
        self._key = key
        self._claim: store.Claim | None = None
        self._asked = False

    @property
    def key(self) -> str | None:
        return self._key

    def replay(self, principal: Principal, body: Body = None) -> Response | None:
        """The stored response of the same earlier request, or None to go ahead (the key is
        then claimed). ``body`` is the validated body model, raw JSON bytes or an upload."""
        self._asked = True
        if self._key is None:
            return None
        if self._claim is not None:
            raise RuntimeError("replay() was already called for this request")
        settings = self._request.app.state.settings
        outcome = store.claim(
            self._factory,
            org_id=principal.org_id,
            key=self._key,
            fingerprint=self._fingerprint(body),
            now=utcnow(),
            stale_after=dt.timedelta(seconds=settings.idempotency_stale_after_seconds),
        )
        if isinstance(outcome, store.StoredResponse):
            return Response(
                content=outcome.body.encode("utf-8"),
                status_code=outcome.status_code,
                media_type="application/json",
                headers={REPLAYED_HEADER: "true"},
            )
        self._claim = outcome
        return None

    def respond(self, session: Session, content: Any, *, status_code: int = 200) -> JSONResponse:
        """``content`` as JSON; with a key, stored in ``session``'s transaction as well."""
        if self._key is not None and not self._asked:
            raise RuntimeError("call replay() before doing the work of an idempotent route")
        response = JSONResponse(content=jsonable_encoder(content), status_code=status_code)
        if self._claim is not None:
            store.complete(
                session,
                self._claim,
                status_code=status_code,
                body=bytes(response.body).decode("utf-8"),
                now=utcnow(),
            )
        return response

    def release(self) -> None:
        """Give the key back after a failure (nothing was committed), in its own transaction."""
        claim, self._claim = self._claim, None
        if claim is None:
            return
        try:
            store.release(self._factory, claim)
        except Exception:  # the claim then expires after the stale limit instead
            log.exception("could not release Idempotency-Key claim %s", claim.id)

    @property
    def _factory(self) -> sessionmaker[Session]:
        factory: sessionmaker[Session] = self._request.app.state.session_factory
        return factory

    def _fingerprint(self, body: Body) -> str:
        url = self._request.url
        query = sorted(self._request.query_params.multi_items())
        return store.fingerprint(
            method=self._request.method, path=url.path, query=query, body=_canonical(body)
        )


def _canonical(body: Body) -> Any:
    """The part of a body that decides its fingerprint, as JSON data."""
    if body is None:
        return None
    if isinstance(body, BaseModel):
        return body.model_dump(mode="json")
    if isinstance(body, UploadFile):
        return {"file": body.filename, "sha256": _upload_digest(body)}
    if isinstance(body, bytes):
        try:
            # Numbers are kept as written (an amount's digits matter), key order and spacing not.
            return json.loads(body, parse_float=lambda text: {"number": text})
        except ValueError:
            return {"sha256": hashlib.sha256(body).hexdigest()}
    if isinstance(body, list | dict):
        return jsonable_encoder(body)
    raise TypeError(f"cannot fingerprint a request body of type {type(body).__name__}")


def _upload_digest(upload: UploadFile) -> str:
    digest = hashlib.sha256()
    upload.file.seek(0)
    while block := upload.file.read(BLOCK):
        digest.update(block)
    upload.file.seek(0)
    return digest.hexdigest()


def get_idempotency(
    request: Request,
    session: SessionDep,
    idempotency_key: Annotated[
        str | None, Header(alias=HEADER, description=HEADER_DESCRIPTION)
    ] = None,
) -> Iterator[Idempotency]:
    """The request's :class:`Idempotency`; commits the work before the response is sent and
    releases the key if the route or the commit fails."""
    key = None if idempotency_key is None else store.check_key(idempotency_key)
    idem = Idempotency(request=request, key=key)
    _write_from_the_start(session)
    try:
        yield idem
        session.commit()
    except BaseException:
        session.rollback()  # first: on SQLite the release needs the write lock this may hold
        idem.release()
        raise


def _write_from_the_start(session: Session) -> None:
    """On SQLite, begin the request's transaction with the write lock (``BEGIN IMMEDIATE``)
    when it first touches the database, which is after the key's claim.

    These routes read before they write (the buyer, the invoice); a transaction that starts
    as a reader and later writes fails at once with "database is locked" if another writer
    went first, instead of waiting its turn.
    """
    bind = session.get_bind()
    if bind.dialect.name == "sqlite" and not session.in_transaction():
        session.bind = bind.execution_options(sqlite_immediate=True)


# Function scope: this exits (commits, or releases) before the response is sent; the session's
# own teardown runs only after sending, too late to turn a failed commit into an error.
IdempotencyDep = Annotated[Idempotency, Depends(get_idempotency, scope="function")]
