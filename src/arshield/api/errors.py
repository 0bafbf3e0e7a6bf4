"""Render every error one way: ``{"error": <type>, "detail": ...}``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from arshield.kit.errors import ArshieldError, ServiceUnavailable

DATABASE_UNAVAILABLE = ServiceUnavailable("the database is unavailable; try again")


class InternalError(ArshieldError):
    """An unexpected error; it is logged."""

    status_code = 500
    error_type = "internal_error"


INTERNAL_ERROR = InternalError("an unexpected error occurred")


class ErrorBody(BaseModel):
    """The body of every error response."""

    error: str
    detail: Any = None


def error_responses(*errors: type[ArshieldError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the errors a route can raise."""
    out: dict[int | str, dict[str, Any]] = {}
    for err in errors:
        out[err.status_code] = {"model": ErrorBody, "description": err.__doc__ or err.error_type}
    return out


def _render(status: int, error: str, detail: Any) -> JSONResponse:
    return JSONResponse(
        status_code=status, content=jsonable_encoder({"error": error, "detail": detail})
    )


def error_response(exc: ArshieldError) -> JSONResponse:
    """The response to one of the platform's errors (401 asks for a bearer key)."""
    response = _render(exc.status_code, exc.error_type, exc.detail)
    if exc.status_code == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ArshieldError)
    async def _arshield(_request: Request, exc: ArshieldError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        detail = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")}
            for e in exc.errors()
        ]
        return _render(422, "validation_failed", detail)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        kind = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}.get(
            exc.status_code, "http_error"
        )
        return _render(exc.status_code, kind, exc.detail)

    @app.exception_handler(IntegrityError)
    async def _integrity(_request: Request, _exc: IntegrityError) -> JSONResponse:
        return _render(409, "conflict", "a concurrent change conflicts with this request; retry it")

    @app.exception_handler(OperationalError)
    async def _db_down(_request: Request, _exc: OperationalError) -> JSONResponse:
        return error_response(DATABASE_UNAVAILABLE)

    @app.exception_handler(DBAPIError)
    async def _db_error(_request: Request, exc: DBAPIError) -> JSONResponse:
        if exc.connection_invalidated:
            return _render(503, "service_unavailable", "the database connection was lost")
        return _render(500, "internal_error", "a database error occurred")
