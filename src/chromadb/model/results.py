"""What a get or a query returns, as the engine answers it (one typed value per call).

A field that was not included is None. Embeddings stay float32 arrays (one matrix for a
get, one per query embedding for a query) and distances float32 arrays; turning them
into the shapes of upstream's API is the doors' job (api/types.py, the wire codec),
which take these through `to_dict()`, the backend's dict shape.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["GetResult", "QueryResult"]


@dataclass(frozen=True, slots=True)
class GetResult:
    ids: list[str]
    documents: list[str | None] | None
    uris: list[str | None] | None
    metadatas: list[dict[str, Any] | None] | None
    embeddings: np.ndarray | None  # float32 (n, dim)
    include: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "ids": self.ids,
            "documents": self.documents,
            "uris": self.uris,
            "metadatas": self.metadatas,
            "embeddings": self.embeddings,
            "include": list(self.include),
        }


@dataclass(frozen=True, slots=True)
class QueryResult:
    """One list entry per query embedding, nearest first."""

    ids: list[list[str]]
    documents: list[list[str | None]] | None
    uris: list[list[str | None]] | None
    metadatas: list[list[dict[str, Any] | None]] | None
    embeddings: list[np.ndarray] | None  # float32 (k, dim) each
    distances: list[np.ndarray] | None  # float32 (k,) each
    include: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "embeddings": self.embeddings,
            "documents": self.documents,
            "uris": self.uris,
            "metadatas": self.metadatas,
            "distances": self.distances,
            "ids": self.ids,
            "include": list(self.include),
        }
