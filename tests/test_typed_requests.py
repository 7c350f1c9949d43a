"""Requests built once at each door (chromadb.model.requests) and results that come back
the same through both doors."""
from __future__ import annotations

import numpy as np
import pytest

from chromadb.errors import DuplicateIDError
from chromadb.model.requests import (
    CLIENT,
    SERVER,
    DeleteRequest,
    GetRequest,
    QueryRequest,
)
from chromadb.model.where import Or


def test_distances_are_float32_values_in_lists(client) -> None:
    coll = client.create_collection("distances", embedding_function=None)
    coll.add(ids=["a", "b"], embeddings=[[0.1, 0.2], [0.3, 0.7]])
    distances = coll.query(query_embeddings=[[0.0, 0.0]], n_results=2)["distances"]
    assert isinstance(distances, list) and isinstance(distances[0], list)
    expected = np.sum(np.array([[0.1, 0.2], [0.3, 0.7]], np.float32) ** 2, axis=1, dtype=np.float32)
    # what JSON carries (the shortest decimal of each float32) comes back as that float32
    assert distances[0] == [float(v) for v in expected]
    assert all(type(d) is float for d in distances[0])


@pytest.mark.parametrize("door", [CLIENT, SERVER], ids=["client", "server"])
def test_requests_refuse_bad_input_at_either_door(door) -> None:
    with pytest.raises(ValueError, match="int or a float"):
        GetRequest.build(door, where={"k": {"$gt": "x"}})
    with pytest.raises(ValueError, match="include item"):
        GetRequest.build(door, include=["bogus"])
    with pytest.raises(ValueError, match="only valid for query"):
        GetRequest.build(door, include=["distances"])
    with pytest.raises(TypeError, match="cannot be negative, or zero"):
        QueryRequest.build(door, np.ones((1, 3), np.float32), n_results=0)
    with pytest.raises(ValueError, match="finite"):
        QueryRequest.build(door, [[1.0, float("nan")]])
    with pytest.raises(TypeError, match="non-negative int"):
        DeleteRequest.build(door, where={"k": 1}, limit=-1)


def test_door_rules_differ_only_where_upstream_differs() -> None:
    assert GetRequest.build(SERVER, ids=["a", "a"]).ids == ["a", "a"]
    with pytest.raises(DuplicateIDError):
        GetRequest.build(CLIENT, ids=["a", "a"])
    assert GetRequest.build(SERVER, where={"$or": []}).where == Or(())
    with pytest.raises(ValueError, match="at least two"):
        GetRequest.build(CLIENT, where={"$or": []})
    # a query may name any ids at either door (upstream's client does not check them)
    assert QueryRequest.build(CLIENT, [[1.0]], ids=["a", "a"]).ids == ["a", "a"]


def test_defaults_live_in_the_request_types() -> None:
    # the same fields at both doors; each echoes them in its upstream's order
    assert GetRequest.build(SERVER).include == ("documents", "metadatas")
    assert GetRequest.build(CLIENT).include == ("metadatas", "documents")
    query = QueryRequest.build(SERVER, [[1.0, 2.0]])
    assert (query.n_results, query.include) == (10, ("documents", "metadatas", "distances"))
    assert QueryRequest.build(CLIENT, [[1.0]]).include == ("metadatas", "documents", "distances")
    assert query.embeddings.dtype == np.float32 and query.embeddings.shape == (1, 2)
    assert GetRequest.build(CLIENT, include=["data", "documents"]).include == ("documents",)


def test_included_echoes_what_was_asked(client) -> None:
    coll = client.create_collection("echo", embedding_function=None)
    coll.add(ids=["a"], embeddings=[[1.0, 0.0]], documents=["doc"])
    assert coll.get()["included"] == ["metadatas", "documents"]
    got = coll.get(include=["data", "documents"])
    assert got["included"] == ["data", "documents"] and got["documents"] == ["doc"]
    assert coll.query(query_embeddings=[[1.0, 0.0]])["included"] == ["metadatas", "documents", "distances"]
