"""get / query / delete requests, built once at each door and taken as they are by the
backends and the engine.

`Door` holds the few rules that differ between upstream's client and its server; the
in-process `Collection` builds with `CLIENT`, the server's wire decoder with `SERVER`.
Everything else (defaults, messages) is the same rule for both, here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from chromadb.model.records import check_filter_ids, check_ids, to_embedding_matrix
from chromadb.model.where import CLIENT_MIN_CLAUSES, SERVER_MIN_CLAUSES, Where, WhereDocument, parse_filters

__all__ = [
    "CLIENT",
    "DEFAULT_N_RESULTS",
    "INCLUDE_VALUES",
    "SERVER",
    "DeleteRequest",
    "Door",
    "GetRequest",
    "QueryRequest",
    "check_include",
    "check_limit_offset",
    "check_n_results",
]

# "data" (images) is the client's to ask for; no door of ours stores it, so it never
# reaches a backend (the wire refuses it as an unknown variant)
INCLUDE_VALUES = ("documents", "embeddings", "metadatas", "distances", "uris", "data")
DEFAULT_N_RESULTS = 10


@dataclass(frozen=True, slots=True)
class Door:
    """The rules in which upstream's client and server differ."""

    min_clauses: int  # under $and / $or
    unique_ids: bool  # get/delete by ids: a non-empty list without duplicates
    # what an absent include means; the order is what the result echoes ("included")
    get_include: tuple[str, ...]
    query_include: tuple[str, ...]


CLIENT = Door(
    min_clauses=CLIENT_MIN_CLAUSES,
    unique_ids=True,
    get_include=("metadatas", "documents"),
    query_include=("metadatas", "documents", "distances"),
)
SERVER = Door(
    min_clauses=SERVER_MIN_CLAUSES,
    unique_ids=False,
    get_include=("documents", "metadatas"),
    query_include=("documents", "metadatas", "distances"),
)


@dataclass(frozen=True, slots=True)
class GetRequest:
    ids: list[str] | None
    where: Where | None
    where_document: WhereDocument | None
    limit: int | None
    offset: int
    include: tuple[str, ...]

    @classmethod
    def build(
        cls,
        door: Door,
        ids: Any = None,
        where: Any = None,
        where_document: Any = None,
        limit: Any = None,
        offset: Any = None,
        include: Any = None,
    ) -> GetRequest:
        ids = _ids(door, ids)
        parsed_where, parsed_document = parse_filters(where, where_document, min_clauses=door.min_clauses)
        include_ = _include(door.get_include if include is None else include, allow_distances=False)
        limit_, offset_ = check_limit_offset(limit, offset)
        return cls(ids, parsed_where, parsed_document, limit_, offset_, include_)


@dataclass(frozen=True, slots=True)
class QueryRequest:
    embeddings: np.ndarray  # float32 (n, dim), finite
    n_results: int
    ids: list[str] | None
    where: Where | None
    where_document: WhereDocument | None
    include: tuple[str, ...]

    @classmethod
    def build(
        cls,
        door: Door,
        embeddings: Any,
        n_results: Any = DEFAULT_N_RESULTS,
        ids: Any = None,
        where: Any = None,
        where_document: Any = None,
        include: Any = None,
    ) -> QueryRequest:
        matrix = to_embedding_matrix(embeddings, "query_embeddings")
        n = check_n_results(n_results)  # None too: a door that lets it be absent passes the default
        ids = check_filter_ids(ids)  # a query may name ids freely, at either door
        parsed_where, parsed_document = parse_filters(where, where_document, min_clauses=door.min_clauses)
        include_ = _include(door.query_include if include is None else include, allow_distances=True)
        return cls(matrix, n, ids, parsed_where, parsed_document, include_)


@dataclass(frozen=True, slots=True)
class DeleteRequest:
    ids: list[str] | None
    where: Where | None
    where_document: WhereDocument | None
    limit: int | None

    @classmethod
    def build(cls, door: Door, ids: Any = None, where: Any = None, where_document: Any = None, limit: Any = None) -> DeleteRequest:
        ids = _ids(door, ids)
        parsed_where, parsed_document = parse_filters(where, where_document, min_clauses=door.min_clauses)
        limit_, _ = check_limit_offset(limit, None)
        return cls(ids, parsed_where, parsed_document, limit_)

    @property
    def filtered(self) -> bool:
        return self.where is not None or self.where_document is not None


def _ids(door: Door, ids: Any) -> list[str] | None:
    if ids is None:
        return None
    return check_ids(ids) if door.unique_ids else check_filter_ids(ids)


def _include(include: Any, allow_distances: bool) -> tuple[str, ...]:
    return tuple(item for item in check_include(include, allow_distances) if item != "data")


# -- include ----------------------------------------------------------------------
def check_include(include: Any, allow_distances: bool) -> list[str]:
    if not isinstance(include, (list, tuple)):
        raise ValueError(f"Expected include to be a list, got {include!r}")
    for item in include:
        if item not in INCLUDE_VALUES:
            raise ValueError(f"Expected include item to be one of {', '.join(INCLUDE_VALUES)}, got {item!r}")
        if item == "distances" and not allow_distances:
            raise ValueError("Include 'distances' is only valid for query, not get")
    return list(include)


def check_n_results(n_results: Any) -> int:
    if isinstance(n_results, bool) or not isinstance(n_results, (int, np.integer)):
        raise TypeError(f"Expected requested number of results to be an int, got {n_results!r}")
    if n_results <= 0:
        raise TypeError(f"Number of requested results {n_results}, cannot be negative, or zero.")
    return int(n_results)


def check_limit_offset(limit: Any, offset: Any) -> tuple[int | None, int]:
    for name, v in (("limit", limit), ("offset", offset)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0):
            raise TypeError(f"Expected {name} to be a non-negative int, got {v!r}")
    return (None if limit is None else int(limit)), (0 if offset is None else int(offset))
