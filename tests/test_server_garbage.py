"""Garbage at the door (issue 7): every hand-written bad request gets a 4xx JSON error,
and the server keeps answering. The same list feeds `scripts/fuzz_server.py`."""
from __future__ import annotations

import httpx
import pytest
from garbage_requests import GARBAGE_REQUESTS, GarbageRequest

from chromadb.server.testing import start_server_in_thread

DB = "/api/v2/tenants/default_tenant/databases/default_database"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    handle = start_server_in_thread(str(tmp_path_factory.mktemp("garbage")), allow_reset=False)
    yield handle
    handle.stop()


@pytest.fixture(scope="module")
def http(server):
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def collection_id(http) -> str:
    r = http.post(f"{DB}/collections", json={"name": "garbage-target"})
    assert r.status_code == 200, r.text
    cid = r.json()["id"]
    r = http.post(f"{DB}/collections/{cid}/add", json={"ids": ["a", "b"], "embeddings": [[0, 1, 2], [1, 2, 3]]})
    assert r.status_code == 201, r.text
    return cid


@pytest.mark.parametrize("garbage", GARBAGE_REQUESTS, ids=lambda g: g.name)
def test_garbage_is_refused_with_a_json_error(http, collection_id, garbage: GarbageRequest):
    r = http.request(garbage.method, garbage.url_path(collection_id), content=garbage.body, headers=garbage.headers)
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:300])
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert isinstance(body, dict) and isinstance(body.get("error"), str) and isinstance(body.get("message"), str), body
    assert http.get("/api/v2/heartbeat").status_code == 200


def test_data_survives_the_garbage(http, collection_id):
    # runs after the parametrised cases (file order): nothing they sent was written
    assert http.get(f"{DB}/collections/{collection_id}/count").json() == 2
    assert [c["name"] for c in http.get(f"{DB}/collections").json()] == ["garbage-target"]
