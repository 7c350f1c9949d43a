"""What the two fastembed-backed sparse functions share: the import, and task dispatch."""

from __future__ import annotations

from typing import Any

from chromadb.embedding_functions.sparse import SparseVectors, normalize_sparse_vector
from chromadb.utils.embedding_functions._optional import import_optional

__all__ = ["embed_with_task", "import_fastembed_module"]


def import_fastembed_module(module: str = "fastembed") -> Any:
    return import_optional(module, "fastembed", "fastembed")


def embed_with_task(model: Any, texts: list[str], task: str | None) -> SparseVectors:
    """fastembed's `embed` for documents, `query_embed` for queries, as SparseVectors."""
    if task == "document":
        rows = model.embed(list(texts))
    elif task == "query":
        rows = model.query_embed(list(texts))
    else:
        raise ValueError(f"Invalid task: {task}")
    return [normalize_sparse_vector(indices=row.indices.tolist(), values=row.values.tolist()) for row in rows]
