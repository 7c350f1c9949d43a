"""Operating the server: one access-log line per request, and `GET /metrics`.

    app = OperationsMiddleware(app, ServerMetrics(backend))

The middleware sits outside every other one, so it sees each request's final status,
refusals by auth and CORS included. A request is named by its route TEMPLATE
(`/api/v2/tenants/{tenant}/databases/{database}/collections/{collection_id}/query`),
never by its path: ids, names and tokens stay out of the log and out of metric labels
(whose number then stays bounded). A request no route took (404, or refused before
routing) is `(unrouted)`.

The log line goes to the `chromadb.access` logger at INFO:

    POST /api/v2/tenants/{tenant}/.../collections/{collection_id}/query 200 3.1ms

`/metrics` is Prometheus' text format, from `prometheus_client` with a registry per app:
request counts and latency histograms by method, route and status, and gauges read
when scraped (collections, records, records waiting for their vector index).
"""
from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CONTENT_TYPE", "UNROUTED", "OperationsMiddleware", "ServerMetrics", "access_logger"]

CONTENT_TYPE = CONTENT_TYPE_LATEST
UNROUTED = "(unrouted)"
access_logger = logging.getLogger("chromadb.access")
# seconds; a small query over HTTP takes ~1-5 ms, an add of a big batch seconds
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class _DataCollector(Collector):
    """Gauges computed at scrape time from the backend (`Engine.totals`)."""

    def __init__(self, backend: Any) -> None:
        self._engine = getattr(backend, "engine", None)  # LocalBackend's; another backend has no gauges

    def collect(self) -> Iterator[Metric]:
        if self._engine is None:
            return
        totals = self._engine.totals()
        for name, key, text in (
            ("chroma_collections", "collections", "Collections in the data directory."),
            ("chroma_records", "records", "Records in the data directory."),
            (
                "chroma_index_pending_records",
                "pending_records",
                "Records of open collections not yet in their vector index (searched exactly meanwhile).",
            ),
        ):
            yield GaugeMetricFamily(name, text, value=totals[key])


class ServerMetrics:
    """The server's metrics; `observe` is called once per request, `render` by GET /metrics."""

    def __init__(self, backend: Any) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        labels = ("method", "route", "status")
        self._requests = Counter(
            "chroma_http_requests", "HTTP requests answered, by route template and status.", labels, registry=self.registry
        )
        self._latency = Histogram(
            "chroma_http_request_duration_seconds",
            "Time from a request's arrival to the end of its answer, by route template and status.",
            labels,
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(_DataCollector(backend))
        # the labelled children, by (method, route, status): `.labels()` costs a few
        # microseconds on every call, a dict lookup far less
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            children = (self._requests.labels(*key), self._latency.labels(*key))
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)


def _route_templates(app: Any) -> Iterable[tuple[Any, str]]:
    for route in getattr(app, "routes", ()):
        # a Route's scope carries its endpoint; a Mount's (static files, a sub-app) its app
        endpoint = getattr(route, "endpoint", None) or getattr(route, "app", None)
        path = getattr(route, "path", None)
        if endpoint is not None and path is not None:
            yield endpoint, path


class OperationsMiddleware:
    """Outermost ASGI middleware: times each HTTP request, then logs and counts it."""

    def __init__(self, app: ASGIApp, metrics: ServerMetrics | None = None) -> None:
        self.app = app
        self.metrics = metrics
        self._templates: dict[Any, str] = {}

    def _template(self, scope: Scope) -> str:
        endpoint = scope.get("endpoint")
        if endpoint is None:
            return UNROUTED
        spec = getattr(endpoint, "spec", None)  # server/app.py's _Endpoint knows its route
        if spec is not None:
            return str(spec.path)
        template = self._templates.get(endpoint)
        if template is None:
            # other routes (the API description, pages): learnt from the app's router once
            self._templates.update(_route_templates(scope.get("app")))
            template = self._templates.get(endpoint, UNROUTED)
        return template

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client sees when the app fails before answering

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            seconds = time.perf_counter() - started
            route = self._template(scope)
            if self.metrics is not None:
                self.metrics.observe(scope["method"], route, status, seconds)
            if access_logger.isEnabledFor(logging.INFO):
                access_logger.info("%s %s %d %.1fms", scope["method"], route, status, seconds * 1000)
