"""The Schema API through our own clients, in-process and over HTTP (the `client` fixture):
a schema's space, disabled indexes, conflicts, persistence, discovered keys, modify, and
sparse vectors computed client-side on write.

What the real server answers byte for byte is checked in test_schema_fixtures.py.
"""
from __future__ import annotations

import sqlite3

import numpy as np
import pytest

import chromadb
from chromadb import K, Schema, Search
from chromadb.api.types import (
    FtsIndexConfig,
    HnswIndexConfig,
    IntInvertedIndexConfig,
    SparseVectorIndexConfig,
    StringInvertedIndexConfig,
    VectorIndexConfig,
)
from chromadb.config import Settings
from chromadb.errors import InvalidArgumentError
from chromadb.utils.embedding_functions import ChromaBm25EmbeddingFunction
from tests.conftest import unique_name

RNG = np.random.default_rng(7)


def _schema_json(collection) -> dict:
    return collection.get_model()["schema"]


def _vector_config(collection, where: str = "#embedding") -> dict:
    schema = _schema_json(collection)
    value_types = schema["defaults"] if where == "defaults" else schema["keys"][where]
    return value_types["float_list"]["vector_index"]["config"]


@pytest.mark.parametrize("space", ["ip", "cosine", "l2"])
def test_the_space_of_a_schema_is_the_space_queries_use(client, space: str) -> None:
    schema = Schema().create_index(VectorIndexConfig(space=space, hnsw=HnswIndexConfig(ef_search=55)))
    col = client.create_collection(unique_name(), schema=schema, embedding_function=None)
    assert col.configuration_json["hnsw"]["space"] == space
    assert col.configuration_json["hnsw"]["ef_search"] == 55
    assert _vector_config(col)["space"] == space
    assert _vector_config(col, "defaults")["space"] == space

    data = RNG.normal(size=(20, 6)).astype(np.float32)
    query = RNG.normal(size=6).astype(np.float32)
    col.add(ids=[str(i) for i in range(20)], embeddings=data)
    got = col.query(query_embeddings=[query], n_results=5, include=["distances"])
    if space == "ip":
        expected = 1.0 - data @ query
    elif space == "cosine":
        expected = 1.0 - (data @ query) / (np.linalg.norm(data, axis=1) * np.linalg.norm(query))
    else:
        expected = ((data - query) ** 2).sum(axis=1)
    order = np.argsort(expected)[:5]
    assert got["ids"][0] == [str(i) for i in order]
    np.testing.assert_allclose(got["distances"][0], expected[order], rtol=1e-4, atol=1e-4)


def test_a_default_schema_takes_the_embedding_function_of_the_configuration(client, emb_fn) -> None:
    col = client.create_collection(unique_name(), schema=Schema(), embedding_function=None)
    assert "embedding_function" not in _vector_config(col)  # none given: none echoed
    plain = client.create_collection(unique_name())
    assert _vector_config(plain)["embedding_function"] == {"type": "known", "name": "default", "config": {}}
    assert plain.schema.keys["#embedding"].float_list.vector_index.config.space == "l2"


def test_schema_and_configuration_that_both_say_something_conflict(client) -> None:
    schema = Schema().delete_index(StringInvertedIndexConfig(), key="cat")
    with pytest.raises(InvalidArgumentError, match="Cannot set both collection config and schema simultaneously"):
        client.create_collection(unique_name(), schema=schema, configuration={"hnsw": {"space": "cosine"}})
    with pytest.raises(InvalidArgumentError, match="Cannot set both collection config and schema simultaneously"):
        client.create_collection(unique_name(), schema=schema, metadata={"hnsw:space": "ip"})
    # a configuration that only restates the defaults does not conflict
    col = client.create_collection(unique_name(), schema=schema, configuration={"hnsw": {"space": "l2", "ef_search": 100}})
    assert _schema_json(col)["keys"]["cat"]["string"]["string_inverted_index"]["enabled"] is False


def test_a_default_schema_beside_a_configuration_takes_the_configuration(client) -> None:
    col = client.create_collection(unique_name(), schema=Schema(), configuration={"hnsw": {"space": "ip", "ef_search": 20}})
    assert col.configuration_json["hnsw"]["space"] == "ip"
    assert _vector_config(col)["hnsw"]["ef_search"] == 20
    assert _vector_config(col)["space"] == "ip"


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        (
            {"defaults": {}, "keys": {"#foo": {"string": {"string_inverted_index": {"enabled": True, "config": {}}}}}},
            "Validation error: schema: key cannot begin with '#'. Keys starting with '#' are reserved for system use: #foo",
        ),
        (
            {"defaults": {"string": {"fts_index": {"enabled": True, "config": {}}}}, "keys": {}},
            "Validation error: schema: Full text search / regular expression index cannot be enabled by default.",
        ),
        (
            {"defaults": {}, "keys": {"v": {"float_list": {"vector_index": {"enabled": True, "config": {}}}}}},
            "Validation error: schema: Vector index can only be enabled on #embedding field: v",
        ),
        (
            {"defaults": {}, "keys": {"#document": {"int": {"int_inverted_index": {"enabled": True, "config": {}}}}}},
            "Validation error: schema: Document field cannot have any value types other than string: #document",
        ),
    ],
)
def test_invalid_schemas_are_refused_with_the_servers_message(client, schema: dict, message: str) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        client.create_collection(unique_name(), schema=schema)
    assert message in str(info.value)


def test_get_or_create_keeps_the_stored_schema_and_get_echoes_it(client) -> None:
    name = unique_name()
    first = client.create_collection(name, schema=Schema().create_index(IntInvertedIndexConfig(), key="year"))
    again = client.get_or_create_collection(name, schema=Schema().create_index(VectorIndexConfig(space="ip")))
    assert _schema_json(again) == _schema_json(first)
    assert again.configuration_json["hnsw"]["space"] == "l2"
    assert _schema_json(client.get_collection(name)) == _schema_json(first)
    listed = next(c for c in client.list_collections() if c.name == name)
    assert _schema_json(listed) == _schema_json(first)


def test_deleting_a_collection_drops_its_schema(client) -> None:
    name = unique_name()
    client.create_collection(name, schema=Schema().create_index(StringInvertedIndexConfig(), key="transient"))
    client.delete_collection(name)
    again = client.create_collection(name)
    assert set(_schema_json(again)["keys"]) == {"#document", "#embedding"}


def test_modify_updates_both_vector_indexes_of_the_schema(client) -> None:
    col = client.create_collection(unique_name(), schema=Schema().delete_index(StringInvertedIndexConfig(), key="cat"))
    col.modify(configuration={"hnsw": {"ef_search": 77, "batch_size": 50}})
    fetched = client.get_collection(col.name)
    for where in ("defaults", "#embedding"):
        for c in (col, fetched):
            hnsw = _vector_config(c, where)["hnsw"]
            assert (hnsw["ef_search"], hnsw["batch_size"]) == (77, 50)
    assert fetched.configuration_json["hnsw"]["ef_search"] == 77
    assert _schema_json(fetched)["keys"]["cat"]["string"]["string_inverted_index"]["enabled"] is False


def test_new_metadata_keys_join_the_schema_with_their_types_defaults(client) -> None:
    col = client.create_collection(unique_name(), schema=Schema().delete_index(IntInvertedIndexConfig()))
    col.add(
        ids=["a", "b"],
        embeddings=[[1.0, 0.0], [0.0, 1.0]],
        metadatas=[{"title": "x", "tags": ["p", "q"], "score": 1.5}, {"title": 3, "flag": True}],
    )
    col.upsert(ids=["c"], embeddings=[[1.0, 1.0]], metadatas=[{"late": "v"}])
    col.update(ids=["a"], metadatas=[{"title": None, "changed": 2}])
    keys = _schema_json(client.get_collection(col.name))["keys"]
    string_default = {"fts_index": {"enabled": False, "config": {}}, "string_inverted_index": {"enabled": True, "config": {}}}
    int_default = {"int_inverted_index": {"enabled": False, "config": {}}}  # this schema's default
    assert keys["title"] == {"string": string_default, "int": int_default}
    assert keys["tags"] == {"string": string_default}
    assert keys["score"] == {"float": {"float_inverted_index": {"enabled": True, "config": {}}}}
    assert keys["flag"] == {"bool": {"bool_inverted_index": {"enabled": True, "config": {}}}}
    assert keys["late"] == {"string": string_default}
    assert keys["changed"] == {"int": int_default}


def test_filters_on_a_disabled_index_are_refused(client) -> None:
    schema = Schema().delete_index(StringInvertedIndexConfig(), key="cat").delete_index(FtsIndexConfig(), key="#document")
    col = client.create_collection(unique_name(), schema=schema)
    col.add(ids=["a"], embeddings=[[1.0, 0.0]], documents=["alpha"], metadatas=[{"cat": "x", "n": 1}])
    message = "Cannot filter using metadata key 'cat' with type 'Str' because indexing is disabled"
    for call in (
        lambda: col.get(where={"cat": "x"}),
        lambda: col.get(where={"$and": [{"n": 1}, {"cat": {"$in": ["x", "y"]}}]}),
        lambda: col.query(query_embeddings=[[1.0, 0.0]], n_results=1, where={"cat": {"$ne": "x"}}),
        lambda: col.delete(where={"cat": "x"}),
        lambda: col.search(Search().where(K("cat") == "x")),
    ):
        with pytest.raises(InvalidArgumentError) as info:
            call()
        assert str(info.value) == message
    for call in (
        lambda: col.get(where_document={"$contains": "alpha"}),
        lambda: col.query(query_embeddings=[[1.0, 0.0]], n_results=1, where_document={"$regex": "a"}),
        lambda: col.delete(where_document={"$contains": "alpha"}),
        lambda: col.search(Search().where(K.DOCUMENT.contains("alpha"))),
    ):
        with pytest.raises(InvalidArgumentError, match="Cannot filter using full-text search because FTS indexing is disabled"):
            call()
    # other keys, and other value types of the same key, still filter
    assert col.get(where={"n": 1})["ids"] == ["a"]
    assert col.get(where={"cat": 5})["ids"] == []
    assert col.count() == 1


def test_a_default_that_is_off_covers_every_key_of_that_type(client) -> None:
    col = client.create_collection(unique_name(), schema=Schema().delete_index(IntInvertedIndexConfig()))
    with pytest.raises(InvalidArgumentError, match="Cannot filter using metadata key 'n' with type 'Int'"):
        col.query(query_embeddings=[[1.0, 0.0]], where={"n": {"$gt": 1}})  # refused even while empty
    assert col.get(where={"n": 1.0})["ids"] == []  # a float operand needs the float index


def _sparse(value) -> dict:
    return value.to_dict() if hasattr(value, "to_dict") else dict(value)


def test_bm25_keys_are_computed_on_write_from_documents_and_metadata(client) -> None:
    bm25 = ChromaBm25EmbeddingFunction()
    schema = Schema().create_index(
        SparseVectorIndexConfig(source_key=K.DOCUMENT, embedding_function=bm25, bm25=True), key="bm25"
    )
    col = client.create_collection(unique_name(), schema=schema, embedding_function=None)
    index = _schema_json(client.get_collection(col.name, embedding_function=None))["keys"]["bm25"]
    assert index["sparse_vector"]["sparse_vector_index"]["config"] == {
        "embedding_function": {"type": "known", "name": "chroma_bm25", "config": bm25.get_config()},
        "source_key": "#document",
        "bm25": True,
    }
    docs = ["The quick brown fox jumps over the lazy dog", "fox", "Running quickly, the runner ran faster"]
    own = {"#type": "sparse_vector", "indices": [1], "values": [2.0]}
    col.add(
        ids=["a", "b", "c"],
        embeddings=[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]],
        documents=docs,
        metadatas=[{"x": 1}, None, {"bm25": own}],
    )
    got = col.get(ids=["a", "b", "c"], include=["metadatas"])
    expected = [v.to_dict() for v in bm25(docs)]
    assert _sparse(got["metadatas"][0]["bm25"]) == expected[0] and got["metadatas"][0]["x"] == 1
    assert _sparse(got["metadatas"][1]["bm25"]) == expected[1]
    assert _sparse(got["metadatas"][2]["bm25"]) == own  # a value of the record's own is kept
    col.update(ids=["b"], embeddings=[[0.0, 1.0]], documents=["lazy dogs"])
    col.upsert(ids=["d"], embeddings=[[0.5, 0.5]], documents=["brown"])
    got = col.get(ids=["b", "d"], include=["metadatas"])
    assert _sparse(got["metadatas"][0]["bm25"]) == bm25(["lazy dogs"])[0].to_dict()
    assert _sparse(got["metadatas"][1]["bm25"]) == bm25(["brown"])[0].to_dict()


def test_a_sparse_key_can_be_sourced_from_a_metadata_field(client) -> None:
    bm25 = ChromaBm25EmbeddingFunction()
    schema = Schema().create_index(SparseVectorIndexConfig(source_key="title", embedding_function=bm25), key="title_sv")
    col = client.create_collection(unique_name(), schema=schema, embedding_function=None)
    col.add(ids=["a", "b"], embeddings=[[1.0], [2.0]], metadatas=[{"title": "brown foxes"}, {"title": 3}])
    got = col.get(include=["metadatas"])
    assert _sparse(got["metadatas"][0]["title_sv"]) == bm25(["brown foxes"])[0].to_dict()
    assert "title_sv" not in got["metadatas"][1]  # not a string: nothing to embed


def test_the_schema_survives_a_reopen_and_old_directories_open(tmp_path) -> None:
    path = str(tmp_path / "db")
    client = chromadb.PersistentClient(path=path, settings=Settings(allow_reset=True))
    col = client.create_collection("kept", schema=Schema().create_index(VectorIndexConfig(space="ip")).delete_index(
        StringInvertedIndexConfig(), key="cat"))
    old = client.create_collection("old", metadata={"hnsw:space": "cosine"})
    expected = _schema_json(col)
    expected_old = _schema_json(old)
    client.close()
    # a directory from before the schema column: the column and its migration gone
    with sqlite3.connect(str(tmp_path / "db" / "chroma.sqlite3")) as conn:
        conn.execute("UPDATE collections SET schema = NULL WHERE name = 'old'")
    reopened = chromadb.PersistentClient(path=path, settings=Settings(allow_reset=True))
    assert _schema_json(reopened.get_collection("kept")) == expected
    assert _schema_json(reopened.get_collection("old")) == expected_old  # derived from its configuration
    with pytest.raises(InvalidArgumentError, match="'cat'"):
        reopened.get_collection("kept").get(where={"cat": "x"})
    reopened.close()
    with sqlite3.connect(str(tmp_path / "db" / "chroma.sqlite3")) as conn:
        conn.execute("ALTER TABLE collections DROP COLUMN schema")
        conn.execute("DELETE FROM migrations WHERE name = '0004_collection_schema'")
    migrated = chromadb.PersistentClient(path=path, settings=Settings(allow_reset=True))
    kept = migrated.get_collection("kept")
    assert kept.configuration_json["hnsw"]["space"] == "ip"
    assert _vector_config(kept)["space"] == "ip"  # now derived from the configuration
    migrated.close()


def test_the_sparse_index_of_a_key_is_found_for_search() -> None:
    from chromadb.engine import collection_schema, index_rules

    bm25 = ChromaBm25EmbeddingFunction()
    user = Schema().create_index(
        SparseVectorIndexConfig(source_key=K.DOCUMENT, embedding_function=bm25, bm25=True), key="bm25"
    ).serialize_to_json()
    schema = collection_schema.reconcile_with_defaults(user)
    assert index_rules.check_sparse_key(schema, "bm25")["config"]["bm25"] is True
    for key in ("other", "#embedding"):
        with pytest.raises(InvalidArgumentError) as info:
            index_rules.check_sparse_key(schema, key)
        assert str(info.value) == (
            f"Cannot filter using metadata key '{key}' with type 'SparseVector' because indexing is disabled"
        )
    assert index_rules.sparse_index(None, "bm25") is None


def test_a_functions_default_space_is_the_collections_space_as_upstream(client) -> None:
    class CosineEF(chromadb.EmbeddingFunction):
        def __init__(self) -> None:
            pass

        def __call__(self, input):
            return [np.ones(3, dtype=np.float32) for _ in input]

        @staticmethod
        def name() -> str:
            return "cosine_test_ef"

        def get_config(self) -> dict:
            return {}

        @staticmethod
        def build_from_config(config: dict) -> CosineEF:
            return CosineEF()

        def default_space(self) -> str:
            return "cosine"

    plain = client.create_collection(unique_name(), embedding_function=CosineEF())
    assert plain.configuration_json["hnsw"]["space"] == "cosine"
    assert _vector_config(plain)["space"] == "cosine"
    chosen = client.create_collection(unique_name(), embedding_function=CosineEF(), configuration={"hnsw": {"space": "ip"}})
    assert chosen.configuration_json["hnsw"]["space"] == "ip"
    by_metadata = client.create_collection(unique_name(), embedding_function=CosineEF(), metadata={"hnsw:space": "l2"})
    assert by_metadata.configuration_json["hnsw"]["space"] == "l2"


def test_a_fork_keeps_the_schema(client) -> None:
    col = client.create_collection(unique_name(), schema=Schema().delete_index(StringInvertedIndexConfig(), key="cat"))
    col.add(ids=["a"], embeddings=[[1.0, 0.0]], metadatas=[{"cat": "x"}])
    fork = col.fork(unique_name())
    assert _schema_json(fork) == _schema_json(client.get_collection(col.name))
    with pytest.raises(InvalidArgumentError, match="'cat'"):
        fork.get(where={"cat": "x"})


def test_the_async_clients_send_and_read_the_schema(make_async_client) -> None:
    import asyncio

    async def scenario() -> None:
        client = await make_async_client()
        name = unique_name()
        col = await client.create_collection(name, schema=Schema().create_index(VectorIndexConfig(space="ip")))
        assert col.configuration_json["hnsw"]["space"] == "ip"
        assert col.schema.keys["#embedding"].float_list.vector_index.config.space == "ip"
        await client.delete_collection(name)

    asyncio.run(scenario())
