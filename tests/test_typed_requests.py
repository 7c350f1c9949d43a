"""Requests built once at each door (chromadb.model.requests) and results that come back
the same through both doors."""
from __future__ import annotations

import numpy as np


def test_distances_are_float32_values_in_lists(client) -> None:
    coll = client.create_collection("distances", embedding_function=None)
    coll.add(ids=["a", "b"], embeddings=[[0.1, 0.2], [0.3, 0.7]])
    distances = coll.query(query_embeddings=[[0.0, 0.0]], n_results=2)["distances"]
    assert isinstance(distances, list) and isinstance(distances[0], list)
    expected = np.sum(np.array([[0.1, 0.2], [0.3, 0.7]], np.float32) ** 2, axis=1, dtype=np.float32)
    # what JSON carries (the shortest decimal of each float32) comes back as that float32
    assert distances[0] == [float(v) for v in expected]
    assert all(type(d) is float for d in distances[0])
