"""k-nearest-neighbour search over a collection view: exact (numpy) and HNSW, merged.

Exact search scores candidate slots with one matrix product; HNSW covers the indexed
slots when the candidate set is large. Slots the index does not cover (recent or
updated records) are always searched exactly, so every acknowledged write is visible.
Final distances are recomputed directly from the vectors (not from |x|^2 - 2xq + |q|^2)
so they do not suffer from cancellation.
"""
from __future__ import annotations

import math

import numpy as np

from chromadb.engine.view import CollectionView

# Candidate sets up to this size are searched exactly (fast, and recall 1.0).
EXACT_SEARCH_MAX = 20_000
# A filtered HNSW search asks for k / selectivity * OVERSAMPLE (+ slack) neighbours and keeps
# those that pass the filter; when that would exceed MAX_OVERSAMPLED, exact search is cheaper.
OVERSAMPLE = 4.0
MAX_OVERSAMPLED = 1_000


def exact_distances(view: CollectionView, query: np.ndarray, slots: np.ndarray) -> np.ndarray:
    x = view.vectors[slots]
    if view.space == "l2":
        diff = x - query
        return np.einsum("ij,ij->i", diff, diff)
    if view.space == "ip":
        return (1.0 - x @ query).astype(np.float32)
    qn = query / (np.float32(np.linalg.norm(query)) + np.float32(1e-30))
    return (1.0 - (x @ qn) * view.norms[slots]).astype(np.float32)


def _scores(view: CollectionView, queries: np.ndarray, slots: np.ndarray | None) -> np.ndarray:
    """Approximate distances (m, len(slots)) used only for ranking."""
    x = view.vectors[: view.n] if slots is None else view.vectors[slots]
    norms = view.norms[: view.n] if slots is None else view.norms[slots]
    dots = queries @ x.T
    if view.space == "l2":
        return norms[None, :] - 2.0 * dots
    if view.space == "ip":
        return -dots
    qn = 1.0 / (np.linalg.norm(queries, axis=1) + 1e-30)
    return -(dots * qn[:, None]) * norms[None, :]


def _top_k(scores: np.ndarray, k: int) -> np.ndarray:
    if scores.shape[1] <= k:
        return np.argsort(scores, axis=1, kind="stable")
    part = np.argpartition(scores, k - 1, axis=1)[:, :k]
    order = np.take_along_axis(scores, part, axis=1).argsort(axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)


def exact_search(view: CollectionView, queries: np.ndarray, candidates: np.ndarray, k: int) -> list[np.ndarray]:
    """Top-k candidate slots per query (ranked by approximate score)."""
    if len(candidates) == 0:
        return [np.zeros(0, dtype=np.int64) for _ in range(len(queries))]
    k = min(k, len(candidates))
    if len(candidates) > view.n // 2:
        # score everything and mask: cheaper than gathering most of the matrix
        scores = _scores(view, queries, None)
        keep = np.zeros(view.n, dtype=bool)
        keep[candidates] = True
        scores[:, ~keep] = np.inf
        return list(_top_k(scores, k))
    scores = _scores(view, queries, candidates)
    return [candidates[row] for row in _top_k(scores, k)]


def search(view: CollectionView, queries: np.ndarray, k: int, allowed: np.ndarray | None) -> list[tuple[np.ndarray, np.ndarray]]:
    """(slots, distances) per query, nearest first, at most k each."""
    n = view.n
    cand_mask = view.live[:n] if allowed is None else (view.live[:n] & allowed)
    # unfiltered: the count is known, so the O(N) candidate list is only built when needed
    n_candidates = view.live_count if allowed is None else int(np.count_nonzero(cand_mask))
    if n_candidates == 0 or view.dimension is None:
        return [(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)) for _ in queries]
    k = min(k, n_candidates)
    index = view.index
    if index is None or index.live_count == 0:
        use_index = False
    elif allowed is None:
        # asking the graph for most of its elements fails (or is slower than a scan)
        use_index = k * 4 <= n_candidates
    else:
        # a selective filter is answered exactly; a broad one by oversampling the graph
        use_index = n_candidates > EXACT_SEARCH_MAX and (
            _oversampled_k(k, n_candidates, index.live_count) <= MAX_OVERSAMPLED
        )
    if not use_index:
        found = exact_search(view, queries, np.flatnonzero(cand_mask), k)
    else:
        found = _index_search(view, queries, k, cand_mask, n_candidates, allowed is not None)
    return [_finish(view, q, slots, k) for q, slots in zip(queries, found)]


def _index_search(
    view: CollectionView, queries: np.ndarray, k: int, cand_mask: np.ndarray, n_candidates: int, filtered: bool
) -> list[np.ndarray]:
    index = view.index
    indexed = view.indexed[: view.n]
    uncovered = np.flatnonzero(cand_mask & ~indexed)
    n_covered = n_candidates - len(uncovered)
    results: list[np.ndarray] = []
    tail = exact_search(view, queries, uncovered, k) if len(uncovered) else [np.zeros(0, np.int64)] * len(queries)
    if n_covered == 0:
        return tail
    kk = _oversampled_k(k, n_covered, index.live_count) if filtered else k
    kk = min(kk, index.live_count)
    try:
        # oversampled (filtered) searches need a beam wider than kk to return a good kk
        found = index.knn(queries, kk, wait=False, min_ef=2 * kk if filtered else 0)
    except RuntimeError:  # hnswlib could not collect kk neighbours
        found = None
    if found is None:
        # the indexer is inserting (or the graph failed us): a scan beats waiting for it
        return exact_search(view, queries, np.flatnonzero(cand_mask), k)
    labels = found[0]
    slots_all, valid_all = view.slots_of_labels(labels.reshape(-1))
    slots_all = slots_all.reshape(labels.shape)
    valid_all = valid_all.reshape(labels.shape)
    for qi in range(len(queries)):
        slots = slots_all[qi]
        hits = slots[valid_all[qi] & cand_mask[slots] & indexed[slots]]
        if len(hits) < min(k, n_covered):
            # the filter is too selective for this oversampling: search its candidates exactly
            hits = exact_search(view, queries[qi : qi + 1], np.flatnonzero(cand_mask & indexed), k)[0]
        merged = np.concatenate([hits[:k], tail[qi]])
        results.append(merged)
    return results


def _oversampled_k(k: int, n_candidates: int, n_indexed: int) -> int:
    fraction = max(n_candidates, 1) / max(n_indexed, 1)
    return math.ceil(k / fraction * OVERSAMPLE) + 32


def _finish(view: CollectionView, query: np.ndarray, slots: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    dist = exact_distances(view, query, slots)
    order = np.lexsort((view.rids[slots], dist))[:k]
    return slots[order], dist[order].astype(np.float32)
