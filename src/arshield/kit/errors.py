"""One error family: every error carries its HTTP status and a machine-readable type.

The API renders each as ``{"error": <type>, "detail": ...}``; the CLI prints the detail and exits
non-zero. Errors live beside the code that raises them and subclass these.
"""

from __future__ import annotations

from typing import Any, ClassVar


class ArshieldError(Exception):
    """Base class for errors a user can act on."""

    status_code: ClassVar[int] = 400
    error_type: ClassVar[str] = "bad_request"

    def __init__(self, detail: Any = None) -> None:
        self.detail = detail if detail is not None else self.__class__.__doc__
        super().__init__(detail if isinstance(detail, str) else repr(detail))


class ValidationFailed(ArshieldError):
    """The request is well-formed but its content is invalid."""

    status_code = 422
    error_type = "validation_failed"


class NotFound(ArshieldError):
    """No such object, or it belongs to another organisation."""

    status_code = 404
    error_type = "not_found"


class Unauthorized(ArshieldError):
    """A valid API key is required."""

    status_code = 401
    error_type = "unauthorized"


class Forbidden(ArshieldError):
    """Your role may not perform this action."""

    status_code = 403
    error_type = "forbidden"


class Conflict(ArshieldError):
    """The request conflicts with the current state."""

    status_code = 409
    error_type = "conflict"


class ServiceUnavailable(ArshieldError):
    """The database is unavailable; try again."""

    status_code = 503
    error_type = "service_unavailable"


class PayloadTooLarge(ArshieldError):
    """The body or file is larger than the configured limit."""

    status_code = 413
    error_type = "payload_too_large"
