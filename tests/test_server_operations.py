"""A server one can operate (issue 19 item 6): access log by route template, healthcheck,
GET /metrics in Prometheus' text format, `chroma run --log-level`."""
from __future__ import annotations

import logging
import subprocess
import sys
import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

import chromadb
from chromadb.config import Settings
from chromadb.server.testing import start_server_in_thread

TOKEN = "ops-s3cret"
QUERY_ROUTE = "/api/v2/tenants/{tenant}/databases/{database}/collections/{collection_id}/query"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    handle = start_server_in_thread(str(tmp_path_factory.mktemp("ops")))
    yield handle
    handle.stop()


def samples(url: str, headers: dict[str, str] | None = None) -> dict[str, list]:
    r = httpx.get(url + "/metrics", headers=headers)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    return {family.name: family.samples for family in text_string_to_metric_families(r.text)}


def requests_counted(found: dict[str, list], route: str, status: str) -> float:
    return sum(
        s.value for s in found["chroma_http_requests"]
        if s.name == "chroma_http_requests_total" and s.labels["route"] == route and s.labels["status"] == status
    )


def test_healthcheck_answers_as_upstream(server):
    r = httpx.get(server.url + "/api/v2/healthcheck")
    assert r.status_code == 200
    assert r.json() == {"is_executor_ready": True, "is_log_client_ready": True}


def access_lines(caplog, last_prefix: str) -> list[str]:
    """The access log so far, once the line starting with `last_prefix` is in: a line is
    written after its answer is sent, so the client may see the answer first."""
    deadline = time.monotonic() + 10
    while True:
        lines = [r.getMessage() for r in caplog.records if r.name == "chromadb.access"]
        if any(line.startswith(last_prefix) for line in lines) or time.monotonic() > deadline:
            return lines
        time.sleep(0.01)


def test_one_access_line_per_request_naming_the_route_not_the_data(server, caplog):
    client = chromadb.HttpClient(host=server.host, port=server.port)
    collection = client.create_collection("secret-collection-name", embedding_function=None)
    collection.add(ids=["secret-id"], embeddings=[[1.0, 2.0]], documents=["secret document"])
    with caplog.at_level(logging.INFO, logger="chromadb.access"):
        collection.query(query_embeddings=[[1.0, 2.0]], n_results=1)
        httpx.get(server.url + "/no/such/secret-path")
        httpx.get(server.url + "/openapi.json")  # a route of Starlette's router, not a collection fast path
        lines = access_lines(caplog, "GET /openapi.json")
    queries = [line for line in lines if " /api/v2/" in line and line.split(" ")[1].endswith("/query")]
    assert len(queries) == 1, lines
    method, route, status, elapsed = queries[0].split(" ")
    assert (method, route, status) == ("POST", QUERY_ROUTE, "200")
    assert elapsed.endswith("ms") and float(elapsed[:-2]) >= 0
    assert sum(line.startswith("GET (unrouted) 404 ") for line in lines) == 1
    assert sum(line.startswith("GET /openapi.json 200 ") for line in lines) == 1
    logged = "\n".join(lines)
    for secret in ("secret", str(collection.id)):
        assert secret not in logged


def test_metrics_count_requests_by_route_and_report_the_data(server):
    client = chromadb.HttpClient(host=server.host, port=server.port)
    collection = client.create_collection("counted", embedding_function=None)
    collection.add(ids=[f"r{i}" for i in range(5)], embeddings=[[float(i), 1.0] for i in range(5)])
    before = requests_counted(samples(server.url), QUERY_ROUTE, "200")
    for _ in range(3):
        collection.query(query_embeddings=[[1.0, 1.0]], n_results=2)
    deadline = time.monotonic() + 10
    # a request is counted once its answer is sent: the last one may trail its answer slightly
    found = samples(server.url)
    while requests_counted(found, QUERY_ROUTE, "200") < before + 3 and time.monotonic() < deadline:
        time.sleep(0.01)
        found = samples(server.url)
    assert requests_counted(found, QUERY_ROUTE, "200") == before + 3
    buckets = [
        s for s in found["chroma_http_request_duration_seconds"]
        if s.name == "chroma_http_request_duration_seconds_count" and s.labels["route"] == QUERY_ROUTE
    ]
    assert buckets and buckets[0].value >= 3
    totals = {name: found[name][0].value for name in ("chroma_collections", "chroma_records", "chroma_index_pending_records")}
    collections = client.list_collections()
    assert totals["chroma_collections"] == len(collections)
    assert totals["chroma_records"] == sum(c.count() for c in collections)
    assert totals["chroma_index_pending_records"] >= 0
    labels = {s.labels["route"] for s in found["chroma_http_requests"]}
    assert not any("counted" in route or "r1" in route for route in labels)


def test_metrics_and_the_access_log_under_token_auth(tmp_path, caplog):
    with start_server_in_thread(str(tmp_path), auth_token=TOKEN) as server:
        assert httpx.get(server.url + "/metrics").status_code == 401
        assert httpx.get(server.url + "/api/v2/healthcheck").status_code == 200  # for load balancers
        with caplog.at_level(logging.INFO, logger="chromadb.access"):
            r = httpx.get(server.url + "/api/v2/tenants/default_tenant", headers={"Authorization": "Bearer wrong"})
            assert r.status_code == 403
            access_lines(caplog, "GET (unrouted) 403")
        found = samples(server.url, {"Authorization": f"Bearer {TOKEN}"})  # what Prometheus' bearer_token sends
        assert requests_counted(found, "(unrouted)", "401") >= 1 and requests_counted(found, "(unrouted)", "403") >= 1
        client = chromadb.HttpClient(
            host=server.host,
            port=server.port,
            settings=Settings(
                chroma_client_auth_provider="chromadb.auth.token_authn.TokenAuthClientProvider",
                chroma_client_auth_credentials=TOKEN,
            ),
        )
        client.heartbeat()
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "chromadb.access")
    assert "GET (unrouted) 403" in logged and TOKEN not in logged and "wrong" not in logged


def _serve(tmp_path, *flags: str) -> str:
    """`chroma run` with `flags`: what it wrote on stderr after two requests."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "chromadb", "run", "--path", str(tmp_path / "data"), "--port", str(port), *flags],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(300):
            try:
                httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1)
                break
            except httpx.TransportError:
                if proc.poll() is not None:
                    break
                time.sleep(0.1)
        httpx.get(f"http://127.0.0.1:{port}/api/v2/healthcheck", timeout=5)
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    return err


def test_chroma_run_logs_each_request_at_info_and_not_at_warning(tmp_path):
    err = _serve(tmp_path)
    assert "INFO chromadb.access: GET /api/v2/healthcheck 200 " in err
    quiet = _serve(tmp_path, "--log-level", "WARNING")
    assert "chromadb.access" not in quiet


def test_an_unknown_log_level_is_refused(capsys):
    from chromadb.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["run", "--log-level", "chatty"])
    assert exit_.value.code == 2 and "--log-level" in capsys.readouterr().err
