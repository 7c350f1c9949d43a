"""The HNSW index of each collection, kept in step with its view by a background thread.

Writes are acknowledged once SQLite commits; the records they add are searched
exactly until this thread has put them into the index, so index maintenance never
sits on the write path. The indexer also loads saved indexes (and marks what changed
since they were saved), saves them atomically, and starts a fresh index when too much
of the old one is deleted. One thread per engine, woken by writes.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any, Protocol

import numpy as np

from chromadb.engine import catalog
from chromadb.engine.index_files import IndexFiles
from chromadb.engine.options import EngineOptions
from chromadb.engine.store import RecordStore
from chromadb.engine.vector_index import VectorIndex
from chromadb.engine.view import CollectionView, split_labels
from chromadb.progress import ProgressBar, progress_bar

logger = logging.getLogger("chromadb.engine")

# When a collection gets an HNSW index, when it is saved and rebuilt: the engine's options
# (engine/options.py). The defaults, for readers and tests that size their data by them:
INDEX_MIN = EngineOptions.index_min
SAVE_MIN_CHANGES = EngineOptions.save_min_changes
# Records inserted per step (the index is locked meanwhile, so steps stay short).
INDEX_CHUNK = 512
# An index built afresh over at least this many records (a rebuild: after `repair`, a lost
# index file, too many deletions) shows a progress bar until it has caught up (progress.py).
REBUILD_BAR_MIN = 100_000


class HasView(Protocol):
    """A collection runtime, as the indexer sees it: the view its index hangs on."""

    @property
    def view(self) -> CollectionView: ...


class Indexer:
    """Works on the engine's collection runtimes (`runtimes`, read under `lock`), the
    catalog rows of `store` and the index files; it knows nothing else of the engine."""

    def __init__(
        self,
        runtimes: Mapping[str, HasView],
        lock: threading.RLock,
        store: RecordStore,
        options: EngineOptions,
        files: IndexFiles,
    ) -> None:
        self.runtimes = runtimes
        self.lock = lock
        self.store = store
        self.options = options
        self.files = files
        self._wake = threading.Condition()
        self._pending = False
        self._busy = False
        self._stopped = False
        self._thread: threading.Thread | None = None
        self._bars: dict[str, ProgressBar] = {}  # collection id -> bar of an index built afresh

    # -- called by the engine, under its lock -------------------------------------------
    def load_index(self, view: CollectionView, row: dict[str, Any], loaded: tuple[VectorIndex, dict[str, Any]] | None) -> None:
        """Attach the saved index (IndexFiles.read_saved) and mark what it covers; the rest is searched exactly."""
        if loaded is not None and loaded[1]["seq"] <= view.seq and loaded[0].dimension == view.dimension:
            index, meta = loaded
            with self.store.snapshot():
                changed = np.array(self.store.rids_since(view.cid, meta["seq"]), dtype=np.int64)
            # The index covers the records whose label it holds (not deleted), unless they
            # changed after it was saved; labels also restore each vector's version.
            labels = index.labels()
            if index.deleted:
                labels = labels[~np.isin(labels, np.fromiter(index.deleted, dtype=np.int64))]
            rids, versions = split_labels(labels)
            stale = np.isin(rids, changed)
            slots = np.minimum(np.searchsorted(view.rids[: view.n], rids), max(view.n - 1, 0))
            present = (view.rids[slots] == rids) & view.live[slots] & ~stale
            view.vector_version[slots[present]] = versions[present]
            view.set_indexed(slice(0, view.n), False)
            view.set_indexed(slots[present])
            index.mark_deleted(labels[~present].tolist())  # deleted or changed since the save
            view.index = index
            self.wake()
        else:
            self.after_write(view, True)

    def after_write(self, view: CollectionView, changed: bool) -> None:
        index, options = view.index, self.options
        if index is None:
            if view.dimension is None or view.live_count < options.index_min:
                return
            view.index = self._new_index(view)
            # from here on a large write leaves a backlog that search scans through the
            # sketch; fitting it now, on a few thousand vectors, is cheap
            view.sketch()
        elif len(index.deleted) > max(options.index_min, options.rebuild_dead_fraction * index.element_count):
            # deleted elements still cost memory, disk and search time: index the live ones
            # afresh, and save that as soon as it is done, so the file shrinks too
            view.index = self._new_index(view)
            view.index.compacted = True
        elif not changed:
            return
        self.wake()

    def _new_index(self, view: CollectionView) -> VectorIndex:
        view.set_indexed(slice(None), False)
        row = self.store.get_collection_by_id(view.collection_id)
        params = (row or {}).get("configuration", {}).get("hnsw") or dict(catalog.HNSW_DEFAULTS)
        huge_pages = self.options.huge_pages
        if view.live_count >= REBUILD_BAR_MIN and view.collection_id not in self._bars:
            enabled = None if self.options.progress_bars else False
            self._bars[view.collection_id] = progress_bar(view.live_count, "Indexing", enabled=enabled)
        return VectorIndex(view.space, view.dimension, params, capacity=view.live_count, huge_pages=huge_pages)  # type: ignore[arg-type]

    def _rebuild_progress(self, view: CollectionView, done: int) -> None:
        """Advance the bar of an index built afresh; close it once nothing is pending."""
        bar = self._bars.get(view.collection_id)
        if bar is not None:
            bar.update(done)
            if not len(view.pending_slots()) or not self._is_current(view):
                self._bars.pop(view.collection_id).close()

    def _views(self) -> list[CollectionView]:
        return [runtime.view for runtime in list(self.runtimes.values())]

    def _is_current(self, view: CollectionView) -> bool:
        runtime = self.runtimes.get(view.collection_id)
        return runtime is not None and runtime.view is view

    def save_all(self, force: bool = False) -> None:
        for view in self._views():
            self._save(view, force)

    def _save(self, view: CollectionView, force: bool) -> None:
        """Write the index to disk, off the engine lock: reads and writes go on meanwhile
        (168 MB at 100k x 384 take a while). Only this thread inserts into the graph, so
        the file holds at least what `seq` says; whatever changes after is replayed on load."""
        with self.lock:
            index = view.index
            if index is None or self.files.root is None or (index.dirty == 0 and not index.compacted):
                return
            options = self.options
            limit = max(options.save_min_changes, options.save_fraction * index.element_count)
            if not (force or index.compacted or index.dirty >= limit):
                return
            seq = view.seq
        try:
            self.files.save(view.collection_id, index, seq)  # under the folder's lock: one saver at a time
        except OSError as e:  # the index is a cache: losing a save only costs replay time
            logger.warning("could not save the vector index of %s: %s", view.collection_id, e)
        with self.lock:
            if self.store.get_collection_by_id(view.collection_id) is None:
                self.files.remove(view.collection_id)  # deleted while we wrote its files

    # -- the thread ------------------------------------------------------------------------
    def wake(self) -> None:
        with self._wake:
            self._pending = True
            if self._thread is None and not self._stopped:
                self._thread = threading.Thread(target=self._run, name="chromadb-indexer", daemon=True)
                self._thread.start()
            self._wake.notify_all()

    def stop(self) -> None:
        with self._wake:
            self._stopped = True
            self._wake.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        for bar in self._bars.values():
            bar.close()
        self._bars.clear()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until there is no indexing work left; False on timeout."""
        with self._wake:
            return self._wake.wait_for(lambda: self._stopped or not (self._pending or self._busy), timeout)

    def _run(self) -> None:
        while True:
            with self._wake:
                self._wake.wait_for(lambda: self._pending or self._stopped)
                if self._stopped:
                    self._wake.notify_all()
                    return
                self._pending = False
                self._busy = True
            try:
                while not self._stopped and self._step():
                    pass
                if not self._stopped:
                    self._settle_pages()
                    self.save_all()
            except Exception:  # never let the thread die: the index is a cache, search stays exact
                logger.exception("background indexing failed")
            finally:
                with self._wake:
                    self._busy = False
                    self._wake.notify_all()

    def _settle_pages(self) -> None:
        """Once drained: graphs that a resize copied go back into huge pages (hugepages.py),
        off the engine lock. New writes come first: what is left waits for the next drain."""
        for view in self._views():
            index = view.index
            if index is not None and index.unsettled and not self._stopped:
                index.settle_pages(stop=lambda: self._stopped or self._pending)

    def _step(self) -> bool:
        """Index one chunk of one collection's pending records; False when nothing is pending.

        The graph insert runs outside the engine lock, so reads and writes go on
        meanwhile; a record written again (or deleted) during the insert stays pending
        and is hidden from the index.
        """
        with self.lock:
            for view in self._views():
                index = view.index
                if index is None:
                    continue
                if index.load_failed:  # its saved graphs could not be read: index afresh
                    index = view.index = self._new_index(view)
                pending = view.pending_slots()
                if len(pending):
                    sketch_work = view.sketch_work()
                    chunk = pending[:INDEX_CHUNK]
                    vectors = view.gather(chunk)[0]
                    labels = view.labels(chunk)
                    expected = index.element_count + len(pending)
                    break
            else:
                return False
        if sketch_work is not None:  # the backlog's sketch, kept current off the lock
            projected = sketch_work.sketch.project(sketch_work.vectors, sketch_work.norms)
            with self.lock:
                view.put_sketch_work(sketch_work, projected)
        # both cores, unless searches are scanning beside the insert (VectorIndex.contended)
        index.add(vectors, labels, num_threads=1 if index.contended else -1, expected=expected)
        with self.lock:
            if view.index is not index or not self._is_current(view):
                return True
            # slots may have moved (compaction) and records may have changed meanwhile
            slots, current = view.slots_of_labels(labels)
            view.set_indexed(slots[current])
            if not current.all():
                index.mark_deleted(labels[~current].tolist())
            self._rebuild_progress(view, len(labels))
        return True
