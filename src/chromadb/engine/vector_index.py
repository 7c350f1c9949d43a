"""The HNSW index of one collection (hnswlib), labelled by record rid.

Derived data: it can always be rebuilt from SQLite. On disk it is `hnsw.<seq>.bin`
plus `index.json` naming that file and the collection sequence number it reflects;
`index.json` is replaced atomically, so a reader sees either
the old pair or the new one.
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import hnswlib
import numpy as np

from chromadb.engine import hugepages

META_FILE = "index.json"

DEFAULT_EF_SEARCH = 100
# The beam while ef_search is the default: (largest graph, beam). Measured on the shared
# workload (384-d, 1,000 uneven clusters; M 16, ef_construction 100; recall@10 against
# exact numpy): ef 100 gives 0.993 at 200k and 0.985 at 300k, where ef 150 gives 0.993;
# at 1M ef 100 gives 0.885, 200 0.948, 300 0.964, 600 0.977 (p50 0.93 ms) and 800 no more
# (0.978, p50 1.4 ms): past ~600 the graph built with M 16, not the beam, is the limit.
BEAM_STEPS = ((200_000, 100), (300_000, 150), (600_000, 300))
LARGEST_BEAM = 600
# A search that found the graph busy with an insert scans instead, on the same two cores as
# the insert's threads: for this long after one, the indexer inserts on one thread
# (Indexer._step), leaving a core to the searches.
CONTENDED_S = 0.25


class GraphLock:
    """Shared for searches and saves (hnswlib reads the graph concurrently), exclusive for
    inserts, deletion marks and set_ef. Waiting writers go first, so a stream of queries
    cannot starve the indexer."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._readers = 0
        self._writer = False
        self._writers_waiting = 0

    def acquire_shared(self, blocking: bool = True) -> bool:
        with self._cond:
            if not blocking and (self._writer or self._writers_waiting):
                return False
            while self._writer or self._writers_waiting:
                self._cond.wait()
            self._readers += 1
            return True

    def release_shared(self) -> None:
        with self._cond:
            self._readers -= 1
            if self._readers == 0:
                self._cond.notify_all()

    def acquire_exclusive(self, blocking: bool = True) -> bool:
        with self._cond:
            if not blocking and (self._writer or self._readers):
                return False
            self._writers_waiting += 1
            try:
                while self._writer or self._readers:
                    self._cond.wait()
            finally:
                self._writers_waiting -= 1
            self._writer = True
            return True

    def release_exclusive(self) -> None:
        with self._cond:
            self._writer = False
            self._cond.notify_all()

    def downgrade(self) -> None:
        """Exclusive to shared, with no writer in between."""
        with self._cond:
            self._writer = False
            self._readers += 1
            self._cond.notify_all()

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        self.acquire_exclusive()
        try:
            yield
        finally:
            self.release_exclusive()


def beam_width(ef_search: int, elements: int) -> int:
    """The beam of a search over a graph of `elements`: the configured ef_search, widened as
    the graph grows while ef_search is the default (one the user changed is used as given;
    the configuration reported stays what the user set). The beam changes in steps, not
    per element: a change briefly takes the graph alone (hnswlib's set_ef)."""
    if ef_search != DEFAULT_EF_SEARCH:
        return ef_search
    for limit, ef in BEAM_STEPS:
        if elements <= limit:
            return ef
    return LARGEST_BEAM


class VectorIndex:
    def __init__(
        self, space: str, dimension: int, params: dict[str, Any], capacity: int = 1024, *, huge_pages: bool = True
    ) -> None:
        self.space = space
        self.dimension = dimension
        self.params = params
        self.huge_pages = huge_pages  # advise the graph's memory into huge pages (hugepages.py)
        self.lock = GraphLock()
        self.hnsw = hnswlib.Index(space=space, dim=dimension)
        with hugepages.Advised(huge_pages):  # the graph's memory is still untouched: faults will be huge
            self.hnsw.init_index(
                max_elements=max(capacity, 1024),
                ef_construction=int(params.get("ef_construction", 100)),
                M=int(params.get("max_neighbors", 16)),
            )
        self.unsettled: list[hugepages.Range] = []  # filled memory still in small pages
        self._ef = int(params.get("ef_search", DEFAULT_EF_SEARCH))  # what hnswlib was last set to
        self.hnsw.set_ef(self._ef)
        self.deleted: set[int] = set()  # labels marked deleted (revived when re-added)
        self.to_delete: list[int] = []  # labels to mark deleted once the graph is free
        self._to_delete_lock = threading.Lock()
        self.dirty = 0  # changes since the last save
        self.compacted = False  # rebuilt without the deleted elements of a larger saved file
        self.contended_at = -math.inf  # when a search last found an insert holding the graph

    @property
    def element_count(self) -> int:
        return self.hnsw.get_current_count()

    @property
    def live_count(self) -> int:
        return self.hnsw.get_current_count() - len(self.deleted) - len(self.to_delete)

    # hnswlib allows concurrent searches, or concurrent inserts, but not both at once:
    # every call that touches the graph holds `self.lock`, shared or exclusive.
    def add(self, vectors: np.ndarray, labels: np.ndarray, num_threads: int = -1, expected: int = 0) -> None:
        """Insert; `expected`: how many elements the graph will hold once the current
        backlog is in, so that one resize makes room for all of it."""
        if len(labels) == 0:
            return
        with self.lock.exclusive():
            self._flush_deletes()
            self._add(vectors, labels, num_threads, expected)

    def _add(self, vectors: np.ndarray, labels: np.ndarray, num_threads: int, expected: int = 0) -> None:
        needed = self.hnsw.get_current_count() + len(labels)
        if needed > self.hnsw.get_max_elements():
            # Each resize copies the whole graph (into small pages, see settle_pages): grow
            # to the whole backlog at once, and at least by the configured factor.
            factor = max(float(self.params.get("resize_factor", 1.2)), 1.2)
            with hugepages.Advised(self.huge_pages) as advised:
                self.hnsw.resize_index(max(needed, expected, int(self.hnsw.get_max_elements() * factor)))
            self.unsettled.extend(advised.ranges)
        self.hnsw.add_items(vectors, labels, num_threads=num_threads)
        if self.deleted:
            # re-adding a label that was marked deleted revives it (hnswlib semantics)
            self.deleted.difference_update(labels.tolist())
        self.dirty += len(labels)

    def mark_deleted(self, labels: list[int]) -> None:
        """Hide these labels from searches: now, or after the insert that holds the graph.

        A write must not wait for the indexer's insert step; until the marks land,
        search drops the labels itself (they no longer match a live record version).
        """
        if not labels:
            return
        with self._to_delete_lock:
            self.to_delete.extend(labels)
        if self.lock.acquire_exclusive(blocking=False):
            try:
                self._flush_deletes()
            finally:
                self.lock.release_exclusive()

    def _flush_deletes(self) -> None:
        """Apply the deferred marks (holding self.lock exclusively)."""
        if self.to_delete:
            with self._to_delete_lock:
                labels, self.to_delete = self.to_delete, []
            self.dirty += self._mark_deleted(labels)

    def _mark_deleted(self, labels: list[int]) -> int:
        done = 0
        for label in labels:
            label = int(label)
            if label in self.deleted:
                continue
            try:
                self.hnsw.mark_deleted(label)
            except RuntimeError:
                continue  # not in the index
            self.deleted.add(label)
            done += 1
        return done

    def knn(
        self, queries: np.ndarray, k: int, wait: bool = True, min_ef: int = 0
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """Labels and distances of the k nearest; None when `wait` is False and an insert holds the graph."""
        ef = max(beam_width(int(self.params.get("ef_search", DEFAULT_EF_SEARCH)), self.element_count), min_ef)
        if self.space == "ip":
            # inner product is not a metric: the graph search needs a wider beam for the same
            # recall (measured on normalised clustered data: x2 gave recall@10 0.992-0.995
            # between builds, too close to 0.99; x3 gives 0.994-0.997)
            ef *= 3
        ef = max(ef, k)
        if not self.lock.acquire_shared(blocking=wait):
            self.contended_at = time.monotonic()
            return None
        try:
            if ef == self._ef and not self.to_delete:  # the usual case: searches run side by side
                return self.hnsw.knn_query(queries, k=k)
        finally:
            self.lock.release_shared()
        # another beam width, or deletion marks to apply first: the graph alone
        if not self.lock.acquire_exclusive(blocking=wait):
            self.contended_at = time.monotonic()
            return None
        try:
            self._flush_deletes()
            if ef != self._ef:
                self.hnsw.set_ef(ef)
                self._ef = ef
            return self.hnsw.knn_query(queries, k=k)
        finally:
            self.lock.release_exclusive()

    @property
    def contended(self) -> bool:
        """Whether searches found the graph busy with an insert just now."""
        return time.monotonic() - self.contended_at < CONTENDED_S

    def settle_pages(self, stop: Callable[[], bool] = lambda: False) -> None:
        """Move a graph read from disk or grown by a resize into huge pages (a copy: ~0.35 s
        per 150 MB, so run it off the request path). Searches go on meanwhile."""
        ranges, self.unsettled = self.unsettled, []
        left = hugepages.collapse(ranges, stop)
        self.unsettled = left + self.unsettled

    # -- persistence ---------------------------------------------------------------------
    def write_graph(self, path: str, hide: Callable[[np.ndarray], list[int]] | None = None) -> list[int]:
        """Write the graph to `path` (searches go on meanwhile); returns the deletion marks
        the file holds. `hide(labels)`, called once no insert runs, names labels to mark
        deleted before the write (a copy must not hold vectors its records no longer have)."""
        self.lock.acquire_exclusive()
        try:
            if hide is not None:
                with self._to_delete_lock:
                    self.to_delete.extend(hide(np.array(self.hnsw.get_ids_list(), dtype=np.int64)))
            self._flush_deletes()
            deleted = sorted(self.deleted)  # the marks in the file, not ones made after it
        except BaseException:
            self.lock.release_exclusive()
            raise
        self.lock.downgrade()  # no insert or mark can come between, searches can
        try:
            self.hnsw.save_index(path)
        finally:
            self.lock.release_shared()
        return deleted

    def save(self, directory: str, seq: int) -> None:
        os.makedirs(directory, exist_ok=True)
        name = f"hnsw.{seq}.bin"
        tmp = os.path.join(directory, f"{name}.{os.getpid()}.tmp")
        deleted = self.write_graph(tmp)
        os.replace(tmp, os.path.join(directory, name))
        write_meta(directory, name, seq, self.space, self.dimension, deleted)
        for other in os.listdir(directory):
            if other.startswith("hnsw.") and other != name and not other.endswith(".tmp"):
                try:
                    os.remove(os.path.join(directory, other))
                except OSError:
                    pass
        self.dirty = 0
        self.compacted = False

    @classmethod
    def load(
        cls, directory: str, space: str, dimension: int, params: dict[str, Any], *, huge_pages: bool = True
    ) -> tuple[VectorIndex, dict[str, Any]] | None:
        """The saved index and its meta, or None when absent, unreadable or of another shape."""
        try:
            with open(os.path.join(directory, META_FILE)) as f:
                meta = json.load(f)
            if meta["space"] != space or meta["dimension"] != dimension:
                return None
            index = cls.__new__(cls)
            index.space, index.dimension, index.params = space, dimension, params
            index.huge_pages = huge_pages
            index.lock = GraphLock()
            index.hnsw = hnswlib.Index(space=space, dim=dimension)
            with hugepages.Advised(huge_pages) as advised:
                index.hnsw.load_index(os.path.join(directory, meta["file"]))
            index.unsettled = advised.ranges  # read in small pages: see settle_pages
            index._ef = int(params.get("ef_search", DEFAULT_EF_SEARCH))
            index.hnsw.set_ef(index._ef)
            index.deleted = set(meta.get("deleted", []))
            index.to_delete = []
            index._to_delete_lock = threading.Lock()
            index.dirty = 0
            index.compacted = False
            index.contended_at = -math.inf
            return index, meta
        except (OSError, ValueError, KeyError, RuntimeError):
            return None


def write_meta(directory: str, name: str, seq: int, space: str, dimension: int, deleted: list[int]) -> None:
    """Name graph file `name` (holding the records up to `seq`) in index.json, atomically."""
    meta = {"file": name, "seq": seq, "space": space, "dimension": dimension, "deleted": deleted}
    tmp_meta = os.path.join(directory, f"{META_FILE}.{os.getpid()}.tmp")
    with open(tmp_meta, "w") as f:
        json.dump(meta, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp_meta, os.path.join(directory, META_FILE))
