"""The HNSW index's search beam: wider as the graph grows while ef_search is the default
(at 1M the default beam of 100 finds 0.885 of the true ten, see vector_index.BEAM_STEPS),
the user's own ef_search as given, the reported configuration untouched; and the graph
shared between inserts and searches."""
from __future__ import annotations

import time

import numpy as np
import pytest

import chromadb
from chromadb.engine import indexer, vector_index
from chromadb.engine.options import EngineOptions
from chromadb.engine.vector_index import VectorIndex, beam_width


def test_the_beam_widens_with_the_graph_unless_ef_search_was_changed():
    assert beam_width(100, 10_000) == 100
    widths = [beam_width(100, n) for n in (100_000, 250_000, 500_000, 1_000_000, 5_000_000)]
    assert widths == sorted(widths) and widths[0] == 100 and widths[-1] > 100
    assert beam_width(37, 1_000_000) == 37 and beam_width(500, 10) == 500  # the user's value, as given


@pytest.fixture
def small_steps(monkeypatch):
    """The steps scaled down, so a graph the suite can afford crosses them."""
    monkeypatch.setattr(vector_index, "BEAM_STEPS", ((200, 100),))
    monkeypatch.setattr(vector_index, "LARGEST_BEAM", 250)


def _graph(n: int, params: dict) -> tuple[VectorIndex, np.ndarray]:
    rng = np.random.default_rng(3)
    data = rng.standard_normal((n, 16)).astype(np.float32)
    index = VectorIndex("l2", 16, params, capacity=n, huge_pages=False)
    index.add(data, np.arange(n, dtype=np.int64))
    return index, data


def test_a_large_graph_is_searched_with_the_wider_beam(small_steps):
    index, data = _graph(500, {"ef_search": 100})
    labels, _ = index.knn(data[:5], k=10)
    assert index.graphs[0].ef == 250  # hnswlib's beam, set for this search
    assert labels[:, 0].tolist() == [0, 1, 2, 3, 4]


def test_an_ef_search_the_user_set_wins(small_steps):
    index, data = _graph(500, {"ef_search": 60})
    index.knn(data[:5], k=10)
    assert index.graphs[0].ef == 60


def test_the_reported_configuration_stays_what_the_user_set(client, small_steps):
    coll = client.create_collection("beam")
    rng = np.random.default_rng(4)
    coll.add(ids=[str(i) for i in range(300)], embeddings=rng.standard_normal((300, 8)).tolist())
    coll.query(query_embeddings=rng.standard_normal((1, 8)).tolist(), n_results=5)
    assert client.get_collection("beam").configuration["hnsw"]["ef_search"] == 100


def test_a_search_that_finds_an_insert_holding_the_graph_marks_it_contended():
    index, data = _graph(300, {})
    assert not index.contended
    assert index.knn(data[:1], k=5, wait=False) is not None and not index.contended  # free: no mark
    index.lock.acquire_exclusive()  # an insert in progress
    try:
        assert index.knn(data[:1], k=5, wait=False) is None
    finally:
        index.lock.release_exclusive()
    assert index.contended
    index.contended_at -= vector_index.CONTENDED_S  # the mark fades once searches stop finding it busy
    assert not index.contended


def test_the_indexer_leaves_a_core_to_searches_that_scan_beside_it(tmp_path, monkeypatch):
    """Inserts use every core, except while searches find the graph busy and scan instead."""
    threads: list[int] = []
    real_add = VectorIndex.add

    def add(self, vectors, labels, num_threads=-1, expected=0):
        threads.append(num_threads)
        if len(threads) == 2:
            self.contended_at = time.monotonic()  # a search found the graph busy meanwhile
        real_add(self, vectors, labels, num_threads, expected)

    monkeypatch.setattr(VectorIndex, "add", add)
    monkeypatch.setattr(vector_index, "CONTENDED_S", 60.0)  # an insert step may outlast 0.25 s on a busy machine
    client = chromadb.PersistentClient(path=str(tmp_path))
    coll = client.create_collection("cores")
    rng = np.random.default_rng(5)
    n = EngineOptions.index_min + 4 * indexer.INDEX_CHUNK  # an index, filled in several steps
    coll.add(ids=[str(i) for i in range(n)], embeddings=rng.standard_normal((n, 8)))
    assert coll._wait_for_index()
    # the first inserts used every core (-1); the one after the busy search, one thread
    assert threads[0] == -1 and threads[2] == 1
