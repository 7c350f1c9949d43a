"""A low-dimensional sketch of a collection's vectors, for the records the HNSW index does not cover yet.

After a large write the indexer needs a while to catch up (add is several times faster
than graph inserts), and meanwhile search scans the not-yet-indexed records exactly:
at 100k x 384 that reads 150 MB per query. The sketch keeps each vector projected on
the top principal directions of the data (32 floats instead of 384), stored
dimension-major so that one BLAS product scores a whole run of slots. Search ranks the
backlog by projected distance and reranks the best few hundred with the full vectors.

The projection is only a ranking aid, so how deep the rerank must go depends on the
data. It is learned, not assumed: the first queries and then one in AUDIT_EVERY are
answered by the full scan, and the rank at which the projection placed their true
neighbours sets the depth for the next ones. Data the projection cannot rank (no
dominant directions, e.g. isotropic noise) turns the sketch off for the view.
"""
from __future__ import annotations

import collections
import math

import numpy as np

# Projected dimensions: a quarter of the vector's, at most this many (at 384 dimensions, 32
# with a deeper rerank scanned faster than 64: the scan is bound by memory bandwidth).
SKETCH_DIMS = 32
# Vectors with fewer dimensions are scanned exactly: a projection would save little.
SKETCH_MIN_DIMENSION = 64
# The principal directions are fitted on at most this many vectors (evenly spaced slots).
FIT_SAMPLE = 4096
# Audits: the first AUDIT_FIRST queries, then one in AUDIT_EVERY; the depth is
# DEPTH_MARGIN times the deepest true neighbour of the last AUDIT_HISTORY audits.
# Replayed on the shared workload's backlog (100k x 384, 1,000 queries): a margin of 2
# reranked 1,650 records a query for recall@10 0.999, 1.5 reranks 1,235 for 0.997, and
# 1.25 1,030 for 0.996; a median-based depth fell to 0.991, too close to 0.99.
AUDIT_FIRST = 3
AUDIT_EVERY = 32
AUDIT_HISTORY = 16
DEPTH_MARGIN = 1.5
# Rerank at least this many records; a sketch that needs more than MAX_DEPTH_FRACTION
# of the scanned records is slower than the exact scan, and is turned off.
MIN_DEPTH = 512
MAX_DEPTH_FRACTION = 0.1


class Sketch:
    """Projected coordinates of every slot of a view, kept in step with its vectors."""

    def __init__(self, basis: np.ndarray, center: np.ndarray, space: str, capacity: int) -> None:
        self.basis = basis  # (dimension, dims): orthonormal principal directions
        self.center = center  # the sample's mean, subtracted before projecting
        self.space = space
        dims = basis.shape[1]
        self.coords = np.zeros((dims, capacity), dtype=np.float32)  # dimension-major
        # |y|^2 completes the projected l2 distance |y|^2 - 2 y.yq (+ |yq|^2, constant per
        # query); inner product ranks by -y.yq alone, so it stays 0 there.
        self.sq_norms = np.zeros(capacity, dtype=np.float32)
        self.audits: collections.deque[float] = collections.deque(maxlen=AUDIT_HISTORY)
        self.queries = 0
        self.usable = True

    @classmethod
    def fit(cls, vectors: np.ndarray, norms: np.ndarray, space: str, capacity: int) -> Sketch | None:
        """Principal directions of these vectors (a sample of the view); None when the
        dimension is too small for a projection to pay."""
        dimension = vectors.shape[1]
        if dimension < SKETCH_MIN_DIMENSION or len(vectors) < 2:
            return None
        x = _prepared(vectors, norms, space)
        center = x.mean(axis=0) if space != "ip" else np.zeros(dimension, dtype=np.float32)
        centered = (x - center).astype(np.float64)
        _, eigenvectors = np.linalg.eigh(centered.T @ centered)
        dims = min(SKETCH_DIMS, dimension // 4)
        basis = np.ascontiguousarray(eigenvectors[:, ::-1][:, :dims], dtype=np.float32)
        return cls(basis, center.astype(np.float32), space, capacity)

    @property
    def capacity(self) -> int:
        return self.coords.shape[1]

    def set(self, slots: np.ndarray | slice, vectors: np.ndarray, norms: np.ndarray) -> None:
        """Project these vectors (norms: the view's, 1/|x| for cosine) into their slots."""
        self.put(slots, self.project(vectors, norms))

    def project(self, vectors: np.ndarray, norms: np.ndarray) -> np.ndarray:
        """The projected coordinates of these vectors (reads only the fitted basis)."""
        return (_prepared(vectors, norms, self.space) - self.center) @ self.basis

    def put(self, slots: np.ndarray | slice, y: np.ndarray) -> None:
        """Store projected coordinates `y` (from `project`) in their slots."""
        self.coords[:, slots] = y.T
        if self.space != "ip":
            self.sq_norms[slots] = np.einsum("ij,ij->i", y, y)

    def grow(self, capacity: int) -> None:
        coords = np.zeros((self.coords.shape[0], capacity), dtype=np.float32)
        coords[:, : self.capacity] = self.coords
        sq = np.zeros(capacity, dtype=np.float32)
        sq[: len(self.sq_norms)] = self.sq_norms
        self.coords, self.sq_norms = coords, sq

    def compact(self, keep: np.ndarray) -> None:
        """Slot keep[i] moves to slot i (view compaction)."""
        n = len(keep)
        self.coords[:, :n] = self.coords[:, keep]
        self.sq_norms[:n] = self.sq_norms[keep]

    def scores(self, queries: np.ndarray, lo: int, hi: int) -> np.ndarray:
        """(queries, hi - lo) projected distances of slots lo..hi-1, for ranking only."""
        q = _prepared(np.asarray(queries, dtype=np.float32), None, self.space)
        yq = (q - self.center) @ self.basis  # float32: a float64 product would copy coords
        # l2 ranks by |y|^2 - 2 y.yq, inner product by -y.yq: the factor goes on the query
        yq *= np.float32(-1.0 if self.space == "ip" else -2.0)
        if len(yq) == 1:
            # one query: einsum's single-thread loop; BLAS would wake a second thread, which
            # on a busy machine (the indexer holds both cores) waits for one for milliseconds
            # (measured again during a 100k backlog: p50 16 ms with BLAS, 8 with einsum)
            dots = np.einsum("j,ji->i", yq[0], self.coords[:, lo:hi])[None, :]
        else:
            dots = yq @ self.coords[:, lo:hi]
        if self.space != "ip":
            dots += self.sq_norms[lo:hi]
        return dots

    # -- how deep to rerank ----------------------------------------------------------------
    def audit_due(self) -> bool:
        """Count one sketched query; True when this one should be checked by a full scan."""
        self.queries += 1
        return len(self.audits) < AUDIT_FIRST or self.queries % AUDIT_EVERY == 0

    def record_audit(self, needed: int, scanned: int) -> None:
        """The projection ranked a query's deepest true neighbour `needed`-th of `scanned`."""
        self.audits.append(needed / max(scanned, 1))
        if self.depth_fraction() > MAX_DEPTH_FRACTION and len(self.audits) >= AUDIT_FIRST:
            self.usable = False

    def depth_fraction(self) -> float:
        return DEPTH_MARGIN * max(self.audits, default=1.0)

    def pays(self, scanned: int, k: int) -> bool:
        """Whether a sketched scan of `scanned` records beats the exact one (until the first
        audits are in, they are the exact scan)."""
        return len(self.audits) < AUDIT_FIRST or self.depth(scanned, k) * 4 <= scanned

    def depth(self, scanned: int, k: int) -> int:
        """How many of `scanned` records to rerank with the full vectors."""
        return max(MIN_DEPTH, 8 * k, math.ceil(self.depth_fraction() * scanned))


def _prepared(vectors: np.ndarray, norms: np.ndarray | None, space: str) -> np.ndarray:
    """Cosine compares directions: vectors scaled to unit length (norms holds 1/|x|)."""
    if space != "cosine":
        return vectors
    if norms is None:
        norms = 1.0 / (np.linalg.norm(vectors, axis=1) + np.float32(1e-30))
    return vectors * norms[:, None].astype(np.float32)
