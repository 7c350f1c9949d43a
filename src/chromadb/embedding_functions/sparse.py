"""Sparse embedding functions: the protocol, their registry, and the vector helper.

A sparse embedding function (BM25, SPLADE, ...) turns each input into a `SparseVector`
(sorted token ids and weights) instead of a dense float vector. The protocol is the public
`chromadb.api.types.SparseEmbeddingFunction` (its result must be a non-empty list of
`SparseVector`, checked on every call); subclasses define `__call__`, `name()`,
`get_config()` and `build_from_config()`, and a class registered with
`register_sparse_embedding_function` is rebuilt by name from a persisted config
(`{"type": "known", "name": "chroma_bm25", "config": {...}}`).
"""

from __future__ import annotations

from typing import Any, TypeVar

from chromadb.api.types import SparseEmbeddingFunction, SparseVectors, validate_sparse_vectors
from chromadb.base_types import SparseVector

__all__ = [
    "SparseEmbeddingFunction",
    "SparseVector",
    "SparseVectors",
    "normalize_sparse_vector",
    "register_sparse_embedding_function",
    "sparse_ef_from_config",
    "sparse_known_embedding_functions",
    "validate_sparse_vectors",
]


def normalize_sparse_vector(
    indices: list[int], values: list[float], labels: list[str] | None = None
) -> SparseVector:
    """A SparseVector from unsorted indices (values and labels follow their index)."""
    if not indices:
        return SparseVector(indices=[], values=[], labels=None)
    order = sorted(range(len(indices)), key=indices.__getitem__)
    return SparseVector(
        indices=[indices[i] for i in order],
        values=[values[i] for i in order],
        labels=None if labels is None else [labels[i] for i in order],
    )


sparse_known_embedding_functions: dict[str, type] = {}

_S = TypeVar("_S", bound=type)


def register_sparse_embedding_function(ef_class: _S | None = None) -> Any:
    """Register a sparse embedding function class by its `name()`; usable as a decorator."""

    def register(cls: _S) -> _S:
        try:
            name = cls.name()  # type: ignore[attr-defined]
        except Exception as exc:  # noqa: BLE001 - any failure means the class cannot be named
            raise ValueError(f"Failed to register sparse embedding function: {exc}") from None
        sparse_known_embedding_functions[name] = cls
        return cls

    return register(ef_class) if ef_class is not None else register


def sparse_ef_from_config(cfg: dict[str, Any] | None) -> SparseEmbeddingFunction[Any] | None:
    """Rebuild a registered sparse function from `{"type": "known", "name", "config"}`; None otherwise."""
    if not cfg or cfg.get("type") != "known":
        return None
    import chromadb.utils.embedding_functions  # noqa: F401  (the built-in ones register on import)

    cls = sparse_known_embedding_functions.get(cfg.get("name"))  # type: ignore[arg-type]
    if cls is None:
        return None
    return cls.build_from_config(cfg.get("config") or {})  # type: ignore[attr-defined, no-any-return]
