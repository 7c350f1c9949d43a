"""The Starlette application of `chroma run`: routes, body limit, error mapping.

    app = create_app("./chroma_data", allow_reset=True)
    uvicorn.run(app, port=8000)

Every engine call runs in a worker thread (the engine serialises what must be
serialised), so slow writes never stall heartbeats or other requests. Request bodies
are read with a size cap; everything that goes wrong becomes a JSON error
(`server/errors.py`), never a bare 500 or a dropped connection.
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
from chromadb.server.errors import (
    HTTPStatusError,
    PayloadTooLargeError,
    RouteNotFoundError,
    V1GoneError,
    error_body,
    error_status,
)
from chromadb.server.routes import ROUTES, Call, RouteSpec

__all__ = ["DEFAULT_MAX_BODY_BYTES", "BYTES_PER_RECORD", "create_app"]

DEFAULT_MAX_BODY_BYTES = 40 * 1024 * 1024
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


async def read_body(request: Request, limit: int) -> bytes:
    too_large = PayloadTooLargeError(f"Payload too large: the request body exceeds {limit} bytes")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        await _drain(request, limit * _DRAIN_FACTOR)
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
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
            raw = await read_body(request, state.max_body_bytes) if spec.reads_body else b""
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
    return error_response(HTTPStatusError(str(detail), status))


def openapi_document(routes: list[RouteSpec]) -> dict[str, Any]:
    """A minimal OpenAPI 3 description: every route, its parameters and status."""
    paths: dict[str, dict[str, Any]] = {}
    seen: set[str] = set()
    for spec in routes:
        operation_id = spec.handler.__name__
        while operation_id in seen:  # one handler may serve two paths (GET /api/v2 and /heartbeat)
            operation_id += "_"
        seen.add(operation_id)
        params = [
            {"name": part[1:-1], "in": "path", "required": True, "schema": {"type": "string"}}
            for part in spec.path.split("/")
            if part.startswith("{")
        ]
        operation: dict[str, Any] = {
            "operationId": operation_id,
            "summary": (spec.handler.__doc__ or spec.handler.__name__.replace("_", " ")).strip().splitlines()[0],
            "parameters": params,
            "responses": {str(spec.status): {"description": "Success", "content": {"application/json": {}}}},
        }
        if spec.reads_body:
            operation["requestBody"] = {"content": {"application/json": {"schema": {"type": "object"}}}}
        paths.setdefault(spec.path, {})[spec.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "Chroma-compatible API (quarrydb)", "version": "2"},
        "paths": paths,
    }


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
    backend: Backend | None = None,
) -> Starlette:
    """The HTTP API over the data directory `path` (None: in memory).

    Args:
        path: data directory, created if missing.
        allow_reset: whether `POST /api/v2/reset` may wipe everything (403 otherwise).
        max_body_bytes: larger request bodies get 413.
        cors_allow_origins: origins allowed by CORS (none by default).
        backend: use this backend instead of opening `path` (tests); it is not closed.
    """
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
    document = openapi_document(ROUTES)

    async def openapi(request: Request) -> Response:
        return json_response(document)

    async def docs(request: Request) -> Response:
        return HTMLResponse(_DOCS_PAGE.format(title=html.escape(document["info"]["title"])))

    routes += [Route("/openapi.json", openapi, methods=["GET"]), Route("/docs", docs, methods=["GET"])]

    middleware = []
    if cors_allow_origins:
        from starlette.middleware.cors import CORSMiddleware

        middleware.append(
            Middleware(CORSMiddleware, allow_origins=cors_allow_origins, allow_methods=["*"], allow_headers=["*"])
        )
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={HTTPException: _http_exception},
        lifespan=lifespan,
    )
    app.state.backend = backend
    app.state.allow_reset = allow_reset
    app.state.max_body_bytes = max_body_bytes
    app.state.max_batch_size = max(1, min(backend.get_max_batch_size(), max_body_bytes // BYTES_PER_RECORD))
    return app
