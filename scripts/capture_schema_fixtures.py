"""Capture what a real chromadb 1.5.9 server answers to the Schema API, for our tests.

Start a real server (`chroma run --path SOME_EMPTY_DIR --port 8459`, from a virtualenv
with the real `chromadb==1.5.9`), then run, with that virtualenv's Python, from the
repository root:

    /path/to/real-venv/bin/python scripts/capture_schema_fixtures.py http://localhost:8459

Each case is a create-collection body (schemas built with the real package's `Schema`,
or raw JSON for malformed ones) or a short scenario (modify, new metadata keys, filters
on disabled indexes). The status and answer of every request go to
tests/fixtures/schema_159.json, without the ids and names a server makes up;
tests/test_schema_fixtures.py replays the same requests against our server.
"""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx

FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "schema_159.json"
DEFAULT_CONFIG = {"hnsw": {"space": "l2"}, "spann": None, "embedding_function": {"type": "known", "name": "default", "config": {}}}


def create_cases() -> dict[str, dict[str, Any]]:
    from chromadb import Schema
    from chromadb.api.types import (
        FtsIndexConfig,
        HnswIndexConfig,
        IntInvertedIndexConfig,
        SpannIndexConfig,
        SparseVectorIndexConfig,
        StringInvertedIndexConfig,
        VectorIndexConfig,
    )

    default = Schema().serialize_to_json()

    def keys(extra: dict[str, Any]) -> dict[str, Any]:
        return {"defaults": {}, "keys": extra}

    def embedding(config: dict[str, Any], enabled: bool = True) -> dict[str, Any]:
        return keys({"#embedding": {"float_list": {"vector_index": {"enabled": enabled, "config": config}}}})

    simple_ef = {"type": "known", "name": "simple_ef", "config": {"dim": 5}}
    return {
        "no_schema_no_config": {},
        "no_schema_client_default": {"configuration": DEFAULT_CONFIG},
        "no_schema_cfg_cosine": {"configuration": {"hnsw": {"space": "cosine", "ef_search": 50}, "embedding_function": {"type": "legacy"}}},
        "no_schema_meta_ip": {"metadata": {"hnsw:space": "ip"}},
        "schema_default_raw": {"schema": default},
        "schema_default_with_client_cfg": {"schema": default, "configuration": DEFAULT_CONFIG},
        "schema_cosine_with_client_cfg": {"schema": Schema().create_index(VectorIndexConfig(space="cosine")).serialize_to_json(), "configuration": DEFAULT_CONFIG},
        "schema_hnsw_ip": {"schema": Schema().create_index(VectorIndexConfig(space="ip", hnsw=HnswIndexConfig(ef_construction=200, max_neighbors=32, ef_search=40))).serialize_to_json()},
        "schema_spann": {"schema": Schema().create_index(VectorIndexConfig(space="cosine", spann=SpannIndexConfig(search_nprobe=16, ef_construction=120))).serialize_to_json()},
        "schema_disable_cat": {"schema": Schema().delete_index(StringInvertedIndexConfig(), key="cat").serialize_to_json(), "configuration": DEFAULT_CONFIG},
        "schema_disable_defaults_int": {"schema": Schema().delete_index(IntInvertedIndexConfig()).serialize_to_json()},
        "schema_disable_fts": {"schema": Schema().delete_index(FtsIndexConfig(), key="#document").serialize_to_json()},
        "schema_keys_int_on_title": {"schema": Schema().create_index(IntInvertedIndexConfig(), key="title").serialize_to_json()},
        "schema_plus_cfg_nondefault": {"schema": default, "configuration": {"hnsw": {"space": "cosine"}, "embedding_function": DEFAULT_CONFIG["embedding_function"]}},
        "schema_plus_cfg_ef_search": {"schema": default, "configuration": {"hnsw": {"ef_search": 50}}},
        "schema_plus_cfg_legacy": {"schema": default, "configuration": {"hnsw": None, "spann": None, "embedding_function": {"type": "legacy"}}},
        "schema_plus_cfg_other_ef": {"schema": default, "configuration": {"embedding_function": {"type": "known", "name": "openai", "config": {"model_name": "x"}}}},
        "schema_plus_meta_hnsw": {"schema": default, "metadata": {"hnsw:space": "cosine"}},
        "schema_plus_meta_plain": {"schema": default, "metadata": {"a": 1}},
        "nondefault_schema_plus_cfg_cosine": {"schema": Schema().delete_index(StringInvertedIndexConfig(), key="cat").serialize_to_json(), "configuration": {"hnsw": {"space": "cosine"}}},
        "nondefault_schema_plus_meta_space": {"schema": Schema().delete_index(StringInvertedIndexConfig(), key="cat").serialize_to_json(), "metadata": {"hnsw:space": "cosine"}},
        "nondefault_schema_plus_legacy_ef": {"schema": Schema().delete_index(StringInvertedIndexConfig(), key="cat").serialize_to_json(), "configuration": {"embedding_function": {"type": "legacy"}}},
        "schema_hash_key": {"schema": {**default, "keys": {**default["keys"], "#foo": {"string": {"string_inverted_index": {"enabled": True, "config": {}}}}}}},
        "schema_fts_default": {"schema": {"defaults": {"string": {"fts_index": {"enabled": True, "config": {}}}}, "keys": {}}},
        "schema_no_keys": {"schema": {"defaults": {}}},
        "schema_no_defaults": {"schema": {"keys": {}}},
        "schema_empty_parts": {"schema": keys({})},
        "schema_sparse": {"schema": Schema().create_index(SparseVectorIndexConfig(), key="sv").serialize_to_json()},
        "schema_sparse_disabled_key": {"schema": keys({"sv": {"sparse_vector": {"sparse_vector_index": {"enabled": False, "config": {}}}}})},
        "schema_vector_on_key": {"schema": keys({"v": {"float_list": {"vector_index": {"enabled": True, "config": {}}}}})},
        "schema_vector_default_enabled": {"schema": {"defaults": {"float_list": {"vector_index": {"enabled": True, "config": {}}}}, "keys": {}}},
        "schema_unknown_value_type": {"schema": {"defaults": {"bogus": {}}, "keys": {}}},
        "schema_unknown_index": {"schema": {"defaults": {"string": {"bogus_index": {"enabled": True, "config": {}}}}, "keys": {}}},
        "schema_unknown_top": {"schema": {"defaults": {}, "keys": {}, "extra": 1}},
        "schema_bad_space": {"schema": embedding({"space": "bogus"})},
        "schema_bad_hnsw": {"schema": embedding({"hnsw": {"ef_construction": -1}})},
        "schema_zero_hnsw": {"schema": embedding({"hnsw": {"max_neighbors": 0}})},
        "schema_hnsw_unknown_param": {"schema": embedding({"hnsw": {"bogus": 3}})},
        "schema_embedding_only_keys": {"schema": embedding({"space": "ip"})},
        "schema_defaults_only_space": {"schema": {"defaults": {"float_list": {"vector_index": {"enabled": False, "config": {"space": "ip"}}}}, "keys": {}}},
        "schema_missing_enabled": {"schema": {"defaults": {"string": {"string_inverted_index": {"config": {}}}}, "keys": {}}},
        "schema_missing_config": {"schema": {"defaults": {"string": {"string_inverted_index": {"enabled": False}}}, "keys": {}}},
        "schema_doc_int": {"schema": keys({"#document": {"int": {"int_inverted_index": {"enabled": True, "config": {}}}}})},
        "schema_embedding_string": {"schema": keys({"#embedding": {"string": {"string_inverted_index": {"enabled": True, "config": {}}}}})},
        "schema_source_attached": {"schema": {**keys({}), "source_attached_function_id": "x"}},
        "schema_doc_string_index_enabled": {"schema": keys({"#document": {"string": {"fts_index": {"enabled": False, "config": {}}, "string_inverted_index": {"enabled": True, "config": {}}}}})},
        "schema_embedding_ef_custom": {"schema": embedding({"embedding_function": simple_ef})},
        "schema_embedding_ef_custom_with_space": {"schema": embedding({"space": "cosine", "embedding_function": simple_ef})},
        "schema_cmek": {"schema": {**keys({}), "cmek": {"gcp": "projects/p/locations/l/keyRings/r/cryptoKeys/k"}}},
        "schema_null": {"schema": None, "configuration": DEFAULT_CONFIG},
        "schema_key_empty_value_types": {"schema": keys({"k": {}})},
        "schema_string_with_config": {"schema": {"defaults": {"string": {"string_inverted_index": {"enabled": True, "config": {"x": 1}}}}, "keys": {}}},
        "schema_not_object": {"schema": "abc"},
        "schema_enabled_not_bool": {"schema": {"defaults": {"string": {"string_inverted_index": {"enabled": "yes", "config": {}}}}, "keys": {}}},
        "schema_fts_on_key": {"schema": keys({"title": {"string": {"fts_index": {"enabled": True, "config": {}}}}})},
        "schema_embedding_index_disabled": {"schema": embedding({}, enabled=False)},
        "schema_hnsw_and_spann": {"schema": embedding({"hnsw": {}, "spann": {}})},
        "schema_defaults_embedding_differ": {"schema": {"defaults": {"float_list": {"vector_index": {"enabled": False, "config": {"space": "ip"}}}}, "keys": {"#embedding": {"float_list": {"vector_index": {"enabled": True, "config": {"space": "cosine"}}}}}}},
        "schema_source_key_other": {"schema": embedding({"source_key": "title"})},
    }


def scenarios() -> dict[str, list[list[Any]]]:
    """Request sequences on one collection: [method, path under the collection ('' for
    the collection by name), body]. The first step creates it."""
    from chromadb import Schema
    from chromadb.api.types import FtsIndexConfig, IntInvertedIndexConfig, StringInvertedIndexConfig

    cat_off = Schema().delete_index(StringInvertedIndexConfig(), key="cat").create_index(IntInvertedIndexConfig(), key="num").serialize_to_json()
    modify = [
        ["PUT", "", {"new_configuration": {"hnsw": {"ef_search": 77, "num_threads": 3, "batch_size": 50}}}],
        ["GET", "", None],
        ["PUT", "", {"new_configuration": {"embedding_function": {"type": "known", "name": "openai", "config": {"model_name": "m"}}}}],
        ["GET", "", None],
    ]
    writes = [
        ["POST", "/add", {"ids": ["a", "b"], "embeddings": [[1, 0, 0], [0, 1, 0]], "documents": ["alpha beta", "gamma"],
                          "metadatas": [{"cat": "x", "s": "t", "i": 3, "f": 1.5, "b": True, "arr": ["p", "q"], "iarr": [1, 2], "num": "str"}, {"cat": 5, "s": 7}]}],
        ["POST", "/upsert", {"ids": ["c"], "embeddings": [[0, 0, 1]], "metadatas": [{"up": 1.0, "s": False}]}],
        ["POST", "/update", {"ids": ["a"], "metadatas": [{"upd": "v", "i": None}]}],
        ["GET", "", None],
    ]
    filters = []
    for where in ({"cat": "x"}, {"cat": 5}, {"cat": {"$in": ["x", "y"]}}, {"cat": {"$ne": "x"}}, {"cat": {"$contains": "x"}},
                  {"$and": [{"s": "t"}, {"cat": "x"}]}, {"$or": [{"cat": {"$eq": 1.5}}, {"s": "t"}]}, {"s": "t"}):
        filters.append(["POST", "/get", {"where": where}])
        filters.append(["POST", "/query", {"query_embeddings": [[1, 0, 0]], "n_results": 1, "where": where}])
    filters.append(["POST", "/delete", {"where": {"cat": "x"}}])
    fts = [
        ["POST", "/get", {"where_document": {"$contains": "alpha"}}],
        ["POST", "/add", {"ids": ["a"], "embeddings": [[1, 0]], "documents": ["alpha"]}],
        ["POST", "/get", {"where_document": {"$contains": "alpha"}}],
        ["POST", "/get", {"where_document": {"$regex": "a.*"}}],
        ["POST", "/get", {"where": {"#document": {"$contains": "alpha"}}}],
        ["POST", "/query", {"query_embeddings": [[1, 0]], "where_document": {"$contains": "alpha"}}],
        ["POST", "/delete", {"where_document": {"$contains": "alpha"}}],
    ]
    int_off = [
        ["POST", "/query", {"query_embeddings": [[1, 0]], "where": {"n": 1}}],
        ["POST", "/get", {"where": {"n": 1.0}}],
        ["POST", "/get", {"where": {"n": {"$gt": 1}}}],
        ["POST", "/get", {"where": {"n": True}}],
        ["POST", "/get", {"where": {"n": {"$in": [1, 2]}}}],
    ]
    other_space = Schema().serialize_to_json()
    other_space["keys"]["#embedding"]["float_list"]["vector_index"]["config"]["space"] = "ip"
    return {
        "modify_plain": [["CREATE", "", {"configuration": DEFAULT_CONFIG}], *modify],
        "modify_schema": [["CREATE", "", {"schema": cat_off, "configuration": DEFAULT_CONFIG}], *modify],
        "new_keys_and_disabled_filters": [["CREATE", "", {"schema": cat_off, "configuration": DEFAULT_CONFIG}], *writes, *filters],
        "fts_disabled": [["CREATE", "", {"schema": Schema().delete_index(FtsIndexConfig(), key="#document").serialize_to_json()}], *fts],
        "int_disabled_by_default": [["CREATE", "", {"schema": Schema().delete_index(IntInvertedIndexConfig()).serialize_to_json()}], *int_off],
        "get_or_create_keeps_the_stored_schema": [
            ["CREATE", "", {"schema": cat_off}],
            ["CREATE", "", {"schema": other_space, "get_or_create": True}],
        ],
    }


def main(url: str) -> None:
    base = url.rstrip("/") + "/api/v2/tenants/default_tenant/databases/default_database"

    def send(method: str, path: str, body: Any) -> list[Any]:
        r = httpx.request(method, base + path, json=body, timeout=60)
        answer = r.json()
        if isinstance(answer, dict):
            answer.pop("id", None)
            answer.pop("name", None)
        return [r.status_code, answer]

    out: dict[str, Any] = {"create": {}, "scenarios": {}}
    for case, body in create_cases().items():
        body = {"name": "c" + uuid.uuid4().hex[:12], **body}
        out["create"][case] = {"body": {k: v for k, v in body.items() if k != "name"}, "answer": send("POST", "/collections", body)}
    for case, steps in scenarios().items():
        name = "s" + uuid.uuid4().hex[:12]
        collection_id = None
        answers = []
        for method, path, body in steps:
            if method == "CREATE":
                r = httpx.post(base + "/collections", json={"name": name, **body}, timeout=60)
                collection_id = collection_id or r.json()["id"]
                answer = r.json()
                answer.pop("id", None)
                answer.pop("name", None)
                answers.append([r.status_code, answer])
            elif method == "GET":
                answers.append(send("GET", f"/collections/{name}", None))
            else:
                answers.append(send(method, f"/collections/{collection_id}{path}", body))
        out["scenarios"][case] = {"steps": steps, "answers": answers}
    FIXTURE.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"wrote {FIXTURE}: {len(out['create'])} create cases, {len(out['scenarios'])} scenarios")


if __name__ == "__main__":
    main(sys.argv[1])
