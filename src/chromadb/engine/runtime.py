"""One collection's live state: its view, vector index and caches, and the reads over them.

Everything here is derived from the store and rebuildable. A runtime is fed only by the
store: `changes_since` (catch-up, for what other writers committed) and the
`WriteResult` of the engine's own writes (`absorb`). Its view holds the slots, the lazy
field and vector groups, and the caches built from them (metadata columns, the document
text index, sparse-vector indexes, the filter cache); the HNSW index hangs on the view
too, because search walks both. The runtime owns how they are opened, caught up,
warmed in the background and read (get / query / search / count / indexing status).

The engine routes each record call to the runtime of its collection and holds the one
lock every runtime shares with the store's connection: the methods here are called
under it (warm-up takes it itself, from its own thread).
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any

import numpy as np

from chromadb.engine.filters import filter_mask
from chromadb.engine.index_files import IndexFiles
from chromadb.engine.indexer import Indexer
from chromadb.engine.options import EngineOptions
from chromadb.engine.search import search
from chromadb.engine.search_exec import run_payload
from chromadb.engine.store import Record, RecordStore, WriteResult
from chromadb.engine.vector_index import VectorIndex
from chromadb.engine.view import CollectionView
from chromadb.errors import InvalidArgumentError
from chromadb.model.records import check_dimension
from chromadb.model.requests import GetRequest, QueryRequest
from chromadb.model.results import GetResult, QueryResult
from chromadb.model.search import SearchRequest
from chromadb.model.where import Where, WhereDocument

__all__ = ["COMPACT_MIN_DEAD", "WARM_ATTEMPTS", "WARM_RETRY_DELAY", "CollectionRuntime"]

logger = logging.getLogger("chromadb.engine")

# A view drops its dead slots once they are this many and half of all slots.
COMPACT_MIN_DEAD = 1024
# A background warm-up that loses a race with writes tries again (seconds: delay x attempt).
WARM_ATTEMPTS = 4
WARM_RETRY_DELAY = 0.5

SavedIndex = tuple[VectorIndex, dict[str, Any]]


class CollectionRuntime:
    def __init__(
        self,
        view: CollectionView,
        *,
        store: RecordStore,
        lock: threading.RLock,
        indexer: Indexer,
        options: EngineOptions,
        warm_up: bool,
    ) -> None:
        self.view = view
        self.store = store
        self.lock = lock
        self.indexer = indexer
        self.options = options
        self.warm_up = warm_up
        self.warming = False  # a background load of the lazy groups was started (_warm)
        # set by the engine when it lets go of this runtime (deleted, replaced, closed):
        # a warm-up or an indexer step still running on it then leaves it alone
        self.dropped = False

    @classmethod
    def open(
        cls,
        row: dict[str, Any],
        *,
        store: RecordStore,
        lock: threading.RLock,
        indexer: Indexer,
        index_files: IndexFiles,
        options: EngineOptions,
        warm_up: bool,
        saved: SavedIndex | None = None,
    ) -> CollectionRuntime:
        """A fresh runtime of the collection, with its saved index (read from its files unless given)."""
        space = row["configuration"]["hnsw"]["space"]
        view = CollectionView(
            row["cid"], row["id"], row["dimension"], space, store, resident_vectors_max=options.resident_vectors_max
        )
        with store.snapshot():
            state = store.collection_state(row["cid"])
            rids = store.record_rids(row["cid"])
        if state is None:  # deleted meanwhile: an empty view, dropped at the next read
            rids = rids[:0]
        view.open(rids)
        view.seq = row["seq"] if state is None else state[0]
        runtime = cls(view, store=store, lock=lock, indexer=indexer, options=options, warm_up=warm_up)
        indexer.load_index(view, row, index_files.read_saved(row) if saved is None else saved)
        return runtime

    @property
    def collection_id(self) -> str:
        return self.view.collection_id

    @property
    def cid(self) -> int:
        return self.view.cid

    @property
    def seq(self) -> int:
        return self.view.seq

    @property
    def loaded(self) -> bool:
        """Both lazy groups are in memory: reads run no SQL."""
        return self.view.fields_loaded and self.view.vectors_loaded

    def drop(self) -> None:
        self.dropped = True

    # -- fed by the store --------------------------------------------------------------------
    def catch_up(self) -> None:
        """Apply what was committed since the view's seq (ChangesPruned: reload instead)."""
        changes = self.store.changes_since(self.view.cid, self.view.seq)
        if changes is not None:
            self._apply(changes.rows, changes.deleted, changes.seq)

    def use_params(self, hnsw: dict[str, Any]) -> None:
        index = self.view.index
        if index is not None and index.params is not hnsw:
            index.params = hnsw  # ef_search may have been modified

    def absorb(self, result: WriteResult) -> None:
        """Apply one of the engine's own writes, made when the view was at `result.base_seq`
        (the engine catches up instead when another writer came in between)."""
        if result.changed:
            self._apply(result.rows, result.deleted, result.seq)

    def _apply(self, rows: list[Record], deleted_rids: list[int], seq: int) -> None:
        """Apply committed changes to the view and keep the index honest about them."""
        view = self.view
        index = view.index
        if deleted_rids:
            slots = view.slots_of_rids(deleted_rids)
            if index is not None:
                index.mark_deleted(view.labels(np.asarray(slots, np.int64)[view.is_indexed(slots)]).tolist())
            view.delete_slots(slots)
        if rows:
            if index is not None:
                # updated vectors: hide the old ones until they are indexed again
                written, found = view.locate([r[0] for r in rows if r[5] is not None])
                stale = written[found & view.is_indexed(written)]
                index.mark_deleted(view.labels(stale).tolist())
            view.apply_rows(rows)
        view.seq = seq
        if deleted_rids and view.n - view.live_count > max(COMPACT_MIN_DEAD, view.n // 2):
            view.compact()
        self.indexer.after_write(view, bool(rows or deleted_rids))

    # -- warm-up ---------------------------------------------------------------------------
    def warm_soon(self) -> None:
        """Load a lazily opened view in the background, once: the first reads after an open
        fetch what they show from SQLite; later ones should run no SQL at all. Then the
        graph read from disk moves into huge pages (see hugepages.py)."""
        if self.warming or not self.warm_up:
            return
        self.warming = True
        threading.Thread(target=self._warm, name="chromadb-warm", daemon=True).start()

    def _warm(self) -> None:
        # Reads and builds on the side connection, off the engine lock (loading 1M
        # records takes ~10 s), chunk by chunk (view.LOAD_CHUNK) so that queries get the
        # GIL in between; installs under the lock only if no write came meanwhile.
        view = self.view
        try:
            for attempt in range(WARM_ATTEMPTS):
                time.sleep(WARM_RETRY_DELAY * attempt)
                with self.lock:
                    if self.dropped:
                        return
                    need_fields = not view.fields_loaded
                    need_vectors = not view.vectors_loaded and view.vectors_resident
                    seq = view.seq
                    plan = view.load_plan()
                if not (need_fields or need_vectors):
                    break
                with self.store.side_snapshot() as side:
                    if side.collection_seq(view.cid) != seq:
                        continue  # written since: let the view catch up first

                    def fetch_fields(cid: int, rids: list[int]) -> list[tuple[Any, ...]]:
                        self._check_not_dropped()
                        return side.record_fields(cid, rids)

                    def fetch_vectors(cid: int, rids: list[int]) -> list[tuple[Any, ...]]:
                        self._check_not_dropped()
                        return side.record_vectors(cid, rids)

                    fields = view.fields_from(plan, fetch_fields) if need_fields else None
                    vectors = view.vectors_from(plan, fetch_vectors) if need_vectors else None
                with self.lock:
                    if self.dropped or view.seq != seq:
                        continue
                    if fields is not None and not view.fields_loaded:
                        view.install_fields(fields)
                    if vectors is not None and not view.vectors_loaded:
                        view.install_vectors(vectors)
                    break
            index = view.index
            if index is not None and not self.dropped:
                index.settle_pages()
        except _Dropped:
            return
        except Exception:  # a cache that stays cold: reads keep fetching what they show
            logger.debug("warming the view of %s failed", view.collection_id, exc_info=True)

    def _check_not_dropped(self) -> None:
        if self.dropped:  # closed or replaced: the rest of a background load is wasted
            raise _Dropped

    # -- reads -------------------------------------------------------------------------------
    def select(self, ids: list[str] | None, where: Where | None, where_document: WhereDocument | None) -> np.ndarray:
        """Live slots passing ids AND where AND where_document, in insertion order."""
        return np.flatnonzero(self._filter_mask(ids, where, where_document))

    def _filter_mask(self, ids: list[str] | None, where: Where | None, where_document: WhereDocument | None) -> np.ndarray:
        view = self.view
        n = view.n
        if ids is not None:
            mask = np.zeros(n, dtype=bool)
            mask[list(view.slots_of_ids(ids).values())] = True
        else:
            mask = view.live[:n].copy()
        if where is not None:
            mask &= filter_mask(view, where)
        if where_document is not None:
            mask &= filter_mask(view, where_document)
        return mask & view.live[:n]

    def count(self) -> int:
        return self.view.live_count

    def waiting(self) -> int:
        """Records waiting for the indexer (0 without an index: all searched exactly)."""
        return 0 if self.view.index is None else len(self.view.pending_slots())

    def indexing_status(self) -> dict[str, Any]:
        """Records the HNSW index covers vs records waiting for the indexer (searched exactly
        meanwhile). A collection too small for an index is searched exactly: all covered."""
        total = self.view.live_count
        waiting = self.waiting()
        return {
            "num_indexed_ops": total - waiting,
            "num_unindexed_ops": waiting,
            "total_ops": total,
            "op_indexing_progress": 1.0 if total == 0 else (total - waiting) / total,
        }

    def get(self, request: GetRequest) -> GetResult:
        include, offset, limit = request.include, request.offset, request.limit
        slots = self.select(request.ids, request.where, request.where_document)
        end = None if limit is None else offset + limit
        rows = _rows(self.view, slots[offset:end], include)
        return GetResult(
            ids=rows["ids"],
            documents=rows["documents"],
            uris=rows["uris"],
            metadatas=rows["metadatas"],
            embeddings=rows["embeddings"],
            include=include,
        )

    def query(self, request: QueryRequest) -> QueryResult:
        query_embeddings, n_results, include = request.embeddings, request.n_results, request.include
        ids, where, where_document = request.ids, request.where, request.where_document
        view = self.view
        _check_query_dimension(view.dimension, query_embeddings)
        if ids is not None:
            known = view.slots_of_ids(ids)
            missing = next((i for i in ids if i not in known), None)
            if missing is not None:  # upstream refuses a query restricted to an unknown id
                raise InvalidArgumentError(f"Error finding id {missing}")
        allowed = None
        if ids is not None or where is not None or where_document is not None:
            # a filter by ids is not worth remembering; one on content is (view.candidates),
            # keyed on the parsed trees themselves (frozen, hashable)
            key = None if ids is not None else (where, where_document)
            allowed = view.candidates(key, lambda: self._filter_mask(ids, where, where_document))
        found = search(view, query_embeddings, n_results, allowed, self.options.exact_search_max)
        per_query = [_rows(view, slots, include) for slots, _ in found]

        def column(field: str) -> list[Any] | None:
            return [r[field] for r in per_query] if field in include else None

        return QueryResult(
            ids=[r["ids"] for r in per_query],
            documents=column("documents"),
            uris=column("uris"),
            metadatas=column("metadatas"),
            embeddings=column("embeddings"),
            distances=[d for _, d in found] if "distances" in include else None,
            include=include,
        )

    def search(self, request: SearchRequest, schema: dict[str, Any] | None) -> dict[str, Any]:
        """Every payload of a search request, answered column-major (spec/search-api.md §1.4):
        one entry per payload in ids, documents, embeddings, metadatas, scores and select."""
        answers = [run_payload(self.view, p, schema, self.options.exact_search_max) for p in request.searches]
        return {key: [a[key] for a in answers] for key in ("ids", "documents", "embeddings", "metadatas", "scores", "select")}


class _Dropped(Exception):
    """The runtime was let go of during its background load."""


def _check_query_dimension(dimension: int | None, embeddings: np.ndarray | None) -> None:
    if embeddings is not None and len(embeddings):
        check_dimension(dimension, embeddings.shape[1])


def _rows(view: CollectionView, slots: np.ndarray, include: list[str] | tuple[str, ...]) -> dict[str, Any]:
    result: dict[str, Any] = view.fields_of(slots.tolist(), include)
    result["embeddings"] = None
    if "embeddings" in include:
        result["embeddings"] = view.embeddings(slots) if view.dimension else np.zeros((0, 0), np.float32)
    return result
