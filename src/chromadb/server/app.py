"""The Starlette application of `chroma run`: routes, body limit, error mapping.

    app = create_app("./chroma_data", allow_reset=True)
    uvicorn.run(app, port=8000)

Every engine call runs in a worker thread (the engine serialises what must be
serialised), so slow writes never stall heartbeats or other requests. Request bodies
are read with a size cap and an idle timeout; everything that goes wrong becomes a JSON
error (`server/errors.py`), never a bare 500 or a dropped connection. With a token, the
routes sit behind `server/auth.py`; with CORS origins, behind `server/cors.py`.
"""
from __future__ import annotations

import contextlib
import functools
import html
import uuid
from collections.abc import AsyncIterator
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from chromadb.api.backend import Backend
from chromadb.server import wire
from chromadb.server.auth import TokenAuthMiddleware
from chromadb.server.errors import (
    HTTPStatusError,
    PayloadTooLargeError,
    RequestTimeoutError,
    RouteNotFoundError,
    V1GoneError,
    error_body,
    error_status,
)
from chromadb.server.openapi import openapi_document
from chromadb.server.routes import ROUTES, Call, RouteSpec

__all__ = ["DEFAULT_BODY_IDLE_TIMEOUT", "DEFAULT_MAX_BODY_BYTES", "BYTES_PER_RECORD", "create_app"]

DEFAULT_MAX_BODY_BYTES = 40 * 1024 * 1024
DEFAULT_BODY_IDLE_TIMEOUT = 60.0
# Body budget per record when sizing the batch cap reported by pre-flight: a 1536-dim
# float32 vector is 8192 base64 characters; the rest is room for id, document, metadata.
BYTES_PER_RECORD = 9 * 1024
# Past the limit the rest of a body is read and dropped, so that the client (which
# sends its whole body before reading the answer) gets the 413 instead of a reset.
_DRAIN_FACTOR = 4


def json_response(value: Any, status: int = 200) -> Response:
    return Response(wire.dumps(value), status_code=status, media_type="application/json")


def error_response(exc: BaseException) -> Response:
    response = json_response(error_body(exc), error_status(exc))
    # the Python client attaches it to the exception it raises (`error.trace_id`)
    response.headers["chroma-trace-id"] = uuid.uuid4().hex
    return response


async def _drain(request: Request, cap: int) -> None:
    seen = 0
    with contextlib.suppress(Exception):
        async for chunk in request.stream():
            seen += len(chunk)
            if seen > cap:
                break


async def read_body(request: Request, limit: int, idle_timeout: float = DEFAULT_BODY_IDLE_TIMEOUT) -> bytes:
    """The whole body; 413 past `limit` bytes, 408 when the client stalls for `idle_timeout` seconds."""
    too_large = PayloadTooLargeError(f"Payload too large: the request body exceeds {limit} bytes")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        await _drain(request, limit * _DRAIN_FACTOR)
        raise too_large
    chunks: list[bytes] = []
    size = 0
    stream = request.stream()
    while True:
        # a client that stops sending mid-body must not hold its request open forever
        try:
            with anyio.fail_after(idle_timeout):
                chunk = await stream.__anext__()
        except StopAsyncIteration:
            break
        except TimeoutError:
            raise RequestTimeoutError(
                f"Request timeout: no part of the request body arrived for {idle_timeout:g} seconds"
            ) from None
        size += len(chunk)
        if size > limit:
            await _drain(request, limit * _DRAIN_FACTOR)
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def _endpoint(spec: RouteSpec) -> Any:
    def work(call: Call) -> bytes:
        # decoding and encoding happen in the worker thread too: a 40 MB body is real work
        return wire.dumps(spec.handler(call))

    async def endpoint(request: Request) -> Response:
        state = request.app.state
        try:
            raw = await read_body(request, state.max_body_bytes, state.body_idle_timeout) if spec.reads_body else b""
            call = Call(
                backend=state.backend,
                params=dict(request.path_params),
                query=dict(request.query_params),
                raw_body=raw,
                allow_reset=state.allow_reset,
                max_batch_size=state.max_batch_size,
            )
            if spec.inline:
                content = work(call)
            else:
                content = await anyio.to_thread.run_sync(functools.partial(work, call))
        except Exception as exc:  # noqa: BLE001 - every failure becomes a JSON error
            return error_response(exc)
        return Response(content, status_code=spec.status, media_type="application/json")

    endpoint.__name__ = spec.handler.__name__
    return endpoint


async def _v1_gone(request: Request) -> Response:
    return error_response(V1GoneError())


async def _http_exception(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 500)
    if status == 404:
        return error_response(RouteNotFoundError(f"No route for {request.method} {request.url.path}"))
    detail = getattr(exc, "detail", "") or "Request refused"
    response = error_response(HTTPStatusError(str(detail), status))
    response.headers.update(getattr(exc, "headers", None) or {})  # e.g. `Allow` on a 405
    return response


async def _unhandled(request: Request, exc: Exception) -> Response:
    # last resort (a failure outside the endpoints): still the JSON error shape
    return error_response(exc)


_DOCS_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>{title}</title>
<link rel="stylesheet" href="https://unpkg.com/swagger-ui-dist@5/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="https://unpkg.com/swagger-ui-dist@5/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({{url: "/openapi.json", dom_id: "#swagger-ui"}});</script>
<noscript>The API description is at <a href="/openapi.json">/openapi.json</a>.</noscript>
</body></html>
"""


def create_app(
    path: str | None,
    allow_reset: bool = False,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    *,
    cors_allow_origins: list[str] | None = None,
    auth_token: str | None = None,
    body_idle_timeout: float = DEFAULT_BODY_IDLE_TIMEOUT,
    backend: Backend | None = None,
) -> Starlette:
    """The HTTP API over the data directory `path` (None: in memory).

    Args:
        path: data directory, created if missing.
        allow_reset: whether `POST /api/v2/reset` may wipe everything (403 otherwise).
        max_body_bytes: larger request bodies get 413.
        cors_allow_origins: origins allowed by CORS (none by default; `["*"]` for any).
        auth_token: when set, every route but heartbeat, version and the API description
            needs it (`server/auth.py`); None serves everyone, as upstream does.
        body_idle_timeout: seconds a client may pause while sending a body before it gets 408.
        backend: use this backend instead of opening `path` (tests); it is not closed.
    """
    if auth_token is not None and not auth_token:
        raise ValueError("The auth token must not be empty")
    owned = backend is None
    if backend is None:
        from chromadb.api.local import LocalBackend

        backend = LocalBackend(path, allow_reset=allow_reset)
    opened = backend

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        if owned:
            opened.close()

    routes: list[Any] = [
        Route(spec.path, _endpoint(spec), methods=[spec.method], name=f"{spec.method} {spec.path}") for spec in ROUTES
    ]
    routes.append(
        Route("/api/v1/{rest:path}", _v1_gone, methods=["GET", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
    )
    document = openapi_document(ROUTES, auth=bool(auth_token))

    async def openapi(request: Request) -> Response:
        return json_response(document)

    async def docs(request: Request) -> Response:
        return HTMLResponse(_DOCS_PAGE.format(title=html.escape(document["info"]["title"])))

    routes += [Route("/openapi.json", openapi, methods=["GET"]), Route("/docs", docs, methods=["GET"])]

    # the first middleware is the outermost: CORS answers browser pre-flights (which carry
    # no credentials) before auth, and adds its headers to auth's refusals too
    middleware = []
    if cors_allow_origins:
        from chromadb.server.cors import JSONCORSMiddleware

        middleware.append(
            Middleware(JSONCORSMiddleware, allow_origins=cors_allow_origins, allow_methods=["*"], allow_headers=["*"])
        )
    if auth_token:
        middleware.append(Middleware(TokenAuthMiddleware, token=auth_token))
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={HTTPException: _http_exception, Exception: _unhandled},
        lifespan=lifespan,
    )
    app.state.backend = backend
    app.state.allow_reset = allow_reset
    app.state.max_body_bytes = max_body_bytes
    app.state.body_idle_timeout = body_idle_timeout
    app.state.max_batch_size = max(1, min(backend.get_max_batch_size(), max_body_bytes // BYTES_PER_RECORD))
    return app
