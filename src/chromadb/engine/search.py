"""k-nearest-neighbour search over a collection view: exact (numpy) and HNSW, merged.

Exact search scores candidate slots with one matrix product; HNSW covers the indexed
slots when the candidate set is large. Slots the index does not cover (recent or
updated records) are always searched exactly, so every acknowledged write is visible.
Exact search ranks by |x|^2 - 2xq (one matrix product), then recomputes the final
distances of its top k directly from the vectors, so they do not suffer from
cancellation; graph hits keep the distances hnswlib computed (the same formulas).
"""
from __future__ import annotations

import math

import numpy as np

from chromadb.engine.options import EngineOptions
from chromadb.engine.sketch import Sketch
from chromadb.engine.view import CandidateSet, CollectionView

# Candidate sets up to this size are searched exactly (fast, and recall 1.0): the default of
# EngineOptions.exact_search_max, which the engine passes in.
EXACT_SEARCH_MAX = EngineOptions.exact_search_max
# A filtered HNSW search asks for k / selectivity * OVERSAMPLE (+ slack) neighbours and keeps
# those that pass the filter; when that would exceed MAX_OVERSAMPLED, exact search is cheaper.
OVERSAMPLE = 4.0
MAX_OVERSAMPLED = 1_000
# While at least this many records wait for the indexer, unfiltered scans of as many go
# through the sketch (sketch.py) instead of reading every full vector.
SKETCH_SCAN_MIN = 8192


def exact_distances(view: CollectionView, query: np.ndarray, slots: np.ndarray) -> np.ndarray:
    x, norms = view.gather(slots)
    if view.space == "l2":
        diff = x - query
        return np.einsum("ij,ij->i", diff, diff)
    if view.space == "ip":
        return (1.0 - np.einsum("ij,j->i", x, query)).astype(np.float32)
    qn = query / (np.float32(np.linalg.norm(query)) + np.float32(1e-30))
    return (1.0 - np.einsum("ij,j->i", x, qn) * norms).astype(np.float32)


def _scores(view: CollectionView, queries: np.ndarray, x: np.ndarray, norms: np.ndarray) -> np.ndarray:
    """Approximate distances (m, len(x)) used only for ranking."""
    dots = _dots(queries, x)
    if view.space == "l2":
        return norms[None, :] - 2.0 * dots
    if view.space == "ip":
        return -dots
    qn = 1.0 / (np.linalg.norm(queries, axis=1) + 1e-30)
    return -(dots * qn[:, None]) * norms[None, :]


def _dots(queries: np.ndarray, x: np.ndarray) -> np.ndarray:
    if len(queries) == 1:
        # A single query is memory-bound: einsum's one-thread loop is as fast as BLAS on a
        # quiet machine and 3-5x faster on a busy one, where BLAS threads wait for a core.
        return np.einsum("ij,j->i", x, queries[0])[None, :]
    return queries @ x.T


def _top_k(scores: np.ndarray, k: int) -> np.ndarray:
    if scores.shape[1] <= k:
        return np.argsort(scores, axis=1, kind="stable")
    part = np.argpartition(scores, k - 1, axis=1)[:, :k]
    order = np.take_along_axis(scores, part, axis=1).argsort(axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)


def exact_search(
    view: CollectionView, queries: np.ndarray, candidates: np.ndarray | CandidateSet, k: int
) -> list[np.ndarray]:
    """Top-k candidate slots per query (ranked by approximate score)."""
    slots = candidates.slots if isinstance(candidates, CandidateSet) else candidates
    if len(slots) == 0:
        return [np.zeros(0, dtype=np.int64) for _ in range(len(queries))]
    k = min(k, len(slots))
    contiguous = int(slots[-1]) - int(slots[0]) == len(slots) - 1  # slots are sorted
    if len(slots) > view.n // 2 and not contiguous and view.vectors_resident:
        # score everything and mask: cheaper than gathering most of the matrix
        scores = _scores(view, queries, view.vectors[: view.n], view.norms[: view.n])
        keep = np.zeros(view.n, dtype=bool)
        keep[slots] = True
        scores[:, ~keep] = np.inf
        return list(_top_k(scores, k))
    x, norms = candidates.gathered(view) if isinstance(candidates, CandidateSet) else view.block(slots)
    scores = _scores(view, queries, x, norms)
    return [slots[row] for row in _top_k(scores, k)]


def scan(view: CollectionView, queries: np.ndarray, slots: np.ndarray, k: int) -> list[np.ndarray]:
    """Top-k of these live slots (sorted, unfiltered) per query: exact, or through the
    sketch while a large backlog waits for the indexer."""
    sketch = _backlog_sketch(view, len(slots), k)
    if sketch is None:
        return exact_search(view, queries, slots, k)
    return _sketched_search(view, sketch, queries, slots, k)


def _backlog_sketch(view: CollectionView, n_slots: int, k: int) -> Sketch | None:
    if view.index is None or n_slots < SKETCH_SCAN_MIN or len(view.pending_slots()) < SKETCH_SCAN_MIN:
        return None
    sketch = view.sketch()
    return sketch if sketch is not None and sketch.pays(n_slots, k) else None


def _sketched_search(
    view: CollectionView, sketch: Sketch, queries: np.ndarray, slots: np.ndarray, k: int
) -> list[np.ndarray]:
    """Rank the slots by projected distance, rerank the best `depth` exactly. An audited
    query is answered by the exact scan, and tells the sketch how deep its rerank must go."""
    lo, hi = int(slots[0]), int(slots[-1]) + 1
    scores = sketch.scores(queries, lo, hi)
    if hi - lo != len(slots):
        scores = scores[:, slots - lo]
    if sketch.audit_due():
        exact = exact_search(view, queries, slots, k)
        true_scores = scores[0, np.searchsorted(slots, exact[0])]
        sketch.record_audit(int(np.count_nonzero(scores[0] <= true_scores.max())), len(slots))
        return exact
    depth = sketch.depth(len(slots), k)
    # the depth-th score as a threshold, then one comparison: half the cost of an
    # argpartition, and the shortlist comes in slot order (memory order for the gather)
    cutoffs = np.partition(scores, depth - 1, axis=1)[:, depth - 1]
    found = []
    for qi, cutoff in enumerate(cutoffs.tolist()):
        candidates = slots[np.flatnonzero(scores[qi] <= cutoff)]
        x, norms = view.gather(candidates)
        found.append(candidates[_top_k(_scores(view, queries[qi : qi + 1], x, norms), k)[0]])
    return found


def search(
    view: CollectionView,
    queries: np.ndarray,
    k: int,
    allowed: CandidateSet | None,
    exact_search_max: int = EXACT_SEARCH_MAX,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(slots, distances) per query, nearest first, at most k each; `allowed` None: all live slots.

    A filter leaving at most `exact_search_max` candidates is answered by an exact scan."""
    # unfiltered: the count is known, so no O(N) candidate mask is built
    cand_mask = None if allowed is None else allowed.mask
    n_candidates = view.live_count if allowed is None else allowed.count
    if n_candidates == 0 or view.dimension is None:
        return [(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)) for _ in queries]
    k = min(k, n_candidates)
    index = view.index
    n_indexed = 0 if index is None else index.live_count
    if n_indexed == 0:
        use_index = False
    elif cand_mask is None:
        # asking the graph for most of its elements fails (or is slower than a scan)
        use_index = k * 4 <= n_candidates
    else:
        # a selective filter is answered exactly; a broad one by oversampling the graph
        use_index = n_candidates > exact_search_max and (
            _oversampled_k(k, n_candidates, n_indexed) <= MAX_OVERSAMPLED
        )
    found = _index_search(view, queries, k, allowed, n_candidates, n_indexed) if use_index else None
    if found is None:
        if allowed is None:
            found = [(slots, None) for slots in scan(view, queries, view.live_slots(), k)]
        else:
            found = [(slots, None) for slots in exact_search(view, queries, allowed, k)]
    return [_finish(view, q, slots, dist, k) for q, (slots, dist) in zip(queries, found)]


def _index_search(
    view: CollectionView, queries: np.ndarray, k: int, allowed: CandidateSet | None, n_candidates: int,
    n_indexed: int,
) -> list[tuple[np.ndarray, np.ndarray | None]] | None:
    """The graph's answer for the slots it covers, merged with a scan of the rest.

    Graph hits keep the distances hnswlib computed; None when a scan should answer instead.
    """
    index = view.index
    cand_mask = None if allowed is None else allowed.mask
    filtered = cand_mask is not None
    uncovered = view.pending_slots()
    if cand_mask is not None:
        uncovered = uncovered[cand_mask[uncovered]]
    n_covered = n_candidates - len(uncovered)
    if n_covered == 0:
        return None
    kk = min(_oversampled_k(k, n_covered, n_indexed) if filtered else k, n_indexed)
    try:
        # oversampled (filtered) searches need a beam wider than kk to return a good kk
        # (VectorIndex.knn's shortlist).
        # While the indexer inserts, a scan of the in-memory matrix beats waiting for it;
        # without that matrix in memory, waiting for one insert step is cheaper.
        found = index.knn(queries, kk, wait=not view.vectors_loaded, shortlist=filtered)
    except RuntimeError:  # hnswlib could not collect kk neighbours
        found = None
    if found is None:
        return None
    tail = None
    if len(uncovered):
        tail = exact_search(view, queries, uncovered, k) if filtered else scan(view, queries, uncovered, k)
    labels, distances = found
    slots_all, valid_all = view.slots_of_hits(labels)
    if cand_mask is not None:
        valid_all &= cand_mask[slots_all]
    elif tail is None and kk == k and valid_all.all():
        return list(zip(slots_all, distances))  # the usual case: every hit stands as it is
    results: list[tuple[np.ndarray, np.ndarray | None]] = []
    for qi in range(len(queries)):
        keep = valid_all[qi]
        hits = slots_all[qi][keep][:k]
        tail_q = uncovered if tail is None else tail[qi]
        if len(hits) < min(k, n_covered) and (filtered or len(hits) + len(tail_q) < k):
            # the filter is too selective for this oversampling (or the graph fell short):
            # search the candidates exactly
            candidates = view.live_slots() if allowed is None else allowed
            results.append((exact_search(view, queries[qi : qi + 1], candidates, k)[0], None))
            continue
        hit_dist = distances[qi][keep][:k]
        if len(tail_q):
            tail_dist = exact_distances(view, queries[qi], tail_q)
            results.append((np.concatenate([hits, tail_q]), np.concatenate([hit_dist, tail_dist])))
        else:
            results.append((hits, hit_dist))
    return results


def _oversampled_k(k: int, n_candidates: int, n_indexed: int) -> int:
    fraction = max(n_candidates, 1) / max(n_indexed, 1)
    return math.ceil(k / fraction * OVERSAMPLE) + 32


def _finish(
    view: CollectionView, query: np.ndarray, slots: np.ndarray, dist: np.ndarray | None, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """At most k, nearest first; equal distances in insertion order."""
    if dist is None:
        dist = exact_distances(view, query, slots)
    elif len(dist) <= k and (len(dist) < 2 or (dist[1:] > dist[:-1]).all()):
        return slots, dist  # graph hits come sorted: only ties would need the sort below
    order = np.lexsort((view.rids[slots], dist))[:k]
    return slots[order], dist[order]
