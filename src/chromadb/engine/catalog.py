"""Collection configuration: the HNSW parameters a collection is created with.

Upstream's rule (spec 8.10): without `configuration.hnsw`/`spann` the `hnsw:*` metadata
keys decide; an explicit `configuration.hnsw` wins unless it only restates the defaults
while the metadata carries `hnsw:*` keys; `spann` alone maps onto HNSW with its space.
"""
from __future__ import annotations

from typing import Any

from chromadb.engine import collection_schema

SPACES = ("l2", "ip", "cosine")

HNSW_DEFAULTS: dict[str, Any] = {
    "space": "l2",
    "ef_construction": 100,
    "ef_search": 100,
    "max_neighbors": 16,
    "resize_factor": 1.2,
    "sync_threshold": 1000,
}
_HNSW_KEYS = set(HNSW_DEFAULTS) | {"num_threads", "batch_size"}
_HNSW_MUTABLE = {"ef_search", "num_threads", "batch_size", "sync_threshold", "resize_factor"}
_SPANN_KEYS = {
    "search_nprobe", "write_nprobe", "space", "ef_construction", "ef_search", "max_neighbors",
    "reassign_neighbor_count", "split_threshold", "merge_threshold",
}
_SPANN_MUTABLE = {"search_nprobe", "ef_search"}

# metadata key -> configuration key
METADATA_KEYS = {
    "hnsw:space": "space",
    "hnsw:construction_ef": "ef_construction",
    "hnsw:search_ef": "ef_search",
    "hnsw:M": "max_neighbors",
    "hnsw:num_threads": "num_threads",
    "hnsw:resize_factor": "resize_factor",
    "hnsw:sync_threshold": "sync_threshold",
    "hnsw:batch_size": "batch_size",
}


# Upper bounds: hnswlib allocates M links per element up front and grows the index by
# resize_factor, so unbounded values are a memory bomb (found by fuzzing the server).
# Upstream's own property tests stay below M 1000 and resize_factor 5.
_MAX_NEIGHBORS = 2048
_MAX_RESIZE_FACTOR = 100.0
_MAX_INT_PARAM = 2**31 - 1


def _check_param(key: str, value: Any, source: str) -> None:
    if key == "space":
        if value not in SPACES:
            raise ValueError(f"Invalid {source} space {value!r}: expected one of l2, ip, cosine")
        return
    if key == "resize_factor":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= _MAX_RESIZE_FACTOR:
            raise ValueError(
                f"Invalid {source} resize_factor {value!r}: expected a positive number up to {_MAX_RESIZE_FACTOR:g}"
            )
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"Invalid {source} {key} {value!r}: expected a positive integer")
    limit = _MAX_NEIGHBORS if key == "max_neighbors" else _MAX_INT_PARAM
    if value > limit:
        raise ValueError(f"Invalid {source} {key} {value!r}: expected at most {limit}")
    if key in ("batch_size", "sync_threshold") and value < 2:
        raise ValueError(f"Invalid {source} {key} {value!r}: expected at least 2")


def hnsw_from_metadata(metadata: dict[str, Any] | None) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for key, value in (metadata or {}).items():
        if not key.startswith("hnsw:"):
            continue
        if key not in METADATA_KEYS:
            raise ValueError(f"Unknown HNSW parameter {key!r} in collection metadata")
        _check_param(METADATA_KEYS[key], value, "metadata")
        params[METADATA_KEYS[key]] = value
    return params


def _check_section(section: Any, allowed: set[str], name: str) -> dict[str, Any]:
    if not isinstance(section, dict):
        raise ValueError(f"Expected configuration.{name} to be an object, got {section!r}")
    for key, value in section.items():
        if key not in allowed:
            raise ValueError(f"Unknown {name} configuration parameter {key!r}")
        if value is not None:
            _check_param(key, value, f"{name} configuration")
    return {k: v for k, v in section.items() if v is not None}


def resolve_configuration(metadata: dict[str, Any] | None, configuration: dict[str, Any] | None) -> dict[str, Any]:
    """The configuration_json stored with a new collection."""
    configuration = configuration or {}
    if not isinstance(configuration, dict):
        raise ValueError(f"Expected configuration to be an object, got {configuration!r}")
    unknown = set(configuration) - {"hnsw", "spann", "embedding_function"}
    if unknown:
        raise ValueError(f"Unknown configuration section(s): {', '.join(sorted(unknown))}")
    hnsw_cfg, spann_cfg = configuration.get("hnsw"), configuration.get("spann")
    if hnsw_cfg is not None and spann_cfg is not None:
        raise ValueError("Cannot specify both hnsw and spann configurations")
    from_metadata = hnsw_from_metadata(metadata)
    if hnsw_cfg is not None:
        params = _check_section(hnsw_cfg, _HNSW_KEYS, "hnsw")
        if from_metadata and all(HNSW_DEFAULTS.get(k) == v for k, v in params.items()):
            params = from_metadata
    elif spann_cfg is not None:
        spann = _check_section(spann_cfg, _SPANN_KEYS, "spann")
        params = {"space": spann.get("space", "l2")}
    else:
        params = from_metadata
    hnsw = {**HNSW_DEFAULTS, **{k: v for k, v in params.items() if k in HNSW_DEFAULTS}}
    return {"hnsw": hnsw, "spann": None, "embedding_function": configuration.get("embedding_function")}


def resolve_collection(
    metadata: dict[str, Any] | None, configuration: dict[str, Any] | None, schema: dict[str, Any] | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The (configuration_json, schema) stored with a new collection: the schema reconciled
    with the configuration (collection_schema.reconcile), the configuration then read back
    from the schema, so the two always agree."""
    config = resolve_configuration(metadata, configuration)
    reconciled = collection_schema.reconcile(schema, config, configuration)
    derived = collection_schema.configuration_from_schema(reconciled)
    for key, value in derived["hnsw"].items():
        _check_param(key, value, "schema")
    return derived, reconciled


def update_configuration(current: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(new, dict):
        raise ValueError(f"Expected configuration to be an object, got {new!r}")
    merged = dict(current)
    for section, value in new.items():
        if value is None:
            continue
        if section == "embedding_function":
            merged["embedding_function"] = value
        elif section in ("hnsw", "spann"):
            allowed = _HNSW_MUTABLE if section == "hnsw" else _SPANN_MUTABLE
            params = _check_section(value, allowed, section)
            if section == "hnsw":
                merged["hnsw"] = {**(current.get("hnsw") or {}), **{k: v for k, v in params.items() if k in HNSW_DEFAULTS}}
        else:
            raise ValueError(f"Unknown configuration section {section!r}")
    return merged


def collection_model(row: dict[str, Any]) -> dict[str, Any]:
    """The wire/API shape of a collection."""
    return {
        "id": row["id"],
        "name": row["name"],
        "metadata": row["metadata"],
        "configuration_json": row["configuration"],
        "dimension": row["dimension"],
        "tenant": row["tenant"],
        "database": row["database"],
        "schema": row.get("schema") or collection_schema.schema_from_configuration(row["configuration"]),
        "log_position": 0,
        "version": 0,
    }
