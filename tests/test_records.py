"""Records: write semantics (spec 8.8), include defaults (8.1), ordering and limit/offset
(8.2), query behaviour (8.3), metadata value types (8.7) and distances (8.10)."""
from __future__ import annotations

import numpy as np
import pytest

from chromadb.errors import ChromaError, DuplicateIDError, InvalidArgumentError
from chromadb.model.records import RecordBatch


def emb(*rows) -> list[list[float]]:
    return [list(map(float, r)) for r in rows]


@pytest.fixture
def coll(client):
    """An l2 collection without an embedding function: embeddings are always explicit."""
    return client.create_collection("records", embedding_function=None)


def snapshot(collection) -> dict:
    got = collection.get(include=["documents", "metadatas", "embeddings", "uris"])
    return {
        "ids": got["ids"],
        "documents": got["documents"],
        "metadatas": got["metadatas"],
        "uris": got["uris"],
        "embeddings": np.asarray(got["embeddings"]).tolist(),
    }


# -- add -----------------------------------------------------------------------------------------
def test_add_and_get_everything(coll):
    coll.add(
        ids=["a", "b", "c"],
        embeddings=emb([1, 0], [0, 1], [1, 1]),
        documents=["doc a", None, "doc c"],
        metadatas=[{"x": 1}, {"x": 2}, None],
        uris=["s3://a", None, "file:///c"],
    )
    got = coll.get(include=["documents", "metadatas", "embeddings", "uris"])
    assert got["ids"] == ["a", "b", "c"]
    assert got["documents"] == ["doc a", None, "doc c"]
    assert got["metadatas"] == [{"x": 1}, {"x": 2}, None]
    assert got["uris"] == ["s3://a", None, "file:///c"]
    np.testing.assert_array_equal(np.asarray(got["embeddings"]), [[1, 0], [0, 1], [1, 1]])
    assert coll.count() == 3


def test_add_existing_id_is_silent_noop(coll):
    coll.add(ids=["a"], embeddings=emb([1, 2]), documents=["first"], metadatas=[{"v": 1}])
    before = snapshot(coll)
    coll.add(ids=["a"], embeddings=emb([9, 9]), documents=["second"], metadatas=[{"v": 2}])
    assert snapshot(coll) == before
    # mixed batch: the new id is inserted, the existing one untouched
    coll.add(ids=["a", "b"], embeddings=emb([7, 7], [3, 4]), documents=["third", "bee"])
    got = snapshot(coll)
    assert got["ids"] == ["a", "b"]
    assert got["documents"] == ["first", "bee"]
    assert got["embeddings"][0] == [1.0, 2.0]
    assert coll.count() == 2


def test_add_without_embeddings_and_ef_fails(coll):
    with pytest.raises(ValueError):
        coll.add(ids=["a"], documents=["no ef"])
    assert coll.count() == 0


# -- upsert --------------------------------------------------------------------------------------
def test_upsert_merges_metadata_key_by_key(coll):
    coll.add(ids=["a"], embeddings=emb([1, 2]), documents=["doc"], metadatas=[{"k1": 1, "k2": "two", "k3": True}])
    coll.upsert(ids=["a"], embeddings=emb([3, 4]), metadatas=[{"k2": "TWO", "k3": None, "k4": 4.5}])
    got = coll.get(include=["documents", "metadatas", "embeddings"])
    assert got["metadatas"] == [{"k1": 1, "k2": "TWO", "k4": 4.5}]
    assert got["documents"] == ["doc"]  # not provided: kept
    np.testing.assert_array_equal(np.asarray(got["embeddings"]), [[3, 4]])  # provided: replaced


def test_upsert_inserts_missing(coll):
    coll.add(ids=["a"], embeddings=emb([1, 2]))
    coll.upsert(ids=["b", "a", "c"], embeddings=emb([5, 5], [1, 1], [6, 6]), documents=["B", "A", "C"])
    got = coll.get()
    assert got["ids"] == ["a", "b", "c"]  # a keeps its place; b and c appended in batch order
    assert got["documents"] == ["A", "B", "C"]
    assert coll.count() == 3


def test_upsert_insert_drops_none_metadata_values(coll):
    coll.upsert(ids=["a"], embeddings=emb([1, 2]), metadatas=[{"keep": 1, "drop": None}])
    assert coll.get()["metadatas"] == [{"keep": 1}]


def test_upsert_replaces_document(coll):
    coll.add(ids=["a"], embeddings=emb([1, 2]), documents=["old"], metadatas=[{"m": 1}])
    coll.upsert(ids=["a"], embeddings=emb([1, 2]), documents=["new"])
    got = coll.get()
    assert got["documents"] == ["new"]
    assert got["metadatas"] == [{"m": 1}]


# -- update -------------------------------------------------------------------------------------------
def test_update_missing_id_silently_ignored(coll):
    coll.add(ids=["a"], embeddings=emb([1, 2]), documents=["doc"])
    before = snapshot(coll)
    coll.update(ids=["zzz"], embeddings=emb([5, 5]), documents=["ghost"], metadatas=[{"x": 1}])
    assert snapshot(coll) == before
    assert coll.count() == 1
    coll.update(ids=["a", "zzz"], metadatas=[{"y": 2}, {"y": 3}])
    assert coll.get()["metadatas"] == [{"y": 2}]
    assert coll.count() == 1


def test_update_merges_metadata(coll):
    coll.add(ids=["a"], embeddings=emb([1, 2]), metadatas=[{"a": 1, "b": 2}])
    coll.update(ids=["a"], metadatas=[{"b": None, "c": "three"}])
    assert coll.get()["metadatas"] == [{"a": 1, "c": "three"}]


def test_update_metadata_only_keeps_document_and_embedding(coll):
    coll.add(ids=["a"], embeddings=emb([1, 2]), documents=["doc"], uris=["u"], metadatas=[{"a": 1}])
    coll.update(ids=["a"], metadatas=[{"a": 2}])
    got = snapshot(coll)
    assert got["documents"] == ["doc"] and got["uris"] == ["u"]
    assert got["embeddings"] == [[1.0, 2.0]]
    assert got["metadatas"] == [{"a": 2}]


def test_update_embedding_only(coll):
    coll.add(ids=["a"], embeddings=emb([1, 2]), documents=["doc"], metadatas=[{"a": 1}])
    coll.update(ids=["a"], embeddings=emb([5, 6]))
    got = snapshot(coll)
    assert got["embeddings"] == [[5.0, 6.0]] and got["documents"] == ["doc"] and got["metadatas"] == [{"a": 1}]
    res = coll.query(query_embeddings=[[5.0, 6.0]], n_results=1)
    assert res["distances"][0][0] == pytest.approx(0.0, abs=1e-6)


def test_update_documents_only_keeps_embedding(coll):
    # The Python client embeds documents given without embeddings (and refuses without an EF);
    # the backend (what the HTTP server and JS clients use) keeps the stored vector.
    coll.add(ids=["a", "b"], embeddings=emb([1, 2], [3, 4]), documents=["old a", "old b"])
    with pytest.raises(ValueError):
        coll.update(ids=["a"], documents=["needs an embedding function"])
    backend = coll._client._backend
    batch = RecordBatch.build("update", ["a"], documents=["new a"])
    backend.update(str(coll.id), batch, tenant=coll.tenant, database=coll.database)
    got = snapshot(coll)
    assert got["documents"] == ["new a", "old b"]
    assert got["embeddings"] == [[1.0, 2.0], [3.0, 4.0]]


def test_update_documents_with_ef_reembeds(client, emb_fn):
    c = client.create_collection("reembed", embedding_function=emb_fn)
    c.add(ids=["a"], documents=["before"])
    c.update(ids=["a"], documents=["after"])
    got = c.get(include=["embeddings", "documents"])
    assert got["documents"] == ["after"]
    np.testing.assert_allclose(np.asarray(got["embeddings"])[0], emb_fn(["after"])[0], rtol=1e-6)


def test_metadata_none_when_no_keys_left(coll):
    coll.add(ids=["a", "b"], embeddings=emb([1, 2], [3, 4]), metadatas=[{"only": 1}, {"k": 1, "j": 2}])
    coll.update(ids=["a"], metadatas=[{"only": None}])
    coll.upsert(ids=["b"], embeddings=emb([3, 4]), metadatas=[{"k": None, "j": None}])
    assert coll.get()["metadatas"] == [None, None]
    # a key can be added again afterwards
    coll.update(ids=["a"], metadatas=[{"again": True}])
    assert coll.get(ids=["a"])["metadatas"] == [{"again": True}]


# -- delete ---------------------------------------------------------------------------------------
@pytest.fixture
def five(coll):
    coll.add(
        ids=["a", "b", "c", "d", "e"],
        embeddings=emb([0, 0], [1, 0], [2, 0], [3, 0], [4, 0]),
        documents=["red apple", "green apple", "red cherry", None, "yellow banana"],
        metadatas=[{"n": 1, "color": "red"}, {"n": 2, "color": "green"}, {"n": 3, "color": "red"}, None, {"n": 5}],
    )
    return coll


def test_delete_by_ids(five):
    five.delete(ids=["b", "d", "nope"])
    assert five.get()["ids"] == ["a", "c", "e"]
    assert five.count() == 3
    res = five.query(query_embeddings=[[1.0, 0.0]], n_results=5)
    assert res["ids"] == [["a", "c", "e"]]


def test_delete_by_where(five):
    five.delete(where={"color": "red"})
    assert five.get()["ids"] == ["b", "d", "e"]


def test_delete_by_where_document(five):
    five.delete(where_document={"$contains": "apple"})
    assert five.get()["ids"] == ["c", "d", "e"]


def test_delete_by_ids_and_where(five):
    five.delete(ids=["a", "b", "e"], where={"n": {"$gte": 2}})
    assert five.get()["ids"] == ["a", "c", "d"]


def test_delete_by_where_and_where_document(five):
    five.delete(where={"color": "red"}, where_document={"$contains": "cherry"})
    assert five.get()["ids"] == ["a", "b", "d", "e"]


def test_delete_single_string_id(five):
    five.delete(ids="c")
    assert five.get()["ids"] == ["a", "b", "d", "e"]


def test_delete_requires_something(five):
    with pytest.raises(ValueError):
        five.delete()
    assert five.count() == 5


def test_delete_ids_validated_like_writes(five):
    with pytest.raises(ValueError, match="non-empty"):
        five.delete(ids=[])
    with pytest.raises(DuplicateIDError, match="duplicates of: a"):
        five.delete(ids=["a", "b", "a"])
    assert five.count() == 5


def test_delete_returns_deleted_count(five):
    # spec 8.8: with a filter, the number of records removed; with ids only, len(ids)
    assert five.delete(where={"color": "red"}) == {"deleted": 2}
    assert five.delete(where_document={"$contains": "zzz"}) == {"deleted": 0}
    assert five.delete(ids=["b", "nope"]) == {"deleted": 2}
    assert five.get()["ids"] == ["d", "e"]


def test_delete_with_limit(five):
    # upstream 1.5.9: `limit` caps how many records a filtered delete removes
    result = five.delete(where={"n": {"$gte": 1}}, limit=2)
    assert result == {"deleted": 2}
    assert five.count() == 3
    assert len(five.get(where={"n": {"$gte": 1}})["ids"]) == 2
    with pytest.raises(ValueError, match="limit"):
        five.delete(ids=["a"], limit=1)
    with pytest.raises((ValueError, TypeError)):
        five.delete(where={"n": 1}, limit=-1)
    assert five.count() == 3


def test_delete_all_keeps_dimension(coll):
    coll.add(ids=["a", "b"], embeddings=emb([1, 2], [3, 4]))
    coll.delete(ids=["a", "b"])
    assert coll.count() == 0
    with pytest.raises(InvalidArgumentError, match="dimension"):
        coll.add(ids=["c"], embeddings=emb([1, 2, 3]))
    coll.add(ids=["c"], embeddings=emb([5, 6]))
    assert coll.get()["ids"] == ["c"]


# -- include ----------------------------------------------------------------------------------------
def test_get_include_default(five):
    got = five.get()
    assert got["documents"] is not None and got["metadatas"] is not None
    assert got["embeddings"] is None and got["uris"] is None
    assert sorted(got["included"]) == ["documents", "metadatas"]


def test_query_include_default(five):
    res = five.query(query_embeddings=[[0.0, 0.0]], n_results=2)
    assert res["documents"] == [["red apple", "green apple"]]
    assert res["metadatas"] == [[{"n": 1, "color": "red"}, {"n": 2, "color": "green"}]]
    assert res["distances"][0] == pytest.approx([0.0, 1.0])
    assert res["embeddings"] is None and res["uris"] is None
    assert sorted(res["included"]) == ["distances", "documents", "metadatas"]


def test_include_empty(five):
    got = five.get(include=[])
    assert got["ids"] == ["a", "b", "c", "d", "e"]
    assert got["documents"] is None and got["metadatas"] is None and got["embeddings"] is None
    res = five.query(query_embeddings=[[4.0, 0.0]], n_results=2, include=[])
    assert res["ids"] == [["e", "d"]]
    assert res["documents"] is None and res["metadatas"] is None and res["distances"] is None


def test_include_each(five):
    got = five.get(ids=["c"], include=["embeddings"])
    np.testing.assert_array_equal(np.asarray(got["embeddings"]), [[2.0, 0.0]])
    assert got["documents"] is None
    res = five.query(query_embeddings=[[2.0, 0.0]], n_results=1, include=["embeddings", "distances"])
    np.testing.assert_array_equal(np.asarray(res["embeddings"][0]), [[2.0, 0.0]])
    assert res["documents"] is None and res["metadatas"] is None
    assert res["distances"] == [[0.0]]


def test_include_uris(coll):
    coll.add(ids=["a", "b"], embeddings=emb([1, 1], [2, 2]), uris=["http://x/1", None])
    assert coll.get(include=["uris"])["uris"] == ["http://x/1", None]
    assert coll.query(query_embeddings=[[1.0, 1.0]], n_results=2, include=["uris"])["uris"] == [["http://x/1", None]]


# -- ordering, limit, offset ---------------------------------------------------------------------------
def test_get_returns_insertion_order_not_request_order(five):
    assert five.get(ids=["e", "a", "c"])["ids"] == ["a", "c", "e"]
    assert five.get(ids=["e", "missing", "b"])["ids"] == ["b", "e"]
    assert five.get(ids=["missing"])["ids"] == []


def test_get_ids_validated_like_writes(five):
    # upstream's client validates get/delete ids as it does write ids (spec 8.6: duplicate ids
    # in one request are rejected client-side)
    with pytest.raises(ValueError, match="non-empty"):
        five.get(ids=[])
    with pytest.raises(DuplicateIDError, match="duplicates of: c"):
        five.get(ids=["c", "c"])


def test_updated_record_keeps_position(five):
    five.update(ids=["b"], embeddings=emb([9, 9]), documents=["changed"])
    five.upsert(ids=["a"], embeddings=emb([8, 8]), metadatas=[{"n": 10}])
    got = five.get()
    assert got["ids"] == ["a", "b", "c", "d", "e"]
    assert got["documents"][1] == "changed"


def test_delete_and_readd_moves_to_end(five):
    five.delete(ids=["b"])
    five.add(ids=["b"], embeddings=emb([1, 0]), documents=["back"])
    assert five.get()["ids"] == ["a", "c", "d", "e", "b"]
    five.delete(ids=["a"])
    five.upsert(ids=["a"], embeddings=emb([0, 0]))
    assert five.get()["ids"] == ["c", "d", "e", "b", "a"]


LIMIT_OFFSET_CASES = [
    (None, None, ["a", "b", "c", "d", "e"]),
    (2, None, ["a", "b"]),
    (None, 3, ["d", "e"]),
    (2, 1, ["b", "c"]),
    (10, 4, ["e"]),
    (3, 5, []),
    (None, 99, []),
    (0, 0, []),
]


def test_limit_offset(five):
    for limit, offset, expected in LIMIT_OFFSET_CASES:
        assert five.get(limit=limit, offset=offset)["ids"] == expected, (limit, offset)


def test_limit_offset_apply_after_filtering(five):
    where = {"n": {"$gte": 2}}  # b, c, e
    assert five.get(where=where, limit=2)["ids"] == ["b", "c"]
    assert five.get(where=where, offset=1)["ids"] == ["c", "e"]
    assert five.get(where=where, limit=1, offset=2)["ids"] == ["e"]
    assert five.get(ids=["e", "d", "a"], limit=2, offset=1)["ids"] == ["d", "e"]


def test_peek(coll):
    vectors = np.arange(30, dtype=np.float32).reshape(15, 2)
    coll.add(ids=[f"r{i:02d}" for i in range(15)], embeddings=vectors, documents=[f"d{i}" for i in range(15)])
    peek = coll.peek()
    assert peek["ids"] == [f"r{i:02d}" for i in range(10)]
    np.testing.assert_array_equal(np.asarray(peek["embeddings"]), vectors[:10])
    assert peek["documents"] == [f"d{i}" for i in range(10)]
    assert coll.peek(limit=3)["ids"] == ["r00", "r01", "r02"]
    assert coll.peek(limit=100)["ids"] == [f"r{i:02d}" for i in range(15)]


def test_peek_empty(coll):
    assert coll.peek()["ids"] == []


def test_count(coll):
    assert coll.count() == 0
    coll.add(ids=[str(i) for i in range(50)], embeddings=np.ones((50, 3), np.float32))
    assert coll.count() == 50
    coll.delete(ids=[str(i) for i in range(10)])
    assert coll.count() == 40
    coll.upsert(ids=["0", "10"], embeddings=np.zeros((2, 3), np.float32))
    assert coll.count() == 41


# -- input shapes -------------------------------------------------------------------------------
def test_numpy_inputs(coll):
    vectors = np.array([[1, 2, 3], [4, 5, 6]], dtype=np.float64)
    coll.add(ids=np.array(["a", "b"]).tolist(), embeddings=vectors)
    coll.add(ids=["c"], embeddings=np.array([[7, 8, 9]], dtype=np.int64))
    coll.add(ids=["d", "e"], embeddings=[np.array([0.5, 0.5, 0.5], np.float32), np.array([1.0, 0.0, 0.0])])
    got = coll.get(include=["embeddings"])
    assert got["ids"] == ["a", "b", "c", "d", "e"]
    np.testing.assert_allclose(
        np.asarray(got["embeddings"]), [[1, 2, 3], [4, 5, 6], [7, 8, 9], [0.5, 0.5, 0.5], [1, 0, 0]]
    )
    res = coll.query(query_embeddings=np.array([[4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]), n_results=1)
    assert res["ids"] == [["b"], ["c"]]
    res = coll.query(query_embeddings=np.array([1.0, 0.0, 0.0], dtype=np.float32), n_results=1)
    assert res["ids"] == [["e"]]
    coll.update(ids=["a"], embeddings=np.array([[0.0, 0.0, 1.0]]))
    coll.upsert(ids=["f"], embeddings=np.array([[2.0, 2.0, 2.0]], dtype=np.float32))
    np.testing.assert_allclose(np.asarray(coll.get(ids=["a", "f"], include=["embeddings"])["embeddings"]), [[0, 0, 1], [2, 2, 2]])


def test_single_vector_query(coll):
    coll.add(ids=["a", "b"], embeddings=emb([0, 0], [5, 5]))
    res = coll.query(query_embeddings=[5.0, 5.0], n_results=1)
    assert res["ids"] == [["b"]]


def test_single_string_inputs(coll):
    coll.add(ids="one", embeddings=[[1.0, 2.0]], documents="the doc", metadatas={"k": "v"}, uris="u://1")
    got = coll.get(ids="one", include=["documents", "metadatas", "uris"])
    assert got["ids"] == ["one"]
    assert got["documents"] == ["the doc"] and got["metadatas"] == [{"k": "v"}] and got["uris"] == ["u://1"]
    coll.update(ids="one", metadatas={"k": "w"})
    coll.upsert(ids="two", embeddings=[[3.0, 4.0]], documents="second")
    assert coll.get()["metadatas"] == [{"k": "w"}, None]
    res = coll.query(query_embeddings=[[3.0, 4.0]], ids="one", n_results=5)
    assert res["ids"] == [["one"]]


def test_unicode_ids_and_documents(coll):
    ids = ["ünïcödé", "id with spaces", "日本語", "emoji-🙂", "a/b?c#d"]
    docs = ["früh", "naïve café", "東京", "🙂🙃", "line\nbreak\ttab"]
    coll.add(ids=ids, embeddings=np.eye(5, dtype=np.float32), documents=docs)
    got = coll.get(ids=list(reversed(ids)))
    assert got["ids"] == ids and got["documents"] == docs
    assert coll.get(where_document={"$contains": "東"})["ids"] == ["日本語"]


# -- metadata values -------------------------------------------------------------------------
def test_metadata_value_types_round_trip(coll):
    meta = {
        "s": "text",
        "empty_s": "",
        "i": 7,
        "neg": -3,
        "big": 2**62 + 1,
        "min64": -(2**63),
        "f": 3.25,
        "whole": 2.0,
        "tiny": 1e-300,
        "t": True,
        "fa": False,
        "ls": ["a", "b"],
        "li": [1, 2, 3],
        "lf": [1.5, 2.0],
        "lb": [True, False],
    }
    coll.add(ids=["a"], embeddings=emb([1, 2]), metadatas=[meta])
    got = coll.get()["metadatas"][0]
    assert got == meta
    for key, value in meta.items():
        assert type(got[key]) is type(value), key
    assert type(got["whole"]) is float  # 2.0 stays float
    assert type(got["lf"][1]) is float
    assert type(got["i"]) is int and type(got["t"]) is bool
    assert got["big"] == 2**62 + 1  # exact 64-bit ints
    res = coll.query(query_embeddings=[[1.0, 2.0]], n_results=1)
    assert res["metadatas"][0][0] == meta


def test_metadata_survives_reopen(tmp_path):
    import chromadb

    path = str(tmp_path / "db")
    meta = {"i": 1, "f": 1.0, "b": True, "s": "1", "l": [1, 2], "lf": [1.0]}
    c = chromadb.PersistentClient(path=path)
    c.create_collection("meta", embedding_function=None).add(ids=["a"], embeddings=emb([1]), metadatas=[meta])
    c.close()
    c = chromadb.PersistentClient(path=path)
    got = c.get_collection("meta", embedding_function=None).get()["metadatas"][0]
    assert got == meta and {k: type(v) for k, v in got.items()} == {k: type(v) for k, v in meta.items()}
    c.close()


# -- dimension ----------------------------------------------------------------------------------
def test_dimension_fixed_by_first_write(client):
    c = client.create_collection("dim", embedding_function=None)
    assert c.dimension is None or client.get_collection("dim").dimension is None
    c.add(ids=["a"], embeddings=emb([1, 2, 3]))
    assert client.get_collection("dim").dimension == 3
    for op in (c.add, c.upsert):
        with pytest.raises(InvalidArgumentError, match="dimension of 3, got 2"):
            op(ids=["b"], embeddings=emb([1, 2]))
    with pytest.raises(InvalidArgumentError, match="dimension"):
        c.update(ids=["a"], embeddings=emb([1, 2, 3, 4]))
    with pytest.raises(InvalidArgumentError, match="dimension"):
        c.query(query_embeddings=[[1.0]], n_results=1)
    assert c.count() == 1


def test_dimension_fixed_by_upsert(client):
    c = client.create_collection("dim-up", embedding_function=None)
    c.upsert(ids=["a"], embeddings=emb([1, 2]))
    assert client.get_collection("dim-up").dimension == 2
    with pytest.raises(InvalidArgumentError):
        c.add(ids=["b"], embeddings=emb([1, 2, 3]))


# -- query ------------------------------------------------------------------------------------
def test_query_n_results_more_than_count(five):
    res = five.query(query_embeddings=[[10.0, 0.0]], n_results=100)
    assert res["ids"] == [["e", "d", "c", "b", "a"]]
    assert res["distances"][0] == pytest.approx([36.0, 49.0, 64.0, 81.0, 100.0])


def test_query_empty_collection(coll):
    res = coll.query(query_embeddings=[[1.0, 2.0], [3.0, 4.0]], n_results=5)
    assert res["ids"] == [[], []]
    assert res["documents"] == [[], []]
    assert res["distances"] == [[], []]


def test_query_after_everything_deleted(coll):
    coll.add(ids=["a"], embeddings=emb([1, 2]))
    coll.delete(ids=["a"])
    assert coll.query(query_embeddings=[[1.0, 2.0]], n_results=3)["ids"] == [[]]


def test_query_filter_matches_nothing(five):
    res = five.query(query_embeddings=[[0.0, 0.0]], n_results=3, where={"n": 99})
    assert res["ids"] == [[]]


def test_query_with_ids_restriction(five):
    res = five.query(query_embeddings=[[0.0, 0.0]], n_results=10, ids=["e", "c"])
    assert res["ids"] == [["c", "e"]]
    assert res["distances"][0] == pytest.approx([4.0, 16.0])
    res = five.query(query_embeddings=[[0.0, 0.0]], n_results=1, ids=["e", "c"], where={"color": "red"})
    assert res["ids"] == [["c"]]


def test_query_restricted_to_an_unknown_id_is_refused(five):
    # upstream 1.5.9 (and its test-suite) refuse it rather than ignore the id
    with pytest.raises(InvalidArgumentError, match="Error finding id missing"):
        five.query(query_embeddings=[[0.0, 0.0]], n_results=10, ids=["e", "missing"])


def test_multiple_query_embeddings(five):
    res = five.query(query_embeddings=[[0.0, 0.0], [4.0, 0.0], [1.9, 0.0]], n_results=2)
    assert res["ids"] == [["a", "b"], ["e", "d"], ["c", "b"]]
    assert len(res["distances"]) == 3 and len(res["documents"]) == 3
    assert res["documents"][1] == ["yellow banana", None]
    assert res["metadatas"][2] == [{"n": 3, "color": "red"}, {"n": 2, "color": "green"}]


def test_query_with_where_document(five):
    res = five.query(query_embeddings=[[4.0, 0.0]], n_results=10, where_document={"$contains": "apple"})
    assert res["ids"] == [["b", "a"]]


@pytest.mark.parametrize("space", ["l2", "ip", "cosine"])
def test_distances_match_numpy(client, space):
    rng = np.random.default_rng(7)
    data = rng.normal(size=(200, 16)).astype(np.float32) * rng.uniform(0.1, 5, size=(200, 1)).astype(np.float32)
    queries = rng.normal(size=(4, 16)).astype(np.float32)
    c = client.create_collection(f"dist-{space}", metadata={"hnsw:space": space}, embedding_function=None)
    c.add(ids=[f"v{i}" for i in range(200)], embeddings=data)
    res = c.query(query_embeddings=queries, n_results=200, include=["distances", "embeddings"])
    for qi, q in enumerate(queries):
        if space == "l2":
            expected = ((data - q) ** 2).sum(axis=1)
        elif space == "ip":
            expected = 1.0 - data @ q
        else:
            expected = 1.0 - (data @ q) / (np.linalg.norm(data, axis=1) * np.linalg.norm(q))
        order = np.argsort(expected, kind="stable")
        got_ids = res["ids"][qi]
        got = np.asarray(res["distances"][qi])
        np.testing.assert_allclose(got, expected[order], rtol=1e-4, atol=1e-4)
        assert got_ids == [f"v{i}" for i in order]
        # stored embeddings come back un-normalised
        np.testing.assert_allclose(np.asarray(res["embeddings"][qi]), data[order], rtol=1e-6)


def test_cosine_zero_vector(client):
    c = client.create_collection("cos-zero", metadata={"hnsw:space": "cosine"}, embedding_function=None)
    c.add(ids=["zero", "x"], embeddings=emb([0, 0], [1, 0]))
    res = c.query(query_embeddings=[[1.0, 0.0]], n_results=2)
    assert res["ids"] == [["x", "zero"]]
    assert res["distances"][0] == pytest.approx([0.0, 1.0], abs=1e-6)


def test_writes_immediately_visible_to_query(coll):
    coll.add(ids=["a"], embeddings=emb([0, 0]))
    assert coll.query(query_embeddings=[[10.0, 10.0]], n_results=1)["ids"] == [["a"]]
    coll.add(ids=["b"], embeddings=emb([10, 10]))
    assert coll.query(query_embeddings=[[10.0, 10.0]], n_results=1)["ids"] == [["b"]]
    coll.update(ids=["a"], embeddings=emb([10, 10.5]))
    coll.delete(ids=["b"])
    res = coll.query(query_embeddings=[[10.0, 10.0]], n_results=5)
    assert res["ids"] == [["a"]]
    assert res["distances"][0] == pytest.approx([0.25])


def test_max_batch_size(client):
    size = client.get_max_batch_size()
    assert isinstance(size, int) and size > 1000


def test_uri_and_document_error_free_none(coll):
    # None documents / metadatas in a batch are fine
    coll.add(ids=["a", "b"], embeddings=emb([1, 1], [2, 2]), documents=[None, None], metadatas=[None, None])
    got = coll.get()
    assert got["documents"] == [None, None] and got["metadatas"] == [None, None]


def test_version(client):
    assert isinstance(client.get_version(), str) and client.get_version()


def test_collection_handles_share_data(client):
    c1 = client.create_collection("shared", embedding_function=None)
    c2 = client.get_collection("shared", embedding_function=None)
    c1.add(ids=["a"], embeddings=emb([1, 2]))
    assert c2.count() == 1
    c2.delete(ids=["a"])
    assert c1.get()["ids"] == []


def test_chroma_error_is_not_value_error():
    # server-side errors are ChromaError subclasses, not ValueError (spec section 6)
    assert not issubclass(InvalidArgumentError, ValueError)
    assert issubclass(InvalidArgumentError, ChromaError)
