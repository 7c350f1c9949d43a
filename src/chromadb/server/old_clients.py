"""Clients from before Chroma 1.0: how they are recognised, and the collection shape they read.

The official Python `chromadb-client` 0.5.16-0.6.3 (and community clients written for
0.5/0.6 servers) build a collection from the JSON they get with
`Collection(configuration=..., **rest)`: an unknown key (`schema`) is a TypeError, and
`configuration_json` must be the typed 0.5/0.6 form,

    {"_type": "CollectionConfigurationInternal",
     "hnsw_configuration": {"_type": "HNSWConfigurationInternal", "space": "l2", ...}}

with exactly the eight HNSW parameters those releases know. They send that same form in
`configuration` when they create a collection.

The rule (docs/server.md "Clients older than 1.0"): the old shape goes to
* every request on `/api/v1/...` (only pre-1.0 clients speak v1), and
* requests on `/api/v2/...` whose User-Agent starts with `python-httpx/`: httpx's default,
  which `chromadb-client` before 1.0 never replaces. Clients 1.x identify themselves
  (`Chroma Python Client v1...`; npm sends `node` or a browser's agent), so they get the
  current shape. A script that speaks to the API with plain httpx and wants the current
  shape sets a User-Agent of its own.
"""
from __future__ import annotations

import os
from typing import Any

from chromadb.errors import InvalidArgumentError

__all__ = [
    "V1_PREFIX",
    "collection_to_old_wire",
    "configuration_from_old",
    "wants_old_shape",
]

V1_PREFIX = "/api/v1"
_HTTPX_DEFAULT_AGENT = b"python-httpx/"

_COLLECTION_TYPE = "CollectionConfigurationInternal"
_HNSW_TYPE = "HNSWConfigurationInternal"
# `_type` is the class name of what the user built: the public `CollectionConfiguration`
# and `HNSWConfiguration` are aliases of the `...Interface` subclasses
_COLLECTION_TYPES = {_COLLECTION_TYPE, "CollectionConfigurationInterface"}
_HNSW_TYPES = {_HNSW_TYPE, "HNSWConfigurationInterface"}
# 0.5/0.6 name -> 1.x name, for the parameters that changed name
_OLD_TO_CURRENT = {"M": "max_neighbors"}
_CURRENT_TO_OLD = {v: k for k, v in _OLD_TO_CURRENT.items()}
# collection metadata `hnsw:*` key -> 0.5/0.6 configuration name
_METADATA_TO_OLD = {
    "hnsw:space": "space",
    "hnsw:construction_ef": "ef_construction",
    "hnsw:search_ef": "ef_search",
    "hnsw:M": "M",
    "hnsw:num_threads": "num_threads",
    "hnsw:resize_factor": "resize_factor",
    "hnsw:batch_size": "batch_size",
    "hnsw:sync_threshold": "sync_threshold",
}
# what a 0.5/0.6 server stored for the two parameters 1.x no longer keeps
_OLD_BATCH_SIZE = 100


def wants_old_shape(path: str, headers: list[tuple[bytes, bytes]]) -> bool:
    """Whether this request comes from a client that reads the 0.5/0.6 collection shape."""
    if path.startswith(V1_PREFIX):
        return True
    for key, value in headers:
        if key == b"user-agent":  # ASGI servers hand over lower-case names
            return value.startswith(_HTTPX_DEFAULT_AGENT)
    return False


# -- out ---------------------------------------------------------------------------------------
def collection_to_old_wire(model: dict[str, Any]) -> dict[str, Any]:
    """A collection model in the shape 0.5/0.6 clients build their `Collection` from: exactly
    their nine fields, the configuration in their typed form."""
    return {
        "id": model["id"],
        "name": model["name"],
        "configuration_json": _old_configuration(model.get("configuration_json") or {}, model.get("metadata")),
        "metadata": model.get("metadata"),
        "dimension": model.get("dimension"),
        "tenant": model["tenant"],
        "database": model["database"],
        "version": model.get("version", 0),
        "log_position": model.get("log_position", 0),
    }


def _old_configuration(configuration: dict[str, Any], metadata: dict[str, Any] | None) -> dict[str, Any]:
    hnsw = configuration.get("hnsw") or {}
    old: dict[str, Any] = {"_type": _HNSW_TYPE}
    for key in ("space", "ef_construction", "ef_search", "max_neighbors", "resize_factor", "sync_threshold"):
        if key in hnsw:
            old[_CURRENT_TO_OLD.get(key, key)] = hnsw[key]
    # 1.x keeps neither; the metadata may still carry them (`hnsw:num_threads`, `hnsw:batch_size`)
    from_metadata = {_METADATA_TO_OLD[k]: v for k, v in (metadata or {}).items() if k in _METADATA_TO_OLD}
    old["num_threads"] = from_metadata.get("num_threads") or os.cpu_count() or 1
    old["batch_size"] = from_metadata.get("batch_size") or _OLD_BATCH_SIZE
    # The old client validates what it reads (resize_factor a float >= 1, batch_size <=
    # sync_threshold) and refuses the whole collection otherwise; these values are only
    # shown to it, never used, so they are brought into its ranges.
    old["resize_factor"] = max(1.0, float(old.get("resize_factor", 1.2)))
    if "sync_threshold" in old:
        old["batch_size"] = min(old["batch_size"], old["sync_threshold"])
    return {"_type": _COLLECTION_TYPE, "hnsw_configuration": old}


# -- in -------------------------------------------------------------------------------------------
def configuration_from_old(configuration: dict[str, Any] | None, metadata: dict[str, Any] | None) -> dict[str, Any] | None:
    """A create request's `configuration` in the 1.x form; the 0.5/0.6 typed form is mapped.

    An old client sends every HNSW parameter, defaults included. Its server built the
    index from the collection's `hnsw:*` metadata, so a parameter set there wins here too.
    Anything without a `_type` is returned as it came.
    """
    if configuration is None or "_type" not in configuration:
        return configuration
    if configuration["_type"] not in _COLLECTION_TYPES:
        raise InvalidArgumentError(f"Unknown configuration type {configuration['_type']!r}: expected {_COLLECTION_TYPE}")
    unknown = set(configuration) - {"_type", "hnsw_configuration"}
    if unknown:
        raise InvalidArgumentError(f"Unknown {_COLLECTION_TYPE} parameter(s): {', '.join(sorted(unknown))}")
    hnsw = configuration.get("hnsw_configuration")
    if hnsw is None:
        hnsw = {"_type": _HNSW_TYPE}
    if not isinstance(hnsw, dict) or hnsw.get("_type") not in _HNSW_TYPES:
        raise InvalidArgumentError(f"Expected hnsw_configuration to be an object with _type {_HNSW_TYPE}")
    params = {k: v for k, v in hnsw.items() if k != "_type"}
    params.update({_METADATA_TO_OLD[k]: v for k, v in (metadata or {}).items() if k in _METADATA_TO_OLD})
    return {"hnsw": {_OLD_TO_CURRENT.get(k, k): v for k, v in params.items()}}
