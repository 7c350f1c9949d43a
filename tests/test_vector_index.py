"""The HNSW index's search beam: wider as the graph grows while ef_search is the default
(at 1M the default beam of 100 finds 0.885 of the true ten, see vector_index.BEAM_STEPS),
the user's own ef_search as given, the reported configuration untouched."""
from __future__ import annotations

import numpy as np
import pytest

from chromadb.engine import vector_index
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
    assert index._ef == 250  # hnswlib's beam, set for this search
    assert labels[:, 0].tolist() == [0, 1, 2, 3, 4]


def test_an_ef_search_the_user_set_wins(small_steps):
    index, data = _graph(500, {"ef_search": 60})
    index.knn(data[:5], k=10)
    assert index._ef == 60


def test_the_reported_configuration_stays_what_the_user_set(client, small_steps):
    coll = client.create_collection("beam")
    rng = np.random.default_rng(4)
    coll.add(ids=[str(i) for i in range(300)], embeddings=rng.standard_normal((300, 8)).tolist())
    coll.query(query_embeddings=rng.standard_normal((1, 8)).tolist(), n_results=5)
    assert client.get_collection("beam").configuration["hnsw"]["ef_search"] == 100
