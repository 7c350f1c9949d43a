"""Queries while the indexer catches up: the not-yet-indexed records are ranked through the
sketch (engine/sketch.py) and reranked exactly, with recall checked against brute force.

The indexer is held still (its step finds nothing to do), so the whole collection stays
a backlog for as long as a test needs.
"""
from __future__ import annotations

import numpy as np
import pytest
from test_search import K, distances, truth

import chromadb
from chromadb.engine import search, sketch
from chromadb.engine.indexer import Indexer

DIM = 96
N = 20_000
N_QUERIES = 60


@pytest.fixture
def held_indexer(monkeypatch):
    monkeypatch.setattr(Indexer, "_step", lambda self: False)


def clustered(rng: np.random.Generator, n: int, dim: int = DIM) -> np.ndarray:
    centres = 3.0 * rng.standard_normal((300, dim))
    return (centres[rng.integers(0, len(centres), n)] + rng.standard_normal((n, dim))).astype(np.float32)


def backlog_collection(tmp_path, x: np.ndarray, space: str = "l2"):
    client = chromadb.PersistentClient(path=str(tmp_path / "db"))
    col = client.create_collection("backlog", metadata={"hnsw:space": space}, embedding_function=None)
    for start in range(0, len(x), 5_000):
        col.add(ids=[f"r{i}" for i in range(start, min(start + 5_000, len(x)))], embeddings=x[start : start + 5_000])
    view = client._backend.engine.runtimes[str(col.id)].view
    assert view.index is not None and len(view.pending_slots()) == len(x)  # nothing indexed
    return client, col, view


def recall_of(got: list[list[str]], expected: list[np.ndarray]) -> float:
    hits = sum(len({f"r{i}" for i in e.tolist()} & set(g)) for g, e in zip(got, expected))
    return hits / sum(len(e) for e in expected)


@pytest.mark.parametrize("space", ["l2", "cosine", "ip"])
def test_backlog_queries_go_through_the_sketch_and_keep_recall(tmp_path, held_indexer, space):
    rng = np.random.default_rng(1)
    x = clustered(rng, N)
    if space == "ip":
        x /= np.linalg.norm(x, axis=1, keepdims=True)
    queries = x[rng.choice(N, N_QUERIES, replace=False)] + 0.1 * rng.standard_normal((N_QUERIES, DIM)).astype(np.float32)
    client, col, view = backlog_collection(tmp_path, x, space)
    got = [col.query(query_embeddings=q[None, :], n_results=K)["ids"][0] for q in queries]
    got += col.query(query_embeddings=queries[:20], n_results=K)["ids"]  # a batch: one product for all
    expected = truth(space, queries, x, np.arange(N))
    assert recall_of(got, expected + expected[:20]) >= 0.99
    sk = view._sketch
    assert sk is not None and sk.usable
    # most queries were answered by the sketch, a few (the audits) by the full scan
    assert sk.queries == N_QUERIES + 1
    assert len(sk.audits) <= sketch.AUDIT_FIRST + N_QUERIES // sketch.AUDIT_EVERY + 1
    assert sk.depth(N, K) * 4 <= N  # reranks a small part of the backlog
    client.close()


def test_distances_of_backlog_results_are_exact(tmp_path, held_indexer):
    rng = np.random.default_rng(2)
    x = clustered(rng, N)
    client, col, _ = backlog_collection(tmp_path, x)
    for q in x[:8] + 0.05:
        res = col.query(query_embeddings=q[None, :], n_results=K, include=["distances"])
        rows = [int(i[1:]) for i in res["ids"][0]]
        np.testing.assert_allclose(res["distances"][0], distances("l2", q[None, :], x[rows])[0], rtol=1e-4, atol=1e-3)
        assert res["distances"][0] == sorted(res["distances"][0])
    client.close()


def test_data_the_projection_cannot_rank_is_scanned_exactly(tmp_path, held_indexer):
    """Isotropic noise has no dominant directions: the audits turn the sketch off and every
    query reads the full vectors (recall 1.0)."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((N, DIM)).astype(np.float32)
    queries = rng.standard_normal((20, DIM)).astype(np.float32)
    client, col, view = backlog_collection(tmp_path, x)
    got = [col.query(query_embeddings=q[None, :], n_results=K)["ids"][0] for q in queries]
    assert recall_of(got, truth("l2", queries, x, np.arange(N))) == 1.0
    assert view._sketch is None and view._sketch_off
    client.close()


def test_small_backlogs_and_few_dimensions_are_scanned_exactly(tmp_path, held_indexer):
    rng = np.random.default_rng(4)
    client, col, view = backlog_collection(tmp_path, clustered(rng, search.SKETCH_SCAN_MIN - 100))
    col.query(query_embeddings=rng.standard_normal((1, DIM)).astype(np.float32), n_results=K)
    assert view._sketch is None or view._sketch.queries == 0
    client.close()
    narrow = chromadb.PersistentClient(path=str(tmp_path / "narrow"))
    col = narrow.create_collection("narrow", embedding_function=None)
    x = rng.standard_normal((N, 32)).astype(np.float32)
    col.add(ids=[f"r{i}" for i in range(N)], embeddings=x)
    view = narrow._backend.engine.runtimes[str(col.id)].view
    res = col.query(query_embeddings=x[:3], n_results=K)
    assert [ids[0] for ids in res["ids"]] == ["r0", "r1", "r2"]
    assert view.sketch() is None and view._sketch_off
    narrow.close()


@pytest.mark.parametrize("space", ["l2", "cosine"])
def test_sketch_follows_writes_growth_and_compaction(tmp_path, held_indexer, space):
    """Every live slot's sketch is the projection of its current vector."""
    rng = np.random.default_rng(5)
    x = clustered(rng, 6_000)
    client, col, view = backlog_collection(tmp_path, x, space)
    sk = view.sketch()
    assert sk is not None
    col.upsert(ids=[f"r{i}" for i in range(0, 6_000, 7)], embeddings=clustered(rng, len(range(0, 6_000, 7))))
    col.add(ids=[f"new{i}" for i in range(5_000)], embeddings=clustered(rng, 5_000))  # grows the capacity
    col.delete(ids=[f"r{i}" for i in range(0, 6_000, 3)])
    view.compact()
    assert view._sketch is sk and sk.capacity == view.capacity
    live = view.live_slots()
    vectors = view.vectors[live]
    if space == "cosine":
        vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    expected = (vectors - sk.center) @ sk.basis
    np.testing.assert_allclose(sk.coords[:, live].T, expected, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(sk.sq_norms[live], (expected**2).sum(axis=1), rtol=1e-4, atol=1e-3)
    client.close()


def _assert_sketch_is_current(view) -> None:
    sk = view._sketch
    live = view.live_slots()
    expected = (view.vectors[live] - sk.center) @ sk.basis
    np.testing.assert_allclose(sk.coords[:, live].T, expected, rtol=1e-4, atol=1e-4)


def test_the_indexer_projects_the_backlog_between_its_inserts(tmp_path, held_indexer):
    """Writes leave slots for the sketch to project; the indexer does it off the engine lock,
    so the first backlog query does not project the whole backlog itself."""
    rng = np.random.default_rng(6)
    client, col, view = backlog_collection(tmp_path, clustered(rng, 6_000))
    assert view.sketch() is not None
    col.add(ids=[f"new{i}" for i in range(3_000)], embeddings=clustered(rng, 3_000))
    assert view._sketch_stale  # projected lazily, not by the write
    work = view.sketch_work()  # what Indexer._step takes under the lock ...
    assert work is not None and not view._sketch_stale
    view.put_sketch_work(work, work.sketch.project(work.vectors, work.norms))  # ... and puts back
    assert not view._sketch_stale and view._sketch_in_flight is None
    _assert_sketch_is_current(view)
    client.close()


def _rewritten_during_the_indexers_work(tmp_path, seed: int):
    """A backlog whose new slots the indexer has taken to project (sketch_work), half of
    them written again before it puts them back."""
    rng = np.random.default_rng(seed)
    client, col, view = backlog_collection(tmp_path, clustered(rng, 6_000))
    assert view.sketch() is not None
    col.add(ids=[f"new{i}" for i in range(2_000)], embeddings=clustered(rng, 2_000))
    work = view.sketch_work()
    assert work is not None
    col.upsert(ids=[f"new{i}" for i in range(0, 2_000, 2)], embeddings=clustered(rng, 1_000))  # written again
    return client, view, work


def test_a_query_during_the_indexers_projection_projects_those_slots_itself(tmp_path, held_indexer):
    """Slots taken by the indexer and written again before it puts them back: a query in
    between projects their current vectors, and the indexer's older projection is dropped."""
    client, view, work = _rewritten_during_the_indexers_work(tmp_path, seed=7)
    view.sketch()  # what a backlog query asks for: the sketch, made current
    view.put_sketch_work(work, work.sketch.project(work.vectors, work.norms))  # stale: not stored
    _assert_sketch_is_current(view)
    client.close()


def test_slots_written_again_during_the_indexers_projection_stay_stale(tmp_path, held_indexer):
    client, view, work = _rewritten_during_the_indexers_work(tmp_path, seed=8)
    view.put_sketch_work(work, work.sketch.project(work.vectors, work.norms))  # older vectors for those
    assert view._sketch_stale  # ... which the next query projects again
    view.sketch()
    _assert_sketch_is_current(view)
    client.close()
