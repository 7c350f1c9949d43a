"""The HNSW index of one collection (hnswlib), labelled by record rid.

A collection is held in graphs of at most GRAPH_SIZE elements: new elements go into the
last graph until it is full, then into a new one, and a search runs in every graph (side
by side on the cores) and merges their answers by distance. One hnswlib graph of 1M
(M 16, ef_construction 100) stops at recall@10 ~0.978 however wide its beam, where four
graphs of 250k reach 0.992 at ef 100 each (bench/RESULTS-index-choice.md).

Derived data: it can always be rebuilt from SQLite. On disk it is one `hnsw.<seq>.<i>.bin`
per graph plus `index.json` naming those files and the collection sequence number they
reflect; `index.json` is replaced atomically, so a reader sees either the old set or the
new one. A save rewrites only the graphs changed since their file was written.
"""
from __future__ import annotations

import contextlib
import functools
import json
import logging
import math
import os
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import hnswlib
import numpy as np

from chromadb.engine import hugepages
from chromadb.engine.graph_file import MappedGraph
from chromadb.engine.spread import spread

logger = logging.getLogger(__name__)

META_FILE = "index.json"
# Elements per graph: a larger collection is held in several (see the module's docstring).
GRAPH_SIZE = 250_000
# Up to this many queries at once, the graphs are searched side by side, one thread each;
# more queries keep every core busy within each graph already.
SPREAD_QUERIES_MAX = 1

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
# A saved index of at least MAP_MIN_BYTES is mapped when opened, and read by hnswlib
# READ_AFTER_S after the first search answered from the mappings, at the latest READ_BY_S
# after it was opened (see VectorIndex.load).
MAP_MIN_BYTES = 64 << 20
READ_AFTER_S = 0.25
READ_BY_S = 2.0
# A filtered search's candidates, asked of several graphs: each gives its share plus this many.
SHORTLIST_SLACK = 32


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
    def shared(self) -> Iterator[None]:
        self.acquire_shared()
        try:
            yield
        finally:
            self.release_shared()

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
    per element: a change briefly takes the graphs alone (hnswlib's set_ef)."""
    if ef_search != DEFAULT_EF_SEARCH:
        return ef_search
    for limit, ef in BEAM_STEPS:
        if elements <= limit:
            return ef
    return LARGEST_BEAM


class Graph:
    """One hnswlib graph of the index, and what the index keeps about it."""

    def __init__(
        self,
        hnsw: hnswlib.Index,
        ef: int,
        file: str | None = None,
        stat: tuple[int, int] | None = None,
        mapped: MappedGraph | None = None,
    ) -> None:
        self.hnsw = hnsw  # while `mapped` is set: an empty stand-in, not used
        self.mapped = mapped  # the saved file, mapped, until hnswlib has read it
        self.ef = ef  # what hnswlib was last set to
        self.file = file  # the file in the collection's folder that holds it, as `stat` says
        self.stat = stat
        self.dirty = 0  # changes since that file was written
        self.n_deleted = 0  # elements marked deleted
        self.full = False  # takes no new label (re-adding one it holds updates it in place)
        self._labels: np.ndarray | None = None  # sorted, once full: they never change then

    @property
    def count(self) -> int:
        return self.hnsw.get_current_count() if self.mapped is None else self.mapped.count

    @property
    def live(self) -> int:
        return self.count - self.n_deleted

    def labels(self) -> np.ndarray:
        if self.mapped is not None:
            return self.mapped.labels()
        return np.array(self.hnsw.get_ids_list(), dtype=np.int64)

    def holds(self, labels: np.ndarray) -> np.ndarray:
        """Which of `labels` are elements of this graph (a full one: its labels are fixed)."""
        if self._labels is None:
            self._labels = np.sort(self.labels())
        if len(self._labels) == 0:
            return np.zeros(len(labels), dtype=bool)
        at = np.minimum(np.searchsorted(self._labels, labels), len(self._labels) - 1)
        return self._labels[at] == labels


class VectorIndex:
    """The graphs of one collection behind one lock: inserts go to the last graph until
    it holds `graph_size` elements, then to a new one; searches run in every graph."""

    def __init__(
        self,
        space: str,
        dimension: int,
        params: dict[str, Any],
        capacity: int = 1024,
        *,
        huge_pages: bool = True,
        graph_size: int | None = None,
        graphs: list[Graph] | None = None,
    ) -> None:
        self.space = space
        self.dimension = dimension
        self.params = params
        self.huge_pages = huge_pages  # advise the graphs' memory into huge pages (hugepages.py)
        self.graph_size = graph_size or GRAPH_SIZE
        self.lock = GraphLock()
        self.unsettled: list[hugepages.Range] = []  # filled memory still in small pages
        self.deleted: set[int] = set()  # labels marked deleted (revived when re-added)
        self.to_delete: list[int] = []  # labels to mark deleted once the graphs are free
        self._to_delete_lock = threading.Lock()
        self.compacted = False  # rebuilt without the deleted elements of a larger saved index
        self.contended_at = -math.inf  # when a search last found an insert holding the graphs
        self.loaded = threading.Event()  # every graph read by hnswlib (see load)
        self.loaded.set()
        self._sources: list[_GraphSource] = []  # mapped graph files hnswlib has yet to read
        self._sources_lock = threading.Lock()
        self._reading_soon = False
        self.load_failed = False  # a graph file hnswlib could not read: the index must be rebuilt
        self.directory: str | None = None  # where its graphs were last saved or read from
        self.saves = 0  # how many times it was saved (a view's vector cache lasts until the next)
        self._file_maps: dict[tuple[str, tuple[int, int] | None], MappedGraph] = {}  # see stored_vectors
        self._file_maps_lock = threading.Lock()
        self.graphs: list[Graph] = []
        if graphs is None:
            self._new_graph(capacity)
        else:
            self.graphs = graphs

    def _new_graph(self, capacity: int) -> Graph:
        hnsw = hnswlib.Index(space=self.space, dim=self.dimension)
        with hugepages.Advised(self.huge_pages):  # the graph's memory is still untouched: faults will be huge
            hnsw.init_index(
                max_elements=min(max(capacity, 1024), self.graph_size),
                ef_construction=int(self.params.get("ef_construction", 100)),
                M=int(self.params.get("max_neighbors", 16)),
            )
        graph = Graph(hnsw, self._ef_search)
        hnsw.set_ef(graph.ef)
        self.graphs.append(graph)
        return graph

    @property
    def _ef_search(self) -> int:
        return int(self.params.get("ef_search", DEFAULT_EF_SEARCH))  # read each time: `modify` changes it

    @property
    def element_count(self) -> int:
        return sum(graph.count for graph in self.graphs)

    @property
    def live_count(self) -> int:
        return self.element_count - len(self.deleted) - len(self.to_delete)

    @property
    def dirty(self) -> int:
        """Changes since the index was last saved."""
        return sum(graph.dirty for graph in self.graphs)

    def labels(self) -> np.ndarray:
        """Every element's label, those marked deleted included."""
        with self.lock.shared():
            return self._labels()

    def _labels(self) -> np.ndarray:
        return np.concatenate([graph.labels() for graph in self.graphs])

    # hnswlib allows concurrent searches, or concurrent inserts, but not both at once:
    # every call that touches a graph holds `self.lock`, shared or exclusive.
    def add(self, vectors: np.ndarray, labels: np.ndarray, num_threads: int = -1, expected: int = 0) -> None:
        """Insert; `expected`: how many elements the index will hold once the current
        backlog is in, so that one resize makes room for all of it."""
        if len(labels) == 0:
            return
        self._wait_loaded()
        with self.lock.exclusive():
            self._flush_deletes()
            self._add(vectors, np.asarray(labels, dtype=np.int64), num_threads, expected)

    def _add(self, vectors: np.ndarray, labels: np.ndarray, num_threads: int, expected: int) -> None:
        new = np.ones(len(labels), dtype=bool)
        for graph in self.graphs:
            if graph.full:  # a label a full graph holds is updated there, never added twice
                held = graph.holds(labels)
                if held.any():
                    self._insert(graph, vectors[held], labels[held], num_threads)
                    new &= ~held
        if not new.all():
            vectors, labels = vectors[new], labels[new]
        start = 0
        while start < len(labels):
            graph = self.graphs[-1]
            if graph.full:
                graph = self._new_graph(max(expected - self.element_count, len(labels) - start))
            room = self.graph_size - graph.count
            part = slice(start, start + room)
            others = self.element_count - graph.count
            self._make_room(graph, graph.count + len(labels[part]), expected - others)
            self._insert(graph, vectors[part], labels[part], num_threads)
            graph.full = graph.count >= self.graph_size
            start += room

    def _make_room(self, graph: Graph, needed: int, expected: int) -> None:
        if needed <= graph.hnsw.get_max_elements():
            return
        # Each resize copies the whole graph (into small pages, see settle_pages): grow to
        # the whole backlog at once, and at least by the configured factor.
        factor = max(float(self.params.get("resize_factor", 1.2)), 1.2)
        size = min(max(needed, expected, int(graph.hnsw.get_max_elements() * factor)), self.graph_size)
        with hugepages.Advised(self.huge_pages) as advised:
            graph.hnsw.resize_index(size)
        self.unsettled.extend(advised.ranges)

    def _insert(self, graph: Graph, vectors: np.ndarray, labels: np.ndarray, num_threads: int) -> None:
        graph.hnsw.add_items(vectors, labels, num_threads=num_threads)
        if self.deleted:
            # re-adding a label that was marked deleted revives it (hnswlib semantics)
            revived = self.deleted.intersection(labels.tolist())
            self.deleted.difference_update(revived)
            graph.n_deleted -= len(revived)
        graph.dirty += len(labels)

    def mark_deleted(self, labels: list[int]) -> None:
        """Hide these labels from searches: now, or after the insert that holds the graphs.

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
        """Apply the deferred marks (holding self.lock exclusively); while graphs are still
        being read they wait, and searches leave their labels out meanwhile."""
        if self.to_delete and self.loaded.is_set():
            with self._to_delete_lock:
                labels, self.to_delete = self.to_delete, []
            self._mark_deleted(labels)

    def _mark_deleted(self, labels: list[int]) -> None:
        wanted = np.array(sorted({int(label) for label in labels} - self.deleted), dtype=np.int64)
        for graph, here in self._route(wanted):
            for label in here.tolist():
                try:
                    graph.hnsw.mark_deleted(label)
                except RuntimeError:
                    continue  # not in the index
                self.deleted.add(label)
                graph.n_deleted += 1
                graph.dirty += 1

    def _route(self, labels: np.ndarray) -> Iterator[tuple[Graph, np.ndarray]]:
        """Each graph with those of `labels` it may hold: a full graph knows its labels,
        the rest are for the open graph (the last) to look up."""
        for graph in self.graphs:
            if not len(labels):
                return
            if graph.full:
                held = graph.holds(labels)
                yield graph, labels[held]
                labels = labels[~held]
            else:
                yield graph, labels
                return

    def knn(
        self, queries: np.ndarray, k: int, wait: bool = True, shortlist: bool = False
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """Labels and distances of the k nearest; None when `wait` is False and an insert holds the graphs.

        `shortlist`: the k asked for are candidates for a filter to pick from (oversampled),
        so they are found with a beam of 2k, and each graph of several gives its share of them."""
        try:
            return self._knn(queries, k, wait, shortlist)
        finally:
            if self._sources and not self._reading_soon:
                # not at once: the rest of this request (its records, from SQLite) comes first
                self._reading_soon = True
                self._read_later(READ_AFTER_S)

    def _knn(self, queries: np.ndarray, k: int, wait: bool, shortlist: bool) -> tuple[np.ndarray, np.ndarray] | None:
        if not self.lock.acquire_shared(blocking=wait):
            self.contended_at = time.monotonic()
            return None
        try:
            plan = self._plan(k, shortlist)
            if not self.to_delete and all(graph.ef == ef for graph, _, ef in plan):
                return self._search(queries, k, plan)  # the usual case: searches run side by side
        finally:
            self.lock.release_shared()
        # other beam widths, or deletion marks to apply first: the graphs alone
        if not self.lock.acquire_exclusive(blocking=wait):
            self.contended_at = time.monotonic()
            return None
        try:
            self._flush_deletes()
            plan = self._plan(k, shortlist)
            for graph, _, ef in plan:
                if ef != graph.ef:
                    if graph.mapped is None:  # a mapped graph gets its beam once read
                        graph.hnsw.set_ef(ef)
                    graph.ef = ef
            return self._search(queries, k, plan)
        finally:
            self.lock.release_exclusive()

    def _plan(self, k: int, shortlist: bool) -> list[tuple[Graph, int, int]]:
        """(graph, neighbours to ask of it, its beam) for each graph with live elements."""
        live = [graph.live for graph in self.graphs]
        total = sum(live)
        plan = []
        for graph, n in zip(self.graphs, live):
            if n <= 0:
                continue
            if shortlist and len(self.graphs) > 1:
                # a filter's candidates spread over the graphs like the elements do
                asked = min(n, math.ceil(k * n / total) + SHORTLIST_SLACK)
            else:
                asked = min(k, n)
            ef = max(beam_width(self._ef_search, graph.count), 2 * asked if shortlist else 0)
            if self.space == "ip":
                # inner product is not a metric: the graph search needs a wider beam for the same
                # recall (measured on normalised clustered data: x2 gave recall@10 0.992-0.995
                # between builds, too close to 0.99; x3 gives 0.994-0.997)
                ef *= 3
            plan.append((graph, asked, max(ef, asked)))
        return plan

    def _search(self, queries: np.ndarray, k: int, plan: list[tuple[Graph, int, int]]) -> tuple[np.ndarray, np.ndarray]:
        """The k nearest over every graph (holding self.lock): each graph's nearest, merged."""
        parts = [(graph, asked) for graph, asked, _ in plan]
        if self.loaded.is_set():
            hidden = np.zeros(0, dtype=np.int64)
        else:  # marks that wait for the graphs: a mapped graph's scan leaves them out
            hidden = np.unique(np.fromiter(self.deleted.union(self.to_delete), dtype=np.int64))

        def search_one(graph: Graph, kk: int, num_threads: int = 1) -> tuple[np.ndarray, np.ndarray]:
            if graph.mapped is not None:
                return graph.mapped.knn(queries, kk, hidden)
            return graph.hnsw.knn_query(queries, k=kk, num_threads=num_threads)

        if len(parts) == 1:
            return search_one(parts[0][0], parts[0][1], -1)
        if len(queries) <= SPREAD_QUERIES_MAX:
            # few queries: the graphs side by side, one thread each (hnswlib releases the GIL)
            found = spread([functools.partial(search_one, graph, kk) for graph, kk in parts])
        else:  # many: hnswlib spreads each graph's queries over the cores
            found = [search_one(graph, kk, -1) for graph, kk in parts]
        labels = np.concatenate([f[0] for f in found], axis=1)
        distances = np.concatenate([f[1] for f in found], axis=1)
        nearest = np.argsort(distances, axis=1, kind="stable")[:, :k]
        return np.take_along_axis(labels, nearest, 1), np.take_along_axis(distances, nearest, 1)

    def stored_vectors(self, labels: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Which of `labels` the saved graph files hold, their vectors copied into the same
        rows of `out`, read from the files mapped (the page cache, not a copy in this process). A label's
        vector never changes (a new vector gets a new label), so a file written before
        later changes still holds the right vector for every label in it. Each file must
        still be the one its graph was written to or read from (size and mtime); one
        replaced or removed meanwhile gives nothing. cosine: normalised, as hnswlib keeps them."""
        found = np.zeros(len(labels), dtype=bool)
        with self._file_maps_lock:
            maps = [m for m in (self._file_map(graph) for graph in list(self.graphs)) if m is not None]
        for mapped in maps:
            left = np.flatnonzero(~found)
            if not len(left):
                break
            here, vectors = mapped.vectors_of(labels[left])
            out[left[here]] = vectors
            found[left[here]] = True
        return found

    def _file_map(self, graph: Graph) -> MappedGraph | None:
        """The graph's saved file, mapped (kept while it is the graph's file; under _file_maps_lock)."""
        if graph.mapped is not None:  # still being read: its own mapping
            return graph.mapped
        if self.directory is None or graph.file is None:
            return None
        key = (graph.file, graph.stat)
        mapped = self._file_maps.get(key)
        if mapped is None:
            try:
                source = _GraphSource(os.path.join(self.directory, graph.file))
            except OSError:
                return None
            try:
                st = os.fstat(source.fd)
                if (st.st_size, st.st_mtime_ns) != graph.stat:
                    return None  # not the file it was written to (another process's save)
                mapped = MappedGraph(source.path, self.space, self.dimension)
            except (OSError, ValueError):
                return None
            finally:
                source.close()  # the mapping keeps the file
            current = {(g.file, g.stat) for g in self.graphs}
            for old in [k for k in self._file_maps if k not in current]:
                del self._file_maps[old]  # a file saved over: let go of it (and its disk space)
            self._file_maps[key] = mapped
        return mapped

    @property
    def contended(self) -> bool:
        """Whether searches found the graphs busy with an insert just now."""
        return time.monotonic() - self.contended_at < CONTENDED_S

    def settle_pages(self, stop: Callable[[], bool] = lambda: False) -> None:
        """Move graphs read from disk or grown by a resize into huge pages (a copy: ~0.35 s
        per 150 MB, so run it off the request path). Searches go on meanwhile."""
        ranges, self.unsettled = self.unsettled, []
        left = hugepages.collapse(ranges, stop)
        self.unsettled = left + self.unsettled

    # -- persistence ---------------------------------------------------------------------
    def write_files(
        self,
        directory: str,
        seq: int,
        hide: Callable[[np.ndarray], list[int]] | None = None,
        patch: Callable[[str], None] | None = None,
        reuse: bool = False,
    ) -> tuple[list[str], list[int]]:
        """Write each graph into `directory` as `hnsw.<seq>.<i>.bin` (searches go on
        meanwhile); returns the file names and the deletion marks they hold.

        `hide(labels)`, called once no insert runs, names labels to mark deleted before the
        write (a copy must not hold vectors its records no longer have); `patch(path)`
        edits each file before it takes its name; `reuse`: a graph unchanged since it was
        written to a file that is still there as written keeps that file."""
        self._wait_loaded()
        self.lock.acquire_exclusive()
        try:
            if hide is not None:
                with self._to_delete_lock:
                    self.to_delete.extend(hide(self._labels()))
            self._flush_deletes()
            deleted = sorted(self.deleted)  # the marks in the files, not ones made after them
        except BaseException:
            self.lock.release_exclusive()
            raise
        self.lock.downgrade()  # no insert or mark can come between, searches can
        try:
            names = []
            for i, graph in enumerate(self.graphs):
                if reuse and graph.dirty == 0 and graph.file is not None and _stat(directory, graph.file) == graph.stat:
                    names.append(graph.file)
                    continue
                name = f"hnsw.{seq}.{i}.bin"
                tmp = os.path.join(directory, f"{name}.{os.getpid()}.tmp")
                try:
                    graph.hnsw.save_index(tmp)
                    if patch is not None:
                        patch(tmp)
                    os.replace(tmp, os.path.join(directory, name))
                finally:
                    if os.path.exists(tmp):
                        os.remove(tmp)
                if reuse:
                    graph.file, graph.stat, graph.dirty = name, _stat(directory, name), 0
                names.append(name)
        finally:
            self.lock.release_shared()
        return names, deleted

    def save(self, directory: str, seq: int) -> None:
        os.makedirs(directory, exist_ok=True)
        self.directory = directory
        names, deleted = self.write_files(directory, seq, reuse=True)
        write_meta(directory, names, seq, self.space, self.dimension, deleted)
        self.saves += 1
        for other in os.listdir(directory):
            if other.startswith("hnsw.") and other not in names and not other.endswith(".tmp"):
                try:
                    os.remove(os.path.join(directory, other))
                except OSError:
                    pass
        self.compacted = False

    @classmethod
    def load(
        cls,
        directory: str,
        space: str,
        dimension: int,
        params: dict[str, Any],
        *,
        huge_pages: bool = True,
        graph_size: int | None = None,
        background: bool = False,
    ) -> tuple[VectorIndex, dict[str, Any]] | None:
        """The saved index and its meta, or None when absent, unreadable or of another shape.

        `background`: the graph files are mapped and hnswlib reads them on a thread of its
        own; searches meanwhile scan the mapped vectors exactly (graph_file.py)."""
        sources: list[_GraphSource] = []
        try:
            with open(os.path.join(directory, META_FILE)) as f:
                meta = json.load(f)
            if meta["space"] != space or meta["dimension"] != dimension:
                return None
            ef = int(params.get("ef_search", DEFAULT_EF_SEARCH))
            names = meta.get("files") or [meta["file"]]  # "file": one graph, written before graphs were split
            # a small index is read at once: mapping it would save little and hold its files open
            stats = [_stat(directory, name) for name in names]
            background = background and sum(stat[0] for stat in stats if stat) >= MAP_MIN_BYTES
            graphs = []
            with hugepages.Advised(huge_pages and not background) as advised:
                for name, stat in zip(names, stats):
                    path = os.path.join(directory, name)
                    hnsw = hnswlib.Index(space=space, dim=dimension)
                    if background:
                        # opened now: a save by another process may replace the file before it is read
                        source = _GraphSource(path)
                        sources.append(source)
                        graphs.append(Graph(hnsw, ef, name, stat, mapped=MappedGraph(path, space, dimension)))
                    else:
                        hnsw.load_index(path)
                        hnsw.set_ef(ef)
                        graphs.append(Graph(hnsw, ef, name, stat))
            index = cls(space, dimension, params, huge_pages=huge_pages, graph_size=graph_size, graphs=graphs)
            index.unsettled = advised.ranges  # read in small pages: see settle_pages
            for graph in graphs:
                graph.full = graph is not graphs[-1] or graph.count >= index.graph_size
            index.deleted = set(meta.get("deleted", []))
            if index.deleted:  # the files hold these marks: count them per graph
                for graph, here in index._route(np.fromiter(index.deleted, dtype=np.int64)):
                    graph.n_deleted = len(here)
        except (OSError, ValueError, KeyError, RuntimeError):
            for source in sources:
                source.close()
            return None
        index.directory = directory
        if sources:
            index.loaded.clear()
            index._sources = sources
            index._read_later(READ_BY_S)
        return index, meta

    def _read_later(self, seconds: float) -> None:
        timer = threading.Timer(seconds, self._start_reading)
        timer.daemon = True
        timer.start()

    def _start_reading(self) -> None:
        """Have hnswlib read the mapped graphs, on a thread of its own (once). hnswlib holds
        the GIL while it reads (~0.5 s per graph of 250k x 384), so this starts only after
        the first search has been answered from the mappings (READ_AFTER_S later), when an
        insert or a save needs the graphs, or READ_BY_S after the index was opened: a
        process that opens a collection for one query never waits for it, and one that
        keeps it open holds its files open for seconds only."""
        with self._sources_lock:  # the timer, a search and an insert may all get here
            sources, self._sources = self._sources, []
        if sources:
            threading.Thread(target=self._read_graphs, args=(sources,), name="chromadb-graph-load", daemon=True).start()

    def _read_graphs(self, sources: list[_GraphSource]) -> None:
        """hnswlib reads each mapped graph; each replaces its mapping as soon as it is in."""
        try:
            for graph, source in zip(self.graphs, sources):
                hnsw = hnswlib.Index(space=self.space, dim=self.dimension)
                with hugepages.Advised(self.huge_pages) as advised:
                    hnsw.load_index(source.path)
                with self.lock.exclusive():
                    hnsw.set_ef(graph.ef)
                    graph.hnsw, graph.mapped = hnsw, None
                    self.unsettled.extend(advised.ranges)
        except Exception:  # searches stay exact (mapped); the indexer builds a new index
            logger.warning("could not read a saved vector index", exc_info=True)
            self.load_failed = True
        finally:
            for source in sources:
                source.close()
            self.loaded.set()
        self.settle_pages()  # read in small pages: into huge ones, searches going on meanwhile

    def _wait_loaded(self) -> None:
        self._start_reading()
        self.loaded.wait()
        if self.load_failed:
            raise RuntimeError("a graph file of this index could not be read")


class _GraphSource:
    """A graph file held open until hnswlib has read it, by a path that stays valid when a
    save by another process renames a newer file over it (Linux: /proc/self/fd)."""

    def __init__(self, path: str) -> None:
        self.fd = os.open(path, os.O_RDONLY)
        by_fd = f"/proc/self/fd/{self.fd}"
        self.path = by_fd if os.path.exists(by_fd) else path

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def _stat(directory: str, name: str) -> tuple[int, int] | None:
    """What tells a graph file from another written under its name (None: it is gone)."""
    try:
        st = os.stat(os.path.join(directory, name))
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def write_meta(directory: str, names: list[str], seq: int, space: str, dimension: int, deleted: list[int]) -> None:
    """Name the graph files (holding the records up to `seq`) in index.json, atomically."""
    meta = {"files": names, "seq": seq, "space": space, "dimension": dimension, "deleted": deleted}
    tmp_meta = os.path.join(directory, f"{META_FILE}.{os.getpid()}.tmp")
    with open(tmp_meta, "w") as f:
        json.dump(meta, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp_meta, os.path.join(directory, META_FILE))
