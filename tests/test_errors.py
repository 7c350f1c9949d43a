"""Bad input: the right exception class, a message that says what was wrong, and nothing
written (count and get unchanged afterwards). Spec sections 6, 8.6-8.8."""
from __future__ import annotations

import math

import numpy as np
import pytest

from chromadb.errors import (
    ChromaError,
    DuplicateIDError,
    InvalidArgumentError,
    NotFoundError,
    UniqueConstraintError,
)
from chromadb.model.records import RecordBatch

BAD_INPUT = (ValueError, TypeError, InvalidArgumentError)


def _filled(client):
    c = client.create_collection("errors", embedding_function=None)
    c.add(
        ids=["a", "b", "c"],
        embeddings=[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]],
        documents=["doc a", "doc b", "doc c"],
        metadatas=[{"k": 1}, {"k": 2}, None],
    )
    return c


@pytest.fixture
def coll(local_client):
    """For input the client refuses before sending anything (the same Collection code runs
    over HTTP, so the in-process client is enough)."""
    return _filled(local_client)


@pytest.fixture
def served(client):
    """For errors the engine or the server decides: run through both backends."""
    return _filled(client)


def state(c) -> tuple:
    got = c.get(include=["documents", "metadatas", "embeddings", "uris"])
    return (
        c.count(),
        got["ids"],
        got["documents"],
        got["metadatas"],
        got["uris"],
        np.asarray(got["embeddings"]).tolist(),
    )


@pytest.fixture
def unchanged(coll):
    """Yields the collection; afterwards asserts nothing was written."""
    before = state(coll)
    yield coll
    assert state(coll) == before


@pytest.fixture
def served_unchanged(served):
    before = state(served)
    yield served
    assert state(served) == before


WRITES = ["add", "upsert", "update"]


# -- embeddings ---------------------------------------------------------------------------------
@pytest.mark.parametrize("op", WRITES)
def test_wrong_dimension(served_unchanged, op):
    with pytest.raises(InvalidArgumentError, match="expecting embedding with dimension of 3, got 2"):
        getattr(served_unchanged, op)(ids=["a", "new"], embeddings=[[1.0, 2.0], [3.0, 4.0]])


def test_wrong_dimension_query(served_unchanged):
    with pytest.raises(InvalidArgumentError, match="dimension of 3, got 4"):
        served_unchanged.query(query_embeddings=[[1.0, 2.0, 3.0, 4.0]], n_results=1)


@pytest.mark.parametrize("op", WRITES)
def test_inconsistent_dimensions_in_batch(unchanged, op):
    with pytest.raises(BAD_INPUT, match="(?i)inconsistent dimensions"):
        getattr(unchanged, op)(ids=["a", "new"], embeddings=[[1.0, 2.0, 3.0], [3.0, 4.0]])


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("op", WRITES)
def test_non_finite_embedding(unchanged, op, bad):
    with pytest.raises(BAD_INPUT, match="(?i)finite|nan"):
        getattr(unchanged, op)(ids=["new", "a"], embeddings=[[1.0, 2.0, 3.0], [1.0, bad, 3.0]])


def test_non_finite_numpy_embedding(unchanged):
    vectors = np.ones((2, 3), dtype=np.float32)
    vectors[1, 1] = np.nan
    with pytest.raises(BAD_INPUT, match="(?i)finite|nan"):
        unchanged.add(ids=["n1", "n2"], embeddings=vectors)


def test_nan_query(unchanged):
    with pytest.raises(BAD_INPUT):
        unchanged.query(query_embeddings=[[1.0, math.nan, 3.0]], n_results=1)


def test_huge_finite_values_are_accepted(unchanged):
    # their sum overflows float32: finite input must still pass the finiteness check
    big = [[3e38, 3e38, 3e38]]
    unchanged.add(ids=["huge"], embeddings=big)
    assert unchanged.get(ids=["huge"])["ids"] == ["huge"]
    unchanged.delete(ids=["huge"])


@pytest.mark.parametrize("embeddings", [["not", "numbers", "!"], [[1.0, "x", 3.0]], "abc", [[]], [[True, False, True]]])
def test_embeddings_of_wrong_type(unchanged, embeddings):
    with pytest.raises(BAD_INPUT):
        unchanged.add(ids=["new"], embeddings=embeddings)


# -- ids --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("op", WRITES)
def test_empty_id(unchanged, op):
    with pytest.raises(BAD_INPUT, match="(?i)empty"):
        getattr(unchanged, op)(ids=["new", ""], embeddings=[[1.0, 2.0, 3.0]] * 2)


@pytest.mark.parametrize("op", WRITES)
def test_duplicate_ids_in_batch(unchanged, op):
    with pytest.raises(DuplicateIDError, match="Expected IDs to be unique, found duplicates of: dup"):
        getattr(unchanged, op)(ids=["dup", "x", "dup"], embeddings=[[1.0, 2.0, 3.0]] * 3)
    assert issubclass(DuplicateIDError, ChromaError)


def test_duplicate_existing_ids_in_batch(unchanged):
    with pytest.raises(DuplicateIDError, match="a"):
        unchanged.upsert(ids=["a", "a"], embeddings=[[0.0, 0.0, 0.0]] * 2)


@pytest.mark.parametrize("ids", [[], [1, 2], [None], "", 42])
def test_bad_ids(unchanged, ids):
    with pytest.raises(BAD_INPUT):
        unchanged.add(ids=ids, embeddings=[[1.0, 2.0, 3.0]])


# -- lengths ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs",
    [
        {"embeddings": [[1.0, 2.0, 3.0]] * 2},
        {"embeddings": [[1.0, 2.0, 3.0]] * 4},
        {"embeddings": [[1.0, 2.0, 3.0]] * 3, "documents": ["x", "y"]},
        {"embeddings": [[1.0, 2.0, 3.0]] * 3, "metadatas": [{"m": 1}] * 4},
        {"embeddings": [[1.0, 2.0, 3.0]] * 3, "uris": ["u"]},
    ],
)
@pytest.mark.parametrize("op", WRITES)
def test_mismatched_lengths(unchanged, op, kwargs):
    with pytest.raises(BAD_INPUT, match="(?i)inconsistent number|number of"):
        getattr(unchanged, op)(ids=["a", "n1", "n2"], **kwargs)


# -- metadata ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "metadata, message",
    [
        ({"": 1}, "key"),
        ({"#doc": 1}, "#"),
        ({"$key": 1}, r"\$"),
        ({"chroma:document": "x"}, "chroma:document"),
        ({"nested": {"a": 1}}, "nested"),
        ({"empty_list": []}, "empty_list"),
        ({"mixed": [1, "a"]}, "mixed"),
        ({"list_of_lists": [[1]]}, "list_of_lists"),
        ({"none_in_list": [None]}, "none_in_list"),
        ({"huge": 2**64}, "huge"),
        ({"nan": math.nan}, "nan"),
        ({"bytes": b"x"}, "bytes"),
        ({}, "(?i)non-empty|empty"),
    ],
)
@pytest.mark.parametrize("op", WRITES)
def test_invalid_metadata(unchanged, op, metadata, message):
    with pytest.raises(BAD_INPUT, match=message):
        getattr(unchanged, op)(
            ids=["a", "new"], embeddings=[[1.0, 2.0, 3.0]] * 2, metadatas=[{"ok": 1}, metadata]
        )


def test_non_string_metadata_key(unchanged):
    with pytest.raises(BAD_INPUT):
        unchanged.add(ids=["new"], embeddings=[[1.0, 2.0, 3.0]], metadatas=[{1: "x"}])


def test_none_metadata_value_in_add(unchanged):
    with pytest.raises(BAD_INPUT, match="None"):
        unchanged.add(ids=["new"], embeddings=[[1.0, 2.0, 3.0]], metadatas=[{"k": None}])


@pytest.mark.parametrize("metadatas", ["not a list", [["k", 1]], [1]])
def test_metadatas_of_wrong_type(unchanged, metadatas):
    with pytest.raises(BAD_INPUT):
        unchanged.add(ids=["new"], embeddings=[[1.0, 2.0, 3.0]], metadatas=metadatas)


@pytest.mark.parametrize("documents", [[1], [["nested"]], 3.5])
def test_documents_of_wrong_type(unchanged, documents):
    with pytest.raises(BAD_INPUT):
        unchanged.add(ids=["new"], embeddings=[[1.0, 2.0, 3.0]], documents=documents)


# -- filters and include ------------------------------------------------------------------------------
@pytest.mark.parametrize("where", [{"k": {"$gt": "a"}}, {"k": {"$bogus": 1}}, {"k": 1, "j": 2}, "k=1", {"$and": 5}])
def test_bad_where(unchanged, where):
    with pytest.raises(ValueError, match="(?i)where|operator|expected"):
        unchanged.get(where=where)
    with pytest.raises(ValueError):
        unchanged.query(query_embeddings=[[1.0, 2.0, 3.0]], where=where)
    with pytest.raises(ValueError):
        unchanged.delete(where=where)


@pytest.mark.parametrize("where_document", [{"$contains": ""}, {"$bogus": "a"}, {"$regex": "(unclosed"}, "text"])
def test_bad_where_document(unchanged, where_document):
    with pytest.raises(ValueError, match="(?i)where document|regular expression|expected"):
        unchanged.get(where_document=where_document)
    with pytest.raises(ValueError):
        unchanged.query(query_embeddings=[[1.0, 2.0, 3.0]], where_document=where_document)
    with pytest.raises(ValueError):
        unchanged.delete(where_document=where_document)


@pytest.mark.parametrize("include", [["bogus"], ["documents", "nope"], "documents", ["distances"]])
def test_bad_include_get(unchanged, include):
    with pytest.raises(BAD_INPUT, match="(?i)include"):
        unchanged.get(include=include)


@pytest.mark.parametrize("include", [["bogus"], ["Documents"], "distances"])
def test_bad_include_query(unchanged, include):
    with pytest.raises(BAD_INPUT, match="(?i)include"):
        unchanged.query(query_embeddings=[[1.0, 2.0, 3.0]], include=include)


# -- query arguments -----------------------------------------------------------------------------------
@pytest.mark.parametrize("n_results", [0, -1])
def test_n_results_not_positive(unchanged, n_results):
    with pytest.raises(BAD_INPUT, match="(?i)negative|zero"):
        unchanged.query(query_embeddings=[[1.0, 2.0, 3.0]], n_results=n_results)


@pytest.mark.parametrize("n_results", ["5", 2.5, None])
def test_n_results_wrong_type(unchanged, n_results):
    with pytest.raises(BAD_INPUT):
        unchanged.query(query_embeddings=[[1.0, 2.0, 3.0]], n_results=n_results)


def test_query_needs_exactly_one_input(unchanged):
    with pytest.raises(ValueError):
        unchanged.query(n_results=1)
    with pytest.raises(ValueError):
        unchanged.query(query_embeddings=[[1.0, 2.0, 3.0]], query_texts=["x"], n_results=1)


def test_query_texts_without_embedding_function(unchanged):
    with pytest.raises(ValueError, match="(?i)embedding function"):
        unchanged.query(query_texts=["hello"], n_results=1)


@pytest.mark.parametrize("limit, offset", [(-1, None), (None, -1), ("2", None), (1.5, None)])
def test_bad_limit_offset(unchanged, limit, offset):
    with pytest.raises(BAD_INPUT):
        unchanged.get(limit=limit, offset=offset)


def test_delete_without_arguments(unchanged):
    with pytest.raises(ValueError):
        unchanged.delete()


# -- batch size ----------------------------------------------------------------------------------------
def test_batch_too_large(client):
    c = client.create_collection("too-big", embedding_function=None)
    n = client.get_max_batch_size() + 1
    with pytest.raises((ValueError, ChromaError), match="(?i)batch|at once"):
        c.add(ids=[f"i{i}" for i in range(n)], embeddings=np.zeros((n, 1), dtype=np.float32))
    assert c.count() == 0


# -- collections -----------------------------------------------------------------------------------------
def test_missing_collection(client):
    with pytest.raises(NotFoundError, match=r"Collection \[nope-nope\] does not exist"):
        client.get_collection("nope-nope")
    with pytest.raises(NotFoundError):
        client.delete_collection("nope-nope")
    assert client.count_collections() == 0


def test_missing_collection_record_ops(client):
    c = client.create_collection("short-lived", embedding_function=None)
    client.delete_collection("short-lived")
    for call in (
        lambda: c.add(ids=["a"], embeddings=[[1.0]]),
        lambda: c.upsert(ids=["a"], embeddings=[[1.0]]),
        lambda: c.update(ids=["a"], embeddings=[[1.0]]),
        lambda: c.delete(ids=["a"]),
        lambda: c.get(),
        lambda: c.query(query_embeddings=[[1.0]]),
        lambda: c.count(),
    ):
        with pytest.raises(NotFoundError):
            call()
    assert client.count_collections() == 0


def test_duplicate_collection_name(client):
    client.create_collection("once", metadata={"v": 1})
    with pytest.raises(ChromaError, match=r"Collection \[once\] already exists") as info:
        client.create_collection("once", metadata={"v": 2})
    assert isinstance(info.value, UniqueConstraintError) or type(info.value) is ChromaError
    assert client.count_collections() == 1
    assert client.get_collection("once").metadata == {"v": 1}


# -- the server's door refuses the same input ---------------------------------------------------------------
BAD_BATCHES = [
    (["", "x"], [[1.0, 1.0, 1.0]] * 2, None),
    (["x", "x"], [[1.0, 1.0, 1.0]] * 2, None),
    (["x", "y"], [[1.0, 1.0, 1.0]], None),
    (["x", "y"], [[1.0, 1.0, 1.0], [1.0, 1.0]], None),
    (["x"], [[1.0, 1.0, 1.0]], [{"#bad": 1}]),
    (["x"], [[1.0, 1.0, 1.0]], [{"k": None}]),
    (["x"], [[1.0, 1.0, 1.0]], [{"k": {"nested": 1}}]),
]


@pytest.mark.parametrize("case", BAD_BATCHES, ids=repr)
def test_server_decoder_refuses_bad_batches(case):
    # what the Collection refuses client-side, the server refuses when it decodes the body
    from chromadb.server import wire

    ids, embeddings, metadatas = case
    with pytest.raises(ChromaError) as info:
        wire.decode_add({"ids": ids, "embeddings": embeddings, "metadatas": metadatas})
    assert info.value.code() in (400, 422)
    with pytest.raises((ValueError, TypeError, ChromaError)):
        RecordBatch.build("add", ids, embeddings, metadatas)


def test_backend_refuses_a_batch_of_the_wrong_dimension(served):
    # the one write rule no door can check alone: the collection's dimension
    coll = served
    before = state(coll)
    batch = RecordBatch.build("add", ["x"], np.ones((1, 5), np.float32))
    with pytest.raises(ChromaError, match="dimension"):
        coll._client._backend.add(str(coll.id), batch, tenant=coll.tenant, database=coll.database)
    assert state(coll) == before
