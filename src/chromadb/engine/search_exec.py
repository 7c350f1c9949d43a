"""Running one search payload (model/search.py) over a collection view (spec/search-api.md §4).

filter -> every Knn's top `limit` within the filtered records -> the rank expression
evaluated over "domains" -> ascending score, ties in insertion order -> group_by ->
offset/limit -> select.

A domain is what a rank sub-expression yields: values for a set of records (its
support) and maybe a default for the records outside it. How two domains combine
decides which records a search returns (upstream's RankDomain rules, §4.2): a Knn
without a default keeps only its own records, so `Rrf` of two Knns without defaults
is an intersection, and a rank of constants returns nothing.

Scores are float32 throughout, as upstream computes them.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from chromadb.engine import index_rules
from chromadb.engine.filters import filter_mask
from chromadb.engine.search import search as dense_search
from chromadb.engine.view import CandidateSet, CollectionView
from chromadb.model.records import check_dimension
from chromadb.model.search import (
    DOCUMENT,
    EMBEDDING,
    METADATA,
    SCORE,
    Binary,
    GroupBy,
    Knn,
    Nary,
    RankNode,
    SearchPayload,
    SparseQuery,
    Unary,
    Val,
)

__all__ = ["run_payload"]

F32_MAX = float(np.finfo(np.float32).max)
_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "$sum": np.add,
    "$sub": np.subtract,
    "$mul": np.multiply,
    "$div": np.divide,
    "$max": np.fmax,  # Rust's f32::max: a NaN loses to a number
    "$min": np.fmin,
}
_UNARY: dict[str, Callable[[Any], Any]] = {"$abs": np.abs, "$exp": np.exp, "$log": np.log}
# an n-ary operator folds its operands from this constant
_FOLD_START = {"$sum": 0.0, "$mul": 1.0, "$max": -F32_MAX, "$min": F32_MAX}


@dataclass
class Domain:
    """Values of a rank sub-expression: `values[i]` for slot `slots[i]` (slots ascending), and
    `default` (or None) for every other record."""

    slots: np.ndarray
    values: np.ndarray
    default: np.float32 | None

    @classmethod
    def flat(cls, value: float) -> Domain:
        return cls(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32), np.float32(value))

    def at(self, slots: np.ndarray, fill: np.float32 | None) -> np.ndarray:
        """Values at these slots; `fill` where this domain has none (slots must be in it when None)."""
        if len(self.slots) == 0:
            return np.full(len(slots), fill, dtype=np.float32)
        pos = np.minimum(np.searchsorted(self.slots, slots), len(self.slots) - 1)
        if fill is None:
            return self.values[pos]
        return np.where(self.slots[pos] == slots, self.values[pos], fill).astype(np.float32)


def merge(a: Domain, b: Domain, op: Callable[[Any, Any], Any]) -> Domain:
    """Two domains combined by a binary operator (§4.2's table)."""
    if a.default is not None and b.default is not None:
        slots = np.union1d(a.slots, b.slots)
        default = np.float32(op(a.default, b.default))
    elif a.default is not None:
        slots, default = b.slots, None
    elif b.default is not None:
        slots, default = a.slots, None
    else:
        slots, default = np.intersect1d(a.slots, b.slots, assume_unique=True), None
    values = op(a.at(slots, a.default), b.at(slots, b.default)).astype(np.float32)
    return Domain(slots, values, default)


# -- the payload ---------------------------------------------------------------------------------
def run_payload(
    view: CollectionView, payload: SearchPayload, schema: dict[str, Any] | None, exact_search_max: int
) -> dict[str, Any]:
    """One payload's answer: ids, and documents / embeddings / metadatas / scores as selected
    (None where not), plus the selected keys."""
    check_sparse_keys(payload, schema)
    allowed = None
    if payload.filter is not None:
        where = payload.filter
        allowed = view.candidates(("search", where), lambda: filter_mask(view, where))
    end = None if payload.limit is None else payload.offset + payload.limit
    if payload.rank is None:
        # no ranking: insertion order, and the score is the position in the page
        slots = (view.live_slots() if allowed is None else allowed.slots)[payload.offset : end]
        scores = np.arange(len(slots), dtype=np.float32)
    else:
        with np.errstate(all="ignore"):  # log(0), x/0: -inf, inf and NaN are scores like others
            domain = Evaluator(view, allowed, schema, exact_search_max).evaluate(payload.rank)
        slots, scores = _ranked(view, domain.slots, domain.values)
        if payload.group_by is not None:
            slots, scores = _grouped(view, slots, scores, payload.group_by)
        slots, scores = slots[payload.offset : end], scores[payload.offset : end]
    return _selected(view, slots, scores, payload.select)


def _ranked(view: CollectionView, slots: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ascending score (NaN last), equal scores in insertion order."""
    order = np.lexsort((view.rids[slots], scores))
    return slots[order], scores[order]


def check_sparse_keys(payload: SearchPayload, schema: dict[str, Any] | None) -> None:
    """A sparse Knn needs a sparse index on its key, when the collection has a schema, and
    a filter may not need an index the schema turned off (engine/index_rules.py).

    A collection without a stored schema (made before schemas were kept) may search any key.
    """
    if schema is None:
        return
    index_rules.check_filters(schema, payload.filter)
    for knn in payload.knns():
        if knn.sparse:
            index_rules.check_sparse_key(schema, knn.key)


# -- rank evaluation ---------------------------------------------------------------------------------
class Evaluator:
    def __init__(
        self, view: CollectionView, allowed: CandidateSet | None, schema: dict[str, Any] | None, exact_search_max: int
    ) -> None:
        self.view = view
        self.allowed = allowed
        self.schema = schema
        self.exact_search_max = exact_search_max

    def evaluate(self, node: RankNode) -> Domain:
        if isinstance(node, Val):
            return Domain.flat(node.value)
        if isinstance(node, Knn):
            return self.knn(node)
        if isinstance(node, Unary):
            inner = self.evaluate(node.child)
            fn = _UNARY[node.op]
            default = None if inner.default is None else np.float32(fn(inner.default))
            return Domain(inner.slots, fn(inner.values).astype(np.float32), default)
        if isinstance(node, Binary):
            return merge(self.evaluate(node.left), self.evaluate(node.right), _BINARY[node.op])
        if isinstance(node, Nary):
            acc = Domain.flat(_FOLD_START[node.op])
            for child in node.children:
                acc = merge(acc, self.evaluate(child), _BINARY[node.op])
            return acc
        raise TypeError(f"not a rank expression: {node!r}")

    def knn(self, knn: Knn) -> Domain:
        if isinstance(knn.query, SparseQuery):
            slots, distances = self.sparse_knn(knn.query, knn.key, knn.limit)
        else:
            slots, distances = self.dense_knn(knn.query, knn.limit)
        values = np.arange(len(slots), dtype=np.float32) if knn.return_rank else distances.astype(np.float32)
        order = np.argsort(slots, kind="stable")
        default = None if knn.default is None else np.float32(knn.default)
        return Domain(slots[order], values[order], default)

    def dense_knn(self, query: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
        """The `limit` nearest records (by the collection's distance) among the allowed ones."""
        view = self.view
        if limit == 0 or view.dimension is None:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        check_dimension(view.dimension, len(query))
        ((slots, distances),) = dense_search(view, query[None, :], limit, self.allowed, self.exact_search_max)
        return slots, np.asarray(distances, dtype=np.float32)

    def sparse_knn(self, query: SparseQuery, key: str, limit: int) -> tuple[np.ndarray, np.ndarray]:
        """The `limit` records with the smallest `1 - dot` among the allowed ones sharing a term."""
        view = self.view
        n = view.n
        if limit == 0 or n == 0 or len(query.indices) == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        index = view.sparse_index(key)
        live = view.live[:n]
        weights = query.values
        entry = index_rules.sparse_index(self.schema, key)
        if entry is not None and (entry.get("config") or {}).get("bm25") is True:
            weights = weights * self._idf(index.document_frequencies(query.indices, live), view.live_count)
        mask = live if self.allowed is None else self.allowed.mask
        slots, dots = index.dot(query.indices, weights.astype(np.float32), mask, n)
        distances = (np.float32(1.0) - dots).astype(np.float32)
        order = np.lexsort((view.rids[slots], distances))[:limit]
        return slots[order], distances[order]

    @staticmethod
    def _idf(doc_freq: np.ndarray, n_records: int) -> np.ndarray:
        """BM25's inverse document frequency of each query term (§4.4)."""
        n_t = doc_freq.astype(np.float32)
        return np.log1p((np.float32(n_records) - n_t + np.float32(0.5)) / (n_t + np.float32(0.5))).astype(np.float32)


# -- group_by -------------------------------------------------------------------------------------------
_TYPE_ORDER = {bool: 0, int: 1, float: 2, str: 3}  # upstream's MetadataValue order; then sparse, then arrays


def _value_order(value: Any) -> tuple[Any, ...]:
    """A sort key for a metadata value: a missing one first, then by type, then by value."""
    if value is None:
        return (0,)
    rank = _TYPE_ORDER.get(type(value))
    if rank is not None:
        return (1, rank, value)
    if isinstance(value, dict):  # a sparse vector: ordered after the scalars, not by value
        return (1, 4)
    return (1, 5 + _TYPE_ORDER.get(type(value[0]), 0), tuple(value))  # an array, by its element type


def _group_value(value: Any) -> tuple[Any, ...]:
    """A hashable identity for a group key's value (1 and 1.0 and True are different groups)."""
    if isinstance(value, dict):
        return (4, tuple(value.get("indices", ())), tuple(value.get("values", ())))
    return _value_order(value)


def _grouped(
    view: CollectionView, slots: np.ndarray, scores: np.ndarray, group_by: GroupBy
) -> tuple[np.ndarray, np.ndarray]:
    """Per group of equal `keys`, the first k by the aggregate keys; re-ranked by score."""
    groups: dict[tuple[Any, ...], list[int]] = {}
    metas = [view.metadata(s) or {} for s in slots.tolist()]
    for i, meta in enumerate(metas):
        groups.setdefault(tuple(_group_value(meta.get(k)) for k in group_by.keys), []).append(i)
    score_list = scores.tolist()

    def order_key(i: int) -> tuple[Any, ...]:
        return tuple(
            (1, 2, score_list[i]) if k == SCORE else _value_order(metas[i].get(k)) for k in group_by.order_keys
        )

    descending = group_by.aggregate == "$max_k"
    kept = [i for members in groups.values() for i in sorted(members, key=order_key, reverse=descending)[: group_by.k]]
    keep = np.asarray(sorted(kept), dtype=np.int64)
    return _ranked(view, slots[keep], scores[keep])


# -- select ---------------------------------------------------------------------------------------------
def _selected(view: CollectionView, slots: np.ndarray, scores: np.ndarray, select: tuple[str, ...]) -> dict[str, Any]:
    fields = [k for k in select if k not in (DOCUMENT, EMBEDDING, METADATA, SCORE)]
    want_metadata = METADATA in select or bool(fields)
    include = (["documents"] if DOCUMENT in select else []) + (["metadatas"] if want_metadata else [])
    rows = view.fields_of(slots.tolist(), include)
    metadatas = None
    if want_metadata:
        metadatas = [_projected(m, None if METADATA in select else fields) for m in rows["metadatas"]]  # type: ignore[union-attr]
    embeddings = None
    if EMBEDDING in select:
        embeddings = view.embeddings(slots) if view.dimension else np.zeros((len(slots), 0), dtype=np.float32)
    return {
        "ids": rows["ids"],
        "documents": rows["documents"] if DOCUMENT in select else None,
        "embeddings": embeddings,
        "metadatas": metadatas,
        "scores": scores.astype(np.float32) if SCORE in select else None,
        "select": list(select),
    }


def _projected(meta: dict[str, Any] | None, fields: list[str] | None) -> dict[str, Any] | None:
    """The whole metadata (fields None) or these fields of it; None when that is empty.
    Internal `chroma:` keys never show."""
    if not meta:
        return None
    if fields is None:
        out = {k: v for k, v in meta.items() if not k.startswith("chroma:")}
    else:
        out = {k: meta[k] for k in fields if k in meta and not k.startswith("chroma:")}
    return out or None

