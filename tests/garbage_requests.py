"""Hand-written garbage requests that the test-suite (`tests/test_server_garbage.py`) and
the fuzzer (`scripts/fuzz_server.py`) send: each must get a 4xx answer with the JSON
error shape.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["GARBAGE_REQUESTS", "GarbageRequest"]


@dataclass(frozen=True)
class GarbageRequest:
    """A request no well-behaved client sends. `{db}` and `{coll}` in `path` are filled in by
    `url_path()`: the default database, and a collection of 3-dimensional records."""

    name: str
    method: str
    path: str
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})

    def url_path(self, collection_id: str) -> str:
        db = "/api/v2/tenants/default_tenant/databases/default_database"
        return self.path.replace("{coll}", f"{db}/collections/{collection_id}").replace("{db}", db)


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


_DEEP = 10_000
_G = GarbageRequest
GARBAGE_REQUESTS: list[GarbageRequest] = [
    # malformed JSON
    _G("truncated-create", "POST", "{db}/collections", b'{"name": "abc", "metadata": {"a"'),
    _G("truncated-add", "POST", "{coll}/add", b'{"ids": ["x"], "embeddings": [[1, 2'),
    _G("trailing-garbage", "POST", "{coll}/get", b'{"limit": 1} trailing'),
    _G("single-quotes", "POST", "{coll}/get", b"{'limit': 1}"),
    _G("nan-literal", "POST", "{coll}/add", b'{"ids": ["x"], "embeddings": [[NaN, 1, 2]]}'),
    _G("infinity-literal", "POST", "{coll}/query", b'{"query_embeddings": [[Infinity, 1, 2]]}'),
    _G("minus-infinity-metadata", "POST", "{coll}/add", b'{"ids": ["x"], "embeddings": [[0, 1, 2]], "metadatas": [{"a": -Infinity}]}'),
    _G("float-1e400", "POST", "{coll}/query", b'{"query_embeddings": [[1e400, 1, 2]]}'),
    _G("float-1e400-where", "POST", "{coll}/get", b'{"where": {"a": {"$gt": 1e400}}}'),
    # (2**70 as a metadata value is read as a float, as serde_json does upstream: not garbage)
    _G("int-2**70-hnsw", "POST", "{db}/collections", _json({"name": "abc", "metadata": {"hnsw:M": 2**70}})),
    _G("int-2**63-metadata", "POST", "{coll}/upsert", _json({"ids": ["x"], "embeddings": [[0, 1, 2]], "metadatas": [{"a": 2**63}]})),
    _G("int-2**70-limit", "POST", "{coll}/get", _json({"limit": 2**70})),
    _G("int-2**64-n_results", "POST", "{coll}/query", _json({"query_embeddings": [[0, 1, 2]], "n_results": 2**64})),
    _G("int-2**63-query-string-limit", "GET", "{db}/collections?limit=9223372036854775808"),
    _G("int-2**70-query-string-offset", "GET", "/api/v2/tenants/default_tenant/databases?offset=" + str(2**70)),
    _G("nested-lists-10000", "POST", "{db}/collections", b"[" * _DEEP + b"]" * _DEEP),
    _G("nested-where-10000", "POST", "{coll}/get", b'{"where": ' + b'{"$and": [' * _DEEP + b'{"a": 1}' + b"]}" * _DEEP + b"}"),
    _G("nested-embedding", "POST", "{coll}/add", b'{"ids": ["x"], "embeddings": [' + b"[" * _DEEP + b"]" * _DEEP + b"]}"),
    # bytes and encodings
    _G("invalid-utf8", "POST", "{db}/collections", b'{"name": "ab\xff\xfe"}'),
    _G("invalid-utf8-raw", "POST", "{coll}/add", b'{"ids": ["\xc3\x28"], "embeddings": [[0, 1, 2]]}'),
    _G("lone-surrogate", "POST", "{coll}/add", b'{"ids": ["\\ud800"], "embeddings": [[0, 1, 2]]}'),
    _G("utf16-body", "POST", "{db}/collections", '{"name": "abc"}'.encode("utf-16")),
    _G("nul-bytes", "POST", "{coll}/get", b"\x00" * 64),
    # base64 embeddings
    _G("base64-not-base64", "POST", "{coll}/add", _json({"ids": ["x"], "embeddings": ["!!!not base64!!!"]})),
    _G("base64-two-bytes", "POST", "{coll}/add", _json({"ids": ["x"], "embeddings": ["AAA="]})),
    _G("base64-no-padding", "POST", "{coll}/add", _json({"ids": ["x"], "embeddings": ["AACAPwAAAAAAAAAA0"]})),
    _G("base64-infinity", "POST", "{coll}/upsert", _json({"ids": ["x"], "embeddings": ["AACAfwAAAAAAAAAA"]})),
    _G("base64-nan", "POST", "{coll}/add", _json({"ids": ["x"], "embeddings": ["AADAfwAAAAAAAAAA"]})),
    _G("base64-mixed-with-lists", "POST", "{coll}/add", _json({"ids": ["x", "y"], "embeddings": ["AACAPwAAAAAAAAAA", [0, 1, 2]]})),
    # content types and empty bodies
    _G("form-encoded", "POST", "{db}/collections", b"name=abc&metadata=1", {"Content-Type": "application/x-www-form-urlencoded"}),
    _G("text-plain", "POST", "{coll}/query", b"hello", {"Content-Type": "text/plain"}),
    _G("multipart", "POST", "{coll}/add", b"--b\r\nContent-Disposition: form-data; name=x\r\n\r\n1\r\n--b--", {"Content-Type": "multipart/form-data; boundary=b"}),
    _G("empty-create", "POST", "{db}/collections"),
    _G("empty-add", "POST", "{coll}/add"),
    _G("empty-query", "POST", "{coll}/query"),
    _G("empty-tenant", "POST", "/api/v2/tenants"),
    # well-formed JSON of the wrong shape
    _G("body-array", "POST", "{coll}/get", b"[]"),
    _G("body-null", "POST", "{coll}/delete", b"null"),
    _G("body-string", "POST", "{db}/collections", b'"abc"'),
    _G("body-number", "PUT", "{coll}", b"42"),
    _G("ids-string", "POST", "{coll}/add", _json({"ids": "x", "embeddings": [[0, 1, 2]]})),
    _G("ids-numbers", "POST", "{coll}/add", _json({"ids": [1, 2], "embeddings": [[0, 1, 2], [0, 1, 2]]})),
    _G("ids-empty-string", "POST", "{coll}/add", _json({"ids": [""], "embeddings": [[0, 1, 2]]})),
    _G("ids-duplicate", "POST", "{coll}/add", _json({"ids": ["x", "x"], "embeddings": [[0, 1, 2], [0, 1, 2]]})),
    _G("embeddings-object", "POST", "{coll}/add", _json({"ids": ["x"], "embeddings": {"x": [0, 1, 2]}})),
    _G("embeddings-strings-in-list", "POST", "{coll}/add", _json({"ids": ["x"], "embeddings": [["a", "b", "c"]]})),
    _G("embeddings-bools", "POST", "{coll}/add", _json({"ids": ["x"], "embeddings": [[True, False, True]]})),
    _G("embeddings-wrong-dimension", "POST", "{coll}/add", _json({"ids": ["x"], "embeddings": [[0, 1]]})),
    _G("embeddings-ragged", "POST", "{coll}/upsert", _json({"ids": ["x", "y"], "embeddings": [[0, 1, 2], [0, 1]]})),
    _G("documents-number", "POST", "{coll}/add", _json({"ids": ["x"], "embeddings": [[0, 1, 2]], "documents": 5})),
    _G("metadata-nested-map", "POST", "{coll}/add", _json({"ids": ["x"], "embeddings": [[0, 1, 2]], "metadatas": [{"a": {"b": {"c": 1}}}]})),
    _G("metadata-empty-key", "POST", "{coll}/add", _json({"ids": ["x"], "embeddings": [[0, 1, 2]], "metadatas": [{"": 1}]})),
    _G("metadata-dollar-key", "POST", "{coll}/update", _json({"ids": ["x"], "metadatas": [{"$a": 1}]})),
    _G("metadata-mixed-list", "POST", "{coll}/add", _json({"ids": ["x"], "embeddings": [[0, 1, 2]], "metadatas": [{"a": [1, "b"]}]})),
    _G("sparse-vector-bad-indices", "POST", "{coll}/add", _json({"ids": ["x"], "embeddings": [[0, 1, 2]], "metadatas": [{"s": {"#type": "sparse_vector", "indices": [-1, 2**40], "values": [1, 2]}}]})),
    _G("sparse-vector-lengths", "POST", "{coll}/add", _json({"ids": ["x"], "embeddings": [[0, 1, 2]], "metadatas": [{"s": {"#type": "sparse_vector", "indices": [1, 2], "values": [1]}}]})),
    _G("lengths-differ", "POST", "{coll}/add", _json({"ids": ["x", "y"], "embeddings": [[0, 1, 2]]})),
    _G("giant-ids-list", "POST", "{coll}/add", _json({"ids": [f"id{i}" for i in range(100_000)], "embeddings": [[0, 1, 2]]})),
    _G("include-string", "POST", "{coll}/get", _json({"include": "documents"})),
    _G("include-unknown", "POST", "{coll}/get", _json({"include": ["data"]})),
    _G("where-string", "POST", "{coll}/get", _json({"where": "x"})),
    _G("where-unknown-operator", "POST", "{coll}/get", _json({"where": {"a": {"$like": 1}}})),
    _G("where-empty-in", "POST", "{coll}/delete", _json({"where": {"a": {"$in": []}}})),
    _G("where-document-number", "POST", "{coll}/get", _json({"where_document": 5})),
    _G("where-document-bad-regex", "POST", "{coll}/get", _json({"where_document": {"$regex": "(unclosed"}})),
    # limits, offsets, n_results
    _G("limit-negative", "POST", "{coll}/get", _json({"limit": -1})),
    _G("offset-negative", "POST", "{coll}/get", _json({"offset": -5})),
    _G("limit-bool", "POST", "{coll}/get", _json({"limit": True})),
    _G("limit-float", "POST", "{coll}/delete", _json({"where": {"a": 1}, "limit": 1.5})),
    _G("query-string-limit-negative", "GET", "{db}/collections?limit=-1"),
    _G("query-string-offset-words", "GET", "{db}/collections?offset=ten"),
    _G("n_results-0", "POST", "{coll}/query", _json({"query_embeddings": [[0, 1, 2]], "n_results": 0})),
    _G("n_results-negative", "POST", "{coll}/query", _json({"query_embeddings": [[0, 1, 2]], "n_results": -1})),
    _G("n_results-1e9-float", "POST", "{coll}/query", b'{"query_embeddings": [[0, 1, 2]], "n_results": 1e9}'),
    _G("n_results-string", "POST", "{coll}/query", _json({"query_embeddings": [[0, 1, 2]], "n_results": "10"})),
    _G("query-embeddings-flat", "POST", "{coll}/query", _json({"query_embeddings": [0, 1, 2]})),
    _G("query-embeddings-empty", "POST", "{coll}/query", _json({"query_embeddings": [[]]})),
    _G("query-embeddings-base64", "POST", "{coll}/query", _json({"query_embeddings": ["AACAPwAAAAAAAAAA"]})),
    # collections and configuration
    _G("collection-name-short", "POST", "{db}/collections", _json({"name": "a"})),
    _G("collection-name-nul", "POST", "{db}/collections", _json({"name": "ab\u0000cd"})),
    _G("collection-name-huge", "POST", "{db}/collections", _json({"name": "a" * 100_000})),
    _G("hnsw-unknown-space", "POST", "{db}/collections", _json({"name": "abc", "configuration": {"hnsw": {"space": "l3"}}})),
    _G("hnsw-huge-m", "POST", "{db}/collections", _json({"name": "abc", "configuration": {"hnsw": {"max_neighbors": 2**40}}})),
    _G("hnsw-huge-resize", "POST", "{db}/collections", _json({"name": "abc", "metadata": {"hnsw:resize_factor": 1e300}})),
    _G("hnsw-negative-ef", "PUT", "{coll}", _json({"new_configuration": {"hnsw": {"ef_search": -1}}})),
    _G("hnsw-and-spann", "POST", "{db}/collections", _json({"name": "abc", "configuration": {"hnsw": {}, "spann": {}}})),
    _G("metadata-empty-on-modify", "PUT", "{coll}", _json({"new_metadata": {}})),
    # paths and methods
    _G("collection-id-not-uuid", "POST", "{db}/collections/not-a-uuid/get", b"{}"),
    _G("collection-id-unknown", "POST", "{db}/collections/00000000-0000-4000-8000-000000000000/query", _json({"query_embeddings": [[0, 1, 2]]})),
    _G("database-name-short", "GET", "/api/v2/tenants/default_tenant/databases/ab/collections"),
    _G("tenant-unknown", "GET", "/api/v2/tenants/no-such-tenant"),
    _G("percent-encoded-garbage", "GET", "/api/v2/tenants/%ff%fe%00"),
    _G("crn-malformed", "GET", "/api/v2/collections/not-a-crn"),
    _G("v1-unknown-route", "GET", "/api/v1/no/such/route"),
    _G("v1-collection-id-not-uuid", "POST", "/api/v1/collections/not-a-uuid/get", b"{}"),
    _G("unknown-route", "GET", "/api/v2/no/such/route"),
    _G("wrong-method", "DELETE", "/api/v2/heartbeat"),
    _G("reset-when-disabled", "POST", "/api/v2/reset"),
]
