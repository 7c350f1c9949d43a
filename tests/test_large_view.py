"""A collection whose vectors would pass EngineOptions.resident_vectors_max keeps no float32
matrix of them beside its HNSW graphs: exact scans (a selective filter, the records the
indexer has not reached, returned embeddings) read the vectors from the store instead,
and give the same answers as a view that holds the matrix.

The limit is set low here (a few thousand 16-dimensional vectors) so that small
collections take the path a million records takes by default.
"""
from __future__ import annotations

import dataclasses
import time

import numpy as np
import pytest
from test_search import distances

import chromadb
from chromadb.engine import view as view_module
from chromadb.engine.indexer import Indexer

DIM = 16
N = 6_000
LIMIT = 2_000 * DIM * 4  # bytes: a matrix of 2,000 rows


def _client(path, resident_vectors_max: int | None = None):
    client = chromadb.PersistentClient(path=str(path))
    engine = client._backend.engine
    if resident_vectors_max is not None:
        engine.options = dataclasses.replace(engine.options, resident_vectors_max=resident_vectors_max)
    return client


def _collection(client, x: np.ndarray, space: str):
    col = client.create_collection("big", metadata={"hnsw:space": space}, embedding_function=None)
    for start in range(0, len(x), 1_000):
        rows = range(start, min(start + 1_000, len(x)))
        col.add(ids=[f"r{i}" for i in rows], embeddings=x[start : rows[-1] + 1], metadatas=[{"m": i % 50} for i in rows])
    return col


def _view(client, col):
    return client._backend.engine.runtimes[str(col.id)].view


def _recall(got: list[list[str]], x: np.ndarray, queries: np.ndarray) -> float:
    want = np.argsort(distances("l2", queries, x), axis=1)[:, :10]
    return np.mean([len({f"r{i}" for i in w} & set(g)) / 10 for g, w in zip(got, want)])


def _data(seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((N, DIM)).astype(np.float32), rng.standard_normal((8, DIM)).astype(np.float32)


@pytest.mark.parametrize("space", ["l2", "cosine", "ip"])
def test_a_view_past_the_limit_keeps_no_matrix_and_answers_as_one_that_does(tmp_path, space):
    x, queries = _data()
    large = _client(tmp_path / "large", LIMIT)
    held = _client(tmp_path / "held")
    big, ref = _collection(large, x, space), _collection(held, x, space)
    for col in (big, ref):
        col._wait_for_index()
    view = _view(large, big)
    assert not view.vectors_resident and not view.vectors_loaded
    assert _view(held, ref).vectors_loaded

    # a selective filter (100 of 6,000 records) is an exact scan of vectors from the store
    where = {"m": 7}
    got = big.query(query_embeddings=queries, n_results=10, where=where)
    want = ref.query(query_embeddings=queries, n_results=10, where=where)
    assert got["ids"] == want["ids"]
    np.testing.assert_allclose(got["distances"], want["distances"], rtol=1e-5, atol=1e-5)
    rows = np.arange(7, N, 50)
    exact = np.sort(distances(space, queries, x[rows]), axis=1)[:, :10]
    np.testing.assert_allclose(got["distances"], exact, rtol=1e-4, atol=1e-4)

    # returned embeddings are the stored vectors as written (cosine: not normalised)
    got = big.get(ids=["r5", "r4999"], include=["embeddings"])
    np.testing.assert_array_equal(got["embeddings"], x[[5, 4999]])
    everything = big.get(include=["embeddings"])
    np.testing.assert_array_equal(everything["embeddings"], x)

    # the unfiltered query is the graph's, as in the view that holds the matrix
    got = big.query(query_embeddings=queries, n_results=10, include=["distances", "embeddings"])
    want = ref.query(query_embeddings=queries, n_results=10, include=["distances"])
    assert got["ids"] == want["ids"]
    for ids, embeddings in zip(got["ids"], got["embeddings"]):
        np.testing.assert_array_equal(embeddings, x[[int(i[1:]) for i in ids]])
    assert not view.vectors_loaded
    large.close()
    held.close()


def test_the_warm_up_of_a_reopened_large_collection_leaves_the_vectors_in_the_store(tmp_path):
    x, queries = _data(5)
    client = _client(tmp_path, LIMIT)
    col = _collection(client, x, "l2")
    col._wait_for_index()
    client.close()

    client = _client(tmp_path, LIMIT)
    col = client.get_collection("big", embedding_function=None)
    col.query(query_embeddings=queries[:1], n_results=5)  # starts the warm-up
    view = _view(client, col)
    deadline = time.monotonic() + 20
    while not view.fields_loaded:  # the warm-up loads the fields, and with them its one pass
        assert time.monotonic() < deadline, "the warm-up did not load the fields"
        time.sleep(0.02)
    assert not view.vectors_loaded
    got = col.query(query_embeddings=queries, n_results=10, where={"m": 3})
    rows = np.arange(3, N, 50)
    want = rows[np.argsort(distances("l2", queries, x[rows]), axis=1)[:, :10]]
    assert got["ids"] == [[f"r{i}" for i in q] for q in want]
    client.close()


def test_a_view_gives_up_its_matrix_when_it_grows_past_the_limit(tmp_path):
    x, queries = _data(7)
    client = _client(tmp_path, LIMIT)
    col = _collection(client, x[:1_000], "l2")
    view = _view(client, col)
    assert view.vectors_loaded  # a new, small collection holds its vectors
    col.add(ids=[f"r{i}" for i in range(1_000, N)], embeddings=x[1_000:], metadatas=[{"m": i % 50} for i in range(1_000, N)])
    assert not view.vectors_loaded and not view.vectors_resident
    assert view.sketch() is None  # the sketch is projected from the matrix: gone with it
    col._wait_for_index()
    got = col.query(query_embeddings=queries, n_results=10, where={"m": {"$in": [1, 2]}})
    rows = np.flatnonzero(np.isin(np.arange(N) % 50, [1, 2]))
    want = rows[np.argsort(distances("l2", queries, x[rows]), axis=1)[:, :10]]
    assert got["ids"] == [[f"r{i}" for i in q] for q in want]
    client.close()


def test_records_the_indexer_has_not_reached_are_scanned_from_the_store(tmp_path, monkeypatch):
    """With the indexer held, every record is a backlog the query scans exactly, reading
    the vectors chunk by chunk (FETCH_CHUNK) rather than loading a matrix."""
    monkeypatch.setattr(Indexer, "_step", lambda self: False)
    monkeypatch.setattr(view_module, "FETCH_CHUNK", 1_000)
    x, queries = _data(9)
    client = _client(tmp_path, LIMIT)
    col = _collection(client, x, "l2")
    view = _view(client, col)
    assert len(view.pending_slots()) == N and not view.vectors_loaded
    reads: list[int] = []
    fetch = view.source.record_vectors

    def counted(cid, rids):
        reads.append(len(rids))
        return fetch(cid, rids)

    monkeypatch.setattr(view.source, "record_vectors", counted)
    got = col.query(query_embeddings=queries, n_results=10)
    want = np.argsort(distances("l2", queries, x), axis=1)[:, :10]
    assert got["ids"] == [[f"r{i}" for i in q] for q in want]
    assert max(reads) <= 1_000 and sum(reads) >= N
    assert not view.vectors_loaded
    # a backlog larger than the cache may hold (LIMIT: 2,000 rows) is kept in part, the
    # rest read again by the next scan (and by its distances, a few rows a query)
    assert view._cache is not None and view._cache.n == view._cache.max_rows == 2_000
    reads.clear()
    again = col.query(query_embeddings=queries, n_results=10)
    assert again["ids"] == got["ids"]
    assert N - 2_000 <= sum(reads) <= N - 2_000 + 10 * len(queries)
    client.close()


def test_a_backlog_read_from_the_store_once_is_kept_with_what_is_written_since(tmp_path, monkeypatch):
    x, queries = _data(10)
    client = _client(tmp_path, LIMIT)
    col = _collection(client, x[:4_500], "l2")  # indexed: past the indexer's index_min
    col._wait_for_index()
    view = _view(client, col)
    monkeypatch.setattr(Indexer, "_step", lambda self: False)  # from here on: a backlog
    col.add(ids=[f"r{i}" for i in range(4_500, N)], embeddings=x[4_500:])
    reads = _counting_store_reads(monkeypatch, view)
    got = col.query(query_embeddings=queries, n_results=10)
    assert _recall(got["ids"], x, queries) >= 0.95  # the graph's answer, merged with the scan's
    assert len(reads) >= 1_500
    # what the scan read is kept (vector_cache.py), and so are the vectors written since
    reads.clear()
    extra = np.random.default_rng(10).standard_normal((50, DIM)).astype(np.float32)
    col.add(ids=[f"r{i}" for i in range(N, N + 50)], embeddings=extra)
    col.update(ids=["r4517"], embeddings=[queries[1]])
    x = np.concatenate([x, extra])
    x[4517] = queries[1]
    got = col.query(query_embeddings=queries, n_results=10)
    assert _recall(got["ids"], x, queries) >= 0.95
    assert got["ids"][1][0] == "r4517"
    assert reads == []
    client.close()


def test_the_cache_of_store_reads_is_dropped_once_the_index_is_saved(tmp_path, monkeypatch):
    x, queries = _data(13)
    client = _client(tmp_path, LIMIT)
    col = _collection(client, x, "l2")
    view = _view(client, col)
    col._wait_for_index()
    held = pytest.MonkeyPatch()
    held.setattr(Indexer, "_step", lambda self: False)  # hold the indexer: what comes next is a backlog
    col.add(ids=[f"r{i}" for i in range(N, N + 1_500)], embeddings=x[:1_500] + 1.0)
    col.query(query_embeddings=queries, n_results=10)
    assert view._cache is not None and view._cache.n >= 1_500
    held.undo()
    client._backend.engine.indexer.wake()
    col._wait_for_index()
    client._backend.engine.indexer.save_all(force=True)
    reads = _counting_store_reads(monkeypatch, view)
    got = col.query(query_embeddings=queries, n_results=10, where={"m": 3})
    assert view._cache is None  # the files hold what it kept
    rows = np.arange(3, N, 50)
    want = rows[np.argsort(distances("l2", queries, x[rows]), axis=1)[:, :10]]
    assert got["ids"] == [[f"r{i}" for i in q] for q in want]
    assert reads == []
    client.close()


def _saved_large_collection(tmp_path, space="l2", seed=11):
    x, queries = _data(seed)
    client = _client(tmp_path, LIMIT)
    col = _collection(client, x, space)
    col._wait_for_index()
    client._backend.engine.indexer.save_all(force=True)
    view = _view(client, col)
    assert all(graph.file for graph in view.index.graphs)
    return client, col, view, x, queries


def _counting_store_reads(monkeypatch, view) -> list[int]:
    """The rids whose vectors are read from the store from now on."""
    reads: list[int] = []
    fetch = view.source.record_vectors

    def counted(cid, rids):
        reads.extend(rids)
        return fetch(cid, rids)

    monkeypatch.setattr(view.source, "record_vectors", counted)
    return reads


@pytest.mark.parametrize("space", ["l2", "cosine"])
def test_indexed_vectors_are_read_from_the_saved_graph_files(tmp_path, monkeypatch, space):
    """A selective filter's exact scan reads what the index covers from the saved graph
    files (mapped), not from the store; returned embeddings still come as written."""
    client, col, view, x, queries = _saved_large_collection(tmp_path, space)
    reads = _counting_store_reads(monkeypatch, view)
    got = col.query(query_embeddings=queries, n_results=10, where={"m": {"$in": [4, 9]}}, include=["distances"])
    rows = np.flatnonzero(np.isin(np.arange(N) % 50, [4, 9]))
    d = distances(space, queries, x[rows])
    assert got["ids"] == [[f"r{i}" for i in rows[np.argsort(q)[:10]]] for q in d]
    np.testing.assert_allclose(got["distances"], np.sort(d, axis=1)[:, :10], rtol=1e-4, atol=1e-4)
    assert reads == []
    got = col.get(where={"m": 4}, include=["embeddings"])
    np.testing.assert_array_equal(got["embeddings"], x[np.arange(4, N, 50)])  # as written, also for cosine
    assert len(reads) == len(range(4, N, 50))
    client.close()


def test_records_written_after_the_save_and_replaced_files_are_read_from_the_store(tmp_path, monkeypatch):
    client, col, view, x, queries = _saved_large_collection(tmp_path)
    # an update after the save: the index covers its new vector, which no file holds yet
    moved = queries[0] + 0.001
    col.update(ids=["r250"], embeddings=[moved], metadatas=[{"m": 4}])
    col._wait_for_index()
    reads = _counting_store_reads(monkeypatch, view)
    got = col.query(query_embeddings=queries[:1], n_results=3, where={"m": 4})
    assert got["ids"][0][0] == "r250"
    assert set(reads) == {int(view.rids[view.slots_of_ids(["r250"])["r250"]])}  # the rest came from the files
    # a graph file written over by someone else (another process's save) is not read
    graph = view.index.graphs[0]
    directory = view.index.directory
    with open(f"{directory}/{graph.file}", "r+b") as f:
        f.seek(0, 2)
        f.write(b"\0")  # a different size: not the file the graph was written to
    view.index._file_maps.clear()
    reads.clear()
    got = col.query(query_embeddings=queries, n_results=10, where={"m": 7})
    rows = np.arange(7, N, 50)
    want = rows[np.argsort(distances("l2", queries, x[rows]), axis=1)[:, :10]]
    assert got["ids"] == [[f"r{i}" for i in q] for q in want]
    assert len(reads) >= len(rows)
    client.close()


def test_the_vector_cache_keeps_what_fits_and_never_a_stale_vector():
    from chromadb.engine.vector_cache import VectorCache

    cache = VectorCache(capacity=8, dimension=2, max_bytes=3 * 2 * 4)  # room for 3 rows
    v = np.arange(16, dtype=np.float32).reshape(8, 2)
    cache.put(np.array([0, 1]), v[[0, 1]])
    cache.put(np.array([1, 2, 3]), v[[5, 6, 7]])  # one row left: slot 1's new vector; 2 and 3 do not fit
    cache.put(np.array([0]), v[[4]])  # full: slot 0's kept vector is stale now, so it is dropped
    out = np.zeros((4, 2), dtype=np.float32)
    left = cache.read(np.array([0, 1, 2, 3]), out, np.ones(4, dtype=bool))
    assert left.tolist() == [True, False, True, True]
    np.testing.assert_array_equal(out[1], v[5])
    cache.grow(16)
    assert len(cache.row_of) == 16 and cache.row_of[1] >= 0 and (cache.row_of[8:] == -1).all()
