"""Sparse vectors computed client-side on write, as upstream's client computes them.

For every key whose schema entry has an enabled sparse vector index with both an
embedding function and a `source_key`, each record written with the source text (its
document for `#document`, else a string metadata field) and without a value of its own
under that key gets the function's vector there. The server only stores the vectors
(spec/search-api.md §1.3). The vectors are written in their wire form
(`{"#type": "sparse_vector", ...}`), which every door stores as is.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

DOCUMENT_KEY = "#document"


@dataclass(frozen=True)
class SparseTarget:
    key: str
    source_key: str
    embedding_function: Any


def sparse_targets(schema: dict[str, Any] | None) -> list[SparseTarget]:
    """The keys to fill, with the functions rebuilt from the schema's configs (a function
    that cannot be rebuilt is skipped with a warning, as upstream's client does)."""
    from chromadb.embedding_functions.sparse import sparse_ef_from_config

    targets = []
    for key, value_types in ((schema or {}).get("keys") or {}).items():
        index = ((value_types or {}).get("sparse_vector") or {}).get("sparse_vector_index")
        if not index or not index.get("enabled"):
            continue
        config = index.get("config") or {}
        ef_config, source_key = config.get("embedding_function"), config.get("source_key")
        if source_key is None or not ef_config or ef_config.get("type") != "known":
            continue
        try:
            ef = sparse_ef_from_config(ef_config)
        except Exception as exc:  # noqa: BLE001 - as upstream: warn, go on without it
            warnings.warn(f"Could not rebuild sparse embedding function {ef_config.get('name')!r}: {exc!r}", stacklevel=3)
            continue
        if ef is not None:
            targets.append(SparseTarget(key, source_key, ef))
    return targets


def _wire(vector: Any) -> dict[str, Any]:
    return vector.to_dict() if hasattr(vector, "to_dict") else dict(vector)


def apply_sparse_embeddings(
    targets: list[SparseTarget], metadatas: list[Any] | None, documents: list[Any] | None
) -> list[Any] | None:
    """The metadatas with the computed vectors added (new dicts; the caller's stay as they are)."""
    if not targets or (metadatas is None and documents is None):
        return metadatas
    count = len(metadatas) if metadatas is not None else len(documents)  # type: ignore[arg-type]
    rows: list[dict[str, Any]] = [dict(m) if m else {} for m in metadatas] if metadatas is not None else [{} for _ in range(count)]
    changed = False
    for target in targets:
        positions, texts = [], []
        for i, row in enumerate(rows):
            if target.key in row:
                continue
            if target.source_key == DOCUMENT_KEY:
                text = documents[i] if documents is not None and i < len(documents) else None
            else:
                text = row.get(target.source_key)
            if isinstance(text, str):
                positions.append(i)
                texts.append(text)
        if not texts:
            continue
        vectors = target.embedding_function(texts)
        if len(vectors) != len(positions):
            raise ValueError("Sparse embedding function returned unexpected number of embeddings.")
        for i, vector in zip(positions, vectors):
            rows[i][target.key] = _wire(vector)
        changed = True
    if not changed:
        return metadatas
    return [row or None for row in rows]
