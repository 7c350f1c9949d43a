"""A reopened collection loads lazily: a query reads only the rows it returns, and
writes made before the bulk loads (here or by another engine) are all seen after them.
After the first read, a background warm-up loads the view (disabled where a test looks
at the lazy state itself)."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest

import chromadb
from chromadb.engine.engine import Engine
from chromadb.model.records import RecordBatch
from chromadb.model.requests import SERVER, DeleteRequest

N, DIM = 5000, 16  # above the indexer's INDEX_MIN, so a saved HNSW index exists


@pytest.fixture()
def saved(tmp_path):
    path = str(tmp_path / "db")
    rng = np.random.default_rng(11)
    vectors = rng.standard_normal((N, DIM)).astype(np.float32)
    client = chromadb.PersistentClient(path=path)
    col = client.create_collection("lazy", embedding_function=None)
    for i in range(0, N, 1000):
        col.add(
            ids=[f"id{j}" for j in range(i, i + 1000)],
            embeddings=vectors[i : i + 1000],
            documents=[f"document {j}" for j in range(i, i + 1000)],
            metadatas=[{"j": j, "even": j % 2 == 0} for j in range(i, i + 1000)],
        )
    col._wait_for_index()
    client.close()  # saves the index
    return path, vectors


def _open(path, warm_up=False):
    client = chromadb.PersistentClient(path=path)
    client._backend.engine.warm_up = warm_up
    col = client.get_collection("lazy", embedding_function=None)
    return client, col, client._backend.engine


def _wait_loaded(view, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not (view.fields_loaded and view.vectors_loaded):
        assert time.monotonic() < deadline, "the warm-up did not load the view"
        time.sleep(0.02)


def _view(engine, col):
    return engine.runtimes[str(col.id)].view


def test_first_query_reads_only_the_rows_it_returns(saved):
    path, vectors = saved
    client, col, engine = _open(path)
    result = col.query(query_embeddings=vectors[[42, 4999]], n_results=3, include=["documents", "metadatas", "distances"])
    view = _view(engine, col)
    assert not view.fields_loaded and not view.vectors_loaded
    assert view.index is not None and view.is_indexed(slice(0, view.n)).all()
    for row, q in zip(range(2), (42, 4999)):
        expected = np.argsort(((vectors - vectors[q]) ** 2).sum(axis=1))[:3]
        assert result["ids"][row] == [f"id{j}" for j in expected]
        assert result["documents"][row] == [f"document {j}" for j in expected]
        assert result["metadatas"][row] == [{"j": int(j), "even": bool(j % 2 == 0)} for j in expected]
        np.testing.assert_allclose(result["distances"][row], ((vectors[expected] - vectors[q]) ** 2).sum(axis=1), rtol=1e-5)
    got = col.get(ids=["id7", "id3", "nope"], include=["embeddings", "documents"])
    assert (got["ids"], got["documents"]) == (["id3", "id7"], ["document 3", "document 7"])
    np.testing.assert_array_equal(got["embeddings"], vectors[[3, 7]])
    near = sorted((8, 9), key=lambda j: float(((vectors[j] - vectors[0]) ** 2).sum()))
    assert col.query(query_embeddings=vectors[:1], ids=["id9", "id8"], n_results=5)["ids"] == [[f"id{j}" for j in near]]
    col.delete(ids=["id6"])
    assert not view.fields_loaded and not view.vectors_loaded  # a few ids are looked up in SQLite
    assert col.get(ids=["id6", "id5"])["ids"] == ["id5"]
    col.upsert(ids=["id6"], embeddings=vectors[6:7])  # the store finds which ids exist: nothing loads
    assert not view.fields_loaded and col.get(ids=["id6"])["ids"] == ["id6"]
    assert col.get(where={"j": {"$gte": 4998}})["ids"] == ["id4998", "id4999"]
    client.close()


def test_changes_made_before_the_bulk_loads_are_all_seen(saved):
    path, vectors = saved
    client, col, engine = _open(path)
    col.count()  # opens the view: rids only
    view = _view(engine, col)
    other = Engine(path)  # another connection, like another process
    cid = str(col.id)
    new_vec = np.full((1, DIM), 5.0, dtype=np.float32)
    other.update(cid, RecordBatch.build("update", ["id3"], new_vec, [{"j": -3}], ["changed"]))
    other.update(cid, RecordBatch.build("update", ["id5"], None, None, ["only the document"]))
    other.delete(cid, DeleteRequest.build(SERVER, ids=["id4"]))
    other.add(cid, RecordBatch.build("add", ["fresh"], -new_vec, [{"j": 10_000}], ["new record"]))
    other.close()

    top = col.query(query_embeddings=new_vec, n_results=1, include=["documents", "metadatas"])
    assert (top["ids"], top["documents"], top["metadatas"]) == ([["id3"]], [["changed"]], [[{"j": -3, "even": False}]])  # metadata merges
    assert col.query(query_embeddings=-new_vec, n_results=1)["ids"] == [["fresh"]]
    assert not view.fields_loaded and not view.vectors_loaded
    assert col.count() == N

    # the bulk loads (a content filter, an exact scan) see the same state
    assert col.get(where={"j": {"$lt": 0}})["ids"] == ["id3"]
    assert col.get(where_document={"$contains": "only the"})["ids"] == ["id5"]
    assert "id4" not in col.get(where={"even": True})["ids"]
    got = col.get(ids=["id3", "id5", "fresh"], include=["embeddings"])
    np.testing.assert_array_equal(got["embeddings"], np.vstack([new_vec, vectors[5:6], -new_vec]))
    filtered = col.query(query_embeddings=vectors[5:6], n_results=1, where={"even": False})
    assert filtered["ids"] == [["id5"]] and view.vectors_loaded
    client.close()


def test_writes_before_the_bulk_loads(saved):
    path, vectors = saved
    client, col, engine = _open(path)
    col.upsert(ids=["id1", "extra"], embeddings=vectors[[2, 3]] + 100, metadatas=[{"j": 1}, {"j": -1}])
    col.delete(ids=["id0"])
    view = _view(engine, col)
    assert not view.fields_loaded and not view.vectors_loaded  # writes are decided by the store
    col._wait_for_index()
    result = col.query(query_embeddings=vectors[2:3] + 100, n_results=2, include=["embeddings", "metadatas"])
    assert result["ids"] == [["id1", "extra"]]
    np.testing.assert_array_equal(result["embeddings"][0], vectors[[2, 3]] + 100)
    assert col.get(where={"j": {"$lte": 1}})["ids"] == ["id1", "extra"]
    client.close()


def _assert_matches(col, vectors, expected_ids):
    got = col.get(include=["embeddings", "documents", "metadatas"])
    assert got["ids"] == expected_ids
    rows = [int(i[2:]) for i in expected_ids if i.startswith("id")]
    np.testing.assert_array_equal(got["embeddings"][: len(rows)], vectors[rows])
    assert got["documents"][: len(rows)] == [f"document {j}" for j in rows]
    assert got["metadatas"][: len(rows)] == [{"j": j, "even": j % 2 == 0} for j in rows]


def test_warm_up_loads_the_view_after_the_first_read(saved):
    path, vectors = saved
    client, col, engine = _open(path, warm_up=True)
    first = col.query(query_embeddings=vectors[7:8], n_results=3, include=["documents"])
    view = _view(engine, col)
    _wait_loaded(view)
    assert col.query(query_embeddings=vectors[7:8], n_results=3, include=["documents"]) == first
    _assert_matches(col, vectors, [f"id{j}" for j in range(N)])
    client.close()


def test_warm_up_that_loses_a_race_with_a_write_installs_nothing_stale(saved, monkeypatch):
    path, vectors = saved
    client, col, engine = _open(path, warm_up=True)
    col.count()
    view = _view(engine, col)
    assert not view.fields_loaded
    from chromadb.engine.store.sqlite import store as store_module

    original = store_module.SideReader.record_vectors
    raced = []

    def read_then_write(self, cid, rids=None):
        rows = original(self, cid, rids)
        if not raced:  # a write lands between the side read and the install
            raced.append(True)
            col.add(ids=["late"], embeddings=np.full((1, DIM), 9.0, np.float32), documents=["late one"])
        return rows

    monkeypatch.setattr(store_module.SideReader, "record_vectors", read_then_write)
    col.get(ids=["id1"])  # starts the warm-up
    _wait_loaded(view)
    assert raced and view.seq > 0
    _assert_matches(col, vectors, [f"id{j}" for j in range(N)] + ["late"])
    assert col.get(ids=["late"], include=["documents"])["documents"] == ["late one"]
    assert col.query(query_embeddings=np.full((1, DIM), 9.0, np.float32), n_results=1)["ids"] == [["late"]]
    client.close()


def test_close_stops_a_warm_up_in_progress(saved, monkeypatch):
    """A script that queries once and exits must not wait for the background load."""
    path, _ = saved
    from chromadb.engine.store.sqlite import store as store_module

    started = []

    def endless(self, cid, rids=None):  # stands for a long bulk read
        started.append(True)
        return self.conn.execute(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
        ).fetchall()

    monkeypatch.setattr(store_module.SideReader, "record_fields", endless)
    client, col, _engine = _open(path, warm_up=True)
    col.count()
    deadline = time.monotonic() + 20
    while not started:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    t0 = time.monotonic()
    client.close()
    assert time.monotonic() - t0 < 10  # the endless read would never end by itself
    warmers = [t for t in threading.enumerate() if t.name == "chromadb-warm"]
    for t in warmers:
        t.join(10)
        assert not t.is_alive()


def test_writes_to_a_cold_collection_load_nothing(saved):
    """The store decides which ids exist and merges the records: a reopened collection's
    update, upsert, add and delete of a few records load no field and no vector."""
    path, vectors = saved
    client, col, engine = _open(path)
    col.count()  # opens the view: rids only
    view = _view(engine, col)
    col.update(ids=["id3", "missing"], metadatas=[{"j": -3}, {"j": 0}])
    col.upsert(ids=["id4", "new"], embeddings=vectors[[4, 5]] + 1, metadatas=[{"k": 4}, {"k": 5}])
    col.add(ids=["id5", "added"], embeddings=vectors[[6, 7]], documents=["not stored", "added"])
    col.delete(ids=["id6"])
    assert not view.fields_loaded and not view.vectors_loaded
    got = col.get(ids=["id3", "id4", "id5", "id6", "new", "added", "missing"], include=["documents", "metadatas", "embeddings"])
    assert got["ids"] == ["id3", "id4", "id5", "new", "added"]
    assert got["documents"] == ["document 3", "document 4", "document 5", None, "added"]
    assert got["metadatas"][:4] == [{"j": -3, "even": False}, {"j": 4, "even": True, "k": 4}, {"j": 5, "even": False}, {"k": 5}]
    np.testing.assert_array_equal(got["embeddings"], np.vstack([vectors[3], vectors[4] + 1, vectors[5], vectors[5] + 1, vectors[7]]))
    assert col.count() == N + 1
    client.close()


def test_bulk_loads_go_chunk_by_chunk_around_dead_slots(saved, monkeypatch):
    """A bulk load reads LOAD_CHUNK rows at a time, by rid, and puts each row in its slot
    whatever the deleted slots in between."""
    from chromadb.engine import view as view_module
    from chromadb.engine.store.sqlite import store as store_module

    monkeypatch.setattr(view_module, "LOAD_CHUNK", 333)
    path, vectors = saved
    client, col, engine = _open(path)
    gone = ["id0", *(f"id{j}" for j in range(500, 700)), "id4999"]
    col.delete(ids=gone)
    moved = vectors[10:11] + 50
    col.update(ids=["id10"], embeddings=moved)
    col._wait_for_index()  # the indexer reads id10's new vector by rid: not a bulk load
    reads = {"fields": [], "vectors": []}
    for name in ("fields", "vectors"):
        original = getattr(store_module.SqliteStore, f"record_{name}")

        def counted(self, cid, rids, _original=original, _name=name):
            reads[_name].append(None if rids is None else len(rids))
            return _original(self, cid, rids)

        monkeypatch.setattr(store_module.SqliteStore, f"record_{name}", counted)
    view = _view(engine, col)
    assert col.get(where={"j": {"$gte": 4990}})["ids"] == [f"id{j}" for j in range(4990, 4999)]  # loads the fields
    assert view.fields_loaded and not view.vectors_loaded
    # a filter leaving many candidates, answered by an exact scan: loads the vectors
    assert col.query(query_embeddings=moved, n_results=1, where={"even": True})["ids"] == [["id10"]]
    assert view.vectors_loaded
    live = N - len(gone)
    for name in ("fields", "vectors"):
        assert None not in reads[name] and max(reads[name]) <= 333
        assert sum(reads[name]) == live  # every live record read once, dead slots skipped
    keep = [f"id{j}" for j in range(N) if f"id{j}" not in set(gone)]
    expected = vectors.copy()
    expected[10] = moved
    _assert_matches(col, expected, keep)
    assert col.get(ids=["id700", "id499", "id500"])["ids"] == ["id499", "id700"]  # ids found by the slot map
    client.close()


def test_warm_up_reads_in_chunks(saved, monkeypatch):
    from chromadb.engine import view as view_module
    from chromadb.engine.store.sqlite import store as store_module

    monkeypatch.setattr(view_module, "LOAD_CHUNK", 1000)
    sizes = []
    original = store_module.SideReader.record_vectors

    def counted(self, cid, rids=None):
        sizes.append(None if rids is None else len(rids))
        return original(self, cid, rids)

    monkeypatch.setattr(store_module.SideReader, "record_vectors", counted)
    path, vectors = saved
    client, col, engine = _open(path, warm_up=True)
    col.count()  # the first read starts the warm-up
    view = _view(engine, col)
    _wait_loaded(view)
    assert sizes == [1000] * (N // 1000)
    _assert_matches(col, vectors, [f"id{j}" for j in range(N)])
    client.close()


def test_closing_stops_a_warm_up_between_chunks(saved, monkeypatch):
    from chromadb.engine import view as view_module
    from chromadb.engine.store.sqlite import store as store_module

    monkeypatch.setattr(view_module, "LOAD_CHUNK", 100)
    path, _ = saved
    client, col, engine = _open(path, warm_up=True)
    original = store_module.SideReader.record_fields
    chunks = []

    def slow(self, cid, rids=None):
        chunks.append(len(rids))
        if len(chunks) == 3:  # as the engine does when it lets go of the runtime (close, delete)
            engine.runtimes[str(col.id)].drop()
        return original(self, cid, rids)

    monkeypatch.setattr(store_module.SideReader, "record_fields", slow)
    col.count()
    runtime = engine.runtimes[str(col.id)]
    for t in [t for t in threading.enumerate() if t.name == "chromadb-warm"]:
        t.join(20)
    assert len(chunks) == 3 and not runtime.view.fields_loaded  # stopped, nothing half-built installed
    client.close()


def test_metadata_is_kept_compact(tmp_path):
    """The view keeps each record's metadata as JSON bytes of its own length: a million
    records must not cost a 4 KiB serialiser buffer each (orjson hands its buffer back)."""
    import tracemalloc

    from chromadb.engine import view as view_module

    client = chromadb.PersistentClient(path=str(tmp_path / "db"))
    col = client.create_collection("compact", embedding_function=None)
    n = 2000
    tracemalloc.start()
    try:
        col.add(ids=[f"id{j}" for j in range(n)], embeddings=np.ones((n, 4), np.float32),
                metadatas=[{"category": f"c{j % 10}", "year": 1990 + j % 36, "score": j / n, "flag": j % 2 == 0} for j in range(n)])
        snapshot = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    in_view = snapshot.filter_traces([tracemalloc.Filter(True, view_module.__file__)])
    assert sum(stat.size for stat in in_view.statistics("filename")) / n < 400  # bytes per record
    view = _view(client._backend.engine, col)
    assert view.metadata(5) == {"category": "c5", "year": 1995, "score": 5 / n, "flag": False}
    client.close()
