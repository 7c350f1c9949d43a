"""Our server answers the Schema API requests exactly as a real chromadb 1.5.9 server does.

tests/fixtures/schema_159.json holds the requests and the real server's answers
(scripts/capture_schema_fixtures.py): create-collection bodies with every kind of
schema, and scenarios (modify, metadata keys discovered on write, filters on disabled
indexes, get_or_create). Here the same requests go to our server and the answers are
compared whole: status, error class and message, and the echoed collection
(configuration_json and schema, field for field).

Normalised before comparing: the ids and names a server makes up (already left out of
the fixture), serde's "at line L column C" at the end of a 422 message, and
`num_threads`, which both servers set to the CPUs of the machine they run on.
"""
from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from chromadb.engine.collection_schema import default_num_threads

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "schema_159.json").read_text())

# Where we differ on purpose: case -> why.
DELIBERATE = {
    "schema_sparse": "we serve sparse vectors locally, so a sparse index is kept (the real local server: 400)",
    "schema_zero_hnsw": "an HNSW graph with max_neighbors 0 cannot be built: 400 (the real server stores it)",
}


def _normalise(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: default_num_threads() if k == "num_threads" else _normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    if isinstance(value, str):
        return re.sub(r" at line \d+ column \d+$", "", value)
    return value


@pytest.fixture
def base(http_server) -> str:
    return f"http://{http_server.host}:{http_server.port}/api/v2/tenants/default_tenant/databases/default_database"


# a User-Agent of our own: httpx's default gets the pre-1.0 collection shape (server/old_clients.py)
AGENT = {"User-Agent": "quarrydb-tests"}


def _send(method: str, url: str, body: Any) -> list[Any]:
    r = httpx.request(method, url, json=body, headers=AGENT, timeout=60)
    answer = r.json()
    if isinstance(answer, dict):
        answer.pop("id", None)
        answer.pop("name", None)
    return [r.status_code, answer]


@pytest.mark.parametrize("case", sorted(set(FIXTURE["create"]) - set(DELIBERATE)))
def test_create_answers_as_the_real_server(base: str, case: str) -> None:
    body = {"name": "c" + uuid.uuid4().hex[:12], **FIXTURE["create"][case]["body"]}
    assert _normalise(_send("POST", base + "/collections", body)) == _normalise(FIXTURE["create"][case]["answer"])


def test_a_sparse_index_is_kept_where_the_real_local_server_refuses_it(base: str) -> None:
    body = {"name": "c" + uuid.uuid4().hex[:12], **FIXTURE["create"]["schema_sparse"]["body"]}
    assert FIXTURE["create"]["schema_sparse"]["answer"][0] == 400
    status, answer = _send("POST", base + "/collections", body)
    assert status == 200
    assert answer["schema"]["keys"]["sv"]["sparse_vector"]["sparse_vector_index"] == {
        "enabled": True,
        "config": {"embedding_function": {"type": "unknown"}},
    }


def test_an_hnsw_graph_without_neighbours_is_refused(base: str) -> None:
    body = {"name": "c" + uuid.uuid4().hex[:12], **FIXTURE["create"]["schema_zero_hnsw"]["body"]}
    status, answer = _send("POST", base + "/collections", body)
    assert (status, answer["error"]) == (400, "InvalidArgumentError")
    assert "max_neighbors" in answer["message"]


@pytest.mark.parametrize("case", sorted(FIXTURE["scenarios"]))
def test_scenario_answers_as_the_real_server(base: str, case: str) -> None:
    scenario = FIXTURE["scenarios"][case]
    name = "s" + uuid.uuid4().hex[:12]
    collection_id = None
    for (method, path, body), expected in zip(scenario["steps"], scenario["answers"], strict=True):
        if method == "CREATE":
            r = httpx.post(base + "/collections", json={"name": name, **body}, headers=AGENT, timeout=60)
            collection_id = collection_id or r.json()["id"]
            answer = _send("GET", f"{base}/collections/{name}", None) if r.status_code == 200 else None
            got = [r.status_code, answer[1] if answer else r.json()]
        elif method == "GET":
            got = _send("GET", f"{base}/collections/{name}", None)
        else:
            got = _send(method, f"{base}/collections/{collection_id}{path}", body)
        assert _normalise(got) == _normalise(expected), (method, path, body)
