"""Exceptions -> JSON error responses: one table for the whole server (spec section 6).

Every non-2xx answer is `{"error": <name>, "message": <text>}` with
`Content-Type: application/json`. The Python client picks its exception class from
`error`, the JS client from the status, so both come from the exception itself
(`ChromaError.name()` / `.code()`).
"""
from __future__ import annotations

import logging

from chromadb.errors import ChromaError, ForbiddenError, UnimplementedError

__all__ = [
    "FeatureUnavailableError",
    "HTTPStatusError",
    "PayloadTooLargeError",
    "RequestTimeoutError",
    "ResetDisabledError",
    "RouteNotFoundError",
    "error_body",
    "error_status",
]

logger = logging.getLogger("chromadb.server")


class PayloadTooLargeError(ChromaError):
    """A request body over the configured limit."""

    def code(self) -> int:
        return 413

    @classmethod
    def name(cls) -> str:
        # Not a name the Python client knows: it raises a plain Exception, as it does for
        # upstream's 413; the JS client reads the status.
        return "PayloadTooLarge"


class RequestTimeoutError(ChromaError):
    """A client that stopped sending its request body."""

    def code(self) -> int:
        return 408

    @classmethod
    def name(cls) -> str:
        return "RequestTimeout"


class ResetDisabledError(ForbiddenError):
    """POST /reset on a server started without --allow-reset."""


class FeatureUnavailableError(UnimplementedError):
    """A cloud or distributed-only route (fork, search, functions...)."""


class HTTPStatusError(ChromaError):
    """A routing-level refusal (405 method not allowed, ...)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status

    def code(self) -> int:
        return self.status


class RouteNotFoundError(HTTPStatusError):
    """No route has this path."""

    def __init__(self, message: str) -> None:
        super().__init__(message, 404)

    @classmethod
    def name(cls) -> str:
        return "NotFoundError"


def error_status(exc: BaseException) -> int:
    if isinstance(exc, ChromaError):
        return exc.code()
    if isinstance(exc, (ValueError, TypeError)):
        # the backend's convention: ValueError/TypeError are bad input
        return 400
    return 500


def error_body(exc: BaseException) -> dict[str, str]:
    """The JSON error object for `exc`; unexpected exceptions are logged with their traceback."""
    if isinstance(exc, ChromaError):
        return {"error": exc.name(), "message": exc.message_text() or str(exc)}
    if isinstance(exc, (ValueError, TypeError)):
        return {"error": "InvalidArgumentError", "message": str(exc)}
    logger.error("internal error", exc_info=exc)
    return {"error": "InternalError", "message": f"{type(exc).__name__}: {exc}"}
