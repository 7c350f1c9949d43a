"""Result shapes returned by `Collection.get` and `Collection.query`, as upstream names them."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, TypedDict

import numpy as np

Metadata = dict[str, Any]
Where = dict[str, Any]
WhereDocument = dict[str, Any]
Include = list[str]


@dataclass
class IndexingStatus:
    """How much of a collection its vector index covers (`Collection.get_indexing_status`).

    Counted in records: those written but not yet in the HNSW index are still found
    (queries scan them exactly); the counts say how far the background indexer is behind.
    """

    num_indexed_ops: int
    num_unindexed_ops: int
    total_ops: int
    op_indexing_progress: float


class GetResult(TypedDict):
    ids: list[str]
    embeddings: Optional[np.ndarray]
    documents: Optional[list[Optional[str]]]
    uris: Optional[list[Optional[str]]]
    data: None
    metadatas: Optional[list[Optional[Metadata]]]
    included: Include


class QueryResult(TypedDict):
    ids: list[list[str]]
    embeddings: Optional[list[np.ndarray]]
    documents: Optional[list[list[Optional[str]]]]
    uris: Optional[list[list[Optional[str]]]]
    data: None
    metadatas: Optional[list[list[Optional[Metadata]]]]
    distances: Optional[list[list[float]]]
    included: Include


def get_result(raw: dict[str, Any]) -> GetResult:
    return GetResult(
        ids=raw["ids"],
        embeddings=raw.get("embeddings"),
        documents=raw.get("documents"),
        uris=raw.get("uris"),
        data=None,
        metadatas=raw.get("metadatas"),
        included=list(raw.get("include") or []),
    )


def query_result(raw: dict[str, Any]) -> QueryResult:
    distances = raw.get("distances")
    return QueryResult(
        ids=raw["ids"],
        embeddings=raw.get("embeddings"),
        documents=raw.get("documents"),
        uris=raw.get("uris"),
        data=None,
        metadatas=raw.get("metadatas"),
        distances=None if distances is None else [_float32_list(d) for d in distances],
        included=list(raw.get("include") or []),
    )


def _float32_list(values: Any) -> list[float]:
    """Distances as float32 values in a list (from the engine's arrays, or from JSON)."""
    if isinstance(values, np.ndarray) and values.dtype == np.float32:
        return values.tolist()
    return np.asarray(values, dtype=np.float32).tolist()
