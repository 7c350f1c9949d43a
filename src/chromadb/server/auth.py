"""Static token auth for `chroma run --auth-token TOKEN` (spec section 7).

    app = create_app(path, auth_token="s3cret")   # wraps the routes in TokenAuthMiddleware

The token is accepted as `Authorization: Bearer TOKEN` or `X-Chroma-Token: TOKEN`, the
two headers the official clients send. Heartbeat, healthcheck and version stay public (load
balancers and `chroma` health probes call them), as do the API description
(`/openapi.json`, `/docs`), which is the same for every server and holds no data, and so
are `/` and the files of the browse page (`/ui`, docs/ui.md), which asks for the token itself.
Everything else, unknown paths included, fails closed: no token -> 401 `AuthError`,
a wrong one -> 403 `AuthorizationError`, both with the usual JSON error body.
"""
from __future__ import annotations

import hashlib
import hmac
import uuid
from typing import TYPE_CHECKING

from chromadb.errors import AuthorizationError, ChromaAuthError, ChromaError
from chromadb.server import wire
from chromadb.server.errors import error_body, error_status
from chromadb.server.ui_routes import PUBLIC_PATHS as UI_FILES

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["PUBLIC_PATHS", "TokenAuthMiddleware", "check_token"]

PUBLIC_PATHS = (
    frozenset({"/api/v2", "/api/v2/heartbeat", "/api/v2/healthcheck", "/api/v2/version", "/openapi.json", "/docs"})
    | UI_FILES
)
_PUBLIC_METHODS = frozenset({"GET", "HEAD"})


def _digest(value: bytes) -> bytes:
    # hashing first makes the comparison's time independent of the token's length too
    return hashlib.sha256(value).digest()


def _offered_tokens(headers: list[tuple[bytes, bytes]]) -> list[bytes]:
    tokens: list[bytes] = []
    seen: set[bytes] = set()
    for name, value in headers:
        name = name.lower()
        if name in seen or name not in (b"authorization", b"x-chroma-token"):
            continue
        seen.add(name)  # the first header of each name counts, never a list of guesses
        value = value.strip()
        if name == b"authorization":
            scheme, _, value = value.partition(b" ")
            value = value.strip() if scheme.lower() == b"bearer" else b"\0not a bearer token"
        if value:
            tokens.append(value)
    return tokens


def check_token(headers: list[tuple[bytes, bytes]], expected: bytes) -> ChromaError | None:
    """None when the headers carry `expected`; otherwise the error to answer with."""
    offered = _offered_tokens(headers)
    if not offered:
        return ChromaAuthError(
            "Authentication required: send the token as 'Authorization: Bearer <token>' or 'X-Chroma-Token: <token>'"
        )
    want = _digest(expected)
    # no short-circuit: every offered token is compared
    matches = [hmac.compare_digest(_digest(token), want) for token in offered]
    if any(matches):
        return None
    return AuthorizationError("The token sent is not valid for this server")


class TokenAuthMiddleware:
    """ASGI middleware: refuses every request without the token, except the public paths."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        if not token:
            raise ValueError("The auth token must not be empty")
        self.app = app
        self._token = token.encode("utf-8")

    def __repr__(self) -> str:
        return f"TokenAuthMiddleware(app={self.app!r}, token='********')"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (scope["method"] in _PUBLIC_METHODS and scope["path"] in PUBLIC_PATHS):
            await self.app(scope, receive, send)
            return
        error = check_token(scope["headers"], self._token)
        if error is None:
            await self.app(scope, receive, send)
            return
        body = wire.dumps(error_body(error))
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"chroma-trace-id", uuid.uuid4().hex.encode()),
        ]
        if isinstance(error, ChromaAuthError):
            headers.append((b"www-authenticate", b'Bearer realm="chroma"'))
        await send({"type": "http.response.start", "status": error_status(error), "headers": headers})
        await send({"type": "http.response.body", "body": body})
