"""Vectors a view without a matrix had to read from the store, and those written since.

A collection too large to keep its vectors twice (view.py, `resident_vectors_max`) reads
the vectors its index covers from the saved graph files. What no file holds yet (records
the indexer has not reached, or indexed since the last save) comes from the store at
~10 us a row: a scan of a 100k backlog would take a second each query. So what a scan
had to read is kept here, and while it is kept, new writes put their vectors in too: the
next scan of the same backlog reads memory. Once the index is saved, the files hold what
was indexed and the cache is dropped (the view starts a new one when a scan needs it).

Rows are appended, never reused: a slot written again points at its new row. The whole
cache is bounded (`max_bytes`): what finds no room is read from the store again, so a
backlog larger than the bound is partly kept and partly read each time.
"""
from __future__ import annotations

import numpy as np

__all__ = ["VectorCache"]


class VectorCache:
    def __init__(self, capacity: int, dimension: int, max_bytes: int) -> None:
        self.row_of = np.full(capacity, -1, dtype=np.int64)  # slot -> row, -1: not kept
        self.rows = np.zeros((1024, dimension), dtype=np.float32)
        self.n = 0
        self.max_rows = max(max_bytes // (4 * max(dimension, 1)), 1)

    def grow(self, capacity: int) -> None:
        row_of = np.full(capacity, -1, dtype=np.int64)
        row_of[: len(self.row_of)] = self.row_of
        self.row_of = row_of

    def put(self, slots: np.ndarray, vectors: np.ndarray) -> None:
        """Keep these vectors as the slots' current ones (slots unique), as many as there is
        room for; the slots of the rest are forgotten (a vector kept before is stale now)."""
        room = max(self.max_rows - self.n, 0)
        if room < len(slots):
            self.row_of[slots[room:]] = -1
            slots, vectors = slots[:room], vectors[:room]
        needed = self.n + len(slots)
        if needed > len(self.rows):
            rows = np.zeros((max(needed, int(len(self.rows) * 1.5)), self.rows.shape[1]), dtype=np.float32)
            rows[: self.n] = self.rows[: self.n]
            self.rows = rows
        self.rows[self.n : needed] = vectors
        self.row_of[slots] = np.arange(self.n, needed)
        self.n = needed

    def read(self, slots: np.ndarray, out: np.ndarray, which: np.ndarray) -> np.ndarray:
        """Copy the kept vectors of slots[which] into the same rows of `out`; returns
        `which` less the slots found."""
        at = np.flatnonzero(which)
        rows = self.row_of[slots[at]]
        kept = rows >= 0
        out[at[kept]] = self.rows[rows[kept]]
        left = which.copy()
        left[at[kept]] = False
        return left
