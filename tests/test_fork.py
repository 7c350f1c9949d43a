"""`Collection.fork(new_name)` (upstream's POST `.../collections/{id}/fork`): a new
collection with the same records and configuration, independent afterwards, whose vector
index is the source's graph relabelled rather than rebuilt."""
from __future__ import annotations

import asyncio
import time
import uuid

import hnswlib
import numpy as np
import pytest

import chromadb
from chromadb.api.client import SharedSystemClient
from chromadb.engine import fork as fork_module
from chromadb.engine import indexer as indexer_module
from chromadb.engine import maintenance
from chromadb.engine.vector_index import VectorIndex
from chromadb.errors import InvalidArgumentError, NotFoundError, UniqueConstraintError

N = indexer_module.INDEX_MIN + 1000  # big enough to get an HNSW index
DIM = 8


def _vectors(n: int = N, seed: int = 3) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)


def _wait_indexed(col, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while col.get_indexing_status().num_unindexed_ops and time.monotonic() < deadline:
        time.sleep(0.05)
    assert col.get_indexing_status().num_unindexed_ops == 0


def _add_in_batches(col, ids: list[str], x: np.ndarray, **fields) -> None:
    for start in range(0, len(ids), 2000):  # below the server's batch cap
        part = slice(start, start + 2000)
        col.add(ids=ids[part], embeddings=x[part], **{k: v[part] for k, v in fields.items()})


def _pause_indexer(monkeypatch) -> None:
    # the server of the `client` fixture runs in this process: this pauses both doors
    monkeypatch.setattr(indexer_module.Indexer, "_step", lambda self: False)


def _everything(col) -> dict:
    got = col.get(include=["embeddings", "documents", "metadatas", "uris"])
    order = np.argsort(got["ids"])
    return {
        "ids": [got["ids"][i] for i in order],
        "embeddings": np.asarray(got["embeddings"])[order],
        "documents": [got["documents"][i] for i in order],
        "metadatas": [got["metadatas"][i] for i in order],
        "uris": [got["uris"][i] for i in order],
    }


def _assert_same_records(a, b) -> None:
    left, right = _everything(a), _everything(b)
    assert left["ids"] == right["ids"]
    assert np.array_equal(left["embeddings"], right["embeddings"])
    for key in ("documents", "metadatas", "uris"):
        assert left[key] == right[key]


def test_fork_copies_records_and_configuration(client, emb_fn):
    source = client.create_collection(
        "source",
        metadata={"hnsw:space": "cosine", "topic": "cats"},
        configuration={"hnsw": {"ef_search": 37}},
        embedding_function=emb_fn,
    )
    source.add(
        ids=["a", "b", "c"],
        documents=["the cat sat", "a dog ran", "no metadata"],
        metadatas=[{"year": 2024, "tags": "x"}, {"year": 2019}, None],
        uris=["u://a", None, "u://c"],
    )
    source.update(ids=["b"], documents=["a dog ran far"])
    source.delete(ids=["c"])

    fork = source.fork("copy")
    assert isinstance(fork, chromadb.Collection)
    assert fork.name == "copy" and fork.id != source.id
    assert (fork.tenant, fork.database) == (source.tenant, source.database)
    assert fork.metadata == {"hnsw:space": "cosine", "topic": "cats"}
    assert fork.configuration_json["hnsw"] == source.configuration_json["hnsw"]
    assert fork.configuration_json["hnsw"]["ef_search"] == 37
    assert fork.configuration_json["embedding_function"] == source.configuration_json["embedding_function"]
    assert fork.embedding_function is source.embedding_function
    assert fork.count() == 2
    _assert_same_records(source, fork)
    assert fork.get(ids=["b"])["documents"] == ["a dog ran far"]

    # what the server stored, as a fresh handle sees it
    again = client.get_collection("copy", embedding_function=emb_fn)
    assert again.id == fork.id and again.metadata == fork.metadata and again.dimension == source.dimension
    assert again.configuration_json["hnsw"] == source.configuration_json["hnsw"]
    assert sorted(c.name for c in client.list_collections()) == ["copy", "source"]
    # the fork embeds query texts with the same function: same answer as the source
    assert fork.query(query_texts=["cat"], n_results=2)["ids"] == source.query(query_texts=["cat"], n_results=2)["ids"]


def test_fork_of_an_empty_collection(client):
    source = client.create_collection("empty", embedding_function=None)
    fork = source.fork("empty-copy")
    assert fork.count() == 0 and fork.dimension is None
    fork.add(ids=["x"], embeddings=[[1.0, 2.0, 3.0]])
    assert fork.count() == 1 and source.count() == 0
    source.add(ids=["y"], embeddings=[[1.0, 2.0]])  # each takes its own dimension
    assert source.get(ids=["y"], include=["embeddings"])["embeddings"].shape == (1, 2)


def test_fork_is_independent_of_its_source(client):
    source = client.create_collection("independent", embedding_function=None)
    x = _vectors(50)
    source.add(ids=[f"r{i}" for i in range(50)], embeddings=x, metadatas=[{"i": i} for i in range(50)])
    fork = source.fork("independent-fork")

    source.add(ids=["only-source"], embeddings=x[:1] + 10)
    source.update(ids=["r1"], metadatas=[{"i": -1}], embeddings=x[2:3])
    source.delete(ids=["r3"])
    fork.upsert(ids=["only-fork", "r4"], embeddings=x[5:7] + 20, metadatas=[{"i": 100}, {"i": 104}])
    fork.delete(where={"i": {"$lt": 1}})

    assert source.count() == 50 and fork.count() == 50
    assert source.get(ids=["only-fork"])["ids"] == [] and fork.get(ids=["only-source"])["ids"] == []
    assert fork.get(ids=["r1"])["metadatas"] == [{"i": 1}]
    assert np.array_equal(fork.get(ids=["r1"], include=["embeddings"])["embeddings"][0], x[1])
    assert fork.get(ids=["r3"])["ids"] == ["r3"] and source.get(ids=["r0"])["ids"] == ["r0"]
    assert fork.get(ids=["r0"])["ids"] == [] and source.get(ids=["r4"])["metadatas"] == [{"i": 4}]
    assert source.query(query_embeddings=x[1:2], n_results=1, ids=["r1"], include=["distances"])["distances"][0][0] > 0
    assert fork.query(query_embeddings=x[1:2], n_results=1, include=["distances"])["distances"][0][0] == 0.0
    # renaming or deleting one leaves the other alone
    source.modify(name="renamed", metadata={"m": 1})
    assert client.get_collection("independent-fork").metadata is None
    client.delete_collection("renamed")
    assert fork.count() == 50 and client.get_collection("independent-fork").count() == 50


def test_fork_errors(client):
    source = client.create_collection("origin", embedding_function=None)
    source.add(ids=["a"], embeddings=[[1.0, 2.0]])
    client.create_collection("taken", embedding_function=None)
    with pytest.raises(UniqueConstraintError, match=r"Collection \[taken\] already exists"):
        source.fork("taken")
    with pytest.raises(UniqueConstraintError):
        source.fork("origin")
    with pytest.raises(InvalidArgumentError, match="Expected a name"):
        source.fork("x")
    assert sorted(c.name for c in client.list_collections()) == ["origin", "taken"]
    client.delete_collection("origin")
    with pytest.raises(NotFoundError, match="does not exist"):
        source.fork("orphan")
    assert client.count_collections() == 1


def test_fork_stays_in_its_sources_database(client):
    tenant = f"tenant-{uuid.uuid4().hex[:8]}"
    admin = chromadb.AdminClient(client.get_settings())
    admin.create_tenant(tenant)
    admin.create_database("elsewhere", tenant=tenant)
    client.create_collection("same-name", embedding_function=None)  # in the default database
    client.set_tenant(tenant, database="elsewhere")
    source = client.create_collection("in-elsewhere", embedding_function=None)
    source.add(ids=["a"], embeddings=[[0.5, 0.5]])
    fork = source.fork("same-name")  # the name is free in this database
    assert (fork.tenant, fork.database) == (tenant, "elsewhere")
    assert sorted(c.name for c in client.list_collections()) == ["in-elsewhere", "same-name"]
    assert client.get_collection("same-name").count() == 1


def test_fork_carries_the_vector_index_over(client, monkeypatch):
    source = client.create_collection("indexed", metadata={"hnsw:space": "ip"}, embedding_function=None)
    x = _vectors()
    ids = [f"r{i}" for i in range(N)]
    _add_in_batches(source, ids, x)
    source.delete(ids=ids[:10])
    source.update(ids=ids[10:20], embeddings=-x[10:20])
    _wait_indexed(source)

    _pause_indexer(monkeypatch)  # nothing indexes now: a fully indexed fork got the graph
    fork = source.fork("indexed-fork")
    status = fork.get_indexing_status()
    assert (status.total_ops, status.num_unindexed_ops) == (N - 10, 0)
    queries = np.vstack([x[:40], -x[10:20]])
    want = source.query(query_embeddings=queries, n_results=7, include=["distances"])
    got = fork.query(query_embeddings=queries, n_results=7, include=["distances"])
    assert got["ids"] == want["ids"]
    assert np.allclose(got["distances"], want["distances"])
    assert all(i not in ids[:10] for row in got["ids"] for i in row)

    # writes to the fork are searched at once, and indexed when the indexer runs again
    before = source.query(query_embeddings=x[60:61], n_results=3)["ids"]
    fork.upsert(ids=["new", "r30"], embeddings=np.vstack([x[50] * 5, x[60] * 5]))
    assert fork.get_indexing_status().num_unindexed_ops == 2
    assert fork.query(query_embeddings=x[60:61], n_results=1)["ids"] == [["r30"]]
    assert source.query(query_embeddings=x[60:61], n_results=3)["ids"] == before
    monkeypatch.undo()
    fork.add(ids=["wake"], embeddings=x[:1] * 3)
    _wait_indexed(fork)
    assert fork.query(query_embeddings=x[50:51], n_results=1)["ids"] == [["new"]]


def test_fork_while_records_wait_for_the_indexer(client, monkeypatch):
    source = client.create_collection("backlog", embedding_function=None)
    x = _vectors()
    _add_in_batches(source, [f"r{i}" for i in range(5000)], x[:5000])
    _wait_indexed(source)
    _pause_indexer(monkeypatch)
    _add_in_batches(source, [f"r{i}" for i in range(5000, N)], x[5000:])
    source.update(ids=["r1"], embeddings=x[2:3])  # an indexed vector, replaced: its label is stale

    fork = source.fork("backlog-fork")
    assert fork.get_indexing_status().num_unindexed_ops == N - 5000 + 1
    exact = fork.query(query_embeddings=x[[2, 4999, 5001, N - 1]], n_results=2)["ids"]
    assert set(exact[0]) == {"r1", "r2"}  # both hold x[2] now
    assert [row[0] for row in exact[1:]] == ["r4999", "r5001", f"r{N - 1}"]
    monkeypatch.undo()
    fork.add(ids=["wake"], embeddings=x[:1] * 3)
    _wait_indexed(fork)
    after = fork.query(query_embeddings=x[[2, 4999, 5001, N - 1]], n_results=2)["ids"]
    assert [set(row) for row in after] == [set(row) for row in exact]
    # r1's old vector is nowhere: neither the fork nor the source finds r1 at x[1]
    for col in (fork, source):
        hit = col.query(query_embeddings=x[1:2], n_results=1, ids=["r1"], include=["distances"])
        assert hit["distances"][0][0] > 0


def test_fork_survives_reopen(tmp_path):
    path = str(tmp_path / "db")
    x = _vectors()
    client = chromadb.PersistentClient(path=path)
    source = client.create_collection("keep", embedding_function=None, metadata={"owner": "me"})
    source.add(ids=[f"r{i}" for i in range(N)], embeddings=x, documents=[f"doc {i}" for i in range(N)])
    source._wait_for_index()
    fork = source.fork("keep-fork")
    fork.delete(ids=["r0"])
    fork_id = fork.id
    client.close()

    client = chromadb.PersistentClient(path=path)
    again = client.get_collection("keep-fork", embedding_function=None)
    assert again.id == fork_id and again.metadata == {"owner": "me"}
    assert again.count() == N - 1 and client.get_collection("keep", embedding_function=None).count() == N
    assert again.get(ids=["r5"])["documents"] == ["doc 5"]
    # its saved index came along: fully indexed on open, without the indexer's help
    assert again.get_indexing_status().num_unindexed_ops == 0
    hits = again.query(query_embeddings=x[[0, 7]], n_results=1)["ids"]
    assert hits[0][0] != "r0" and hits[1] == ["r7"]
    again.add(ids=["later"], embeddings=x[:1])
    assert client.get_collection("keep", embedding_function=None).get(ids=["later"])["ids"] == []
    client.close()

    report = maintenance.check(path)  # `chroma check`: the fork's saved graph agrees with its records
    assert report["ok"], report
    entry = next(c for c in report["collections"] if c["name"] == "keep-fork")
    assert entry["records"] == N and entry["index_elements"] >= N - 1 and entry["index_stale_elements"] == 0


def test_fork_in_an_ephemeral_client_carries_the_index(monkeypatch):
    SharedSystemClient.clear_system_cache()  # a fresh in-memory database of its own
    client = chromadb.EphemeralClient()
    x = _vectors()
    source = client.create_collection("mem", embedding_function=None)
    source.add(ids=[f"r{i}" for i in range(N)], embeddings=x)
    source._wait_for_index()
    _pause_indexer(monkeypatch)
    fork = source.fork("mem-fork")
    assert fork.get_indexing_status().num_unindexed_ops == 0
    assert fork.query(query_embeddings=x[[3, 4000]], n_results=1)["ids"] == [["r3"], ["r4000"]]
    client.close()
    SharedSystemClient.clear_system_cache()


def test_async_fork(make_async_client):
    async def scenario() -> tuple[str, int]:
        aclient = await make_async_client()
        col = await aclient.create_collection(f"async-{uuid.uuid4().hex[:8]}", embedding_function=None)
        await col.add(ids=["a", "b"], embeddings=[[1.0, 0.0], [0.0, 1.0]])
        fork = await col.fork(col.name + "-fork")
        assert fork.name == col.name + "-fork"
        return fork.name, await fork.count()

    name, count = asyncio.run(scenario())
    assert name.endswith("-fork") and count == 2


def test_shift_labels_relabels_a_saved_graph(tmp_path):
    x = _vectors(2000)
    labels = np.arange(100, 2100, dtype=np.int64) | (np.arange(2000, dtype=np.int64) % 3 << 40)
    graph = hnswlib.Index(space="l2", dim=DIM)
    graph.init_index(max_elements=2500, M=16, ef_construction=100)
    graph.add_items(x, labels)
    graph.mark_deleted(int(labels[7]))
    path = str(tmp_path / "graph.bin")
    graph.save_index(path)

    fork_module.shift_labels(path, 1_000_000)
    moved = hnswlib.Index(space="l2", dim=DIM)
    moved.load_index(path)
    assert sorted(moved.get_ids_list()) == sorted((labels + 1_000_000).tolist())
    graph.set_ef(50)
    moved.set_ef(50)
    want, want_d = graph.knn_query(x[:30], k=5)
    got, got_d = moved.knn_query(x[:30], k=5)
    assert np.array_equal(got.astype(np.int64), want.astype(np.int64) + 1_000_000)
    assert np.array_equal(got_d, want_d)
    with pytest.raises(RuntimeError):  # the deletion mark came along
        moved.mark_deleted(int(labels[7] + 1_000_000))

    (tmp_path / "junk.bin").write_bytes(b"\x00" * 64)
    with pytest.raises(ValueError, match="not an hnswlib index file"):
        fork_module.shift_labels(str(tmp_path / "junk.bin"), 1)


def test_write_shifted_index_hides_stale_labels_and_refuses_overflow(tmp_path):
    x = _vectors(1500)
    index = VectorIndex("l2", DIM, {"ef_search": 50}, capacity=2000)
    labels = np.arange(1, 1501, dtype=np.int64)
    index.add(x, labels)
    index.mark_deleted([5])

    directory = str(tmp_path / "fork")
    assert fork_module.write_shifted_index(index, directory, 42, 10_000, lambda seen: [9])
    loaded, meta = VectorIndex.load(directory, "l2", DIM, {"ef_search": 50})
    assert meta["seq"] == 42 and sorted(meta["deleted"]) == [10_005, 10_009]
    assert loaded.element_count == 1500 and loaded.deleted == {10_005, 10_009}
    found, _ = loaded.knn(x[[7, 8]], 1)  # labels 8 and 9
    assert found[0][0] == 10_008 and found[1][0] != 10_009
    assert index.deleted == {5, 9}  # the stale label is hidden in the source too

    assert not fork_module.write_shifted_index(index, str(tmp_path / "big"), 1, 1 << 40, lambda seen: [])
    assert not fork_module.write_shifted_index(index, str(tmp_path / "neg"), 1, -1, lambda seen: [])
