"""An inverted index of one sparse-vector metadata key over a view's slots (exact sparse Knn).

Derived from the view's metadata like its columns: built on the first sparse search of
the key, then kept in step with the writes the view applies, slot by slot. Postings are
held in CSR form (terms sorted, one run of (slot, value) per term), so scoring a query
is a few numpy gathers and one `bincount`, with no loop over postings.

Writes after the build do not touch the big arrays: a written slot is marked stale in
the base postings and its current vector goes to a small delta, itself indexed in CSR
form when a search next needs it. When the delta grows past a fraction of the base, the
whole index is rebuilt from the view.
"""
from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

import numpy as np

# rebuild the base when the delta holds more than this share of it (or this many vectors)
REBUILD_SHARE = 0.25
REBUILD_MIN = 4096


def is_sparse_vector(value: Any) -> bool:
    """A stored metadata value that is a sparse vector (kept in its wire form)."""
    return type(value) is dict and value.get("#type") == "sparse_vector"


class Postings:
    """CSR postings: for terms[i], slots[starts[i]:starts[i+1]] hold values vals[...]."""

    def __init__(self, slots: Iterable[int], vectors: list[dict[str, Any]]) -> None:
        slot_list = list(slots)
        lengths = np.fromiter((len(v["indices"]) for v in vectors), dtype=np.int64, count=len(vectors))
        total = int(lengths.sum())
        terms = np.fromiter(itertools.chain.from_iterable(v["indices"] for v in vectors), dtype=np.int64, count=total)
        vals = np.fromiter(itertools.chain.from_iterable(v["values"] for v in vectors), dtype=np.float32, count=total)
        owners = np.repeat(np.asarray(slot_list, dtype=np.int64), lengths)
        order = np.argsort(terms, kind="stable")  # stable: slots stay ascending within a term
        terms, self.slots, self.vals = terms[order], owners[order], vals[order]
        self.terms, first = np.unique(terms, return_index=True)
        self.starts = np.append(first, total).astype(np.int64)
        self.count = len(slot_list)

    def gather(self, query_terms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(positions into the query, posting slots, posting values) of the query's terms."""
        if len(self.terms) == 0 or len(query_terms) == 0:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, np.zeros(0, dtype=np.float32)
        pos = np.minimum(np.searchsorted(self.terms, query_terms), len(self.terms) - 1)
        hit = np.flatnonzero(self.terms[pos] == query_terms)
        lo, hi = self.starts[pos[hit]], self.starts[pos[hit] + 1]
        lengths = hi - lo
        total = int(lengths.sum())
        # the posting positions of every hit term, concatenated, without a loop
        run_start = np.repeat(lo - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
        flat = run_start + np.arange(total, dtype=np.int64)
        return np.repeat(hit, lengths), self.slots[flat], self.vals[flat]


class SparseIndex:
    """The postings of `key`: a base built from the view, a delta of the slots written since."""

    def __init__(self, key: str, metadatas: list[dict[str, Any] | None]) -> None:
        self.key = key
        slots: list[int] = []
        vectors: list[dict[str, Any]] = []
        for slot, meta in enumerate(metadatas):
            value = None if meta is None else meta.get(key)
            if is_sparse_vector(value):
                slots.append(slot)
                vectors.append(value)  # type: ignore[arg-type]
        self.base = Postings(slots, vectors)
        self.stale = np.zeros(len(metadatas), dtype=bool)  # base postings of these slots are outdated
        self.extra: dict[int, dict[str, Any] | None] = {}  # slot -> its current vector (None: none)
        self._delta: Postings | None = None

    def set(self, slot: int, value: Any) -> None:
        """The slot's value of the key changed (written, deleted)."""
        if slot < len(self.stale):
            self.stale[slot] = True
        self.extra[slot] = value if is_sparse_vector(value) else None
        self._delta = None

    @property
    def needs_rebuild(self) -> bool:
        return len(self.extra) > max(REBUILD_MIN, REBUILD_SHARE * self.base.count)

    def delta(self) -> Postings:
        if self._delta is None:
            written = [(s, v) for s, v in self.extra.items() if v is not None]
            self._delta = Postings((s for s, _ in written), [v for _, v in written])
        return self._delta

    def _postings(self, query_terms: np.ndarray, live: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Current postings of the query's terms for live slots: (query positions, slots, values)."""
        qpos, slots, vals = self.base.gather(query_terms)
        stale = self.stale[slots] if len(self.stale) else np.zeros(len(slots), dtype=bool)
        keep = ~stale & live[slots]
        dqpos, dslots, dvals = self.delta().gather(query_terms)
        dkeep = live[dslots]
        return (
            np.concatenate((qpos[keep], dqpos[dkeep])),
            np.concatenate((slots[keep], dslots[dkeep])),
            np.concatenate((vals[keep], dvals[dkeep])),
        )

    def document_frequencies(self, query_terms: np.ndarray, live: np.ndarray) -> np.ndarray:
        """For each query term, how many live records hold it."""
        qpos, _, _ = self._postings(query_terms, live)
        return np.bincount(qpos, minlength=len(query_terms))

    def dot(
        self, query_terms: np.ndarray, query_values: np.ndarray, live: np.ndarray, n: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """(slots, dot products) of the live records sharing at least one term with the query,
        slots ascending."""
        qpos, slots, vals = self._postings(query_terms, live)
        if len(slots) == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        contributions = vals * query_values[qpos]
        sums = np.bincount(slots, weights=contributions, minlength=n)
        touched = np.zeros(n, dtype=bool)
        touched[slots] = True
        found = np.flatnonzero(touched)
        return found, sums[found].astype(np.float32)
