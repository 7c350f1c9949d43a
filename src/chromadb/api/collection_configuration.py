"""Collection configuration shapes (`chromadb.api.collection_configuration`).

These are TypedDicts, as upstream's: plain dicts with known keys. What a create or
modify call does with them (validation, defaults, persistence) is the engine's job.

    client.create_collection("docs", configuration={"hnsw": {"space": "cosine", "ef_search": 100}})
"""
from __future__ import annotations

from typing import Any, TypedDict

from chromadb.api.types import Space


class HNSWConfiguration(TypedDict, total=False):
    space: Space
    ef_construction: int
    max_neighbors: int
    ef_search: int
    num_threads: int
    batch_size: int
    sync_threshold: int
    resize_factor: float


class SpannConfiguration(TypedDict, total=False):
    search_nprobe: int
    write_nprobe: int
    space: Space
    ef_construction: int
    ef_search: int
    max_neighbors: int
    reassign_neighbor_count: int
    split_threshold: int
    merge_threshold: int


class CollectionConfiguration(TypedDict, total=True):
    hnsw: HNSWConfiguration | None
    spann: SpannConfiguration | None
    embedding_function: Any | None


class CreateHNSWConfiguration(HNSWConfiguration, total=False):
    """What `create_collection(configuration={"hnsw": ...})` accepts."""


class CreateSpannConfiguration(SpannConfiguration, total=False):
    """What `create_collection(configuration={"spann": ...})` accepts."""


class CreateCollectionConfiguration(TypedDict, total=False):
    hnsw: CreateHNSWConfiguration | None
    spann: CreateSpannConfiguration | None
    embedding_function: Any | None


class UpdateHNSWConfiguration(TypedDict, total=False):
    """The HNSW parameters a collection may change after creation."""

    ef_search: int
    num_threads: int
    batch_size: int
    sync_threshold: int
    resize_factor: float


class UpdateSpannConfiguration(TypedDict, total=False):
    search_nprobe: int
    ef_search: int


class UpdateCollectionConfiguration(TypedDict, total=False):
    hnsw: UpdateHNSWConfiguration | None
    spann: UpdateSpannConfiguration | None
    embedding_function: Any | None


__all__ = [
    "CollectionConfiguration",
    "CreateCollectionConfiguration",
    "CreateHNSWConfiguration",
    "CreateSpannConfiguration",
    "HNSWConfiguration",
    "SpannConfiguration",
    "UpdateCollectionConfiguration",
    "UpdateHNSWConfiguration",
    "UpdateSpannConfiguration",
]
