"""The OpenAPI 3.1 description served at `/openapi.json` (and rendered at `/docs`).

    document = openapi_document(ROUTES, auth=True)

Request bodies carry real schemas for the main routes (spec section 4), so that a
schema-driven fuzzer (`scripts/fuzz_server.py`) produces meaningful requests. The
schemas say what `server/wire.py` accepts as well-formed; rules about meaning (names,
where grammar, dimensions) stay prose, as upstream's own description does.
"""
from __future__ import annotations

from typing import Any

from chromadb.server.routes import RouteSpec
from chromadb.server.wire import INCLUDE_VALUES, U32_MAX

__all__ = ["openapi_document"]

_REF = "#/components/schemas/"


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": _REF + name}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


_U32 = {"type": "integer", "minimum": 0, "maximum": U32_MAX}
_STRINGS = {"type": "array", "items": {"type": "string"}}
_IDS = {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}}
# spec 8.6; not expressed: no ".." and not an IP address
_NAME = {"type": "string", "minLength": 3, "maxLength": 512, "pattern": "^[a-zA-Z0-9][a-zA-Z0-9._-]*[a-zA-Z0-9]$"}
_METADATA_KEYS = {"minLength": 1, "pattern": "^[^#$]"}
_NULLABLE_STRINGS = {"type": "array", "items": {"type": ["string", "null"]}}
_SCALAR = {"type": ["string", "integer", "number", "boolean"]}


# what selects records in get / query / delete bodies
_FILTER_FIELDS = {
    "ids": _nullable(_STRINGS),
    "where": _nullable(_ref("Where")),
    "where_document": _nullable(_ref("WhereDocument")),
}


def _records_schema(update: bool, metadata: str) -> dict[str, Any]:
    """The body of add / upsert (embeddings required) or update (embeddings optional, nullable)."""
    embeddings: dict[str, Any] = {"type": "array", "items": _ref("Embedding")}
    if update:
        embeddings = _nullable({"type": "array", "items": _nullable(_ref("Embedding"))})
    return {
        "type": "object",
        "required": ["ids"] if update else ["ids", "embeddings"],
        "properties": {
            "ids": _IDS,
            "embeddings": embeddings,
            "metadatas": _nullable({"type": "array", "items": _nullable(_ref(metadata))}),
            "documents": _nullable(_NULLABLE_STRINGS),
            "uris": _nullable(_NULLABLE_STRINGS),
        },
    }

SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": {
        "type": "object",
        "required": ["error", "message"],
        "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
    },
    "SparseVector": {
        "type": "object",
        "required": ["#type", "indices", "values"],
        "properties": {
            "#type": {"const": "sparse_vector"},
            "indices": {"type": "array", "items": _U32},
            "values": {"type": "array", "items": {"type": "number"}},
            "tokens": _STRINGS,
        },
    },
    "MetadataValue": {
        "anyOf": [_SCALAR, {"type": "array", "minItems": 1, "items": _SCALAR}, _ref("SparseVector")],
    },
    "Metadata": {
        "type": "object",
        "minProperties": 1,
        "propertyNames": _METADATA_KEYS,
        "additionalProperties": _ref("MetadataValue"),
    },
    "MetadataUpdate": {
        "type": "object",
        "minProperties": 1,
        "propertyNames": _METADATA_KEYS,
        "additionalProperties": _nullable(_ref("MetadataValue")),
    },
    "Embedding": {
        "description": "A list of numbers, or (writes only) base64 of little-endian float32 values.",
        "anyOf": [
            {"type": "array", "minItems": 1, "items": {"type": "number"}},
            {"type": "string", "minLength": 8, "contentEncoding": "base64"},
        ],
    },
    "Where": {"type": "object", "description": "A metadata filter (spec section 8.4)."},
    "WhereDocument": {"type": "object", "description": "A document filter (spec section 8.5)."},
    "Include": {"type": "array", "items": {"enum": list(INCLUDE_VALUES)}},
    "HnswConfiguration": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "space": {"enum": ["l2", "cosine", "ip"]},
            **{k: {"type": "integer", "minimum": 1} for k in ("ef_construction", "ef_search", "num_threads")},
            "max_neighbors": {"type": "integer", "minimum": 1, "maximum": 2048},
            **{k: {"type": "integer", "minimum": 2} for k in ("sync_threshold", "batch_size")},
            "resize_factor": {"type": "number", "exclusiveMinimum": 0, "maximum": 100},
        },
    },
    "EmbeddingFunctionConfiguration": {
        "type": "object",
        "description": "Stored and echoed verbatim; the server never loads or runs it.",
        "properties": {
            "type": {"enum": ["known", "legacy", "unknown"]},
            "name": {"type": "string"},
            "config": {"type": "object"},
        },
    },
    "CollectionConfiguration": {
        "type": "object",
        "properties": {
            "hnsw": _nullable(_ref("HnswConfiguration")),
            "spann": _nullable({"type": "object"}),
            "embedding_function": _nullable(_ref("EmbeddingFunctionConfiguration")),
        },
    },
    "TenantName": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string", "minLength": 3}}},
    "DatabaseName": {"type": "object", "required": ["name"], "properties": {"name": _NAME}},
    "CreateCollection": {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": _NAME,
            "metadata": _nullable(_ref("Metadata")),
            "configuration": _nullable(_ref("CollectionConfiguration")),
            "schema": _nullable({"type": "object"}),
            "get_or_create": {"type": "boolean"},
        },
    },
    "UpdateCollection": {
        "type": "object",
        "properties": {
            "new_name": _nullable(_NAME),
            "new_metadata": _nullable(_ref("MetadataUpdate")),
            "new_configuration": _nullable(_ref("CollectionConfiguration")),
        },
    },
    "ForkCollection": {"type": "object", "required": ["new_name"], "properties": {"new_name": _NAME}},
    "AddRecords": _records_schema(update=False, metadata="Metadata"),
    "UpsertRecords": _records_schema(update=False, metadata="MetadataUpdate"),
    "UpdateRecords": _records_schema(update=True, metadata="MetadataUpdate"),
    "DeleteRecords": {
        "type": "object",
        "properties": {
            **_FILTER_FIELDS,
            "limit": _nullable(_U32),
        },
    },
    "GetRequest": {
        "type": "object",
        "properties": {
            **_FILTER_FIELDS,
            "limit": _nullable(_U32),
            "offset": _nullable(_U32),
            "include": _ref("Include"),
        },
    },
    "QueryRequest": {
        "type": "object",
        "required": ["query_embeddings"],
        "properties": {
            "query_embeddings": {
                "type": "array",
                "minItems": 1,
                "items": {"type": "array", "minItems": 1, "items": {"type": "number"}},
            },
            "n_results": _nullable(_U32),
            **_FILTER_FIELDS,
            "include": _ref("Include"),
        },
    },
    "SearchRequest": {
        "type": "object",
        "required": ["searches"],
        "properties": {
            "searches": {"type": "array", "items": {"type": "object"}},
            "read_level": {"enum": ["index_and_wal", "index_only", "index_and_bounded_wal"]},
        },
    },
}

# handler name -> request body schema; other body-reading routes take any object
_BODIES = {
    "create_tenant": "TenantName",
    "create_database": "DatabaseName",
    "create_collection": "CreateCollection",
    "update_collection": "UpdateCollection",
    "fork_collection": "ForkCollection",
    "add": "AddRecords",
    "upsert": "UpsertRecords",
    "update": "UpdateRecords",
    "delete": "DeleteRecords",
    "get": "GetRequest",
    "query": "QueryRequest",
    "search": "SearchRequest",
}
_LIST_ROUTES = {"list_databases", "list_collections"}
_PUBLIC = {"heartbeat", "healthcheck", "version"}


def _parameters(spec: RouteSpec) -> list[dict[str, Any]]:
    params = [
        {"name": part[1:-1], "in": "path", "required": True, "schema": {"type": "string"}}
        for part in spec.path.split("/")
        if part.startswith("{")
    ]
    name = spec.handler.__name__
    if name in _LIST_ROUTES:
        params += [{"name": key, "in": "query", "required": False, "schema": _U32} for key in ("limit", "offset")]
    if name == "count":
        params.append({"name": "read_level", "in": "query", "required": False, "schema": {"type": "string"}})
    return params


def openapi_document(routes: list[RouteSpec], auth: bool = False) -> dict[str, Any]:
    """Every route with its parameters, request body and statuses; `auth` adds the token schemes."""
    paths: dict[str, dict[str, Any]] = {}
    seen: set[str] = set()
    error = {"description": "Error", "content": {"application/json": {"schema": _ref("Error")}}}
    for spec in routes:
        name = spec.handler.__name__
        operation_id = name
        while operation_id in seen:  # one handler may serve two paths (GET /api/v2 and /heartbeat)
            operation_id += "_"
        seen.add(operation_id)
        operation: dict[str, Any] = {
            "operationId": operation_id,
            "summary": (spec.handler.__doc__ or name.replace("_", " ")).strip().splitlines()[0],
            "parameters": _parameters(spec),
            "responses": {
                str(spec.status): {"description": "Success", "content": {"application/json": {}}},
                "default": error,
            },
        }
        if spec.reads_body:
            schema = _ref(_BODIES[name]) if name in _BODIES else {"type": "object"}
            content = {"application/json": {"schema": schema}}
            operation["requestBody"] = {"required": name in _BODIES, "content": content}
        if auth and name in _PUBLIC:
            operation["security"] = []
        paths.setdefault(spec.path, {})[spec.method.lower()] = operation
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": "Chroma-compatible API (quarrydb)", "version": "2"},
        "paths": paths,
        "components": {"schemas": SCHEMAS},
    }
    if auth:
        document["components"]["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer"},
            "chromaToken": {"type": "apiKey", "in": "header", "name": "x-chroma-token"},
        }
        document["security"] = [{"bearer": []}, {"chromaToken": []}]
    return document
