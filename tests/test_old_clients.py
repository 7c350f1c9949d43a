"""Clients from before Chroma 1.0 against our server: the v1 routes, the 0.5/0.6 collection
shape, and the old typed configuration on create (server/old_clients.py, server/v1_routes.py).

The last test runs the usage guide (tests/old_clients/usage_guide_client.py) with the
official `chromadb-client` 0.5.15 (v1 only), 0.5.23 and 0.6.3 (v2 paths, old shape), each
in its own venv under the git-ignored `.cache/old-clients/`, installed from the package
index on first use with the pins of tests/old_clients/constraints.txt.
"""
from __future__ import annotations

import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

import chromadb
from chromadb.server.old_clients import wants_old_shape
from chromadb.server.testing import start_server_in_thread

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "old-clients"
HARNESS = Path(__file__).parent / "old_clients"
VERSIONS = ("0.5.15", "0.5.23", "0.6.3")
DB = "/api/v2/tenants/default_tenant/databases/default_database"
OLD_FIELDS = {"id", "name", "configuration_json", "metadata", "dimension", "tenant", "database", "version", "log_position"}
OLD_HNSW = {"_type", "space", "ef_construction", "ef_search", "num_threads", "M", "resize_factor", "batch_size", "sync_threshold"}
NEW_CLIENT = {"User-Agent": "Chroma Python Client v1.5.9 (https://github.com/chroma-core/chroma)"}


def _name() -> str:
    return "old-" + uuid.uuid4().hex[:10]


# -- the rule ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "agent", "old"),
    [
        ("/api/v1/collections", b"Chroma Python Client v1.5.9", True),  # every v1 request
        ("/api/v1/heartbeat", None, True),
        (DB + "/collections", b"python-httpx/0.28.1", True),  # chromadb-client 0.5.16-0.6.3
        (DB + "/collections", b"Chroma Python Client v1.5.9 (https://github.com/chroma-core/chroma)", False),
        (DB + "/collections", b"node", False),  # npm 3.x
        (DB + "/collections", b"Mozilla/5.0", False),
        (DB + "/collections", None, False),
    ],
)
def test_which_requests_get_the_old_shape(path: str, agent: bytes | None, old: bool) -> None:
    headers = [(b"host", b"localhost")] + ([(b"user-agent", agent)] if agent is not None else [])
    assert wants_old_shape(path, headers) is old


# -- the shape, over HTTP -------------------------------------------------------------------------------
def test_httpx_default_agent_gets_the_old_shape_and_others_the_current_one(http_server) -> None:
    name = _name()
    with httpx.Client(base_url=http_server.url) as old:  # httpx's own User-Agent, as the 0.5/0.6 clients
        created = old.post(f"{DB}/collections", json={"name": name, "metadata": {"hnsw:space": "cosine", "k": 1}})
        assert created.status_code == 200, created.text
        for model in (created.json(), old.get(f"{DB}/collections/{name}").json(),
                      next(c for c in old.get(f"{DB}/collections").json() if c["name"] == name)):
            assert set(model) == OLD_FIELDS
            config = model["configuration_json"]
            assert config["_type"] == "CollectionConfigurationInternal" and set(config) == {"_type", "hnsw_configuration"}
            hnsw = config["hnsw_configuration"]
            assert set(hnsw) == OLD_HNSW and hnsw["_type"] == "HNSWConfigurationInternal"
            assert (hnsw["space"], hnsw["M"], hnsw["ef_search"], hnsw["batch_size"]) == ("cosine", 16, 100, 100)
            assert isinstance(hnsw["resize_factor"], float) and hnsw["num_threads"] >= 1
            assert model["metadata"] == {"hnsw:space": "cosine", "k": 1}
    with httpx.Client(base_url=http_server.url, headers=NEW_CLIENT) as new:
        model = new.get(f"{DB}/collections/{name}").json()
        assert model["configuration_json"]["hnsw"]["space"] == "cosine" and model["schema"] is not None
        new.delete(f"{DB}/collections/{name}")


def test_the_old_shape_stays_in_the_ranges_old_clients_check(http_server) -> None:
    # resize_factor < 1 and sync_threshold < 100 are fine for 1.x; a 0.5/0.6 client refuses the
    # whole collection unless resize_factor >= 1.0 and batch_size <= sync_threshold
    name = _name()
    ours = chromadb.HttpClient(host=http_server.host, port=http_server.port)
    ours.create_collection(name, configuration={"hnsw": {"resize_factor": 0.5, "sync_threshold": 50}})
    with httpx.Client(base_url=http_server.url) as old:
        hnsw = old.get(f"/api/v1/collections/{name}").json()["configuration_json"]["hnsw_configuration"]
    assert (hnsw["resize_factor"], hnsw["sync_threshold"], hnsw["batch_size"]) == (1.0, 50, 50)
    ours.delete_collection(name)


# -- the old configuration on create ---------------------------------------------------------------------
def _old_configuration(**hnsw) -> dict:
    # what `CollectionConfiguration(HNSWConfiguration(...)).to_json()` sends from a 0.5/0.6 client
    defaults = {"space": "l2", "ef_construction": 100, "ef_search": 100, "num_threads": 4, "M": 16,
                "resize_factor": 1.2, "batch_size": 100, "sync_threshold": 1000}
    return {"_type": "CollectionConfigurationInterface",
            "hnsw_configuration": {"_type": "HNSWConfigurationInterface", **defaults, **hnsw}}


def test_an_old_configuration_is_mapped_onto_the_current_one(http_server) -> None:
    ours = chromadb.HttpClient(host=http_server.host, port=http_server.port)
    plain, with_metadata = _name(), _name()
    with httpx.Client(base_url=http_server.url) as old:
        r = old.post(f"{DB}/collections", json={"name": plain, "configuration": _old_configuration(space="ip", M=24, ef_search=50)})
        assert r.status_code == 200, r.text
        # the 0.5/0.6 index was built from `hnsw:*` metadata: it wins over the defaults the client sends
        r = old.post("/api/v1/collections", json={"name": with_metadata, "metadata": {"hnsw:space": "cosine"},
                                                  "configuration": _old_configuration()})
        assert r.status_code == 200, r.text
    hnsw = ours.get_collection(plain).configuration_json["hnsw"]
    assert (hnsw["space"], hnsw["max_neighbors"], hnsw["ef_search"]) == ("ip", 24, 50)
    assert ours.get_collection(with_metadata).configuration_json["hnsw"]["space"] == "cosine"
    ours.delete_collection(plain)
    ours.delete_collection(with_metadata)


@pytest.mark.parametrize(
    ("configuration", "fragment"),
    [
        ({"_type": "SomethingElse"}, "Unknown configuration type"),
        ({"_type": "CollectionConfigurationInternal", "hnsw_configuration": {"space": "l2"}}, "_type"),
        (_old_configuration(space="l3"), "space"),
        ({"_type": "CollectionConfigurationInternal", "hnsw_configuration": {"_type": "HNSWConfigurationInternal", "ef": 3}}, "ef"),
        ({"_type": "CollectionConfigurationInternal", "extra": 1}, "extra"),
    ],
)
def test_a_bad_old_configuration_is_a_400(http_server, configuration: dict, fragment: str) -> None:
    with httpx.Client(base_url=http_server.url) as old:
        r = old.post(f"{DB}/collections", json={"name": _name(), "configuration": configuration})
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "InvalidArgumentError" and fragment in r.json()["message"]


# -- the v1 routes -------------------------------------------------------------------------------------
def test_v1_routes_take_tenant_and_database_from_the_query(http_server) -> None:
    tenant, name = "t" + uuid.uuid4().hex[:8], _name()
    scope = {"tenant": tenant, "database": "v1_db"}
    with httpx.Client(base_url=http_server.url + "/api/v1", headers=NEW_CLIENT) as v1:  # v1 is old whatever the agent
        assert "nanosecond heartbeat" in v1.get("/heartbeat").json()
        assert v1.post("/tenants", json={"name": tenant}).status_code == 200
        assert v1.get(f"/tenants/{tenant}").json()["name"] == tenant
        assert v1.post("/databases", json={"name": "v1_db"}, params={"tenant": tenant}).status_code == 200
        assert v1.get("/databases/v1_db", params={"tenant": tenant}).json()["tenant"] == tenant
        created = v1.post("/collections", json={"name": name}, params=scope).json()
        assert set(created) == OLD_FIELDS and (created["tenant"], created["database"]) == (tenant, "v1_db")
        cid = created["id"]
        assert [c["name"] for c in v1.get("/collections", params=scope).json()] == [name]
        assert v1.get("/count_collections", params=scope).json() == 1
        assert v1.get(f"/collections/{name}").status_code == 404  # not in the default database
        # one collection's routes name no tenant or database: the id says which
        assert v1.post(f"/collections/{cid}/add", json={"ids": ["a", "b"], "embeddings": [[1, 0], [0, 1]],
                                                        "documents": ["x", "y"]}).status_code == 201
        assert v1.post(f"/collections/{cid}/upsert", json={"ids": ["c"], "embeddings": [[1, 1]]}).status_code == 200
        assert v1.post(f"/collections/{cid}/update", json={"ids": ["a"], "documents": ["z"]}).status_code == 200
        assert v1.get(f"/collections/{cid}/count").json() == 3
        got = v1.post(f"/collections/{cid}/get", json={"where_document": {"$contains": "z"}}).json()
        assert got["ids"] == ["a"]
        near = v1.post(f"/collections/{cid}/query", json={"query_embeddings": [[0, 1]], "n_results": 1}).json()
        assert near["ids"] == [["b"]]
        assert v1.post(f"/collections/{cid}/delete", json={"ids": ["c"]}).status_code == 200
        assert v1.put(f"/collections/{cid}", json={"new_metadata": {"m": 1}}).status_code == 200
        assert v1.get(f"/collections/{name}", params=scope).json()["metadata"] == {"m": 1}
        missing = str(uuid.uuid4())
        r = v1.get(f"/collections/{missing}/count")
        assert r.status_code == 404 and r.json()["error"] == "NotFoundError"
        assert v1.delete(f"/collections/{name}", params=scope).status_code == 200
        assert v1.get("/count_collections", params=scope).json() == 0


# -- the official old clients, each in its venv ------------------------------------------------------------
def _venv(version: str) -> Path:
    return CACHE / f"chromadb-client-{version}"


def _install(version: str) -> str | None:
    """Make the venv of one client version; None, or what went wrong."""
    venv = _venv(version)
    shutil.rmtree(venv, ignore_errors=True)
    steps = [
        [sys.executable, "-m", "venv", str(venv)],
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
         "-c", str(HARNESS / "constraints.txt"), f"chromadb-client=={version}", "numpy"],
    ]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, timeout=600, check=False)
        if done.returncode != 0:
            return (done.stdout + done.stderr)[-2000:]
    return None


@pytest.fixture(scope="module")
def old_clients() -> dict[str, Path]:
    """The Python of each venv, installed (all at once) when missing or when the pins changed."""
    pins = (HARNESS / "constraints.txt").read_text()
    missing = [v for v in VERSIONS if not (_venv(v) / ".installed").exists() or (_venv(v) / ".installed").read_text() != pins]
    with concurrent.futures.ThreadPoolExecutor(len(VERSIONS)) as pool:
        failures = {v: error for v, error in zip(missing, pool.map(_install, missing)) if error is not None}
    for version in set(missing) - set(failures):
        (_venv(version) / ".installed").write_text(pins)
    if failures:
        message = "could not install the old clients from the package index: " + json.dumps(failures)
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)  # a machine without the package index; CI and the dev machines have it
    return {v: _venv(v) / "bin" / "python" for v in VERSIONS}


EXPECTED = {
    "heartbeat": True,
    "same_id": True,
    "duplicate_refused": True,
    "missing_refused": True,
    "cosine_config": "cosine",
    "ip_config": ["ip", 50, 24],
    "ip_distances": [-1.0, 0.0],
    "count": 4,
    "peek": ["id1", "id2", "id3", "id4"],
    "query_ids": [["id1", "id3"]],
    "query_documents": [["doc1 about cats", "doc3 about birds"]],
    "query_distance0": 0.0,
    "query_texts": [["id4"]],
    "get_by_id": [["id2"], [[4.5, 6.9, 4.4, 0.0, 0.0, 1.0]], [{"chapter": "3", "verse": 5}], ["doc2 about dogs"]],
    "get_where": ["id1", "id2"],
    "get_where_document": ["id2"],
    "get_or": ["id2", "id3"],
    "get_page": ["id2", "id3"],
    "after_upsert": {"ids": ["id1", "id5"], "embeddings": None, "metadatas": [{"chapter": "3", "verse": 17}, None],
                     "documents": ["doc1 again", "doc5"], "data": None, "uris": None,
                     "included": ["documents", "metadatas"]},
    "after_delete": ["id1", "id4", "id5"],
    "renamed": ["renamed_collection", {"topic": "guide"}, 3],
    "collections": ["collection_name", "ip_collection", "renamed_collection"],
    "count_collections": 3,
    "after_delete_collection": ["collection_name", "ip_collection"],
    "other_tenant": [1, {"team": True}, ["my_collection"], 2],
}


@pytest.mark.parametrize("version", VERSIONS)
def test_the_usage_guide_with_an_old_official_client(old_clients, tmp_path, version: str) -> None:
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    with start_server_in_thread(str(tmp_path / "data"), allow_reset=True) as server:
        out = subprocess.run(
            [str(old_clients[version]), str(HARNESS / "usage_guide_client.py"), server.host, str(server.port)],
            capture_output=True, text=True, timeout=300, env=env, check=False,
        )
    assert out.returncode == 0, out.stdout + out.stderr
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen.pop("version") == version
    assert seen == EXPECTED


_WITH_A_TOKEN = """
import sys, chromadb
from chromadb.config import Settings
client = chromadb.HttpClient(host=sys.argv[1], port=int(sys.argv[2]), settings=Settings(
    chroma_client_auth_provider="chromadb.auth.token_authn.TokenAuthClientProvider",
    chroma_client_auth_credentials=sys.argv[3], anonymized_telemetry=False))
collection = client.get_or_create_collection("with_a_token")
collection.add(ids=["a"], embeddings=[[1.0, 2.0]])
sys.stdout.write(str(collection.count()) + "\\n")
"""


@pytest.mark.parametrize("version", VERSIONS)
def test_an_old_official_client_with_a_token(old_clients, tmp_path, version: str) -> None:
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    with start_server_in_thread(str(tmp_path / "data"), auth_token="old-s3cret") as server:
        run = [str(old_clients[version]), "-c", _WITH_A_TOKEN, server.host, str(server.port)]
        good = subprocess.run([*run, "old-s3cret"], capture_output=True, text=True, timeout=120, env=env, check=False)
        wrong = subprocess.run([*run, "wrong"], capture_output=True, text=True, timeout=120, env=env, check=False)
    assert good.returncode == 0, good.stdout + good.stderr
    assert good.stdout.strip().splitlines()[-1] == "1"
    assert wrong.returncode != 0
    assert "chromadb.errors.AuthorizationError: The token sent is not valid" in wrong.stderr
