"""What the public helpers of chromadb.api.types, utils, config, errors and auth do.

Accept/reject tables are upstream 1.5.9's behaviour for the same inputs.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import chromadb
from chromadb import errors
from chromadb.api import types as t
from chromadb.api.collection_configuration import CreateCollectionConfiguration
from chromadb.auth import UserIdentity
from chromadb.auth.token_authn import TokenAuthClientProvider, TokenAuthenticationServerProvider, TokenTransportHeader
from chromadb.config import APIVersion, Component, Settings, System, get_class, get_fqn
from chromadb.utils import distance_functions as df
from chromadb.utils.batch_utils import create_batches

WHERE_OK = [
    {"a": 1},
    {"a": {"$gt": 1}},
    {"$and": [{"a": 1}, {"b": 2}]},
    {"#document": {"$contains": "x"}},
    {"a": {"$contains": 1}},
    {"a": {"$in": [1, 2]}},
]
WHERE_BAD = [
    {"$and": [{"a": 1}]},
    {"a": {"$gt": "x"}},
    {"a": {"$in": []}},
    {"a": {"$in": [1, "x"]}},
    {"a": {"$foo": 1}},
    {"a": [1]},
    {},
    {"a": 1, "b": 2},
    {"a": None},
    {"a": {"$regex": "x"}},
    {"$or": {"a": 1}},
    {1: 2},
]


@pytest.mark.parametrize("where", WHERE_OK, ids=repr)
def test_validate_where_accepts(where) -> None:
    assert t.validate_where(where) is None


@pytest.mark.parametrize("where", WHERE_BAD, ids=repr)
def test_validate_where_rejects(where) -> None:
    with pytest.raises(ValueError):
        t.validate_where(where)


@pytest.mark.parametrize(
    ("where_document", "ok"),
    [
        ({"$contains": "x"}, True),
        ({"$not_regex": "a+"}, True),
        ({"$regex": "["}, True),  # the pattern is the database's to check, as upstream
        ({"$and": [{"$contains": "x"}, {"$not_contains": "y"}]}, True),
        ({"$contains": ""}, False),
        ({"$and": [{"$contains": "x"}]}, False),
        ({"$foo": "x"}, False),
        ({}, False),
        ({"$contains": 1}, False),
    ],
    ids=repr,
)
def test_validate_where_document(where_document, ok) -> None:
    if ok:
        t.validate_where_document(where_document)
    else:
        with pytest.raises(ValueError):
            t.validate_where_document(where_document)


@pytest.mark.parametrize(
    ("metadata", "error"),
    [
        ({"a": 1, "b": "x", "c": 1.5, "d": True}, None),
        ({"a": None}, None),
        ({"a": [1, 2]}, None),
        (None, None),
        ({}, ValueError),
        ({"a": []}, ValueError),
        ({"a": [1, "x"]}, ValueError),
        ({"a": {"b": 1}}, ValueError),
        ({1: 1}, TypeError),
        ({"chroma:document": "x"}, ValueError),
    ],
    ids=repr,
)
def test_validate_metadata(metadata, error) -> None:
    if error is None:
        assert t.validate_metadata(metadata) == metadata
    else:
        with pytest.raises(error):
            t.validate_metadata(metadata)


def test_validate_metadata_refuses_at_once_what_the_server_refuses_later() -> None:
    # upstream's client lets these through and its server refuses them
    for metadata in ({"#a": 1}, {"$a": 1}, {"a": math.nan}, {"a": 2**70}):
        with pytest.raises(ValueError):
            t.validate_metadata(metadata)


def test_validate_update_metadata_and_metadatas() -> None:
    assert t.validate_update_metadata(None) is None
    assert t.validate_update_metadata({"a": None}) == {"a": None}
    with pytest.raises(ValueError):
        t.validate_update_metadata({})
    with pytest.raises(ValueError):
        t.validate_update_metadata("a=1")  # type: ignore[arg-type]
    assert t.validate_metadatas([{"a": 1}, None]) == [{"a": 1}, None]
    with pytest.raises(ValueError):
        t.validate_metadatas({"a": 1})  # type: ignore[arg-type]


def test_validate_ids() -> None:
    assert t.validate_ids(["a", "b"]) == ["a", "b"]
    for bad in ("a", [], ["a", 1], ("a",)):
        with pytest.raises(ValueError):
            t.validate_ids(bad)  # type: ignore[arg-type]
    with pytest.raises(errors.DuplicateIDError, match="duplicates of: a"):
        t.validate_ids(["a", "b", "a"])


def test_validate_embeddings_and_normalize_embeddings() -> None:
    vectors = t.normalize_embeddings([[1, 2], [3, 4]])
    assert [v.dtype for v in vectors] == [np.float32, np.float32]
    assert t.validate_embeddings(vectors) is vectors
    assert len(t.normalize_embeddings([1.0, 2.0])) == 1  # one vector
    assert len(t.normalize_embeddings(np.zeros((3, 2)))) == 3
    assert t.normalize_embeddings(None) is None
    for bad in ([], [["x"]], "abc"):
        with pytest.raises(ValueError):
            t.normalize_embeddings(bad)
    for bad in ([], [[1.0, 2.0]], [np.array([])], [np.array(["a"])], [np.float32(1.0)], "x"):
        with pytest.raises(ValueError):
            t.validate_embeddings(bad)  # type: ignore[arg-type]


def test_validate_documents_include_n_results() -> None:
    t.validate_documents(["a", "b"])
    t.validate_documents(["a", None], nullable=True)
    for bad in ([], ["a", None], "a", [1]):
        with pytest.raises(ValueError):
            t.validate_documents(bad)  # type: ignore[arg-type]
    t.validate_include(["documents", "distances"])
    with pytest.raises(ValueError):
        t.validate_include(["distances"], dissalowed=["distances"])
    with pytest.raises(ValueError):
        t.validate_include(["everything"])  # type: ignore[list-item]
    with pytest.raises(ValueError):
        t.validate_include("documents")  # type: ignore[arg-type]
    assert t.validate_n_results(3) == 3
    with pytest.raises(TypeError):
        t.validate_n_results(0)
    with pytest.raises(ValueError):
        t.validate_n_results(1.5)  # type: ignore[arg-type]


def test_maybe_cast_one_to_many_and_kinds() -> None:
    assert t.maybe_cast_one_to_many("a") == ["a"]
    assert t.maybe_cast_one_to_many(["a"]) == ["a"]
    assert t.maybe_cast_one_to_many(None) is None
    assert t.is_document("x") and not t.is_document(1)
    assert t.is_image(np.zeros((2, 2))) and not t.is_image(np.zeros(3))


def test_validate_embedding_function_signature(emb_fn) -> None:
    t.validate_embedding_function(emb_fn)

    class WrongSignature:
        def __call__(self, texts):  # not `input`
            return []

    with pytest.raises(ValueError, match="signature"):
        t.validate_embedding_function(WrongSignature())  # type: ignore[arg-type]


def test_embedding_function_names_are_ours(emb_fn) -> None:
    from chromadb.embedding_functions import DefaultEmbeddingFunction, EmbeddingFunction

    assert t.EmbeddingFunction is EmbeddingFunction is chromadb.EmbeddingFunction
    assert t.DefaultEmbeddingFunction is DefaultEmbeddingFunction
    assert isinstance(emb_fn, chromadb.api.EmbeddingFunction)


def test_sparse_embedding_function_protocol() -> None:
    class Counts(chromadb.SparseEmbeddingFunction):
        def __call__(self, input):
            if input == ["bad"]:
                return [{"indices": [3], "values": [1.0]}]  # not a SparseVector
            return [chromadb.SparseVector(indices=[len(x)], values=[1.0]) for x in input]

        @staticmethod
        def name() -> str:
            return "counts"

        def get_config(self):
            return {}

        @staticmethod
        def build_from_config(config):
            return Counts()

    ef = Counts()
    assert isinstance(ef, t.SparseEmbeddingFunction)
    assert ef.embed_query(["abc"]) == [chromadb.SparseVector(indices=[3], values=[1.0])]
    # what __call__ returns is checked, as upstream's protocol does
    with pytest.raises(ValueError, match="SparseVector instance at position 0"):
        ef(["bad"])
    with pytest.raises(ValueError, match="non-empty list"):
        t.validate_sparse_vectors([])
    with pytest.raises(ValueError, match="to be a list"):
        t.validate_sparse_vectors(chromadb.SparseVector(indices=[1], values=[1.0]))  # type: ignore[arg-type]
    t.validate_sparse_embedding_function(ef)
    assert not isinstance(object(), t.SparseEmbeddingFunction)


def test_search_result_rows() -> None:
    result = t.SearchResult(
        ids=[["a", "b"], ["c"]],
        documents=[["doc a", None], None],
        metadatas=[None, [{"k": 1}]],
        scores=[[0.1, 0.2], [0.3]],
        embeddings=None,
    )
    assert result.rows() == [
        [{"id": "a", "document": "doc a", "score": 0.1}, {"id": "b", "score": 0.2}],
        [{"id": "c", "metadata": {"k": 1}, "score": 0.3}],
    ]
    assert t.SearchResult().rows() == []


def test_create_collection_configuration_is_a_dict_create_collection_takes(local_client) -> None:
    config: CreateCollectionConfiguration = {"hnsw": {"space": "cosine", "ef_search": 77}}
    col = local_client.create_collection("configured", configuration=config, embedding_function=None)
    assert col.configuration_json["hnsw"]["space"] == "cosine"
    assert col.configuration_json["hnsw"]["ef_search"] == 77


# -- batch_utils ----------------------------------------------------------------------------
class _Api:
    def __init__(self, size: int) -> None:
        self.size = size

    def get_max_batch_size(self) -> int:
        return self.size


def test_create_batches_splits_like_upstream() -> None:
    ids = [f"id{i}" for i in range(5)]
    embeddings = [[float(i)] for i in range(5)]
    metadatas = [{"i": i} for i in range(5)]
    documents = [f"doc{i}" for i in range(5)]
    batches = create_batches(_Api(2), ids, embeddings, metadatas, documents)
    assert [b[0] for b in batches] == [["id0", "id1"], ["id2", "id3"], ["id4"]]
    assert batches[2] == (["id4"], [[4.0]], [{"i": 4}], ["doc4"])
    # fits: one batch, the very same objects
    whole = create_batches(_Api(5), ids, embeddings, metadatas, documents)
    assert len(whole) == 1 and whole[0][0] is ids and whole[0][1] is embeddings
    # missing (or empty) columns stay None in split batches
    assert create_batches(_Api(2), ids, None, [], None)[0] == (["id0", "id1"], None, None, None)


def test_create_batches_with_a_client(local_client) -> None:
    ids = [str(i) for i in range(local_client.get_max_batch_size() + 1)]
    batches = create_batches(local_client, ids)
    assert [len(b[0]) for b in batches] == [local_client.get_max_batch_size(), 1]


# -- distance functions ------------------------------------------------------------------------
def test_distance_functions() -> None:
    x, y = np.array([1.0, 0.0], dtype=np.float32), np.array([0.0, 2.0], dtype=np.float32)
    assert df.l2(x, y) == pytest.approx(5.0)
    assert df.cosine(x, y) == pytest.approx(1.0)
    assert df.cosine(x, x) == pytest.approx(0.0, abs=1e-6)
    assert df.ip(x, np.array([0.5, 3.0], dtype=np.float32)) == pytest.approx(0.5)
    assert df.cosine(np.zeros(2), np.zeros(2)) == pytest.approx(1.0)  # no division by zero


# -- config --------------------------------------------------------------------------------------
def test_settings_has_upstreams_fields(monkeypatch) -> None:
    s = Settings()
    assert s.chroma_api_impl == "chromadb.api.rust.RustBindingsAPI"
    assert s.chroma_server_thread_pool_size == 40
    assert s.chroma_server_api_default_path == APIVersion.V2
    assert s.chroma_overwrite_singleton_tenant_database_access_from_auth is False
    monkeypatch.setenv("CHROMA_QUERY_REQUEST_TIMEOUT_SECONDS", "5")
    assert Settings().chroma_query_request_timeout_seconds == 5
    assert Settings(chroma_server_nofile=1024).chroma_server_nofile == 1024
    with pytest.raises(AttributeError):
        _ = s.no_such_field
    assert s.require("persist_directory") == "./chroma"
    with pytest.raises(ValueError, match="chroma_client_auth_credentials"):
        s.require("chroma_client_auth_credentials")


def test_get_class_and_get_fqn() -> None:
    assert get_fqn(Settings) == "chromadb.config.Settings"
    assert get_class("chromadb.api.rust.RustBindingsAPI", object).__name__ == "LocalBackend"
    with pytest.raises(ValueError):
        get_class("Settings", object)


def test_system_builds_components() -> None:
    class Counter(Component):
        started = 0

        def start(self) -> None:
            Counter.started += 1

    system = System(Settings())
    counter = system.instance(Counter)
    assert system.instance(Counter) is counter and counter.require(Counter) is counter
    with pytest.raises(ValueError):
        system.instance(int)
    system.stop()
    assert system.components == []


# -- errors ----------------------------------------------------------------------------------------
def test_error_types_map_wire_names_to_classes() -> None:
    assert errors.error_types["InvalidDimension"] is errors.InvalidDimensionException
    assert errors.error_types["AuthError"] is errors.ChromaAuthError
    assert errors.error_types["ChromaError"] is errors.ChromaError
    for name, cls in errors.error_types.items():
        assert cls.name() == name
    assert len(errors.error_types) == 16


# -- auth --------------------------------------------------------------------------------------------
def _system(**settings) -> System:
    return System(Settings(**settings))


def test_token_client_provider_headers() -> None:
    bearer = TokenAuthClientProvider(_system(chroma_client_auth_credentials="s3cret"))
    assert bearer.authenticate() == {"Authorization": "Bearer s3cret"}
    header = TokenAuthClientProvider(
        _system(chroma_client_auth_credentials="s3cret", chroma_auth_token_transport_header=TokenTransportHeader.X_CHROMA_TOKEN)
    )
    assert header.authenticate() == {"X-Chroma-Token": "s3cret"}
    with pytest.raises(ValueError):
        TokenAuthClientProvider(_system(chroma_client_auth_credentials="has space"))
    with pytest.raises(ValueError):
        TokenAuthClientProvider(_system(chroma_client_auth_credentials="x", chroma_auth_token_transport_header="Cookie"))
    with pytest.raises(ValueError):
        TokenAuthClientProvider(_system())


def test_token_server_provider(tmp_path) -> None:
    single = TokenAuthenticationServerProvider(_system(chroma_server_authn_credentials="tok"))
    assert single.authenticate_or_raise({"Authorization": "Bearer tok"}) == UserIdentity("anonymous", "*", ["*"])
    for headers in ({}, {"Authorization": "tok"}, {"Authorization": "Bearer nope"}):
        with pytest.raises(errors.ChromaAuthError):
            single.authenticate_or_raise(headers)
    users = tmp_path / "users.yaml"
    users.write_text("users:\n  - id: ann\n    tenant: team\n    databases: [one]\n    tokens: [ann-token]\n  - id: bob\n    tokens: [bob-token]\n")
    many = TokenAuthenticationServerProvider(
        _system(chroma_server_authn_credentials_file=str(users), chroma_auth_token_transport_header="X-Chroma-Token")
    )
    assert many.authenticate_or_raise({"x-chroma-token": "ann-token"}) == UserIdentity("ann", "team", ["one"])
    assert many.authenticate_or_raise({"X-Chroma-Token": "bob-token"}).tenant == "*"
    with pytest.raises(errors.ChromaAuthError):
        many.authenticate_or_raise({"Authorization": "Bearer ann-token"})
