"""`Collection.get_indexing_status()` (upstream's route `.../indexing_status`): how many
records the vector index covers and how many wait for the background indexer."""
from __future__ import annotations

import time

import numpy as np

from chromadb.api.types import IndexingStatus
from chromadb.engine import indexer as indexer_module

N = indexer_module.INDEX_MIN + 1000  # big enough to get an HNSW index


def _wait_indexed(col, timeout=60.0) -> IndexingStatus:
    deadline = time.monotonic() + timeout
    while True:
        status = col.get_indexing_status()
        if status.num_unindexed_ops == 0 or time.monotonic() > deadline:
            return status
        time.sleep(0.05)


def test_small_and_empty_collections_are_fully_indexed(client):
    col = client.create_collection("small", embedding_function=None)
    assert col.get_indexing_status() == IndexingStatus(0, 0, 0, 1.0)
    col.add(ids=["a", "b"], embeddings=[[1.0, 0.0], [0.0, 1.0]])
    assert col.get_indexing_status() == IndexingStatus(2, 0, 2, 1.0)  # searched exactly: nothing waits


def test_records_waiting_for_the_indexer_are_counted_until_it_catches_up(client, monkeypatch):
    col = client.create_collection("big", embedding_function=None)
    x = np.random.default_rng(1).standard_normal((N, 8)).astype(np.float32)
    paused = []
    original = indexer_module.Indexer._step
    monkeypatch.setattr(indexer_module.Indexer, "_step", lambda self: bool(paused.append(1)) and False)
    for start in range(0, N, 1000):
        col.add(ids=[f"r{i}" for i in range(start, min(N, start + 1000))], embeddings=x[start : start + 1000])
    deadline = time.monotonic() + 30  # a loaded machine may not have run the indexer thread yet
    while not paused and time.monotonic() < deadline:
        time.sleep(0.01)
    status = col.get_indexing_status()
    assert paused and status.total_ops == N and status.num_unindexed_ops == N
    assert status.num_indexed_ops == 0 and status.op_indexing_progress == 0.0
    # the waiting records are found all the same
    assert col.query(query_embeddings=x[[17]], n_results=1)["ids"] == [["r17"]]

    monkeypatch.setattr(indexer_module.Indexer, "_step", original)
    col.delete(ids=["r0"])  # a write wakes the indexer
    status = _wait_indexed(col)
    assert status == IndexingStatus(N - 1, 0, N - 1, 1.0)
    col.add(ids=["late"], embeddings=x[:1] + 1)
    assert col.get_indexing_status().total_ops == N
