"""The JSON codec of the HTTP API: request bodies in, responses out (spec/http-api.md).

No Starlette here: `chromadb.http` uses the same functions on the client side.

Decoding checks only what a typed deserialiser checks (field types, required fields,
enum values) and raises `UnprocessableEntityError` (422) for a wrong shape, or
`InvalidArgumentError` (400) for malformed JSON, bad base64 and a bad `where` /
`where_document` (parsed here, once, into model/where.py's tree). Everything else about
meaning (names, metadata rules, dimensions) is the backend's job.

Encoding writes embeddings and distances (float32 numpy arrays) with the shortest
decimal that round-trips the float32, and keeps the `.0` of integral metadata floats:
orjson does both (`OPT_SERIALIZE_NUMPY`).
"""
from __future__ import annotations

import base64
import binascii
import itertools
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import orjson

from chromadb.errors import BatchSizeExceededError, ChromaError, InvalidArgumentError
from chromadb.model.records import RecordBatch, WriteKind, batch_size_message
from chromadb.model.requests import DEFAULT_N_RESULTS, SERVER, DeleteRequest, GetRequest, QueryRequest
from chromadb.model.requests import INCLUDE_VALUES as REQUEST_INCLUDE_VALUES
from chromadb.model.search import SearchRequest, SearchShapeError, check_search_request, json_kind, parse_search_body
from chromadb.server import old_clients
from chromadb.server.wire_schema import decode_schema

T = TypeVar("T")

__all__ = [
    "INCLUDE_VALUES",
    "U32_MAX",
    "UnprocessableEntityError",
    "collection_to_wire",
    "decode_add",
    "decode_create_collection",
    "decode_delete",
    "decode_fork_collection",
    "decode_get",
    "decode_json",
    "decode_name",
    "decode_query",
    "decode_search",
    "decode_update",
    "decode_update_collection",
    "decode_upsert",
    "dumps",
    "embeddings_from_wire",
    "embeddings_to_base64",
    "encode_delete",
    "encode_get",
    "encode_query",
    "float32_matrix",
    "validate_search",
]

INCLUDE_VALUES = tuple(v for v in REQUEST_INCLUDE_VALUES if v != "data")  # the client's "data" is not a variant
U32_MAX = 2**32 - 1


class UnprocessableEntityError(ChromaError):
    """Well-formed JSON of the wrong shape (a missing field, a value of the wrong type)."""

    def __init__(self, message: str) -> None:
        super().__init__(f"Failed to deserialize the JSON body into the target type: {message}")

    def code(self) -> int:
        return 422


# -- JSON -----------------------------------------------------------------------------
def _default(obj: Any) -> Any:
    # orjson serialises only C-contiguous native arrays itself; hand it one.
    if isinstance(obj, np.ndarray):
        return np.ascontiguousarray(obj)
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(f"Type is not JSON serializable: {type(obj).__name__}")


def dumps(value: Any) -> bytes:
    return orjson.dumps(value, default=_default, option=orjson.OPT_SERIALIZE_NUMPY)


def decode_json(raw: bytes) -> Any:
    """The parsed body; an empty body is an empty object (clients send none on some POSTs)."""
    if not raw or raw.isspace():
        return {}
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as e:
        raise InvalidArgumentError(f"Failed to parse the request body as JSON: {e}") from None


# -- field readers ----------------------------------------------------------------------
def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise UnprocessableEntityError(f"expected a JSON object, got {json_kind(body)}")
    return body



def _required(body: dict[str, Any], key: str) -> Any:
    value = body.get(key)
    if value is None:
        raise UnprocessableEntityError(f"missing field `{key}`")
    return value


def _str(body: dict[str, Any], key: str, required: bool = False) -> str | None:
    value = _required(body, key) if required else body.get(key)
    if value is not None and not isinstance(value, str):
        raise UnprocessableEntityError(f"{key}: invalid type: {json_kind(value)}, expected a string")
    return value


def _bool(body: dict[str, Any], key: str, default: bool) -> bool:
    value = body.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise UnprocessableEntityError(f"{key}: invalid type: {json_kind(value)}, expected a boolean")
    return value


def _u32(body: dict[str, Any], key: str) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= U32_MAX:
        raise UnprocessableEntityError(f"{key}: invalid value: {value!r}, expected a u32")
    return value


def _map(body: dict[str, Any], key: str) -> dict[str, Any] | None:
    value = body.get(key)
    if value is not None and not isinstance(value, dict):
        raise UnprocessableEntityError(f"{key}: invalid type: {json_kind(value)}, expected a map")
    return value


def _str_list(body: dict[str, Any], key: str, required: bool = False, nullable_items: bool = False) -> list[Any] | None:
    value = _required(body, key) if required else body.get(key)
    if value is None:
        return None
    if not isinstance(value, list):
        raise UnprocessableEntityError(f"{key}: invalid type: {json_kind(value)}, expected a sequence")
    for item in value:
        if not isinstance(item, str) and not (nullable_items and item is None):
            raise UnprocessableEntityError(f"{key}: invalid type: {json_kind(item)}, expected a string")
    return value


def _metadata_value_ok(value: Any) -> bool:
    if isinstance(value, (str, int, float, bool)):
        return True
    if isinstance(value, list):
        return all(isinstance(v, (str, int, float, bool)) for v in value)
    return isinstance(value, dict)  # sparse vectors (checked below); the backend refuses other maps


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _sparse_vector(value: dict[str, Any], where: str) -> dict[str, Any]:
    """`{"#type": "sparse_vector", "indices": [u32], "values": [f32], "tokens": [str]?}` (spec 8.7).

    Unknown fields are dropped, as upstream's deserialiser does.
    """
    indices, values, tokens = value.get("indices"), value.get("values"), value.get("tokens")
    if not isinstance(indices, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) and 0 <= i <= U32_MAX for i in indices
    ):
        raise UnprocessableEntityError(f"{where}: sparse vector `indices` must be a sequence of u32")
    if not isinstance(values, list) or not all(_is_number(v) for v in values):
        raise UnprocessableEntityError(f"{where}: sparse vector `values` must be a sequence of numbers")
    if tokens is not None and (not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens)):
        raise UnprocessableEntityError(f"{where}: sparse vector `tokens` must be a sequence of strings")
    if len(values) != len(indices) or (tokens is not None and len(tokens) != len(indices)):
        raise InvalidArgumentError(f"{where}: sparse vector indices, values and tokens must have the same length")
    out = {"#type": "sparse_vector", "indices": indices, "values": values}
    if tokens is not None:
        out["tokens"] = tokens
    return out


def _metadata(value: Any, key: str, allow_null_values: bool) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise UnprocessableEntityError(f"{key}: invalid type: {json_kind(value)}, expected a map")
    for k, v in value.items():
        if v is None:
            if not allow_null_values:
                raise UnprocessableEntityError(f"{key}: invalid type: null for key `{k}`, expected a metadata value")
        elif not _metadata_value_ok(v):
            raise UnprocessableEntityError(f"{key}: invalid metadata value for key `{k}`: {json_kind(v)}")
        elif isinstance(v, dict) and v.get("#type") == "sparse_vector":
            value[k] = _sparse_vector(v, f"{key}: key `{k}`")
    return value


def _metadatas(body: dict[str, Any], allow_null_values: bool) -> list[dict[str, Any] | None] | None:
    value = body.get("metadatas")
    if value is None:
        return None
    if not isinstance(value, list):
        raise UnprocessableEntityError(f"metadatas: invalid type: {json_kind(value)}, expected a sequence")
    return [_metadata(m, "metadatas", allow_null_values) for m in value]


def _include(body: dict[str, Any]) -> list[str] | None:
    """The include list as sent (None: the request type's default)."""
    value = body.get("include")
    if value is None:
        return None
    if not isinstance(value, list):
        raise UnprocessableEntityError(f"include: invalid type: {json_kind(value)}, expected a sequence")
    for item in value:
        if item not in INCLUDE_VALUES:
            raise UnprocessableEntityError(
                f"include: unknown variant `{item}`, expected one of {', '.join(INCLUDE_VALUES)}"
            )
    return value


# -- embeddings ------------------------------------------------------------------------------
def float32_matrix(rows: list[Any], key: str) -> np.ndarray | list[np.ndarray]:
    """Plain JSON number arrays as a float32 (n, dim) array; ragged rows as a list of
    float32 rows, which the record batch or request refuses with its one message."""
    for row in rows:
        if not isinstance(row, list):
            raise UnprocessableEntityError(f"{key}: invalid type: {json_kind(row)}, expected a sequence of numbers")
    kinds = set(map(type, itertools.chain.from_iterable(rows)))
    if not kinds <= {int, float}:
        bad = next(k for k in kinds if k not in (int, float))
        raise UnprocessableEntityError(f"{key}: invalid type: {bad.__name__}, expected f32")
    if len({len(r) for r in rows}) > 1:
        return [_float32_row(r, key) for r in rows]  # ragged: the request type says so
    with np.errstate(over="ignore"):  # out-of-range values become inf; the backend refuses them
        try:
            return np.array(rows, dtype=np.float32).reshape(len(rows), -1 if rows and rows[0] else 0)
        except OverflowError:  # an int beyond float range
            raise InvalidArgumentError(f"{key}: a value is out of the float32 range") from None


def _float32_row(row: list[Any], key: str) -> np.ndarray:
    with np.errstate(over="ignore"):
        try:
            return np.array(row, dtype=np.float32)
        except OverflowError:
            raise InvalidArgumentError(f"{key}: a value is out of the float32 range") from None


def _base64_vector(text: str) -> np.ndarray:
    try:
        raw = base64.b64decode(text, validate=True)  # strict: no stray characters (3.10 has no strict_mode)
    except (binascii.Error, ValueError) as e:
        raise InvalidArgumentError(f"Failed to decode base64 embedding: {e}") from None
    if len(raw) % 4:
        raise InvalidArgumentError(
            f"Failed to decode base64 embedding: {len(raw)} bytes is not a whole number of float32 values"
        )
    return np.frombuffer(raw, dtype="<f4").astype(np.float32)


def embeddings_from_wire(value: Any, key: str, nullable_items: bool = False) -> Any:
    """A list of float arrays or of base64 strings (spec 8.9) as float32 data.

    Returns an (n, dim) array, or (when `nullable_items` and some entries are null) a
    list of 1-D arrays and None.
    """
    if not isinstance(value, list):
        raise UnprocessableEntityError(f"{key}: invalid type: {json_kind(value)}, expected a sequence")
    if not value:
        return np.zeros((0, 0), dtype=np.float32)
    has_null = any(item is None for item in value)
    if has_null and not nullable_items:
        raise UnprocessableEntityError(f"{key}: invalid type: null, expected an embedding")
    present = [item for item in value if item is not None]
    if all(isinstance(item, str) for item in present):
        vectors = [_base64_vector(item) for item in present]
    elif all(isinstance(item, list) for item in present):
        if has_null:
            vectors = [float32_matrix([item], key)[0] for item in present]
        else:
            return float32_matrix(present, key)
    else:
        raise UnprocessableEntityError(f"{key}: expected every embedding to be a base64 string, or every one a sequence")
    if has_null:
        it = iter(vectors)
        return [None if item is None else next(it) for item in value]
    if len({len(v) for v in vectors}) > 1:
        return vectors  # ragged: the record batch says so
    return np.stack(vectors) if vectors[0].size else np.zeros((len(vectors), 0), dtype=np.float32)


def embeddings_to_base64(embeddings: Any) -> list[str | None]:
    """The write form the clients send when pre-flight says `supports_base64_encoding`."""
    out: list[str | None] = []
    for e in embeddings:
        if e is None:
            out.append(None)
        else:
            raw = np.ascontiguousarray(e, dtype="<f4").tobytes()
            out.append(binascii.b2a_base64(raw, newline=False).decode("ascii"))
    return out


# -- collections -------------------------------------------------------------------------------
def collection_to_wire(model: dict[str, Any]) -> dict[str, Any]:
    """A collection model as the clients expect it: `configuration_json` an object, a `schema`."""
    out = dict(model)
    out["configuration_json"] = model.get("configuration_json") or {}
    out.setdefault("schema", None)
    out.setdefault("log_position", 0)
    out.setdefault("version", 0)
    return out


# -- request bodies -------------------------------------------------------------------------
def decode_name(body: Any) -> str:
    """`{"name": str}`: create tenant / create database."""
    return _str(_object(body), "name", required=True)  # type: ignore[return-value]


def decode_create_collection(body: Any) -> dict[str, Any]:
    body = _object(body)
    name = _str(body, "name", required=True)
    metadata = _metadata(body.get("metadata"), "metadata", allow_null_values=False)
    return {
        "name": name,
        "metadata": metadata,
        # clients before 1.0 send their typed configuration form (server/old_clients.py)
        "configuration": old_clients.configuration_from_old(_map(body, "configuration"), metadata),
        "schema": decode_schema(body.get("schema"), UnprocessableEntityError),
        "get_or_create": _bool(body, "get_or_create", False),
    }


def decode_update_collection(body: Any) -> dict[str, Any]:
    body = _object(body)
    return {
        "new_name": _str(body, "new_name"),
        "new_metadata": _metadata(body.get("new_metadata"), "new_metadata", allow_null_values=True),
        "new_configuration": _map(body, "new_configuration"),
    }


def decode_fork_collection(body: Any) -> dict[str, Any]:
    return {"new_name": _str(_object(body), "new_name", required=True)}


def _records(body: Any, kind: WriteKind, max_batch_size: int | None) -> RecordBatch:
    """The write's records: its shape checked as a typed deserialiser would (422), the cap
    this server advertises in pre-flight, then RecordBatch's rules (400)."""
    body = _object(body)
    update = kind == "update"
    embeddings = body.get("embeddings")
    if embeddings is None:
        if not update:
            raise UnprocessableEntityError("missing field `embeddings`")
    else:
        embeddings = embeddings_from_wire(embeddings, "embeddings", nullable_items=update)
    ids = _str_list(body, "ids", required=True)
    metadatas = _metadatas(body, allow_null_values=kind != "add")
    documents = _str_list(body, "documents", nullable_items=True)
    uris = _str_list(body, "uris", nullable_items=True)
    if max_batch_size is not None and ids is not None and len(ids) > max_batch_size:
        raise BatchSizeExceededError(batch_size_message(max_batch_size))
    try:
        return RecordBatch.build(kind, ids, embeddings, metadatas, documents, uris)
    except (ValueError, TypeError) as e:
        raise InvalidArgumentError(str(e)) from None


def decode_add(body: Any, max_batch_size: int | None = None) -> RecordBatch:
    return _records(body, "add", max_batch_size)


def decode_upsert(body: Any, max_batch_size: int | None = None) -> RecordBatch:
    return _records(body, "upsert", max_batch_size)


def decode_update(body: Any, max_batch_size: int | None = None) -> RecordBatch:
    return _records(body, "update", max_batch_size)


def _read_request(build: Callable[..., T], **fields: Any) -> T:
    """The request built with the server's rules (`$and`/`$or` of any length); what the
    builder refuses (a bad where, ids, n_results) is a 400, as upstream's."""
    try:
        return build(SERVER, **fields)
    except (ValueError, TypeError) as e:
        raise InvalidArgumentError(str(e)) from None


def decode_delete(body: Any) -> DeleteRequest:
    body = _object(body)
    return _read_request(
        DeleteRequest.build,
        ids=_str_list(body, "ids"),
        where=body.get("where"),
        where_document=body.get("where_document"),
        limit=_u32(body, "limit"),
    )


def decode_get(body: Any) -> GetRequest:
    body = _object(body)
    return _read_request(
        GetRequest.build,
        ids=_str_list(body, "ids"),
        where=body.get("where"),
        where_document=body.get("where_document"),
        limit=_u32(body, "limit"),
        offset=_u32(body, "offset"),
        include=_include(body),
    )


def decode_query(body: Any) -> QueryRequest:
    body = _object(body)
    queries = _required(body, "query_embeddings")
    if not isinstance(queries, list):
        raise UnprocessableEntityError(f"query_embeddings: invalid type: {json_kind(queries)}, expected a sequence")
    return _read_request(
        QueryRequest.build,
        embeddings=float32_matrix(queries, "query_embeddings"),
        n_results=_u32(body, "n_results") if body.get("n_results") is not None else DEFAULT_N_RESULTS,
        ids=_str_list(body, "ids"),
        where=body.get("where"),
        where_document=body.get("where_document"),
        include=_include(body),
    )


def decode_search(body: Any) -> SearchRequest:
    """The search request's shape (422 when wrong); its meaning is `validate_search`'s (400)."""
    try:
        return parse_search_body(body)
    except SearchShapeError as e:
        raise UnprocessableEntityError(str(e)) from None


def validate_search(request: SearchRequest) -> SearchRequest:
    try:
        return check_search_request(request)
    except ValueError as e:
        raise InvalidArgumentError(str(e)) from None


# -- requests out (the HTTP client) ------------------------------------------------------------
def _filters_body(request: GetRequest | QueryRequest | DeleteRequest) -> dict[str, Any]:
    return {
        "ids": request.ids,
        "where": None if request.where is None else request.where.to_dict(),
        "where_document": None if request.where_document is None else request.where_document.to_dict(),
    }


def encode_delete(request: DeleteRequest) -> dict[str, Any]:
    body = _filters_body(request)
    if request.limit is not None:
        body["limit"] = request.limit
    return body


def encode_get(request: GetRequest) -> dict[str, Any]:
    return {
        **_filters_body(request),
        "limit": request.limit,
        "offset": request.offset,
        "include": list(request.include),
    }


def encode_query(request: QueryRequest) -> dict[str, Any]:
    return {
        "query_embeddings": request.embeddings,
        "n_results": request.n_results,
        **_filters_body(request),
        "include": list(request.include),
    }
