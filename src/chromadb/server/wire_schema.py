"""The `schema` field of a create-collection body, read as upstream's typed deserialiser reads it.

A wrong shape is a 422 `UnprocessableEntityError` naming the path, e.g.
"schema.defaults.string.string_inverted_index: missing field `config`". What comes out
is the schema in its canonical JSON shape: aliases resolved (`key_overrides`,
`#string`, `$fts_index`, ...), unknown value types and index names dropped, as serde
drops them, and null entries left out. Whether the schema makes sense (reserved keys,
indexes on the wrong key, conflicts with the configuration) is the engine's business
(engine/collection_schema.py).
"""
from __future__ import annotations

from typing import Any

__all__ = ["decode_schema"]

# value type -> its index names
_VALUE_TYPES: dict[str, tuple[str, ...]] = {
    "string": ("fts_index", "string_inverted_index"),
    "float_list": ("vector_index",),
    "sparse_vector": ("sparse_vector_index",),
    "int": ("int_inverted_index",),
    "float": ("float_inverted_index",),
    "bool": ("bool_inverted_index",),
}
_SPACES = ("l2", "cosine", "ip")
_HNSW_FIELDS = ("ef_construction", "max_neighbors", "ef_search", "num_threads", "batch_size", "sync_threshold", "resize_factor")
_SPANN_FIELDS = (
    "search_nprobe", "search_rng_factor", "search_rng_epsilon", "nreplica_count", "write_rng_factor",
    "write_rng_epsilon", "split_threshold", "num_samples_kmeans", "initial_lambda", "reassign_neighbor_count",
    "merge_threshold", "num_centers_to_merge_to", "write_nprobe", "ef_construction", "ef_search", "max_neighbors",
    "center_drift_threshold", "quantize",
)
_SPANN_FLOATS = {"search_rng_factor", "search_rng_epsilon", "write_rng_factor", "write_rng_epsilon", "initial_lambda", "center_drift_threshold"}


class _Shape(Exception):
    """A shape error at a path; wire.py turns it into its 422."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean `{str(value).lower()}`"
    if isinstance(value, int):
        return f"integer `{value}`"
    if isinstance(value, float):
        return f"floating point `{value}`"
    if isinstance(value, str):
        return f'string "{value}"'
    return "sequence" if isinstance(value, list) else "map"


def _object(value: Any, path: str, expected: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Shape(path, f"invalid type: {_describe(value)}, expected {expected}")
    return value


def _required(obj: dict[str, Any], field: str, path: str) -> Any:
    if field not in obj:
        raise _Shape(path, f"missing field `{field}`")
    return obj[field]


def _unknown(obj: dict[str, Any], allowed: tuple[str, ...], path: str) -> None:
    for field in obj:
        if field not in allowed:
            expected = (
                "there are no fields" if not allowed else "expected one of " + ", ".join(f"`{a}`" for a in allowed)
            )
            raise _Shape(f"{path}.{field}", f"unknown field `{field}`, {expected}")


def _optional(obj: dict[str, Any], field: str, path: str, check: Any) -> Any:
    value = obj.get(field)
    return None if value is None else check(value, f"{path}.{field}")


def _string(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise _Shape(path, f"invalid type: {_describe(value)}, expected a string")
    return value


def _bool(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise _Shape(path, f"invalid type: {_describe(value)}, expected a boolean")
    return value


def _usize(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        kind = "invalid value" if isinstance(value, int) and not isinstance(value, bool) else "invalid type"
        raise _Shape(path, f"{kind}: {_describe(value)}, expected usize")
    return value


def _number(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Shape(path, f"invalid type: {_describe(value)}, expected f64")
    return value


def _embedding_function(value: Any, path: str) -> dict[str, Any]:
    obj = _object(value, path, "internally tagged enum EmbeddingFunctionConfiguration")
    kind = _required(obj, "type", path)
    if kind in ("legacy", "unknown"):
        return {"type": kind}
    if kind != "known":
        raise _Shape(path, f"unknown variant `{kind}`, expected one of `legacy`, `known`, `unknown`")
    return {"type": "known", "name": _string(_required(obj, "name", path), f"{path}.name"), "config": _required(obj, "config", path)}


def _hnsw(value: Any, path: str) -> dict[str, Any]:
    obj = _object(value, path, "struct HnswIndexConfig")
    _unknown(obj, _HNSW_FIELDS, path)
    out: dict[str, Any] = {}
    for field in _HNSW_FIELDS:
        check = _number if field == "resize_factor" else _usize
        if obj.get(field) is not None:
            out[field] = check(obj[field], f"{path}.{field}")
    return out


def _spann(value: Any, path: str) -> dict[str, Any]:
    obj = _object(value, path, "struct SpannIndexConfig")
    _unknown(obj, _SPANN_FIELDS, path)
    out: dict[str, Any] = {}
    for field in _SPANN_FIELDS:
        if obj.get(field) is None:
            continue
        if field == "quantize":
            out[field] = _string(obj[field], f"{path}.{field}")
        else:
            out[field] = (_number if field in _SPANN_FLOATS else _usize)(obj[field], f"{path}.{field}")
    return out


def _space(value: Any, path: str) -> str:
    if value not in _SPACES:
        raise _Shape(path, f"unknown variant `{value}`, expected one of `l2`, `cosine`, `ip`")
    return value


def _vector_config(obj: dict[str, Any], path: str) -> dict[str, Any]:
    fields = ("space", "embedding_function", "source_key", "hnsw", "spann")
    _unknown(obj, fields, path)
    checks = {"space": _space, "embedding_function": _embedding_function, "source_key": _string, "hnsw": _hnsw, "spann": _spann}
    return {f: v for f in fields if (v := _optional(obj, f, path, checks[f])) is not None}


def _sparse_config(obj: dict[str, Any], path: str) -> dict[str, Any]:
    fields = ("embedding_function", "source_key", "bm25", "algorithm")
    _unknown(obj, fields, path)

    def algorithm(value: Any, where: str) -> str:
        if value not in ("wand", "max_score"):
            raise _Shape(where, f"unknown variant `{value}`, expected `wand` or `max_score`")
        return value

    checks = {"embedding_function": _embedding_function, "source_key": _string, "bm25": _bool, "algorithm": algorithm}
    return {f: v for f in fields if (v := _optional(obj, f, path, checks[f])) is not None}


def _index(value: Any, name: str, path: str) -> dict[str, Any]:
    obj = _object(value, path, "struct")
    enabled = _bool(_required(obj, "enabled", path), f"{path}.enabled")
    config = _object(_required(obj, "config", path), f"{path}.config", "struct")
    if name == "vector_index":
        config = _vector_config(config, f"{path}.config")
    elif name == "sparse_vector_index":
        config = _sparse_config(config, f"{path}.config")
    else:
        _unknown(config, (), f"{path}.config")
    return {"enabled": enabled, "config": config}


def _value_types(value: Any, path: str) -> dict[str, Any]:
    obj = _object(value, path, "struct ValueTypes")
    out: dict[str, Any] = {}
    for raw_name, indexes in obj.items():
        name = raw_name[1:] if raw_name.startswith("#") else raw_name
        if name not in _VALUE_TYPES or indexes is None:
            continue  # serde ignores fields it does not know
        where = f"{path}.{raw_name}"
        indexes = _object(indexes, where, "struct")
        entry: dict[str, Any] = {}
        for raw_index, index in indexes.items():
            index_name = raw_index[1:] if raw_index.startswith("$") else raw_index
            if index_name in _VALUE_TYPES[name] and index is not None:
                entry[index_name] = _index(index, index_name, f"{where}.{raw_index}")
        out[name] = entry
    return out


def _schema(value: Any) -> dict[str, Any]:
    obj = _object(value, "schema", "struct Schema")
    defaults = _value_types(_required(obj, "defaults", "schema"), "schema.defaults")
    keys_raw = obj.get("keys", obj.get("key_overrides"))
    if keys_raw is None:
        raise _Shape("schema", "missing field `keys`")
    keys_raw = _object(keys_raw, "schema.keys", "a map")
    out: dict[str, Any] = {
        "defaults": defaults,
        "keys": {key: _value_types(vt, f"schema.keys.{key}") for key, vt in keys_raw.items()},
    }
    cmek = obj.get("cmek")
    if cmek is not None:
        cmek = _object(cmek, "schema.cmek", "enum Cmek")
        if set(cmek) != {"gcp"}:
            raise _Shape("schema.cmek", "unknown variant, expected `gcp`")
        out["cmek"] = {"gcp": _string(cmek["gcp"], "schema.cmek.gcp")}
    if obj.get("source_attached_function_id") is not None:
        out["source_attached_function_id"] = _string(obj["source_attached_function_id"], "schema.source_attached_function_id")
    return out


def decode_schema(value: Any, error: type[Exception]) -> dict[str, Any] | None:
    """The schema in canonical shape, or None when absent; `error(message)` on a bad shape."""
    if value is None:
        return None
    try:
        return _schema(value)
    except _Shape as e:
        raise error(str(e)) from None
