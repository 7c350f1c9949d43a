"""A collection runtime (engine/runtime.py), tested without an engine: fed only by the
store's write results and `changes_since`, and the engine's cache of runtimes."""
from __future__ import annotations

import threading
import uuid

import numpy as np
import pytest

from chromadb.config import DEFAULT_DATABASE, DEFAULT_TENANT
from chromadb.engine.engine import Engine
from chromadb.engine.index_files import IndexFiles
from chromadb.engine.indexer import Indexer
from chromadb.engine.options import EngineOptions
from chromadb.engine.runtime import CollectionRuntime
from chromadb.engine.store import Deletion
from chromadb.engine.store.sqlite import SqliteStore
from chromadb.errors import InvalidArgumentError
from chromadb.model.records import RecordBatch
from chromadb.model.requests import CLIENT, GetRequest, QueryRequest

OPTIONS = EngineOptions(warm_up=False)


@pytest.fixture()
def stores(tmp_path):
    """Two handles on one SQLite file: the runtime's, and another writer's."""
    path = str(tmp_path / "store.sqlite3")
    mine, other = SqliteStore(path), SqliteStore(path)
    yield mine, other
    other.close()
    mine.close()


def _collection(store) -> dict:
    with store.transaction():
        store.insert_tenant("t")
        store.insert_database("db", "d", "t")
        coll_id = str(uuid.uuid4())
        store.insert_collection(coll_id, "c", "db", None, {"hnsw": {"space": "l2"}})
    return store.get_collection_by_id(coll_id)


def _open(store, row, runtimes) -> CollectionRuntime:
    lock = threading.RLock()
    indexer = Indexer(runtimes, lock, store, OPTIONS, IndexFiles(None))
    runtime = CollectionRuntime.open(
        row, store=store, lock=lock, indexer=indexer, index_files=IndexFiles(None), options=OPTIONS, warm_up=False
    )
    runtimes[row["id"]] = runtime
    return runtime


def _add(store, row, ids, values):
    embeddings = np.array([[v, 0.0] for v in values], dtype=np.float32)
    return store.write(row["cid"], RecordBatch.build("add", ids, embeddings, [{"v": v} for v in values]))


def test_a_runtime_applies_its_own_writes_and_catches_up_with_others(stores):
    mine, other = stores
    row = _collection(mine)
    runtime = _open(mine, row, {})
    assert runtime.count() == 0 and runtime.seq == row["seq"]

    runtime.absorb(_add(mine, row, ["a", "b"], [1.0, 2.0]))
    assert runtime.count() == 2
    got = runtime.get(GetRequest.build(CLIENT, include=["metadatas"]))
    assert got.ids == ["a", "b"] and got.metadatas == [{"v": 1.0}, {"v": 2.0}]
    assert got.documents is None and got.embeddings is None and got.include == ("metadatas",)

    _add(other, row, ["c"], [3.0])  # another writer: the runtime sees it only by catching up
    other.write(row["cid"], Deletion(ids=["a"]))
    assert runtime.count() == 2
    runtime.catch_up()
    assert runtime.count() == 2 and runtime.seq == mine.get_collection_by_id(row["id"])["seq"]
    found = runtime.query(QueryRequest.build(CLIENT, [[2.9, 0.0]], n_results=2, where={"v": {"$gte": 2}}, include=["distances"]))
    assert found.ids == [["c", "b"]] and found.metadatas is None
    np.testing.assert_allclose(found.distances[0], [0.01, 0.81], rtol=1e-5)  # squared l2
    assert runtime.indexing_status()["total_ops"] == 2


def test_a_write_that_changes_nothing_leaves_the_runtime_as_it_was(stores):
    mine, _ = stores
    row = _collection(mine)
    runtime = _open(mine, row, {})
    runtime.absorb(_add(mine, row, ["a"], [1.0]))
    seq = runtime.seq
    unchanged = _add(mine, row, ["a"], [5.0])  # an add of an existing id is ignored by the store
    assert not unchanged.changed
    runtime.absorb(unchanged)
    assert runtime.seq == seq and runtime.view.vectors[0].tolist() == [1.0, 0.0]


def test_a_query_of_the_wrong_dimension_is_refused(stores):
    mine, _ = stores
    row = _collection(mine)
    runtime = _open(mine, row, {})
    runtime.absorb(_add(mine, row, ["a"], [1.0]))
    with pytest.raises(InvalidArgumentError, match="dimension of 2, got 3"):
        runtime.query(QueryRequest.build(CLIENT, [[1.0, 2.0, 3.0]], n_results=1))


def test_the_engine_keeps_one_runtime_per_collection_and_drops_it_with_the_collection():
    engine = Engine(None, options=OPTIONS)
    try:
        model = engine.create_collection("c", None, None, False, DEFAULT_TENANT, DEFAULT_DATABASE)
        engine.add(model["id"], RecordBatch.build("add", ["a"], [[1.0, 0.0]]))
        runtime = engine.runtimes[model["id"]]
        engine.count(model["id"])
        assert engine.runtimes[model["id"]] is runtime and not runtime.dropped

        engine.delete_collection("c", DEFAULT_TENANT, DEFAULT_DATABASE)
        assert model["id"] not in engine.runtimes and runtime.dropped

        again = engine.create_collection("c", None, None, False, DEFAULT_TENANT, DEFAULT_DATABASE)
        assert engine.count(again["id"]) == 0 and engine.runtimes[again["id"]] is not runtime
    finally:
        engine.close()
    assert engine.runtimes == {}
