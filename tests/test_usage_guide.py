"""Every Python snippet of the usage guide (shared/seed/chroma-usage-guide.md), verbatim
with concrete values in place of its `...`, asserting what it actually returns.

Snippets that embed raw text use the `emb_fn` fixture (a tiny deterministic custom
embedding function); the default model is tested elsewhere. Where the guide is older
than Chroma 1.5.9 (spec section 13), the 1.5.9 behaviour is asserted and the test says so.
"""
from __future__ import annotations

import time

import numpy as np
import pytest

import chromadb
from chromadb.config import Settings
from chromadb.errors import ChromaError, NotFoundError

# The guide's three example vectors, and two more so that `...` has concrete values.
GUIDE_EMBEDDINGS = [[1.1, 2.3, 3.2], [4.5, 6.9, 4.4], [1.1, 2.3, 3.2], [9.0, 9.5, 10.0], [0.0, 1.0, 0.5]]
GUIDE_METADATAS = [
    {"chapter": "3", "verse": "16"},
    {"chapter": "3", "verse": "5"},
    {"chapter": "29", "verse": "11"},
    {"chapter": "20", "verse": "1"},
    {"chapter": "20", "verse": "2"},
]
GUIDE_IDS = ["id1", "id2", "id3", "id4", "id5"]


def l2(a, b) -> float:
    d = np.asarray(a, np.float32) - np.asarray(b, np.float32)
    return float(np.dot(d, d))


def by_id(result) -> dict:
    """id -> (document, metadata) of a get() result."""
    docs = result["documents"] or [None] * len(result["ids"])
    metas = result["metadatas"] or [None] * len(result["ids"])
    return {i: (d, m) for i, d, m in zip(result["ids"], docs, metas)}


# -- Initiating a persistent Chroma client ------------------------------------------------------
def test_persistent_client_saves_and_loads(tmp_path, emb_fn):
    path = str(tmp_path / "save_to")
    client = chromadb.PersistentClient(path=path)
    collection = client.create_collection(name="my_collection", embedding_function=emb_fn)
    collection.add(documents=["lorem ipsum...", "doc2"], ids=["id1", "id2"])
    client.close()

    # "Data will be persisted automatically and loaded on start (if it exists)."
    client = chromadb.PersistentClient(path=path)
    collection = client.get_collection(name="my_collection", embedding_function=emb_fn)
    assert collection.count() == 2
    assert collection.get(ids=["id2"])["documents"] == ["doc2"]
    client.close()


def test_heartbeat_is_nanoseconds(client):
    before = time.time_ns()
    beat = client.heartbeat()  # returns a nanosecond heartbeat
    after = time.time_ns()
    assert isinstance(beat, int)
    # a wall-clock nanosecond timestamp (allow generous skew for the server thread)
    assert before - 60 * 10**9 <= beat <= after + 60 * 10**9


def test_reset_empties_the_database(client, emb_fn):
    a = client.create_collection("reset-a", embedding_function=emb_fn)
    a.add(ids=["x"], documents=["hello"])
    client.create_collection("reset-b", embedding_function=emb_fn)
    assert client.count_collections() == 2

    assert client.reset()  # Empties and completely resets the database.

    assert client.count_collections() == 0
    assert client.list_collections() == []
    with pytest.raises(NotFoundError):
        client.get_collection("reset-a")
    # the database is usable again after a reset
    c = client.create_collection("reset-a", embedding_function=emb_fn)
    assert c.count() == 0


def test_reset_refused_unless_allowed(tmp_path, emb_fn):
    # Chroma 1.5.9: reset() only works with allow_reset=True (spec section 13).
    path = str(tmp_path / "db")
    client = chromadb.PersistentClient(path=path, settings=Settings(allow_reset=False))
    collection = client.create_collection("keep-me", embedding_function=emb_fn)
    collection.add(ids=["a"], documents=["still here"])
    with pytest.raises((ValueError, ChromaError), match="(?i)reset"):
        client.reset()
    assert client.get_collection("keep-me").count() == 1
    client.close()


# -- Creating, inspecting, and deleting collections --------------------------------------------
def test_create_and_get_collection_with_embedding_function(client, emb_fn):
    collection = client.create_collection(name="my_collection", embedding_function=emb_fn)
    collection.add(ids=["a"], documents=["hello world"])
    collection = client.get_collection(name="my_collection", embedding_function=emb_fn)
    assert collection.name == "my_collection"
    assert collection.embedding_function is emb_fn
    got = collection.get(ids=["a"], include=["embeddings", "documents"])
    assert got["documents"] == ["hello world"]
    np.testing.assert_allclose(np.asarray(got["embeddings"])[0], emb_fn(["hello world"])[0], rtol=1e-6)
    # query_texts go through the same function: the document is its own nearest neighbour
    res = collection.query(query_texts=["hello world"], n_results=1)
    assert res["ids"] == [["a"]]
    assert res["distances"][0][0] == pytest.approx(0.0, abs=1e-5)


def test_get_get_or_create_delete(client, emb_fn):
    with pytest.raises(NotFoundError):
        client.get_collection(name="test")  # Will raise an exception if it's not found.
    collection = client.get_or_create_collection(name="test")  # If it doesn't exist, create it.
    assert collection.name == "test"
    assert client.count_collections() == 1
    collection = client.get_collection(name="test")  # Get a collection object from an existing collection
    assert collection.name == "test"
    again = client.get_or_create_collection(name="test")
    assert again.id == collection.id

    client.create_collection(name="my_collection", embedding_function=emb_fn).add(ids=["z"], documents=["zzz"])
    client.delete_collection(name="my_collection")  # Delete a collection and all associated embeddings...
    with pytest.raises(NotFoundError):
        client.get_collection(name="my_collection")
    # a new collection of that name starts empty
    assert client.create_collection(name="my_collection", embedding_function=emb_fn).count() == 0


def test_peek_count_modify(client, emb_fn):
    collection = client.create_collection(name="my_collection", embedding_function=emb_fn)
    docs = [f"document number {i}" for i in range(15)]
    collection.add(ids=[f"id{i}" for i in range(15)], documents=docs)

    peek = collection.peek()  # returns a list of the first 10 items in the collection
    assert peek["ids"] == [f"id{i}" for i in range(10)]
    assert peek["documents"] == docs[:10]
    assert np.asarray(peek["embeddings"]).shape == (10, 8)
    assert collection.count() == 15  # returns the number of items in the collection

    collection.modify(name="new_name")  # Rename the collection
    assert collection.name == "new_name"
    assert client.get_collection("new_name", embedding_function=emb_fn).count() == 15
    with pytest.raises(NotFoundError):
        client.get_collection("my_collection")


# -- Changing the distance function ---------------------------------------------------------------
def test_hnsw_space_cosine(client):
    collection = client.create_collection(
        name="collection_name",
        metadata={"hnsw:space": "cosine"}  # l2 is the default
    )
    assert collection.metadata == {"hnsw:space": "cosine"}
    assert collection.configuration_json["hnsw"]["space"] == "cosine"
    collection.add(ids=["a", "b", "c"], embeddings=[[2.0, 0.0], [0.0, 3.0], [1.0, 1.0]])
    res = collection.query(query_embeddings=[[5.0, 0.0]], n_results=3)
    assert res["ids"] == [["a", "c", "b"]]
    # cosine distance 1 - cos: 0, 1 - 1/sqrt(2), 1
    np.testing.assert_allclose(res["distances"][0], [0.0, 1 - 1 / np.sqrt(2), 1.0], atol=1e-6)


def test_default_space_is_squared_l2(client):
    collection = client.create_collection(name="collection_name")
    collection.add(ids=["a", "b"], embeddings=[[0.0, 0.0], [3.0, 4.0]])
    res = collection.query(query_embeddings=[[0.0, 0.0]], n_results=2)
    assert res["ids"] == [["a", "b"]]
    np.testing.assert_allclose(res["distances"][0], [0.0, 25.0], rtol=1e-6)  # squared, no sqrt


def test_hnsw_space_ip(client):
    collection = client.create_collection(name="collection_name", metadata={"hnsw:space": "ip"})
    collection.add(ids=["a", "b"], embeddings=[[0.5, 0.0], [1.0, 1.0]])
    res = collection.query(query_embeddings=[[1.0, 0.5]], n_results=2)
    assert res["ids"] == [["b", "a"]]
    np.testing.assert_allclose(res["distances"][0], [1 - 1.5, 1 - 0.5], atol=1e-6)


# -- Adding data to a collection ---------------------------------------------------------------
def test_add_raw_documents(client, emb_fn):
    collection = client.create_collection(name="my_collection", embedding_function=emb_fn)
    collection.add(
        documents=["lorem ipsum...", "doc2", "doc3", "doc4", "doc5"],
        metadatas=GUIDE_METADATAS,
        ids=GUIDE_IDS,
    )
    got = collection.get()
    assert got["ids"] == GUIDE_IDS
    assert got["documents"] == ["lorem ipsum...", "doc2", "doc3", "doc4", "doc5"]
    assert got["metadatas"] == GUIDE_METADATAS
    # embedded with the collection's embedding function
    emb = np.asarray(collection.get(ids=["id2"], include=["embeddings"])["embeddings"])
    np.testing.assert_allclose(emb[0], emb_fn(["doc2"])[0], rtol=1e-6)


def test_add_same_id_twice_keeps_initial_value(client, emb_fn):
    # "Trying to .add the same ID twice will result in only the initial value being stored."
    collection = client.create_collection(name="my_collection", embedding_function=emb_fn)
    collection.add(documents=["first"], metadatas=[{"v": 1}], ids=["id1"])
    collection.add(documents=["second"], metadatas=[{"v": 2}], ids=["id1"])
    assert collection.count() == 1
    got = collection.get(ids=["id1"])
    assert got["documents"] == ["first"]
    assert got["metadatas"] == [{"v": 1}]


def test_add_documents_with_embeddings(client):
    collection = client.create_collection(name="my_collection")
    collection.add(
        documents=["doc1", "doc2", "doc3", "doc4", "doc5"],
        embeddings=GUIDE_EMBEDDINGS,
        metadatas=GUIDE_METADATAS,
        ids=GUIDE_IDS,
    )
    got = collection.get(include=["documents", "metadatas", "embeddings"])
    assert got["ids"] == GUIDE_IDS
    assert got["documents"] == ["doc1", "doc2", "doc3", "doc4", "doc5"]
    assert got["metadatas"] == GUIDE_METADATAS
    # stored as given (float32), not re-embedded
    np.testing.assert_allclose(np.asarray(got["embeddings"]), np.asarray(GUIDE_EMBEDDINGS, np.float32))
    assert collection.dimension == 3 or client.get_collection("my_collection").dimension == 3


def test_add_wrong_dimension_raises(client):
    # "If the supplied embeddings are not the same dimension as the collection, an exception will be raised."
    collection = client.create_collection(name="my_collection")
    collection.add(embeddings=GUIDE_EMBEDDINGS[:2], ids=GUIDE_IDS[:2])
    with pytest.raises(ChromaError, match="dimension"):
        collection.add(embeddings=[[1.0, 2.0]], ids=["other"])
    assert collection.count() == 2


def test_add_embeddings_and_metadata_only(client):
    collection = client.create_collection(name="my_collection")
    collection.add(
        embeddings=GUIDE_EMBEDDINGS,
        metadatas=GUIDE_METADATAS,
        ids=GUIDE_IDS,
    )
    got = collection.get()
    assert got["ids"] == GUIDE_IDS
    assert got["documents"] == [None] * 5
    assert got["metadatas"] == GUIDE_METADATAS


# -- Querying a collection ---------------------------------------------------------------------
@pytest.fixture
def guide_collection(client):
    collection = client.create_collection(name="guide")
    collection.add(
        documents=[
            "search_string is here",
            "no match",
            "another search_string",
            "nothing",
            "search_string again",
        ],
        embeddings=GUIDE_EMBEDDINGS,
        metadatas=[
            {"metadata_field": "is_equal_to_this", "style": "style1", "chapter": "3"},
            {"metadata_field": "is_equal_to_this", "style": "style2", "chapter": "3"},
            {"metadata_field": "something_else", "style": "style1", "chapter": "29"},
            {"metadata_field": "is_equal_to_this", "style": "style1", "chapter": "20"},
            {"metadata_field": "is_equal_to_this", "style": "style2", "chapter": "20"},
        ],
        ids=GUIDE_IDS,
    )
    return collection


def test_query_by_embeddings(guide_collection):
    collection = guide_collection
    queries = [[11.1, 12.1, 13.1], [1.1, 2.3, 3.2], [0.0, 0.0, 0.0]]
    res = collection.query(
        query_embeddings=queries,
        n_results=10,
        where={"metadata_field": "is_equal_to_this"},
        where_document={"$contains": "search_string"},
    )
    # eligible: id1 and id5 (id3's metadata differs; id2/id4 lack the substring)
    assert len(res["ids"]) == 3
    for q, ids, dists in zip(queries, res["ids"], res["distances"]):
        expected = sorted(["id1", "id5"], key=lambda i: l2(q, GUIDE_EMBEDDINGS[GUIDE_IDS.index(i)]))
        assert ids == expected
        np.testing.assert_allclose(dists, [l2(q, GUIDE_EMBEDDINGS[GUIDE_IDS.index(i)]) for i in ids], rtol=1e-5)
        assert dists == sorted(dists)
    assert res["documents"][0] == [
        {"id1": "search_string is here", "id5": "search_string again"}[i] for i in res["ids"][0]
    ]


def test_query_returns_n_closest_in_order(guide_collection):
    q = [11.1, 12.1, 13.1]
    res = guide_collection.query(query_embeddings=[q], n_results=3)
    expected = sorted(GUIDE_IDS, key=lambda i: (l2(q, GUIDE_EMBEDDINGS[GUIDE_IDS.index(i)])))[:3]
    assert res["ids"] == [expected]
    assert res["ids"][0][0] == "id4"
    assert set(res) >= {"ids", "documents", "metadatas", "distances"}
    assert res["embeddings"] is None  # excluded by default


def test_query_identical_vectors_tie(guide_collection):
    res = guide_collection.query(query_embeddings=[[1.1, 2.3, 3.2]], n_results=2)
    assert set(res["ids"][0]) == {"id1", "id3"}
    np.testing.assert_allclose(res["distances"][0], [0.0, 0.0], atol=1e-5)


def test_query_wrong_dimension_raises(guide_collection):
    with pytest.raises(ChromaError, match="dimension"):
        guide_collection.query(query_embeddings=[[1.0, 2.0]], n_results=1)


def test_query_by_texts(client, emb_fn):
    collection = client.create_collection(name="texts", embedding_function=emb_fn)
    docs = ["doc10", "thus spake zarathustra", "search_string in a doc", "search_string also", "unrelated"]
    metas = [{"metadata_field": "is_equal_to_this"}] * 4 + [{"metadata_field": "no"}]
    collection.add(ids=[f"t{i}" for i in range(5)], documents=docs, metadatas=metas)
    res = collection.query(
        query_texts=["doc10", "thus spake zarathustra"],
        n_results=10,
        where={"metadata_field": "is_equal_to_this"},
        where_document={"$contains": "search_string"},
    )
    # only t2 and t3 pass both filters; ordered by distance to each query's embedding
    for text, ids, dists in zip(["doc10", "thus spake zarathustra"], res["ids"], res["distances"]):
        q = emb_fn([text])[0]
        expected = sorted(["t2", "t3"], key=lambda i: l2(q, emb_fn([docs[int(i[1])]])[0]))
        assert ids == expected
        assert dists == sorted(dists)
    # without filters, each text finds its own document first at distance 0
    res = collection.query(query_texts=["doc10", "thus spake zarathustra"], n_results=10)
    assert [r[0] for r in res["ids"]] == ["t0", "t1"]
    assert len(res["ids"][0]) == 5
    np.testing.assert_allclose([d[0] for d in res["distances"]], [0.0, 0.0], atol=1e-5)


def test_get_by_ids_and_where(guide_collection):
    got = guide_collection.get(
        ids=["id1", "id2", "id3"],
        where={"style": "style1"},
    )
    assert got["ids"] == ["id1", "id3"]
    assert got["documents"] == ["search_string is here", "another search_string"]
    assert got["metadatas"][0]["style"] == "style1"


def test_get_with_only_filters(guide_collection):
    # "If no ids are supplied, it will return all items ... that match the where and where_document filters."
    got = guide_collection.get(where={"style": "style2"}, where_document={"$contains": "search_string"})
    assert got["ids"] == ["id5"]


def test_include_documents_only(guide_collection):
    # Only get documents and ids
    got = guide_collection.get(
        include=["documents"]
    )
    assert got["ids"] == GUIDE_IDS
    assert got["documents"][0] == "search_string is here"
    assert got["metadatas"] is None
    assert got["embeddings"] is None

    res = guide_collection.query(
        query_embeddings=[[11.1, 12.1, 13.1], [1.1, 2.3, 3.2]],
        include=["documents"]
    )
    assert len(res["ids"]) == 2 and all(len(r) == 5 for r in res["ids"])
    assert res["documents"] is not None and len(res["documents"][0]) == 5
    assert res["metadatas"] is None
    assert res["distances"] is None
    assert res["embeddings"] is None


def test_include_embeddings(guide_collection):
    got = guide_collection.get(ids=["id2"], include=["embeddings"])
    np.testing.assert_allclose(np.asarray(got["embeddings"]), [np.float32(GUIDE_EMBEDDINGS[1])])
    assert got["documents"] is None


# -- Using where filters --------------------------------------------------------------------------
@pytest.fixture
def filter_collection(client):
    collection = client.create_collection(name="filters")
    collection.add(
        ids=["a", "b", "c", "d", "e"],
        embeddings=[[float(i), 0.0] for i in range(5)],
        documents=["apple pie", "banana bread", "cherry tart", None, "apple crumble"],
        metadatas=[
            {"metadata_field": "search_string", "version": 1, "price": 1.5},
            {"metadata_field": "other", "version": 2, "price": 3.0},
            {"metadata_field": "search_string", "version": 3, "price": 10},
            {"metadata_field": "value2"},
            {"metadata_field": "value3", "version": 1, "price": 7.25},
        ],
    )
    return collection


def ids_where(collection, where=None, where_document=None) -> list[str]:
    return collection.get(where=where, where_document=where_document)["ids"]


def test_where_shorthand_equals_eq(filter_collection):
    shorthand = {"metadata_field": "search_string"}
    explicit = {"metadata_field": {"$eq": "search_string"}}
    assert ids_where(filter_collection, shorthand) == ["a", "c"]
    assert ids_where(filter_collection, explicit) == ["a", "c"]


WHERE_OPERATORS_CASES = [
    ({"version": {"$eq": 1}}, ["a", "e"]),
    ({"price": {"$eq": 3}}, ["b"]),  # int operand equals a float value numerically
    ({"version": {"$gt": 1}}, ["b", "c"]),
    ({"version": {"$gte": 2}}, ["b", "c"]),
    ({"price": {"$lt": 3.0}}, ["a"]),
    ({"price": {"$lte": 7.25}}, ["a", "b", "e"]),
    ({"price": {"$gt": 5}}, ["c", "e"]),
    ({"metadata_field": {"$in": ["value1", "value2", "value3"]}}, ["d", "e"]),
    ({"version": {"$in": [2, 3]}}, ["b", "c"]),
]


def test_where_operators(filter_collection):
    for where, expected in WHERE_OPERATORS_CASES:
        assert ids_where(filter_collection, where) == expected, where


def test_where_ne_matches_records_lacking_the_key(filter_collection):
    # The guide says records without `version` are skipped by $ne; Chroma 1.5.9 returns them
    # (negative operators match records lacking the key, spec section 13).
    assert ids_where(filter_collection, {"version": {"$ne": 1}}) == ["b", "c", "d"]
    assert ids_where(filter_collection, {"metadata_field": {"$ne": "search_string"}}) == ["b", "d", "e"]


def test_where_nin(filter_collection):
    assert ids_where(filter_collection, {"metadata_field": {"$nin": ["value1", "value2", "value3"]}}) == ["a", "b", "c"]
    # 1.5.9: $nin also matches records lacking the key
    assert ids_where(filter_collection, {"version": {"$nin": [1, 2]}}) == ["c", "d"]


def test_where_document_contains_and_not_contains(filter_collection):
    # Filtering for a search_string
    assert ids_where(filter_collection, where_document={"$contains": "apple"}) == ["a", "e"]
    # Filtering for not contains (a record without a document matches)
    assert ids_where(filter_collection, where_document={"$not_contains": "apple"}) == ["b", "c", "d"]


def test_where_and(filter_collection):
    where = {
        "$and": [
            {"metadata_field": {"$eq": "search_string"}},
            {"version": {"$gte": 2}},
        ]
    }
    assert ids_where(filter_collection, where) == ["c"]


def test_where_or(filter_collection):
    where = {
        "$or": [
            {"metadata_field": {"$eq": "other"}},
            {"price": {"$gt": 7}},
        ]
    }
    assert ids_where(filter_collection, where) == ["b", "c", "e"]


def test_where_in_query(filter_collection):
    res = filter_collection.query(query_embeddings=[[0.0, 0.0]], n_results=10, where={"version": {"$in": [1, 3]}})
    # a at x=0, c at x=2, e at x=4: nearest first
    assert res["ids"] == [["a", "c", "e"]]
    np.testing.assert_allclose(res["distances"][0], [0.0, 4.0, 16.0], rtol=1e-6)


# -- Updating data ---------------------------------------------------------------------------
def test_update(client, emb_fn):
    collection = client.create_collection(name="upd", embedding_function=emb_fn)
    collection.add(
        ids=["id1", "id2", "id3"],
        embeddings=[[0.0] * 3] * 3,
        metadatas=[{"chapter": "1", "keep": True}] * 3,
        documents=["old1", "old2", "old3"],
    )
    collection.update(
        ids=["id1", "id2", "id3"],
        embeddings=GUIDE_EMBEDDINGS[:3],
        metadatas=GUIDE_METADATAS[:3],
        documents=["doc1", "doc2", "doc3"],
    )
    got = collection.get(include=["documents", "metadatas", "embeddings"])
    assert got["ids"] == ["id1", "id2", "id3"]
    assert got["documents"] == ["doc1", "doc2", "doc3"]
    # metadata merged key by key (1.5.9): the old "keep" key stays
    assert got["metadatas"] == [{**m, "keep": True} for m in GUIDE_METADATAS[:3]]
    np.testing.assert_allclose(np.asarray(got["embeddings"]), np.asarray(GUIDE_EMBEDDINGS[:3], np.float32))


def test_update_missing_id_is_ignored(client):
    # The guide says an error is logged; Chroma 1.5.9 silently ignores it (spec section 13).
    collection = client.create_collection(name="upd")
    collection.add(ids=["id1"], embeddings=[[1.0, 2.0, 3.0]], documents=["one"])
    collection.update(ids=["id1", "nope"], documents=["ONE", "ghost"], embeddings=[[3.0, 2.0, 1.0]] * 2)
    assert collection.count() == 1
    assert collection.get()["ids"] == ["id1"]
    assert collection.get()["documents"] == ["ONE"]


def test_update_documents_recomputes_embeddings(client, emb_fn):
    # "If documents are supplied without corresponding embeddings, the embeddings will be
    # recomputed with the collection's embedding function."
    collection = client.create_collection(name="upd", embedding_function=emb_fn)
    collection.add(ids=["id1"], documents=["before"])
    collection.update(ids=["id1"], documents=["after the update"])
    got = collection.get(ids=["id1"], include=["documents", "embeddings"])
    assert got["documents"] == ["after the update"]
    np.testing.assert_allclose(np.asarray(got["embeddings"])[0], emb_fn(["after the update"])[0], rtol=1e-6)


def test_upsert(client):
    collection = client.create_collection(name="ups")
    collection.add(ids=["id1"], embeddings=[[0.0, 0.0, 0.0]], metadatas=[{"chapter": "0", "old": 1}], documents=["old"])
    collection.upsert(
        ids=["id1", "id2", "id3"],
        embeddings=GUIDE_EMBEDDINGS[:3],
        metadatas=GUIDE_METADATAS[:3],
        documents=["doc1", "doc2", "doc3"],
    )
    assert collection.count() == 3
    got = collection.get(include=["documents", "metadatas", "embeddings"])
    assert got["ids"] == ["id1", "id2", "id3"]
    assert got["documents"] == ["doc1", "doc2", "doc3"]
    assert got["metadatas"] == [{"chapter": "3", "verse": "16", "old": 1}, GUIDE_METADATAS[1], GUIDE_METADATAS[2]]
    np.testing.assert_allclose(np.asarray(got["embeddings"]), np.asarray(GUIDE_EMBEDDINGS[:3], np.float32))


# -- Deleting data -----------------------------------------------------------------------------
def test_delete_ids_and_where(client):
    collection = client.create_collection(name="del")
    collection.add(ids=GUIDE_IDS, embeddings=GUIDE_EMBEDDINGS, metadatas=GUIDE_METADATAS)
    collection.delete(
        ids=["id1", "id2", "id3", "id4"],
        where={"chapter": "20"}
    )
    # only id4 is both in ids and in chapter 20
    assert collection.get()["ids"] == ["id1", "id2", "id3", "id5"]
    assert collection.count() == 4


def test_delete_where_only(client):
    # "If no ids are supplied, it will delete all items in the collection that match the where filter."
    collection = client.create_collection(name="del")
    collection.add(ids=GUIDE_IDS, embeddings=GUIDE_EMBEDDINGS, metadatas=GUIDE_METADATAS)
    collection.delete(where={"chapter": "20"})
    assert collection.get()["ids"] == ["id1", "id2", "id3"]
    res = collection.query(query_embeddings=[[9.0, 9.5, 10.0]], n_results=10)
    assert "id4" not in res["ids"][0] and "id5" not in res["ids"][0]


def test_delete_ids_only(client):
    collection = client.create_collection(name="del")
    collection.add(ids=GUIDE_IDS, embeddings=GUIDE_EMBEDDINGS, metadatas=GUIDE_METADATAS)
    collection.delete(ids=["id1", "id3", "missing"])
    assert collection.get()["ids"] == ["id2", "id4", "id5"]


def test_example_script_runs(tmp_path):
    """`make example` runs examples/usage_guide.py; it must work, twice on the same directory."""
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parent.parent / "examples" / "usage_guide.py"
    for _ in range(2):
        out = subprocess.run(
            [sys.executable, str(script), str(tmp_path / "example")], capture_output=True, text=True, timeout=120
        )
        assert out.returncode == 0, out.stderr
    assert "## client.heartbeat()" in out.stdout
    assert "dimension of 3, got 2" in out.stdout
