"""Which distance space and HNSW parameters a Chroma collection really runs with.

Chroma's rule (1.x, `get_internal_hnsw_config_with_legacy_fallback`): take them from the
Schema (`schema_str`, 1.3+), else from `config_json_str` (1.0-1.2: `hnsw`; 0.5-0.6:
`hnsw_configuration`); if that is all defaults and the legacy `hnsw:*` keys of the vector
segment's metadata say otherwise, those keys win. 0.6 wrote a default `l2` configuration
even for `hnsw:space: cosine` collections, so reading the configuration alone would
import them as l2 and silently change every query.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chromadb.engine.catalog import HNSW_DEFAULTS, METADATA_KEYS
from chromadb.errors import ChromaImportError

# 0.5/0.6 `hnsw_configuration` and 1.x names that differ from ours
_RENAMED = {"M": "max_neighbors"}
_KEPT = set(HNSW_DEFAULTS)
_BATCH_SIZE = 100  # hnsw:batch_size's default


@dataclass(frozen=True)
class Resolved:
    space: str
    hnsw: dict[str, Any]  # our configuration's `hnsw` section, complete
    embedding_function: dict[str, Any] | None
    source: str  # where the space came from: "schema", "configuration", "legacy metadata", "default"
    batch_size: int  # 0.x: log records per batch moved from the brute-force buffer into the HNSW


def resolve(
    schema: dict[str, Any] | None,
    config: dict[str, Any] | None,
    segment_metadata: dict[str, Any],
    collection: str,
) -> Resolved:
    params, ef, source = _configured(schema, config, collection)
    legacy_all = {METADATA_KEYS[k]: v for k, v in segment_metadata.items() if k in METADATA_KEYS}
    batch_size = legacy_all.get("batch_size") or params.get("batch_size") or _BATCH_SIZE
    legacy = {k: v for k, v in legacy_all.items() if k in _KEPT}
    if all(HNSW_DEFAULTS.get(k) == v for k, v in params.items() if k in _KEPT) and any(
        HNSW_DEFAULTS.get(k) != v for k, v in legacy.items()
    ):
        params, source = {**params, **legacy}, "legacy metadata"
    hnsw = {**HNSW_DEFAULTS, **{k: v for k, v in params.items() if k in _KEPT}}
    if hnsw["space"] not in ("l2", "ip", "cosine"):
        raise ChromaImportError(f"collection {collection}: unknown distance space {hnsw['space']!r}", collection)
    return Resolved(hnsw["space"], hnsw, ef, source if params or legacy else "default", int(batch_size))


def _configured(
    schema: dict[str, Any] | None, config: dict[str, Any] | None, collection: str
) -> tuple[dict[str, Any], dict[str, Any] | None, str]:
    if schema:
        try:
            index = schema["keys"]["#embedding"]["float_list"]["vector_index"]["config"]
        except (KeyError, TypeError):
            index = None
        if isinstance(index, dict):
            if index.get("spann") and not index.get("hnsw"):
                raise ChromaImportError(
                    f"collection {collection} uses a SPANN index, which Chroma keeps on its distributed "
                    "service only: a local persist directory should not hold one",
                    collection,
                )
            params = _renamed(index.get("hnsw") or {})
            if index.get("space") is not None:
                params["space"] = index["space"]
            return params, _ef(index.get("embedding_function")), "schema"
    if config:
        section = config.get("hnsw") or config.get("hnsw_configuration")
        if isinstance(section, dict):
            return _renamed(section), _ef(config.get("embedding_function")), "configuration"
    return {}, None, "default"


def _renamed(section: dict[str, Any]) -> dict[str, Any]:
    return {_RENAMED.get(k, k): v for k, v in section.items() if not k.startswith("_") and v is not None}


def _ef(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None
