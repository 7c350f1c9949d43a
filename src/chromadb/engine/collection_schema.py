"""A collection's index schema, server side: validated, reconciled, kept and echoed.

The schema is a plain dict in upstream's serialized JSON shape (what chromadb 1.5.9's
server echoes under `schema`): `defaults` (one entry per value type) and `keys` (the
same, per metadata key, plus `#document` and `#embedding`). The rules follow the real
1.5.9 server (spec/search-api.md §3):

* a user schema is checked (schema_validation.py), then merged field by field over the
  server's default schema (`reconcile_with_defaults`);
* a schema and a configuration may not both differ from the defaults; when the
  configuration does, the schema is derived from it (`schema_from_configuration`);
* the configuration echoed as `configuration_json` is derived from the schema's
  `#embedding` vector index (`configuration_from_schema`), so a space given through a
  schema is the collection's space;
* `modify(configuration=...)` is applied to both vector indexes (`apply_update`);
* new metadata keys are added on write with the defaults of their value type
  (`discover_keys`).

One deliberate difference: the real local server refuses an enabled sparse vector
index (400); ours keeps it, since sparse vectors are served locally.
"""
from __future__ import annotations

import copy
import os
from collections.abc import Iterable
from typing import Any

from chromadb.engine.schema_validation import index_enabled, validate_schema
from chromadb.errors import InvalidArgumentError

DOCUMENT_KEY = "#document"
EMBEDDING_KEY = "#embedding"
# metadata keys the system writes for itself are never described in a schema
RESERVED_PREFIX = "chroma:"

# HNSW values a schema spells out (the configuration keeps all but the last two)
_HNSW_ORDER = ("ef_construction", "max_neighbors", "ef_search", "num_threads", "batch_size", "sync_threshold", "resize_factor")
_CONFIG_HNSW_KEYS = ("space", "ef_construction", "ef_search", "max_neighbors", "resize_factor", "sync_threshold")

# value type -> the one index a metadata value of that type has
SCALAR_INDEXES = {
    "string": "string_inverted_index",
    "int": "int_inverted_index",
    "float": "float_inverted_index",
    "bool": "bool_inverted_index",
    "sparse_vector": "sparse_vector_index",
}


class SchemaConflictError(InvalidArgumentError):
    """A schema and a configuration that both differ from the defaults."""


def default_num_threads() -> int:
    """What upstream fills in: the CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def default_hnsw() -> dict[str, Any]:
    return {
        "ef_construction": 100,
        "max_neighbors": 16,
        "ef_search": 100,
        "num_threads": default_num_threads(),
        "batch_size": 100,
        "sync_threshold": 1000,
        "resize_factor": 1.2,
    }


def _index(enabled: bool, config: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"enabled": enabled, "config": config if config is not None else {}}


def default_schema() -> dict[str, Any]:
    """The schema of a collection created without one (the real server's, HNSW flavour)."""
    return {
        "defaults": {
            "string": {"fts_index": _index(False), "string_inverted_index": _index(True)},
            "float_list": {"vector_index": _index(False, {"space": "l2", "hnsw": default_hnsw()})},
            "sparse_vector": {
                "sparse_vector_index": _index(False, {"embedding_function": {"type": "unknown"}, "bm25": False})
            },
            "int": {"int_inverted_index": _index(True)},
            "float": {"float_inverted_index": _index(True)},
            "bool": {"bool_inverted_index": _index(True)},
        },
        "keys": {
            DOCUMENT_KEY: {"string": {"fts_index": _index(True), "string_inverted_index": _index(False)}},
            EMBEDDING_KEY: {
                "float_list": {
                    "vector_index": _index(True, {"space": "l2", "source_key": DOCUMENT_KEY, "hnsw": default_hnsw()})
                }
            },
        },
    }


# -- "default" tests ----------------------------------------------------------------------
def ef_is_default(ef: dict[str, Any] | None) -> bool:
    """No function, an unknown one or the default one (a legacy one is not the default)."""
    if ef is None:
        return True
    kind = ef.get("type")
    return kind == "unknown" or (kind == "known" and ef.get("name") == "default")


def _hnsw_is_default(hnsw: dict[str, Any]) -> bool:
    defaults = default_hnsw()
    # num_threads depends on the machine: upstream leaves it out of the comparison
    return all(hnsw.get(k) in (None, defaults[k]) for k in _HNSW_ORDER if k != "num_threads")


def _spann_is_default(spann: dict[str, Any]) -> bool:
    return not spann  # any value set through a schema differs from a SPANN default we do not keep


def _vector_config_is_default(config: dict[str, Any], source_key: str | None) -> bool:
    if not ef_is_default(config.get("embedding_function")):
        return False
    if config.get("space") not in (None, "l2") or config.get("source_key") != source_key:
        return False
    hnsw, spann = config.get("hnsw"), config.get("spann")
    if hnsw is not None and spann is not None:
        return False
    return (hnsw is None or _hnsw_is_default(hnsw)) and (spann is None or _spann_is_default(spann))


def _defaults_are_default(defaults: dict[str, Any]) -> bool:
    for value_type, index in SCALAR_INDEXES.items():
        entry = (defaults.get(value_type) or {}).get(index)
        if entry is None:
            continue
        if value_type == "sparse_vector":
            config = entry["config"]
            if entry["enabled"] or not ef_is_default(config.get("embedding_function")):
                return False
            if config.get("source_key") is not None or config.get("bm25") not in (None, False):
                return False
        elif not entry["enabled"]:
            return False
    if index_enabled(defaults, "string", "fts_index"):
        return False
    vector = (defaults.get("float_list") or {}).get("vector_index")
    return vector is None or (not vector["enabled"] and _vector_config_is_default(vector["config"], None))


def schema_is_default(schema: dict[str, Any]) -> bool:
    """True for a schema that says nothing the server's defaults do not say."""
    if not _defaults_are_default(schema["defaults"]) or schema.get("cmek") is not None:
        return False
    keys = schema["keys"]
    if set(keys) - {DOCUMENT_KEY, EMBEDDING_KEY}:
        return False
    embedding = keys.get(EMBEDDING_KEY)
    if embedding is not None:
        if {t for t, v in embedding.items() if v is not None} - {"float_list"}:
            return False
        vector = (embedding.get("float_list") or {}).get("vector_index")
        if vector is not None and not (vector["enabled"] and _vector_config_is_default(vector["config"], DOCUMENT_KEY)):
            return False
    document = keys.get(DOCUMENT_KEY)
    if document is not None:
        if {t for t, v in document.items() if v is not None} - {"string"}:
            return False
        string = document.get("string") or {}
        if string.get("fts_index") is not None and not string["fts_index"]["enabled"]:
            return False
        if index_enabled(document, "string", "string_inverted_index"):
            return False
    return True


def configuration_is_default(configuration: dict[str, Any], requested: dict[str, Any] | None) -> bool:
    """The resolved configuration (and the thread/batch values only the request holds)."""
    if not ef_is_default(configuration.get("embedding_function")):
        return False
    if configuration["hnsw"] != configuration_from_schema(default_schema())["hnsw"]:
        return False
    asked = (requested or {}).get("hnsw") or {}
    defaults = default_hnsw()
    return all(asked.get(k) in (None, defaults[k]) for k in ("num_threads", "batch_size"))


# -- reconciliation ---------------------------------------------------------------------------
def _merge_vector_config(default: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
    """Field by field, the user's value first; HNSW only (a SPANN section is dropped)."""
    merged: dict[str, Any] = {}
    for field in ("space", "embedding_function", "source_key"):
        value = user.get(field) if user.get(field) is not None else default.get(field)
        if value is not None:
            merged[field] = copy.deepcopy(value)
    hnsw_default, hnsw_user = default.get("hnsw"), user.get("hnsw")
    if hnsw_default is not None or hnsw_user is not None:
        hnsw_default, hnsw_user = hnsw_default or {}, hnsw_user or {}
        merged["hnsw"] = {
            k: hnsw_user[k] if hnsw_user.get(k) is not None else hnsw_default[k]
            for k in _HNSW_ORDER
            if hnsw_user.get(k) is not None or hnsw_default.get(k) is not None
        }
    return merged


def _merge_sparse_config(default: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(default)
    for field, value in user.items():
        if value is not None:
            merged[field] = copy.deepcopy(value)
    return merged


def _merge_value_types(default: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(default)
    for value_type, user_indexes in user.items():
        if user_indexes is None:
            continue
        if value_type not in merged:
            merged[value_type] = copy.deepcopy(user_indexes)
            continue
        target = merged[value_type]
        for index_name, user_index in user_indexes.items():
            if user_index is None:
                continue
            default_index = target.get(index_name)
            if default_index is None:
                target[index_name] = copy.deepcopy(user_index)
            elif index_name == "vector_index":
                config = _merge_vector_config(default_index["config"], user_index["config"])
                target[index_name] = {"enabled": user_index["enabled"], "config": config}
            elif index_name == "sparse_vector_index":
                config = _merge_sparse_config(default_index["config"], user_index["config"])
                target[index_name] = {"enabled": user_index["enabled"], "config": config}
            else:
                target[index_name] = copy.deepcopy(user_index)
    return merged


def reconcile_with_defaults(user: dict[str, Any] | None) -> dict[str, Any]:
    """The user's schema over the default one: new keys verbatim, known ones merged."""
    base = default_schema()
    if user is None:
        return base
    keys = base["keys"]
    for key, value_types in user["keys"].items():
        keys[key] = _merge_value_types(keys[key], value_types) if key in keys else copy.deepcopy(value_types)
    out = {"defaults": _merge_value_types(base["defaults"], user["defaults"]), "keys": keys}
    if user.get("cmek") is not None:
        out["cmek"] = copy.deepcopy(user["cmek"])
    return out


def _vector_index(schema: dict[str, Any], where: str) -> dict[str, Any] | None:
    value_types = schema["defaults"] if where == "defaults" else schema["keys"].get(EMBEDDING_KEY) or {}
    return (value_types.get("float_list") or {}).get("vector_index")


def _set_embedding_function(schema: dict[str, Any], ef: dict[str, Any] | None) -> None:
    if ef is None:
        return
    for where in ("defaults", EMBEDDING_KEY):
        index = _vector_index(schema, where)
        if index is not None:
            index["config"]["embedding_function"] = copy.deepcopy(ef)


def schema_from_configuration(configuration: dict[str, Any]) -> dict[str, Any]:
    """The schema a configuration stands for (collections created without a schema)."""
    hnsw_config = configuration.get("hnsw") or {}
    hnsw = default_hnsw()
    hnsw.update({k: v for k, v in hnsw_config.items() if k in hnsw and v is not None})
    schema = default_schema()
    ef = configuration.get("embedding_function")
    for where, source_key in (("defaults", None), (EMBEDDING_KEY, DOCUMENT_KEY)):
        config: dict[str, Any] = {"space": hnsw_config.get("space", "l2")}
        if ef is not None:
            config["embedding_function"] = copy.deepcopy(ef)
        if source_key is not None:
            config["source_key"] = source_key
        config["hnsw"] = dict(hnsw)
        _vector_index(schema, where)["config"] = config  # type: ignore[index]
    return schema


def configuration_from_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The configuration_json a schema implies: its `#embedding` vector index (else the defaults')."""
    index = _vector_index(schema, EMBEDDING_KEY) or _vector_index(schema, "defaults")
    config = index["config"] if index is not None else {}
    hnsw = {**default_hnsw(), **{k: v for k, v in (config.get("hnsw") or {}).items() if v is not None}}
    hnsw["space"] = config.get("space") or "l2"
    return {
        "hnsw": {k: hnsw[k] for k in _CONFIG_HNSW_KEYS},
        "spann": None,
        "embedding_function": copy.deepcopy(config.get("embedding_function")),
    }


def reconcile(
    schema: dict[str, Any] | None, configuration: dict[str, Any], requested: dict[str, Any] | None
) -> dict[str, Any]:
    """The schema stored with a new collection, from the user's schema (None: none given),
    the resolved configuration and the configuration as requested."""
    config_default = configuration_is_default(configuration, requested)
    if schema is not None:
        validate_schema(schema)
        if not config_default and not schema_is_default(schema):
            raise SchemaConflictError(
                "Failed to reconcile schema: Cannot set both collection config and schema simultaneously"
            )
    if not config_default:
        return schema_from_configuration(configuration)
    merged = reconcile_with_defaults(schema)
    if schema_is_default(merged):
        merged = default_schema()
        _set_embedding_function(merged, configuration.get("embedding_function"))
    return merged


# -- changes after creation ------------------------------------------------------------------------
def apply_update(schema: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """`modify(configuration=...)`: HNSW values and the embedding function, in both vector indexes."""
    schema = copy.deepcopy(schema)
    hnsw_update = {k: v for k, v in (update.get("hnsw") or {}).items() if v is not None}
    for where in ("defaults", EMBEDDING_KEY):
        index = _vector_index(schema, where)
        if index is None:
            continue
        if hnsw_update and index["config"].get("hnsw") is not None:
            index["config"]["hnsw"].update({k: v for k, v in hnsw_update.items() if k in _HNSW_ORDER})
        if update.get("embedding_function") is not None:
            index["config"]["embedding_function"] = copy.deepcopy(update["embedding_function"])
    return schema


_TYPE_NAMES: dict[type, str] = {bool: "bool", int: "int", float: "float", str: "string", dict: "sparse_vector"}


def _written_types(metadatas: Iterable[dict[str, Any] | None]) -> set[tuple[str, str]]:
    """The distinct (key, value type) pairs of a write; an array counts as its items' type.

    Runs on every write: the pairs are gathered by Python type at C speed first, and only
    the few distinct ones are named."""
    pairs: set[tuple[str, type]] = set()
    gather = pairs.update
    for m in metadatas:
        if m:
            gather(zip(m, map(type, m.values())))
    out: set[tuple[str, str]] = set()
    for key, kind in pairs:
        if kind is list:
            out.update(
                (key, _TYPE_NAMES.get(type(m[key][0]), "")) for m in metadatas if m and type(m.get(key)) is list and m[key]
            )
        elif kind.__name__ == "SparseVector":
            out.add((key, "sparse_vector"))
        elif kind in _TYPE_NAMES:
            out.add((key, _TYPE_NAMES[kind]))
    return out


def discover_keys(schema: dict[str, Any], metadatas: Iterable[dict[str, Any] | None]) -> dict[str, Any] | None:
    """The schema with the metadata keys it lacks (the defaults of their value type), or
    None when it already describes every key and type written."""
    metadatas = list(metadatas)
    seen = _written_types(metadatas)
    keys = schema["keys"]
    defaults = schema["defaults"]
    missing = [
        (k, t)
        for k, t in seen
        if t in defaults and not k.startswith(RESERVED_PREFIX) and (keys.get(k) or {}).get(t) is None
    ]
    if not missing:
        return None
    schema = copy.deepcopy(schema)
    for key, value_type in sorted(missing):
        schema["keys"].setdefault(key, {})[value_type] = copy.deepcopy(defaults[value_type])
    return schema
