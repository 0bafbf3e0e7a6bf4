"""FastAPI dependencies: the request's transaction and the calling principal."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from arshield.kit.db import unit_of_work
from arshield.kit.errors import Unauthorized
from arshield.kit.time import utcnow
from arshield.orgs import service as orgs_service
from arshield.orgs.domain import Principal


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the route returns, rolled back on error."""
    with unit_of_work(request.app.state.session_factory) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_principal(request: Request) -> Principal:
    """Authenticate ``Authorization: Bearer <key>``; 401 without a valid, unrevoked key.

    The key is checked in a short transaction of its own, so the request's transaction starts
    only when the route uses it (a writer can then take SQLite's write lock up front).
    """
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthorized("send Authorization: Bearer <api key>")
    with unit_of_work(request.app.state.session_factory) as session:
        return orgs_service.authenticate(session, secret=secret.strip(), now=utcnow())


PrincipalDep = Annotated[Principal, Depends(get_principal)]
