"""The server's fast path: collection routes served without Starlette's router, bodies
read straight from ASGI, and small reads run on the event loop when that cannot stall it."""
from __future__ import annotations

import asyncio
import json
import sys
import threading
import time
from typing import Any

import httpx
import pytest

from chromadb.api.local import LocalBackend
from chromadb.server import app as app_module
from chromadb.server.app import create_app
from chromadb.server.testing import start_server_in_thread

DB = "/api/v2/tenants/default_tenant/databases/default_database"


# -- a minimal ASGI driver ------------------------------------------------------------------------
async def _call(app: Any, method: str, path: str, chunks: list[bytes] | None = None, **options: Any) -> dict[str, Any]:
    """Send one request to `app`; the body arrives as `chunks`, then `options["then"]`
    ("disconnect", or "stall": receive never returns again)."""
    headers = [(b"host", b"test"), (b"content-type", b"application/json")]
    if options.get("content_length") is not None:
        headers.append((b"content-length", str(options["content_length"]).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": options.get("root_path", ""),
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 2),
    }
    pending = list(chunks or [b""])
    then = options.get("then")

    async def receive() -> dict[str, Any]:
        if pending:
            body = pending.pop(0)
            return {"type": "http.request", "body": body, "more_body": bool(pending) or then is not None}
        if then == "stall":
            await asyncio.Event().wait()
        return {"type": "http.disconnect"}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return {"status": sent[0]["status"], "headers": dict(sent[0]["headers"]), "body": body}


def _run(coro: Any) -> Any:
    return asyncio.run(coro)


@pytest.fixture()
def app(tmp_path):
    application = create_app(str(tmp_path / "data"), allow_reset=True, max_body_bytes=20_000, body_idle_timeout=0.2)
    yield application
    application.state.backend.close()


def _collection(app: Any) -> str:
    created = _run(_call(app, "POST", f"{DB}/collections", [b'{"name": "fast"}']))
    cid = json.loads(created["body"])["id"]
    added = _run(_call(app, "POST", f"{DB}/collections/{cid}/add", [b'{"ids": ["a", "b"], "embeddings": [[1, 0], [0, 1]]}']))
    assert added["status"] == 201, added
    return cid


# -- routing --------------------------------------------------------------------------------------
def test_collection_routes_answer_as_the_router_does(app, monkeypatch):
    cid = _collection(app)
    cases = [
        ("POST", f"{DB}/collections/{cid}/query", b'{"query_embeddings": [[1, 0]], "n_results": 1}'),
        ("POST", f"{DB}/collections/{cid}/get", b'{"ids": ["b"]}'),
        ("GET", f"{DB}/collections/{cid}/count", b""),
        ("GET", f"{DB}/collections/not-a-uuid/count", b""),
        ("GET", f"{DB}/collections/by-id/count", b""),  # the by-id route, not a count
        ("HEAD", f"{DB}/collections/{cid}/count", b""),
        ("PUT", f"{DB}/collections/{cid}/query", b""),  # 405
        ("POST", f"{DB}/collections/{cid}/search", b"{}"),  # 422: no searches
        ("POST", f"{DB}/collections/{cid}/query", b"not json"),
    ]
    fast = [_run(_call(app, method, path, [body])) for method, path, body in cases]
    # the same requests with the fast path switched off: Starlette's router picks the route
    monkeypatch.setattr(app_module._CollectionRoutes, "__call__", lambda self, *args: self.app(*args))
    routed = [_run(_call(app, method, path, [body])) for method, path, body in cases]
    for case, a, b in zip(cases, fast, routed):
        assert (a["status"], a["body"]) == (b["status"], b["body"]), case
        assert a["headers"][b"content-type"] == b"application/json"
    assert [r["status"] for r in fast] == [200, 200, 200, 400, 400, 200, 405, 422, 400]
    assert fast[2]["body"] == b"2"


def test_a_root_path_goes_through_the_router(app):
    cid = _collection(app)
    r = _run(_call(app, "GET", f"/prefix{DB}/collections/{cid}/count", root_path="/prefix"))
    assert r["status"] == 200 and r["body"] == b"2"


# -- bodies ---------------------------------------------------------------------------------------
def test_a_body_in_many_chunks(app):
    cid = _collection(app)
    body = b'{"query_embeddings": [[0, 1]], "n_results": 1}'
    chunks = [body[i : i + 5] for i in range(0, len(body), 5)]
    r = _run(_call(app, "POST", f"{DB}/collections/{cid}/query", chunks))
    assert r["status"] == 200 and b'"ids":[["b"]]' in r["body"]


@pytest.mark.parametrize("declared", [True, False])
def test_a_body_past_the_limit_is_413(app, declared):
    chunks = [b"x" * 6000] * 4
    r = _run(_call(app, "POST", f"{DB}/collections", chunks, content_length=24_000 if declared else None))
    assert r["status"] == 413 and b'"error":"PayloadTooLarge"' in r["body"]


@pytest.mark.parametrize("first", [[], [b'{"name": ']])
def test_a_stalled_body_is_408_and_leaves_the_task_usable(app, first):
    async def scenario() -> tuple[dict[str, Any], int]:
        started = time.monotonic()
        r = await _call(app, "POST", f"{DB}/collections", first, then="stall")
        assert time.monotonic() - started < 2
        await asyncio.sleep(0)  # would raise if the timeout's cancel were still pending
        task = asyncio.current_task()
        return r, task.cancelling() if sys.version_info >= (3, 11) else 0  # type: ignore[union-attr]

    r, cancelling = _run(scenario())
    assert r["status"] == 408 and b'"error":"RequestTimeout"' in r["body"]
    assert cancelling == 0


def test_a_client_leaving_mid_body_gets_an_error_not_a_crash(app):
    r = _run(_call(app, "POST", f"{DB}/collections", [b'{"name": '], then="disconnect"))
    assert r["status"] >= 400 and r["headers"][b"content-type"] == b"application/json"


# -- small reads on the event loop --------------------------------------------------------------
class RecordingBackend(LocalBackend):
    """Notes the thread each read runs in; `delay` makes reads slow."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.threads: list[str] = []
        self.delay = 0.0

    def query(self, *args: Any, **kwargs: Any) -> Any:
        self.threads.append(threading.current_thread().name)
        time.sleep(self.delay)
        return super().query(*args, **kwargs)


@pytest.fixture()
def served(tmp_path):
    backend = RecordingBackend(str(tmp_path / "data"))
    with start_server_in_thread(None, backend=backend) as server, httpx.Client(base_url=server.url, timeout=10) as http:
        cid = http.post(f"{DB}/collections", json={"name": "loop"}).json()["id"]
        http.post(f"{DB}/collections/{cid}/add", json={"ids": ["a", "b"], "embeddings": [[1, 0], [0, 1]]})
        yield backend, http, f"{DB}/collections/{cid}/query", server
    backend.close()


def _on_loop(backend: RecordingBackend) -> bool:
    return backend.threads[-1].startswith("chroma-server-")


def test_small_queries_run_on_the_loop_once_they_proved_fast(served):
    backend, http, query, _ = served
    small = {"query_embeddings": [[1, 0]], "n_results": 1}
    assert http.post(query, json=small).json()["ids"] == [["a"]]
    assert not _on_loop(backend)  # the first read of a collection may open it: a worker
    assert http.post(query, json=small).json()["ids"] == [["a"]]
    assert _on_loop(backend)
    # a filter, or many query vectors, always go to a worker
    assert http.post(query, json={**small, "where": {"x": 1}}).status_code == 200
    assert not _on_loop(backend)
    assert http.post(query, json={"query_embeddings": [[1, 0]] * 5, "n_results": 1}).status_code == 200
    assert not _on_loop(backend)
    # a write sends the next read to a worker (the index may be behind)
    http.post(query.replace("/query", "/add"), json={"ids": ["c"], "embeddings": [[1, 1]]})
    http.post(query, json=small)
    assert not _on_loop(backend)
    http.post(query, json=small)
    assert _on_loop(backend)
    # a slow read on the loop sends the next ones to a worker
    backend.delay = 0.02
    http.post(query, json=small)
    assert _on_loop(backend)
    http.post(query, json=small)
    assert not _on_loop(backend)


def test_a_held_engine_lock_sends_reads_to_a_worker(served):
    backend, http, query, server = served
    small = {"query_embeddings": [[1, 0]], "n_results": 1}
    http.post(query, json=small)
    http.post(query, json=small)
    assert _on_loop(backend)
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with backend.engine.lock:  # as the indexer does while it saves an index
            held.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(5)
    answers: list[int] = []
    with httpx.Client(base_url=server.url, timeout=10) as other:
        waiting = threading.Thread(target=lambda: answers.append(other.post(query, json=small).status_code))
        waiting.start()
        try:
            time.sleep(0.2)
            started = time.monotonic()
            assert http.get("/api/v2/heartbeat").status_code == 200  # the loop is free
            assert time.monotonic() - started < 0.5
        finally:
            release.set()
            holder.join()
            waiting.join(5)
    assert answers == [200]
    assert not _on_loop(backend)
