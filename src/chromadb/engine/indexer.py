"""The HNSW index of each collection, kept in step with its view by a background thread.

Writes are acknowledged once SQLite commits; the records they add are searched
exactly until this thread has put them into the index, so index maintenance never
sits on the write path. The indexer also loads saved indexes (and marks what changed
since they were saved), saves them atomically, and starts a fresh index when too much
of the old one is deleted. One thread per engine, woken by writes.
"""
from __future__ import annotations

import logging
import os
import threading
from typing import TYPE_CHECKING, Any

import numpy as np

from chromadb.engine import catalog, index_folders
from chromadb.engine.options import EngineOptions
from chromadb.engine.vector_index import VectorIndex
from chromadb.engine.view import CollectionView, split_labels

if TYPE_CHECKING:
    from chromadb.engine.engine import Engine

logger = logging.getLogger("chromadb.engine")

# When a collection gets an HNSW index, when it is saved and rebuilt: the engine's options
# (engine/options.py). The defaults, for readers and tests that size their data by them:
INDEX_MIN = EngineOptions.index_min
SAVE_MIN_CHANGES = EngineOptions.save_min_changes
# Records inserted per step (the index is locked meanwhile, so steps stay short).
INDEX_CHUNK = 512


class Indexer:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._wake = threading.Condition()
        self._pending = False
        self._busy = False
        self._stopped = False
        self._thread: threading.Thread | None = None

    # -- called by the engine, under its lock -------------------------------------------
    def read_saved(self, row: dict[str, Any]) -> tuple[VectorIndex, dict] | None:
        """The collection's saved index file, if any (safe to call from another thread)."""
        directory = self.engine._index_dir(row["id"])
        if directory is None or row["dimension"] is None or not os.path.isdir(directory):
            return None
        space, params = row["configuration"]["hnsw"]["space"], row["configuration"]["hnsw"]
        # No lock: a save replaces index.json atomically, then drops the older file; a
        # reader that lost that race finds its file gone and reads the new pair.
        for _ in range(3):
            loaded = VectorIndex.load(directory, space, row["dimension"], params, huge_pages=self.engine.options.huge_pages)
            if loaded is not None or not os.path.exists(os.path.join(directory, "index.json")):
                return loaded
        return None

    def load_index(self, view: CollectionView, row: dict[str, Any], loaded: tuple[VectorIndex, dict] | None) -> None:
        """Attach the saved index (from read_saved) and mark what it covers; the rest is searched exactly."""
        if loaded is not None and loaded[1]["seq"] <= view.seq and loaded[0].dimension == view.dimension:
            index, meta = loaded
            store = self.engine.store
            with store.snapshot():
                changed = np.array(store.rids_since(view.cid, meta["seq"]), dtype=np.int64)
            # The index covers the records whose label it holds (not deleted), unless they
            # changed after it was saved; labels also restore each vector's version.
            labels = np.array(index.hnsw.get_ids_list(), dtype=np.int64)
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
        index, options = view.index, self.engine.options
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
        row = self.engine.store.get_collection_by_id(view.collection_id)
        params = (row or {}).get("configuration", {}).get("hnsw") or dict(catalog.HNSW_DEFAULTS)
        huge_pages = self.engine.options.huge_pages
        return VectorIndex(view.space, view.dimension, params, capacity=view.live_count, huge_pages=huge_pages)  # type: ignore[arg-type]

    def save_all(self, force: bool = False) -> None:
        for view in list(self.engine.views.values()):
            self._save(view, force)

    def _save(self, view: CollectionView, force: bool) -> None:
        """Write the index to disk, off the engine lock: reads and writes go on meanwhile
        (168 MB at 100k x 384 take a while). Only this thread inserts into the graph, so
        the file holds at least what `seq` says; whatever changes after is replayed on load."""
        engine = self.engine
        with engine.lock:
            index = view.index
            directory = engine._index_dir(view.collection_id)
            if index is None or directory is None or (index.dirty == 0 and not index.compacted):
                return
            options = engine.options
            limit = max(options.save_min_changes, options.save_fraction * index.element_count)
            if not (force or index.compacted or index.dirty >= limit):
                return
            seq = view.seq
        try:
            os.makedirs(directory, exist_ok=True)
            index_folders.mark(directory, view.collection_id)  # what maintenance may delete: ours
            from filelock import FileLock  # imported here: it costs a fresh process ~30 ms

            with FileLock(os.path.join(directory, "index.lock")):  # one saver at a time
                index.save(directory, seq)
        except OSError as e:  # the index is a cache: losing a save only costs replay time
            logger.warning("could not save the vector index of %s: %s", view.collection_id, e)
        with engine.lock:
            if engine.store.get_collection_by_id(view.collection_id) is None:
                engine._remove_files(view.collection_id)  # deleted while we wrote its files

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
        for view in list(self.engine.views.values()):
            index = view.index
            if index is not None and index.unsettled and not self._stopped:
                index.settle_pages(stop=lambda: self._stopped or self._pending)

    def _step(self) -> bool:
        """Index one chunk of one collection's pending records; False when nothing is pending.

        The graph insert runs outside the engine lock, so reads and writes go on
        meanwhile; a record written again (or deleted) during the insert stays pending
        and is hidden from the index.
        """
        engine = self.engine
        with engine.lock:
            for view in list(engine.views.values()):
                index = view.index
                if index is None:
                    continue
                pending = view.pending_slots()
                if len(pending):
                    chunk = pending[:INDEX_CHUNK]
                    vectors = view.gather(chunk)[0]
                    labels = view.labels(chunk)
                    expected = index.element_count + len(pending)
                    break
            else:
                return False
        index.add(vectors, labels, expected=expected)
        with engine.lock:
            if view.index is not index or engine.views.get(view.collection_id) is not view:
                return True
            # slots may have moved (compaction) and records may have changed meanwhile
            slots, current = view.slots_of_labels(labels)
            view.set_indexed(slots[current])
            if not current.all():
                index.mark_deleted(labels[~current].tolist())
        return True
