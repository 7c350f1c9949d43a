"""`create_batches`: split records into writes a client accepts (`client.get_max_batch_size()`).

    for ids, embeddings, metadatas, documents in create_batches(client, ids, embeddings, metadatas, documents):
        collection.add(ids=ids, embeddings=embeddings, metadatas=metadatas, documents=documents)
"""
from __future__ import annotations

from typing import Any

from chromadb.api.types import Documents, Embeddings, IDs, Metadatas

__all__ = ["create_batches"]

Batch = tuple[IDs, Embeddings | None, Metadatas | None, Documents | None]


def create_batches(
    api: Any,
    ids: IDs,
    embeddings: Embeddings | None = None,
    metadatas: Metadatas | None = None,
    documents: Documents | None = None,
) -> list[Batch]:
    """One tuple `(ids, embeddings, metadatas, documents)` per batch of at most
    `api.get_max_batch_size()` records; all of them in one batch when they fit.

    As upstream: an empty metadatas or documents list becomes None in split batches.
    """
    size = api.get_max_batch_size()
    if len(ids) <= size:
        return [(ids, embeddings, metadatas, documents)]
    return [
        (
            ids[start : start + size],
            embeddings[start : start + size] if embeddings is not None else None,
            metadatas[start : start + size] if metadatas else None,
            documents[start : start + size] if documents else None,
        )
        for start in range(0, len(ids), size)
    ]
