"""The HTTP API at the wire level (spec/http-api.md): a real server, driven with httpx."""
from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import struct
import uuid

import httpx
import numpy as np
import orjson
import pytest

import chromadb
from chromadb.errors import InvalidArgumentError, NotFoundError, UniqueConstraintError
from chromadb.server.testing import start_server_in_thread

DB = "/api/v2/tenants/default_tenant/databases/default_database"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    handle = start_server_in_thread(str(tmp_path_factory.mktemp("server")), allow_reset=True, max_body_bytes=256 * 1024)
    yield handle
    handle.stop()


@pytest.fixture
def http(server):
    # a User-Agent of our own: httpx's default gets the pre-1.0 collection shape (server/old_clients.py)
    headers = {"Content-Type": "application/json", "User-Agent": "quarrydb-tests"}
    with httpx.Client(base_url=server.url, headers=headers) as client:
        client.post("/api/v2/reset")
        yield client


def b64(*values: float) -> str:
    return base64.b64encode(struct.pack(f"<{len(values)}f", *values)).decode()


def create(http: httpx.Client, name: str = "coll", **body) -> dict:
    r = http.post(f"{DB}/collections", json={"name": name, **body})
    assert r.status_code == 200, r.text
    return r.json()


def add(http: httpx.Client, cid: str, **body) -> httpx.Response:
    return http.post(f"{DB}/collections/{cid}/add", json=body)


def assert_error(r: httpx.Response, status: int, name: str, fragment: str = "") -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["error"] == name
    assert fragment in body["message"]


# -- handshake and system routes ---------------------------------------------------------------
def test_handshake_routes(http):
    identity = http.get("/api/v2/auth/identity").json()
    assert set(identity) <= {"user_id", "tenant", "databases", "attributes"}
    assert identity["user_id"] == "" and identity["tenant"] == "default_tenant"
    assert http.get("/api/v2/tenants/default_tenant").json() == {"name": "default_tenant", "resource_name": None}
    db = http.get(DB).json()
    assert db["name"] == "default_database" and db["tenant"] == "default_tenant"
    uuid.UUID(db["id"])
    pre = http.get("/api/v2/pre-flight-checks").json()
    assert pre["max_batch_size"] > 0 and pre["supports_base64_encoding"] is True


def test_system_routes(http):
    for path in ("/api/v2", "/api/v2/heartbeat"):
        assert isinstance(http.get(path).json()["nanosecond heartbeat"], int)
    assert isinstance(http.get("/api/v2/version").json(), str)
    assert http.get("/api/v2/healthcheck").json() == {"is_executor_ready": True, "is_log_client_ready": True}
    r = http.post("/api/v2/reset")  # Content-Type json, empty body: as the Python client sends it
    assert r.status_code == 200 and r.json() is True


def test_every_answer_is_json(http):
    for r in (http.get("/api/v2/heartbeat"), http.get(f"{DB}/collections_count"), http.get("/nope")):
        assert r.headers["content-type"] == "application/json"
        r.json()


def test_max_batch_size_fits_the_body_limit(server, http):
    # a batch that pre-flight allows, of 1536-dim base64 vectors, stays under the body limit
    n = http.get("/api/v2/pre-flight-checks").json()["max_batch_size"]
    assert n * (len(b64(*[0.5] * 1536)) + 64) < 256 * 1024


def test_writes_past_the_advertised_batch_size_are_refused(http):
    n = http.get("/api/v2/pre-flight-checks").json()["max_batch_size"]
    cid = create(http, "batch_cap")["id"]
    for route in ("add", "upsert", "update"):
        body = {"ids": [f"r{i}" for i in range(n + 1)], "embeddings": [[0.5, 0.5]] * (n + 1)}
        r = http.post(f"{DB}/collections/{cid}/{route}", json=body)
        assert_error(r, 413, "BatchSizeExceededError", f"more than {n:,} embeddings")
    assert http.get(f"{DB}/collections/{cid}/count").json() == 0
    ok = add(http, cid, ids=[f"r{i}" for i in range(n)], embeddings=[[0.5, 0.5]] * n)
    assert ok.status_code == 201, ok.text


# -- collections ---------------------------------------------------------------------------------
def test_collection_model(http):
    coll = create(http, "test1", metadata={"hnsw:space": "cosine", "k": 1, "f": 2.0})
    uuid.UUID(coll["id"])
    assert coll["name"] == "test1" and coll["tenant"] == "default_tenant" and coll["database"] == "default_database"
    assert coll["configuration_json"]["hnsw"]["space"] == "cosine"
    assert coll["metadata"] == {"hnsw:space": "cosine", "k": 1, "f": 2.0}
    assert b'"f":2.0' in http.get(f"{DB}/collections/test1").content
    assert coll["dimension"] is None
    assert http.get(f"{DB}/collections/by-id/{coll['id']}").json()["name"] == "test1"
    assert http.get(f"{DB}/collections_count").json() == 1
    assert [c["name"] for c in http.get(f"{DB}/collections", params={"limit": 100, "offset": 0}).json()] == ["test1"]


def test_collection_schema_mirrors_configuration(http):
    # the Python client edits this schema on modify(configuration=...): both vector indexes must exist
    coll = create(http, "schema", configuration={"hnsw": {"space": "ip", "ef_search": 7}})
    for value_types in (coll["schema"]["defaults"], coll["schema"]["keys"]["#embedding"]):
        config = value_types["float_list"]["vector_index"]["config"]
        assert config["space"] == "ip" and config["hnsw"]["ef_search"] == 7
    r = http.put(f"{DB}/collections/{coll['id']}", json={"new_configuration": {"hnsw": {"ef_search": 20}}})
    assert r.status_code == 200
    schema = http.get(f"{DB}/collections/schema").json()["schema"]
    assert schema["keys"]["#embedding"]["float_list"]["vector_index"]["config"]["hnsw"]["ef_search"] == 20


def test_create_existing_collection(http):
    first = create(http, "dup")
    assert_error(http.post(f"{DB}/collections", json={"name": "dup"}), 409, "UniqueConstraintError", "already exists")
    again = http.post(f"{DB}/collections", json={"name": "dup", "metadata": {"a": 1}, "get_or_create": True}).json()
    assert again["id"] == first["id"] and again["metadata"] is None


def test_missing_collection(http):
    r = http.get(f"{DB}/collections/nope")
    assert_error(r, 404, "NotFoundError", "Collection [nope] does not exist")
    assert r.headers["chroma-trace-id"]  # the Python client puts it on the exception
    assert_error(http.delete(f"{DB}/collections/nope"), 404, "NotFoundError")
    missing = str(uuid.uuid4())
    assert_error(http.get(f"{DB}/collections/{missing}/count"), 404, "NotFoundError", missing)


def test_invalid_names(http):
    r = http.post(f"{DB}/collections", json={"name": "a"})
    assert_error(r, 400, "InvalidArgumentError", "Expected a name containing 3-512 characters")
    assert_error(http.get("/api/v2/tenants/default_tenant/databases/ab"), 400, "InvalidArgumentError", "at least 3")


def test_modify_collection(http):
    coll = create(http, "old", metadata={"a": 1})
    r = http.put(f"{DB}/collections/{coll['id']}", json={"new_name": "new", "new_metadata": {"b": 2}})
    assert r.status_code == 200 and r.json() == {}
    assert http.get(f"{DB}/collections/new").json()["metadata"] == {"b": 2}
    r = http.put(f"{DB}/collections/{coll['id']}", json={"new_metadata": {}})
    assert_error(r, 400, "InvalidArgumentError", "empty")


def test_collection_id_must_be_a_uuid(http):
    assert_error(http.post(f"{DB}/collections/not-a-uuid/get", json={}), 400, "InvalidArgumentError", "UUID")


# -- records --------------------------------------------------------------------------------------
def test_add_base64_then_get_with_float32_formatting(http):
    cid = create(http)["id"]
    r = add(http, cid, ids=["a", "b"], embeddings=[b64(0.1, 1.0), b64(0.2, 1 / 3)],
            metadatas=[{"i": 1, "f": 2.0}, None], documents=["doc a", None], uris=None)
    assert r.status_code == 201 and r.json() == {}
    r = http.post(f"{DB}/collections/{cid}/get", json={"include": ["embeddings", "metadatas", "documents"]})
    assert b"[0.1,1.0]" in r.content and b"0.33333334" in r.content
    assert b'{"i":1,"f":2.0}' in r.content
    body = r.json()
    assert body["ids"] == ["a", "b"] and body["documents"] == ["doc a", None] and body["uris"] is None
    assert body["include"] == ["embeddings", "metadatas", "documents"]
    assert http.get(f"{DB}/collections/by-id/{cid}").json()["dimension"] == 2


def test_add_plain_arrays_and_default_include(http):
    cid = create(http)["id"]
    assert add(http, cid, ids=["a"], embeddings=[[1, 2.5]]).status_code == 201
    body = http.post(f"{DB}/collections/{cid}/get", json={}).json()
    assert body["ids"] == ["a"] and body["embeddings"] is None
    assert body["documents"] == [None] and body["metadatas"] == [None]
    assert body["include"] == ["documents", "metadatas"]


def test_query(http):
    cid = create(http)["id"]
    r = http.post(f"{DB}/collections/{cid}/query", json={"query_embeddings": [[1.0, 0.0]]})
    assert r.json()["ids"] == [[]]  # no records yet
    add(http, cid, ids=["a", "b", "c"], embeddings=[b64(1, 0), b64(0, 1), b64(0.1, 0)],
        metadatas=[{"k": 1}, {"k": 2}, {"k": 3}], documents=["apple", "banana", "cherry"])
    r = http.post(f"{DB}/collections/{cid}/query", json={
        "query_embeddings": [[0.0, 0.0], [0, 1]], "n_results": 2, "where": {"k": {"$gte": 2}},
        "where_document": {"$contains": "an"}, "include": ["distances", "embeddings"]})
    body = r.json()
    assert body["ids"] == [["b"], ["b"]]
    assert body["distances"] == [[1.0], [0.0]] and body["embeddings"] == [[[0.0, 1.0]], [[0.0, 1.0]]]
    assert body["documents"] is None and body["include"] == ["distances", "embeddings"]
    r = http.post(f"{DB}/collections/{cid}/query", json={"query_embeddings": [[0.1, 0.0]], "n_results": 1})
    assert b'"distances":[[0.0]]' in r.content
    r = http.post(f"{DB}/collections/{cid}/query", json={"query_embeddings": [[0.0, 0.3]], "n_results": 1})
    assert b'"distances":[[0.1]]' in r.content  # float32 shortest, not 0.10000000149011612


def test_update_upsert_delete_count(http):
    cid = create(http)["id"]
    add(http, cid, ids=["a", "b", "c"], embeddings=[b64(1, 0), b64(0, 1), b64(1, 1)], metadatas=[{"x": 1}] * 3)
    path = f"{DB}/collections/{cid}"
    r = http.post(f"{path}/update", json={"ids": ["a", "b"], "embeddings": [None, b64(5, 5)],
                                          "metadatas": [{"x": None, "y": 2}, None]})
    assert r.status_code == 200 and r.json() == {}
    r = http.post(f"{path}/upsert", json={"ids": ["c", "d"], "embeddings": [b64(2, 2), b64(3, 3)]})
    assert r.status_code == 200
    got = http.post(f"{path}/get", json={"include": ["embeddings", "metadatas"]}).json()
    assert got["embeddings"] == [[1.0, 0.0], [5.0, 5.0], [2.0, 2.0], [3.0, 3.0]]
    assert got["metadatas"] == [{"y": 2}, {"x": 1}, {"x": 1}, None]
    assert http.get(f"{path}/count", params={"read_level": "index_and_wal"}).json() == 4
    assert http.post(f"{path}/delete", json={"ids": ["a", "zz"]}).json() == {"deleted": 2}
    assert http.post(f"{path}/delete", json={"where": {"x": 1}}).json() == {"deleted": 2}
    assert http.get(f"{path}/count").json() == 1


def test_dimension_mismatch(http):
    cid = create(http)["id"]
    add(http, cid, ids=["a"], embeddings=[b64(1, 0)])
    r = add(http, cid, ids=["b"], embeddings=[b64(1, 0, 0)])
    assert_error(r, 400, "InvalidArgumentError", "dimension of 2, got 3")
    r = http.post(f"{DB}/collections/{cid}/query", json={"query_embeddings": [[1.0]]})
    assert_error(r, 400, "InvalidArgumentError", "dimension")


def test_failed_write_leaves_nothing(http):
    cid = create(http)["id"]
    r = add(http, cid, ids=["a", "b"], embeddings=[b64(1, 0), b64(0, 1)], metadatas=[{"ok": 1}, {"$bad": 1}])
    assert_error(r, 400, "InvalidArgumentError")
    assert http.get(f"{DB}/collections/{cid}/count").json() == 0


# -- bad input at the door ---------------------------------------------------------------------------
def test_malformed_json_is_400(http):
    cid = create(http)["id"]
    r = http.post(f"{DB}/collections/{cid}/add", content=b'{"ids": [')
    assert_error(r, 400, "InvalidArgumentError", "Failed to parse the request body as JSON")


@pytest.mark.parametrize(
    "body",
    [
        {"embeddings": [[1.0]]},  # no ids
        {"ids": ["a"]},  # add needs embeddings
        {"ids": "a", "embeddings": [[1.0]]},
        {"ids": ["a"], "embeddings": [[1.0]], "metadatas": [{"k": None}]},  # null value in add
        {"ids": ["a"], "embeddings": [["x"]]},
        {"ids": ["a"], "embeddings": [[True]]},
        {"ids": ["a"], "embeddings": [[1.0]], "documents": [3]},
        [1, 2],
    ],
)
def test_wrong_shape_is_422(http, body):
    cid = create(http)["id"]
    assert_error(add(http, cid, **body) if isinstance(body, dict) else
                 http.post(f"{DB}/collections/{cid}/add", json=body), 422, "ChromaError", "Failed to deserialize")


def test_bad_include_and_limit_are_422(http):
    cid = create(http)["id"]
    assert_error(http.post(f"{DB}/collections/{cid}/get", json={"include": ["data"]}), 422, "ChromaError")
    assert_error(http.post(f"{DB}/collections/{cid}/get", json={"limit": -1}), 422, "ChromaError")


@pytest.mark.parametrize("embedding", ["not base64!", base64.b64encode(b"abc").decode(), b64(float("nan"))])
def test_bad_base64_is_400(http, embedding):
    cid = create(http)["id"]
    assert_error(add(http, cid, ids=["a"], embeddings=[embedding]), 400, "InvalidArgumentError")


def test_inconsistent_lengths_and_where_are_400(http):
    cid = create(http)["id"]
    r = add(http, cid, ids=["a", "b"], embeddings=[b64(1, 0)])
    assert_error(r, 400, "InvalidArgumentError", "Inconsistent number of IDs")
    r = http.post(f"{DB}/collections/{cid}/get", json={"where": {"$bogus": 1}})
    assert_error(r, 400, "InvalidArgumentError")


def test_body_over_limit_is_413(http):
    cid = create(http)["id"]
    r = add(http, cid, ids=["a"], embeddings=[b64(1.0)], documents=["x" * (300 * 1024)])
    assert r.status_code == 413 and r.headers["content-type"] == "application/json"
    assert r.json()["error"] == "PayloadTooLarge"
    assert http.get("/api/v2/heartbeat").status_code == 200  # the server is still there


def test_unknown_routes(http):
    assert_error(http.get("/api/v2/nope"), 404, "NotFoundError")
    assert_error(http.delete("/api/v2/heartbeat"), 405, "ChromaError")
    assert_error(http.get("/api/v1/nope"), 404, "NotFoundError")  # v1 is served (tests/test_old_clients.py)


def test_cloud_only_routes_are_501(http):
    cid = create(http)["id"]
    assert_error(http.get(f"{DB}/collections/{cid}/fork_count"), 501, "ChromaError", "unsupported")


def test_fork_route(http):
    source = create(http, "forked", metadata={"k": "v"})
    assert add(http, source["id"], ids=["a"], embeddings=[b64(1.0, 2.0)], documents=["doc"]).status_code == 201
    r = http.post(f"{DB}/collections/{source['id']}/fork", json={"new_name": "forked-copy"})
    assert r.status_code == 200, r.text
    fork = r.json()
    assert fork["name"] == "forked-copy" and fork["id"] != source["id"] and fork["metadata"] == {"k": "v"}
    assert fork["configuration_json"] == source["configuration_json"] and fork["dimension"] == 2
    assert http.get(f"{DB}/collections/{fork['id']}/count").json() == 1
    fork_url = f"{DB}/collections/{source['id']}/fork"
    assert_error(http.post(fork_url, json={"new_name": "forked"}), 409, "UniqueConstraintError", "already exists")
    assert_error(http.post(fork_url, json={}), 422, "ChromaError", "new_name")
    assert_error(http.post(fork_url, json={"new_name": 7}), 422, "ChromaError", "new_name")
    assert_error(http.post(fork_url, json={"new_name": "x"}), 400, "InvalidArgumentError", "Expected a name")
    assert_error(http.post(f"{DB}/collections/not-a-uuid/fork", json={"new_name": "y-y"}), 400, "InvalidArgumentError")
    missing = f"{DB}/collections/{uuid.uuid4()}/fork"
    assert_error(http.post(missing, json={"new_name": "y-y"}), 404, "NotFoundError", "does not exist")


def test_tenants_and_databases(http):
    assert http.post("/api/v2/tenants", json={"name": "acme"}).json() == {}
    assert_error(http.post("/api/v2/tenants", json={"name": "acme"}), 409, "UniqueConstraintError")
    assert_error(http.get("/api/v2/tenants/nobody"), 404, "NotFoundError")
    assert http.post("/api/v2/tenants/acme/databases", json={"name": "db2"}).json() == {}
    assert [d["name"] for d in http.get("/api/v2/tenants/acme/databases").json()] == ["db2"]
    assert_error(http.get("/api/v2/tenants/acme/databases/db3"), 404, "NotFoundError", "not found")
    assert http.delete("/api/v2/tenants/acme/databases/db2").json() == {}


def test_openapi_and_docs(http):
    doc = http.get("/openapi.json").json()
    assert "/api/v2/heartbeat" in doc["paths"]
    assert "swagger" in http.get("/docs").text.lower()


def test_reset_refused_unless_allowed(tmp_path):
    with start_server_in_thread(str(tmp_path), allow_reset=False) as server:
        r = httpx.post(server.url + "/api/v2/reset")
        assert_error(r, 403, "ChromaError", "Reset is disabled by config")


def test_concurrent_writes(http, server):
    cid = create(http)["id"]

    def write(i: int) -> int:
        with httpx.Client(base_url=server.url) as c:
            return add(c, cid, ids=[f"{i}-{j}" for j in range(20)], embeddings=[b64(i, j) for j in range(20)]).status_code

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        assert set(pool.map(write, range(16))) == {201}
    assert http.get(f"{DB}/collections/{cid}/count").json() == 320


# -- our HttpClient over the same server --------------------------------------------------------------
def test_http_client_round_trip(server, http):
    client = chromadb.HttpClient(host=server.host, port=server.port)
    col = client.create_collection("round", embedding_function=None, metadata={"x": 1.5})
    col.add(ids=["a", "b"], embeddings=[[0.1, 0.2], [0.3, 0.4]], metadatas=[{"n": 1}, {"n": 2.0}])
    got = col.get(include=["embeddings", "metadatas"])
    assert got["embeddings"].dtype == np.float32 and got["embeddings"].shape == (2, 2)
    assert np.array_equal(got["embeddings"], np.array([[0.1, 0.2], [0.3, 0.4]], dtype=np.float32))
    assert got["metadatas"] == [{"n": 1}, {"n": 2.0}] and isinstance(got["metadatas"][1]["n"], float)
    res = col.query(query_embeddings=[[0.1, 0.2]], n_results=1, include=["distances", "embeddings"])
    assert res["ids"] == [["a"]] and res["distances"][0][0] == 0.0
    with pytest.raises(UniqueConstraintError):
        client.create_collection("round")
    with pytest.raises(NotFoundError):
        client.get_collection("absent")
    with pytest.raises(InvalidArgumentError):
        col.add(ids=["c"], embeddings=[[1.0, 2.0, 3.0]])
    client.close()


def test_listening_sockets_disable_nagle():
    # asyncio sets TCP_NODELAY only on sockets whose proto says TCP; without it every
    # keep-alive response waits ~40 ms for a delayed ACK
    import socket

    from chromadb.server.sockets import bind_socket

    sock = bind_socket("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
    finally:
        sock.close()


def test_http_client_needs_a_server():
    with pytest.raises(ValueError, match="Could not connect"):
        chromadb.HttpClient(host="127.0.0.1", port=1)


def test_unknown_error_names_become_plain_exceptions():
    from chromadb.http.backend import HttpBackend

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(413, json={"error": "PayloadTooLarge", "message": "too big"})

    backend = HttpBackend("http://test/api/v2", client=httpx.Client(transport=httpx.MockTransport(handler)))
    with pytest.raises(Exception) as info:
        backend.heartbeat()
    assert type(info.value) is Exception and "too big" in str(info.value)


def test_async_client(server, http):
    async def scenario() -> tuple[int, list]:
        client = await chromadb.AsyncHttpClient(host=server.host, port=server.port)
        assert isinstance(await client.heartbeat(), int)
        col = await client.create_collection("async", embedding_function=None)
        await col.add(ids=["a"], embeddings=[[1.0, 2.0]], documents=["hello"])
        got = await col.get()
        return await col.count(), got["documents"]

    assert asyncio.run(scenario()) == (1, ["hello"])


def test_orjson_writes_shortest_float32():
    from chromadb.server import wire

    values = np.array([0.1, 1 / 3, 1e-8, 3.4e38, 2.0], dtype=np.float32)
    text = wire.dumps(values)
    assert text == b"[0.1,0.33333334,1e-8,3.4e+38,2.0]"
    assert np.array_equal(np.array(orjson.loads(text), dtype=np.float32), values)
