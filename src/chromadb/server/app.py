"""The Starlette application of `chroma run`: routes, body limit, error mapping.

    app = create_app("./chroma_data", allow_reset=True)
    uvicorn.run(app, port=8000)

Engine calls run in a worker thread (the engine serialises what must be serialised),
so slow writes never stall heartbeats or other requests; only small reads that proved
fast may run on the event loop, when the engine is idle (`_LoopReads`). The routes
of a collection's records skip Starlette's router (`_CollectionRoutes`), and endpoints
speak raw ASGI. Request bodies are read with a size cap and an idle timeout; everything
that goes wrong becomes a JSON error (`server/errors.py`), never a bare 500 or a
dropped connection. With a token, the routes sit behind `server/auth.py`; with CORS
origins, behind `server/cors.py`. Outside them all, `server/metrics.py` logs each request
and counts it for `GET /metrics`.
"""
from __future__ import annotations

import asyncio
import contextlib
import html
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

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
from chromadb.server.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from chromadb.server.metrics import OperationsMiddleware, ServerMetrics
from chromadb.server.openapi import openapi_document
from chromadb.server.routes import COLL, ROUTES, Call, RouteSpec
from chromadb.server.ui_routes import UI_ROUTES
from chromadb.server.ui_routes import static_routes as static_ui_routes

__all__ = ["BYTES_PER_RECORD", "DEFAULT_BODY_IDLE_TIMEOUT", "DEFAULT_MAX_BODY_BYTES", "create_app"]

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


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> bytes:
    for key, value in headers:
        if key == name:  # ASGI servers hand over lower-case names
            return value
    return b""


async def _drain(receive: Receive, cap: int) -> None:
    seen = 0
    with contextlib.suppress(Exception):
        while True:
            message = await receive()
            seen += len(message.get("body", b""))
            if message["type"] != "http.request" or not message.get("more_body", False) or seen > cap:
                break


class _IdleDeadline:
    """Cancels the current task when no part of a body arrived for `seconds`.

    One timer for the whole body, pushed back as chunks arrive: a small body comes in
    one chunk that is usually already there, and a cancel scope per chunk
    (`anyio.fail_after`) cost more than reading it.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        self._handle = self._loop.call_later(seconds, self._expire)

    def _expire(self) -> None:
        # it can only fire while the task waits in `receive()`, so that is where the cancel lands
        self.expired = True
        if self._task is not None:
            self._task.cancel()

    def progress(self) -> None:
        self._handle.cancel()
        self._handle = self._loop.call_later(self.seconds, self._expire)

    def close(self) -> None:
        self._handle.cancel()

    def timed_out(self) -> RequestTimeoutError:
        """The error to answer with, once the cancel it caused has been caught."""
        uncancel = getattr(self._task, "uncancel", None)  # Python 3.11+: the cancel was ours, not a shutdown
        if uncancel is not None:
            uncancel()
        return RequestTimeoutError(f"Request timeout: no part of the request body arrived for {self.seconds:g} seconds")


async def read_body(
    receive: Receive, headers: list[tuple[bytes, bytes]], limit: int, idle_timeout: float = DEFAULT_BODY_IDLE_TIMEOUT
) -> bytes:
    """The whole body; 413 past `limit` bytes, 408 when the client stalls for `idle_timeout` seconds."""
    declared = _header(headers, b"content-length")
    if declared.isdigit() and int(declared) > limit:
        await _drain(receive, limit * _DRAIN_FACTOR)
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    deadline = _IdleDeadline(idle_timeout)
    try:
        while True:
            try:
                message = await receive()
            except asyncio.CancelledError:
                if not deadline.expired:
                    raise
                raise deadline.timed_out() from None
            if message["type"] != "http.request":
                raise ClientDisconnect()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                break
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)
            deadline.progress()
    finally:
        deadline.close()
    await _drain(receive, limit * _DRAIN_FACTOR)
    raise _too_large(limit)


def _too_large(limit: int) -> PayloadTooLargeError:
    return PayloadTooLargeError(f"Payload too large: the request body exceeds {limit} bytes")


class _LoopReads:
    """Whether a small read may run on the event loop rather than in a worker thread.

    The hop to a worker and back costs ~0.3 ms of a ~4 ms query over HTTP (waking a
    thread, then the loop). Skipping it is safe only when the read cannot stall the loop,
    so all of these must hold:
    * the route says the request is small (`RouteSpec.small`: no filter, few vectors);
    * no engine call of this server is running in a worker (with concurrent clients,
      threads use both cores; the loop alone would serialise them);
    * the engine lock is free right now (it is taken without waiting: the indexer holds it
      while it saves an index);
    * the last such read of this route on this collection took under FAST_READ seconds
      (the first read of a collection opens it; after a big write, queries scan the
      records not yet indexed), and nothing was written through this server since.
    """

    FAST_READ = 0.005
    _MAX_KEYS = 4096

    def __init__(self, backend: Backend) -> None:
        # LocalBackend's engine lock (an RLock: the read takes it again, in the same thread);
        # None, so every read goes to a worker, without one or with EngineOptions.loop_reads off
        engine: Any = getattr(backend, "engine", None)
        enabled = engine is not None and engine.options.loop_reads
        self.lock = engine.lock if enabled else None
        self.threaded = 0  # engine calls running in worker threads
        self.fast: set[tuple[str, str]] = set()

    def likely(self, key: tuple[str, str]) -> bool:
        """The checks that cost nothing, made before the route looks at the body."""
        return self.lock is not None and not self.threaded and key in self.fast

    def acquire(self) -> bool:
        return self.lock.acquire(blocking=False)  # type: ignore[union-attr]

    def release(self) -> None:
        self.lock.release()  # type: ignore[union-attr]

    def timed(self, key: tuple[str, str], seconds: float) -> None:
        if seconds >= self.FAST_READ:
            self.fast.discard(key)
        elif len(self.fast) < self._MAX_KEYS:
            self.fast.add(key)

    def written(self) -> None:
        self.fast.clear()

    async def in_thread(self, fn: Callable[..., bytes], *args: Any) -> bytes:
        self.threaded += 1
        try:
            return await anyio.to_thread.run_sync(fn, *args)
        finally:
            self.threaded -= 1


class _Endpoint:
    """The ASGI app of one route: read the body, run the handler, answer with JSON.

    Raw ASGI rather than a Starlette `Request`/`Response` pair: on a small query, their
    construction cost as much as decoding the body.
    """

    def __init__(self, spec: RouteSpec) -> None:
        self.spec = spec
        self.__name__ = spec.handler.__name__
        self.writes = spec.method != "GET" and spec.small is None and not spec.inline

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.serve(scope["path_params"], scope, receive, send)

    def _work(self, call: Call) -> bytes:
        # decoding and encoding happen in the worker thread too: a 40 MB body is real work
        return wire.dumps(self.spec.handler(call))

    def _timed_work(self, call: Call, loop_reads: _LoopReads, key: tuple[str, str]) -> bytes:
        started = time.perf_counter()
        content = self._work(call)
        loop_reads.timed(key, time.perf_counter() - started)
        return content

    async def _run(self, call: Call, loop_reads: _LoopReads) -> bytes:
        spec = self.spec
        if spec.inline:
            return self._work(call)
        if spec.small is None:
            try:
                return await loop_reads.in_thread(self._work, call)
            finally:
                if self.writes:
                    loop_reads.written()
        key = (spec.path, call.params.get("collection_id", ""))
        if loop_reads.likely(key) and spec.small(call) and loop_reads.acquire():
            try:
                return self._timed_work(call, loop_reads, key)
            finally:
                loop_reads.release()
        return await loop_reads.in_thread(self._timed_work, call, loop_reads, key)

    async def serve(self, params: dict[str, str], scope: Scope, receive: Receive, send: Send) -> None:
        state = scope["app"].state
        spec = self.spec
        try:
            raw = (
                await read_body(receive, scope["headers"], state.max_body_bytes, state.body_idle_timeout)
                if spec.reads_body
                else b""
            )
            call = Call(
                backend=state.backend,
                params=params,
                query=_query_params(scope),
                raw_body=raw,
                allow_reset=state.allow_reset,
                max_batch_size=state.max_batch_size,
            )
            content = await self._run(call, state.loop_reads)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a JSON error
            await error_response(exc)(scope, receive, send)
            return
        headers = [(b"content-length", str(len(content)).encode()), (b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": spec.status, "headers": headers})
        await send({"type": "http.response.body", "body": content})


def _query_params(scope: Scope) -> dict[str, str]:
    raw = scope.get("query_string", b"")
    return dict(QueryParams(raw)) if raw else {}


class _CollectionRoutes:
    """Innermost middleware: `/collections/{id}/<verb>` requests (query, get, count, add...)
    go straight to their endpoint, skipping Starlette's walk over every route pattern.

    It claims only what Starlette would route to the same endpoint; anything else (other
    methods, a root path, `GET .../collections/by-id/<verb>`, which the by-id route takes)
    goes on to the router.
    """

    def __init__(self, app: ASGIApp, endpoints: dict[tuple[str, str], _Endpoint]) -> None:
        self.app = app
        self.endpoints = endpoints
        verbs = "|".join(sorted({re.escape(verb) for _, verb in endpoints}))
        self.pattern = re.compile(
            r"/api/v2/tenants/(?P<tenant>[^/]+)/databases/(?P<database>[^/]+)"
            rf"/collections/(?P<collection_id>[^/]+)/(?P<verb>{verbs})"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope.get("root_path"):
            match = self.pattern.fullmatch(scope["path"])
            if match is not None:
                params = match.groupdict()
                endpoint = self.endpoints.get((scope["method"], params.pop("verb")))
                if endpoint is not None and not (scope["method"] == "GET" and params["collection_id"] == "by-id"):
                    scope["endpoint"] = endpoint  # as the router would: the access log names the route by it
                    await endpoint.serve(params, scope, receive, send)
                    return
        await self.app(scope, receive, send)


def _collection_endpoints(endpoints: list[_Endpoint]) -> dict[tuple[str, str], _Endpoint]:
    """The endpoints at `COLL/<verb>`, by (method, verb)."""
    prefix = COLL + "/"
    found = {}
    for e in endpoints:
        verb = e.spec.path[len(prefix) :]
        if e.spec.path.startswith(prefix) and "/" not in verb and "{" not in verb:
            found[(e.spec.method, verb)] = e
    return found


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
    store: str | None = None,
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
        store: a PostgreSQL URL to keep the records in (`path` then caches index files).
    """
    if auth_token is not None and not auth_token:
        raise ValueError("The auth token must not be empty")
    owned = backend is None
    if backend is None:
        from chromadb.api.local import LocalBackend

        backend = LocalBackend(path, allow_reset=allow_reset, store=store)
    opened = backend

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        if owned:
            opened.close()

    endpoints = [_Endpoint(spec) for spec in ROUTES]
    routes: list[Any] = [
        Route(e.spec.path, e, methods=[e.spec.method], name=f"{e.spec.method} {e.spec.path}") for e in endpoints
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
    # the browse-and-query page (docs/ui.md): its files, and its one endpoint behind auth like the API
    routes += static_ui_routes() + [Route(s.path, _Endpoint(s), methods=[s.method]) for s in UI_ROUTES]

    # operations (server/metrics.py): GET /metrics, behind the token like the data it counts
    metrics = ServerMetrics(backend)

    async def prometheus_metrics(request: Request) -> Response:
        content = await anyio.to_thread.run_sync(metrics.render)  # the gauges read SQLite
        return Response(content, media_type=METRICS_CONTENT_TYPE)

    routes.append(Route("/metrics", prometheus_metrics, methods=["GET"]))

    # the first middleware is the outermost: the access log and request metrics see every
    # answer, auth's and CORS' included; CORS answers browser pre-flights (which carry no
    # credentials) before auth, and adds its headers to auth's refusals too
    middleware = [Middleware(OperationsMiddleware, metrics=metrics)]
    if cors_allow_origins:
        from chromadb.server.cors import JSONCORSMiddleware

        middleware.append(
            Middleware(JSONCORSMiddleware, allow_origins=cors_allow_origins, allow_methods=["*"], allow_headers=["*"])
        )
    if auth_token:
        middleware.append(Middleware(TokenAuthMiddleware, token=auth_token))
    middleware.append(Middleware(_CollectionRoutes, endpoints=_collection_endpoints(endpoints)))
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={HTTPException: _http_exception, Exception: _unhandled},
        lifespan=lifespan,
    )
    app.state.backend = backend
    app.state.loop_reads = _LoopReads(backend)
    app.state.allow_reset = allow_reset
    app.state.max_body_bytes = max_body_bytes
    app.state.body_idle_timeout = body_idle_timeout
    app.state.max_batch_size = max(1, min(backend.get_max_batch_size(), max_body_bytes // BYTES_PER_RECORD))
    return app
