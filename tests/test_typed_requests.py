"""Requests built once at each door (chromadb.model.requests) and results that come back
the same through both doors."""
from __future__ import annotations

import numpy as np
import pytest

from chromadb.errors import BatchSizeExceededError, DuplicateIDError, InvalidArgumentError
from chromadb.model.records import RecordBatch, batch_size_message
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


# -- record batches: one rule, one message, at every door ---------------------------------------
def test_inconsistent_dimensions_has_one_message_at_every_door(client) -> None:
    from chromadb.server import wire

    message = "Inconsistent dimensions in provided embeddings"
    coll = client.create_collection("ragged", embedding_function=None)
    with pytest.raises(ValueError, match=message):
        coll.add(ids=["a", "b"], embeddings=[[1.0, 2.0], [1.0, 2.0, 3.0]])
    with pytest.raises(ValueError, match=message):
        coll.update(ids=["a", "b", "c"], embeddings=[None, [1.0, 2.0], [1.0, 2.0, 3.0]])
    for body in (
        {"ids": ["a", "b"], "embeddings": [[1.0, 2.0], [1.0, 2.0, 3.0]]},
        {"ids": ["a", "b"], "embeddings": wire.embeddings_to_base64([np.ones(2), np.ones(3)])},
    ):
        with pytest.raises(InvalidArgumentError, match=message):
            wire.decode_add(body)
    with pytest.raises(InvalidArgumentError, match=message):
        wire.decode_update({"ids": ["a", "b", "c"], "embeddings": [None, [1.0], [1.0, 2.0]]})
    with pytest.raises(InvalidArgumentError, match=message):
        wire.decode_query({"query_embeddings": [[1.0], [1.0, 2.0]]})
    assert coll.count() == 0


def test_batch_cap_has_one_message_at_every_door(client, monkeypatch) -> None:
    from chromadb.server import wire

    coll = client.create_collection("capped", embedding_function=None)
    monkeypatch.setattr(coll._client, "get_max_batch_size", lambda: 2)
    with pytest.raises(ValueError) as by_client:
        coll.add(ids=["a", "b", "c"], embeddings=[[1.0]] * 3)
    with pytest.raises(BatchSizeExceededError) as by_server:
        wire.decode_add({"ids": ["a", "b", "c"], "embeddings": [[1.0]] * 3}, max_batch_size=2)
    assert str(by_client.value) == batch_size_message(2) == by_server.value.message_text()
    assert "Cannot submit more than 2 embeddings at once" in batch_size_message(2)
    assert coll.count() == 0


def test_record_batch_rules() -> None:
    batch = RecordBatch.build("add", ["a", "b"], [[1, 2], [3, 4]], [{"k": 1}, None], ["x", None], None)
    assert batch.embeddings.dtype == np.float32 and len(batch) == 2
    with pytest.raises(ValueError, match="got None"):
        RecordBatch.build("add", ["a"], [[1.0]], [{"k": None}])  # only upsert/update delete keys
    assert RecordBatch.build("upsert", ["a"], [[1.0]], [{"k": None}]).metadatas == [{"k": None}]
    with pytest.raises(ValueError, match="You must provide embeddings"):
        RecordBatch.build("upsert", ["a"])
    assert RecordBatch.build("update", ["a"], documents=["new"]).embeddings is None
    with pytest.raises(ValueError, match="Inconsistent number of IDs"):
        RecordBatch.build("add", ["a", "b"], [[1.0]])
    with pytest.raises(DuplicateIDError):
        RecordBatch.build("add", ["a", "a"], [[1.0], [2.0]])
    with pytest.raises(ValueError, match="finite"):
        RecordBatch.build("add", ["a"], [[float("inf")]])
