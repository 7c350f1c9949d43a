"""The engine: catalog and record operations over SQLite, reads served from views.

Every write call is one SQLite transaction; the in-memory view is updated after the
commit. Before any read or write touches a collection, its view is brought up to the
collection's committed sequence number, so writes made by another process (or another
engine on the same file) are seen at once.
"""
from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import numpy as np

from chromadb.config import DEFAULT_DATABASE, DEFAULT_TENANT
from chromadb.engine import catalog, collection_schema, identify, index_rules
from chromadb.engine.filters import filter_mask
from chromadb.engine.fork import write_shifted_index
from chromadb.engine.index_files import IndexFiles
from chromadb.engine.indexer import Indexer
from chromadb.engine.options import EngineOptions
from chromadb.engine.search import search
from chromadb.engine.search_exec import run_payload
from chromadb.engine.store import (
    ChangesPruned,
    CollectionGone,
    Deletion,
    Record,
    RecordStore,
    WriteConflict,
    WriteResult,
)
from chromadb.engine.store.sqlite import SqliteStore
from chromadb.engine.vector_index import VectorIndex
from chromadb.engine.view import CollectionView
from chromadb.errors import InvalidArgumentError, NotFoundError, UniqueConstraintError
from chromadb.model.records import RecordBatch, WriteKind
from chromadb.model.requests import DeleteRequest, GetRequest, QueryRequest
from chromadb.model.search import SearchRequest
from chromadb.model.where import Where, WhereDocument

logger = logging.getLogger("chromadb.engine")

# A view drops its dead slots once they are this many and half of all slots.
COMPACT_MIN_DEAD = 1024
# A background warm-up that loses a race with writes tries again (seconds: delay x attempt).
WARM_ATTEMPTS = 4
WARM_RETRY_DELAY = 0.5


class Engine:
    def __init__(self, path: str | None, busy_timeout: float = 30.0, options: EngineOptions | None = None) -> None:
        self.path = path
        self.options = EngineOptions.from_env() if options is None else options
        if path is not None:
            identify.check_directory(path)
            os.makedirs(path, exist_ok=True)
        # one lock for the views and the SQLite connection (the server's loop reads take it)
        self.lock = threading.RLock()
        self.store: RecordStore = SqliteStore(
            None if path is None else os.path.join(path, "chroma.sqlite3"),
            busy_timeout,
            wal_watch=self.options.wal_watch,
            lock=self.lock,
        )
        self.views: dict[str, CollectionView] = {}
        self._rows: dict[str, dict[str, Any]] = {}  # collection rows as of _rows_version
        self._rows_version: tuple[int, int] | None = None
        self.index_files = IndexFiles(path, huge_pages=self.options.huge_pages)
        self.indexer = Indexer(self.views, self.lock, self.store, self.options, self.index_files)
        # load lazily opened views in the background (_warm)
        self.warm_up = path is not None and self.options.warm_up
        self.closed = False
        with self.store.transaction():
            self._ensure_defaults()

    def _ensure_defaults(self) -> None:
        self.store.insert_tenant(DEFAULT_TENANT)
        if self.store.get_database(DEFAULT_DATABASE, DEFAULT_TENANT) is None:
            self.store.insert_database(str(uuid.uuid4()), DEFAULT_DATABASE, DEFAULT_TENANT)

    def close(self) -> None:
        with self.lock:
            if self.closed:
                return
            self.closed = True
        self.indexer.stop()
        with self.lock:
            self.indexer.save_all(force=True)
            self.views.clear()
            self.store.close()

    # -- system ---------------------------------------------------------------------------
    def reset(self) -> None:
        with self.lock:
            with self.store.transaction():
                ids = self.store.all_collection_ids()
                self.store.reset()
                self._ensure_defaults()
            self.views.clear()
            for coll_id in ids:
                self.index_files.remove(coll_id)

    # -- tenants and databases -----------------------------------------------------------
    def create_tenant(self, name: str) -> None:
        with self.store.transaction():
            if not self.store.insert_tenant(name):
                raise UniqueConstraintError(f"Tenant [{name}] already exists")

    def get_tenant(self, name: str) -> dict[str, Any]:
        with self.lock:
            tenant = self.store.get_tenant(name)
        if tenant is None:
            raise NotFoundError(f"Tenant [{name}] not found")
        return tenant

    def create_database(self, name: str, tenant: str) -> None:
        with self.store.transaction():
            if self.store.get_tenant(tenant) is None:
                raise NotFoundError(f"Tenant [{tenant}] not found")
            if not self.store.insert_database(str(uuid.uuid4()), name, tenant):
                raise UniqueConstraintError(f"Database [{name}] already exists")

    def get_database(self, name: str, tenant: str) -> dict[str, Any]:
        with self.lock:
            db = self.store.get_database(name, tenant)
        if db is None:
            raise NotFoundError(f"Database [{name}] not found. Are you sure it exists?")
        return db

    def list_databases(self, tenant: str, limit: int | None, offset: int) -> list[dict[str, Any]]:
        with self.lock:
            if self.store.get_tenant(tenant) is None:
                raise NotFoundError(f"Tenant [{tenant}] not found")
            return self.store.list_databases(tenant, limit, offset)

    def delete_database(self, name: str, tenant: str) -> None:
        with self.lock:
            with self.store.transaction():
                db = self.store.get_database(name, tenant)
                if db is None:
                    raise NotFoundError(f"Database [{name}] not found. Are you sure it exists?")
                removed = self.store.delete_database(db["id"])
            for coll_id in removed:
                self.views.pop(coll_id, None)
                self.index_files.remove(coll_id)

    def _database_id(self, tenant: str, database: str) -> str:
        db = self.store.get_database(database, tenant)
        if db is None:
            if self.store.get_tenant(tenant) is None:
                raise NotFoundError(f"Tenant [{tenant}] not found")
            raise NotFoundError(f"Database [{database}] not found. Are you sure it exists?")
        return db["id"]

    # -- collections -------------------------------------------------------------------
    def create_collection(
        self,
        name: str,
        metadata: dict[str, Any] | None,
        configuration: dict[str, Any] | None,
        get_or_create: bool,
        tenant: str,
        database: str,
        *,
        schema: dict[str, Any] | None = None,
        collection_id: str | None = None,
    ) -> dict[str, Any]:
        """`schema`: the index schema as the user gave it (upstream's JSON shape), or None.
        `collection_id`: keep a given id (an import from Chroma keeps its collections' ids)."""
        with self.store.transaction():
            db_id = self._database_id(tenant, database)
            existing = self.store.get_collection_by_name(db_id, name)
            if existing is not None:
                if get_or_create:  # as upstream: the stored schema stands, the one given is ignored
                    return catalog.collection_model(existing)
                raise UniqueConstraintError(f"Collection [{name}] already exists")
            if collection_id is not None and self.store.get_collection_by_id(collection_id) is not None:
                raise UniqueConstraintError(f"Collection id [{collection_id}] already exists")
            config, reconciled = catalog.resolve_collection(metadata, configuration, schema)
            coll_id = collection_id or str(uuid.uuid4())
            self.store.insert_collection(coll_id, name, db_id, metadata, config, schema=reconciled)
            return catalog.collection_model(self.store.get_collection_by_id(coll_id))  # type: ignore[arg-type]

    def get_collection(self, name: str, tenant: str, database: str) -> dict[str, Any]:
        with self.store.snapshot():
            row = self.store.get_collection_by_name(self._database_id(tenant, database), name)
        if row is None:
            raise NotFoundError(f"Collection [{name}] does not exist")
        return catalog.collection_model(row)

    def get_collection_by_id(self, collection_id: str, tenant: str | None = None, database: str | None = None) -> dict[str, Any]:
        with self.lock:
            row = self._collection_row(collection_id, tenant, database)
        return catalog.collection_model(row)

    def list_collections(self, limit: int | None, offset: int, tenant: str, database: str) -> list[dict[str, Any]]:
        with self.store.snapshot():
            rows = self.store.list_collections(self._database_id(tenant, database), limit, offset)
        return [catalog.collection_model(r) for r in rows]

    def count_collections(self, tenant: str, database: str) -> int:
        with self.store.snapshot():
            return self.store.count_collections(self._database_id(tenant, database))

    def update_collection(
        self,
        collection_id: str,
        new_name: str | None,
        new_metadata: dict[str, Any] | None,
        new_configuration: dict[str, Any] | None,
        tenant: str | None = None,
        database: str | None = None,
    ) -> None:
        with self.store.transaction():
            row = self._collection_row(collection_id, tenant, database)
            if new_name is not None and new_name != row["name"]:
                db_id = self._database_id(row["tenant"], row["database"])
                if self.store.get_collection_by_name(db_id, new_name) is not None:
                    raise UniqueConstraintError(f"Collection [{new_name}] already exists")
            config = None
            if new_configuration is not None:
                config = catalog.update_configuration(row["configuration"], new_configuration)
                if row["schema"] is not None:
                    self.store.set_schema(row["cid"], collection_schema.apply_update(row["schema"], new_configuration))
            self.store.update_collection(row["cid"], new_name, new_metadata, config, new_metadata is not None)

    def delete_collection(self, name: str, tenant: str, database: str) -> None:
        with self.lock:
            with self.store.transaction():
                row = self.store.get_collection_by_name(self._database_id(tenant, database), name)
                if row is None:
                    raise NotFoundError(f"Collection [{name}] does not exist")
                self.store.delete_collection(row["cid"])
            self.views.pop(row["id"], None)
            self.index_files.remove(row["id"])

    def fork_collection(
        self, collection_id: str, new_name: str, tenant: str | None = None, database: str | None = None
    ) -> dict[str, Any]:
        """A new collection `new_name` beside this one, with its configuration, metadata and
        a copy of every record, independent from then on. Rows are copied inside SQLite in
        one transaction; the vector index is the source's graph, relabelled (fork.py)."""
        with self.lock:
            with self.store.transaction():
                row = self._collection_row(collection_id, tenant, database)
                db_id = self._database_id(row["tenant"], row["database"])
                if self.store.get_collection_by_name(db_id, new_name) is not None:
                    raise UniqueConstraintError(f"Collection [{new_name}] already exists")
                source = self._view(row)  # caught up: what the copy holds is what it shows
                new_id = str(uuid.uuid4())
                self.store.insert_collection(
                    new_id, new_name, db_id, row["metadata"], row["configuration"], row["dimension"], schema=row["schema"]
                )
                new_row: dict[str, Any] = self.store.get_collection_by_id(new_id)  # type: ignore[assignment]
                shift = self.store.copy_records(row["cid"], new_row["cid"])
                new_row["seq"] = row["seq"]
            self.views[new_id] = self._load_view(new_row, self._forked_index(source, new_row, shift))
            return catalog.collection_model(new_row)

    def _forked_index(self, source: CollectionView, row: dict[str, Any], shift: int) -> tuple[VectorIndex, dict] | None:
        """The source's vector index as the fork's saved index (None: the fork indexes afresh)."""
        index = source.index
        if index is None:
            return None

        def changed_since_inserted(labels: np.ndarray) -> list[int]:
            # an insert that ran while this fork waited may hold a vector rewritten meanwhile
            return labels[~source.slots_of_labels(labels)[1]].tolist()

        try:
            # another process may already save an index of the fork it opened: under the lock
            with self.index_files.writing(row["id"]) as directory:
                if not write_shifted_index(index, directory, row["seq"], shift, changed_since_inserted):
                    return None
                hnsw = row["configuration"]["hnsw"]
                return VectorIndex.load(directory, index.space, index.dimension, hnsw, huge_pages=self.options.huge_pages)
        except Exception:  # the index is a cache: the fork builds its own
            logger.warning("could not copy the vector index into fork %s", row["id"], exc_info=True)
            return None

    def _collection_row(self, collection_id: str, tenant: str | None, database: str | None) -> dict[str, Any]:
        row = self.store.get_collection_by_id(collection_id)
        _check_scope(row, collection_id, tenant, database)
        return row  # type: ignore[return-value]

    # -- views ----------------------------------------------------------------------------
    def _view(self, row: dict[str, Any]) -> CollectionView:
        """The collection's view, caught up to `row["seq"]` (read in the caller's transaction)."""
        view = self.views.get(row["id"])
        if view is None or view.cid != row["cid"]:
            view = self._load_view(row)
            self.views[row["id"]] = view
        elif view.seq != row["seq"]:
            try:
                self._catch_up(view)
            except ChangesPruned:  # too far behind to replay the deletes: reload
                view = self.views[row["id"]] = self._load_view(row)
        index = view.index
        if index is not None and index.params is not row["configuration"]["hnsw"]:
            index.params = row["configuration"]["hnsw"]  # ef_search may have been modified
        return view

    def _load_view(self, row: dict[str, Any], saved: tuple[VectorIndex, dict] | None = None) -> CollectionView:
        """A fresh view of the collection, with its saved index (read from its files unless given)."""
        space = row["configuration"]["hnsw"]["space"]
        view = CollectionView(row["cid"], row["id"], row["dimension"], space, self.store)
        with self.store.snapshot():
            state = self.store.collection_state(row["cid"])
            rids = self.store.record_rids(row["cid"])
        if state is None:  # deleted meanwhile: an empty view, dropped at the next read
            rids = rids[:0]
        seq = row["seq"] if state is None else state[0]
        view.open(rids)
        view.seq = seq
        self.indexer.load_index(view, row, self.index_files.read_saved(row) if saved is None else saved)
        return view

    def _catch_up(self, view: CollectionView) -> None:
        changes = self.store.changes_since(view.cid, view.seq)
        if changes is not None:
            self._apply(view, changes.rows, changes.deleted, changes.seq)

    def _apply(self, view: CollectionView, rows: list[tuple], deleted_rids: list[int], seq: int) -> None:
        """Apply committed changes to the view and keep the index honest about them."""
        index = view.index
        if deleted_rids:
            slots = view.slots_of_rids(deleted_rids)
            if index is not None:
                index.mark_deleted(view.labels(np.asarray(slots, np.int64)[view.is_indexed(slots)]).tolist())
            view.delete_slots(slots)
        if rows:
            if index is not None:
                # updated vectors: hide the old ones until they are indexed again
                slots, found = view.locate([r[0] for r in rows if r[5] is not None])
                stale = slots[found & view.is_indexed(slots)]
                index.mark_deleted(view.labels(stale).tolist())
            view.apply_rows(rows)
        view.seq = seq
        if deleted_rids and view.n - view.live_count > max(COMPACT_MIN_DEAD, view.n // 2):
            view.compact()
        self.indexer.after_write(view, bool(rows or deleted_rids))

    # -- vector index -------------------------------------------------------------------
    def wait_for_index(self, timeout: float | None = None) -> bool:
        """Block until every pending record is in its collection's index (for benchmarks and tests)."""
        return self.indexer.wait_idle(timeout)

    # -- record writes --------------------------------------------------------------------
    # The store decides what a write does (which ids exist, how records merge) in its own
    # transaction; the view then applies what the store says it wrote.
    def _check_dimension(self, row: dict[str, Any], embeddings: np.ndarray | None) -> None:
        if embeddings is None or len(embeddings) == 0:
            return
        dim = embeddings.shape[1]
        if row["dimension"] is not None and row["dimension"] != dim:
            raise InvalidArgumentError(
                f"Collection expecting embedding with dimension of {row['dimension']}, got {dim}"
            )

    def add(
        self,
        collection_id: str,
        ids: list[str],
        embeddings: np.ndarray,
        metadatas: list[dict[str, Any] | None] | None,
        documents: list[str | None] | None,
        uris: list[str | None] | None,
        tenant: str | None = None,
        database: str | None = None,
    ) -> None:
        self._write_records(collection_id, "add", ids, embeddings, metadatas, documents, uris, tenant, database)

    def upsert(self, collection_id: str, ids: list[str], embeddings: np.ndarray, metadatas, documents, uris, tenant=None, database=None) -> None:
        self._write_records(collection_id, "upsert", ids, embeddings, metadatas, documents, uris, tenant, database)

    def update(self, collection_id: str, ids: list[str], embeddings, metadatas, documents, uris, tenant=None, database=None) -> None:
        self._write_records(collection_id, "update", ids, embeddings, metadatas, documents, uris, tenant, database)

    def _write_records(
        self, collection_id: str, kind: WriteKind, ids, embeddings, metadatas, documents, uris, tenant, database
    ) -> None:
        # the callers (LocalBackend, tests) pass values a RecordBatch has already checked
        batch = RecordBatch(kind, ids, embeddings, metadatas, documents, uris)
        with self.lock:
            # one transaction: the write and the schema keys it brings (store.write joins it)
            with self.store.transaction():
                row = self._collection_row(collection_id, tenant, database)
                # opened before the write, so the view of a new collection starts loaded
                # (empty) and takes the records from the write's result, not from SQLite
                self._view(row)
                result = self._store_write(row, batch)
                if result.changed:
                    self._discover_keys(row, [r.metadata for r in result.rows])
            self._after_write(row, result)

    def _store_write(
        self, row: dict[str, Any], change: RecordBatch | Deletion, expect_seq: int | None = None
    ) -> WriteResult:
        try:
            return self.store.write(row["cid"], change, expect_seq=expect_seq)
        except CollectionGone:
            raise NotFoundError(f"Collection [{row['id']}] does not exist") from None

    def _after_write(self, row: dict[str, Any], result: WriteResult) -> None:
        """Bring the collection's view to the write's seq: apply what the store wrote when the
        view was at the seq just before it, else catch up (another writer came in between)."""
        if not result.changed:
            return
        view = self.views.get(row["id"])
        if view is not None and view.cid == row["cid"] and view.seq == result.base_seq:
            self._after_commit(view, list(result.rows), result.deleted, result.seq)
        else:
            self._view({**row, "seq": result.seq, "dimension": result.dimension})

    def _discover_keys(self, row: dict[str, Any], metadatas: list[dict[str, Any] | None]) -> None:
        """Metadata keys (or value types of a key) the schema does not describe yet are added
        to it with the defaults of their type, in the write's transaction, as upstream does."""
        schema = row["schema"] or collection_schema.schema_from_configuration(row["configuration"])
        grown = collection_schema.discover_keys(schema, metadatas)
        if grown is not None:
            self.store.set_schema(row["cid"], grown)

    def _check_filters(self, collection_id: str, where: Where | None, where_document: WhereDocument | None) -> None:
        """Refuse a filter on an index the schema turned off (the row is the one `_reading` cached)."""
        if where is None and where_document is None:
            return
        row = self._rows.get(collection_id) or self.store.get_collection_by_id(collection_id)
        if row is not None:
            index_rules.check_filters(row["schema"], where, where_document)

    def delete(
        self, collection_id: str, request: DeleteRequest, tenant: str | None = None, database: str | None = None
    ) -> int:
        ids, where, where_document, limit = request.ids, request.where, request.where_document, request.limit
        filtered = request.filtered
        with self.lock:
            row = self._collection_row(collection_id, tenant, database)
            index_rules.check_filters(row["schema"], where, where_document)
            if ids is None and not filtered:
                return 0
            if not filtered:  # by ids alone: the store finds them
                self._view(row)
                self._after_write(row, self._store_write(row, Deletion(ids=ids)))
                return len(ids)  # type: ignore[arg-type]
            while True:
                # the records the filter selects in a view at the store's seq, deleted only
                # if no other writer changed the collection in between (else: select again)
                with self.store.snapshot():
                    row = self._collection_row(collection_id, tenant, database)
                    view = self._view(row)
                    slots = self._select(view, ids, where, where_document)
                    if limit is not None:
                        slots = slots[:limit]
                    rids = view.rids[slots].tolist()
                if not rids:
                    return 0
                try:
                    result = self._store_write(row, Deletion(rids=rids), expect_seq=view.seq)
                except WriteConflict:
                    continue
                self._after_write(row, result)
                return len(rids)

    def _after_commit(self, view: CollectionView, rows: list[tuple], deleted_rids: list[int], seq: int) -> None:
        try:
            self._apply(view, rows, deleted_rids, seq)
        except Exception:
            # the commit stands; the view is derived, so rebuild it on next use
            logger.exception("dropping the view of %s after a failed update", view.collection_id)
            self.views.pop(view.collection_id, None)

    # -- reads -------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _reading(self, collection_id: str, tenant: str | None, database: str | None) -> Iterator[CollectionView]:
        """The collection's view, up to date, for one read operation (under the engine lock).

        When nothing was committed since the last read, the cached collection row is
        still right and no SQL runs. A view that may still fetch rows lazily is read in
        one snapshot, so what it fetches matches what it caught up to.
        """
        with self.lock:
            version = self.store.version()
            if version != self._rows_version:
                self._rows.clear()
                self._rows_version = version
            row = self._rows.get(collection_id)
            if row is None:
                row = self._rows[collection_id] = self.store.get_collection_by_id(collection_id)
            if row is not None:
                _check_scope(row, collection_id, tenant, database)
                view = self._view(row)
                if view.fields_loaded and view.vectors_loaded:
                    yield view
                    return
            with self.store.snapshot():
                view = self._view(self._collection_row(collection_id, tenant, database))
                yield view
            if not (view.fields_loaded and view.vectors_loaded):
                self._warm_soon(view)

    # -- warm-up ---------------------------------------------------------------------------
    def _warm_soon(self, view: CollectionView) -> None:
        """Load a lazily opened view in the background, once: the first reads after an open
        fetch what they show from SQLite; later ones should run no SQL at all. Then the
        graph read from disk moves into huge pages (see hugepages.py)."""
        if view.warming or not self.warm_up:
            return
        view.warming = True
        threading.Thread(target=self._warm, args=(view,), name="chromadb-warm", daemon=True).start()

    def _warm(self, view: CollectionView) -> None:
        # Reads and builds on the side connection, off the engine lock (loading 100k
        # records takes ~2 s); installs under the lock only if no write came meanwhile.
        try:
            for attempt in range(WARM_ATTEMPTS):
                time.sleep(WARM_RETRY_DELAY * attempt)
                with self.lock:
                    if self.closed or self.views.get(view.collection_id) is not view:
                        return
                    need_fields, need_vectors = not view.fields_loaded, not view.vectors_loaded
                    seq = view.seq
                if not (need_fields or need_vectors):
                    break
                with self.store.side_snapshot() as side:
                    if side.collection_seq(view.cid) != seq:
                        continue  # written since: let the view catch up first
                    field_rows = side.record_fields(view.cid) if need_fields else []
                    vector_rows = side.record_vectors(view.cid) if need_vectors and view.dimension else []
                fields = view.fields_from(field_rows) if need_fields else None
                vectors = view.vectors_from(vector_rows) if need_vectors else None
                del field_rows, vector_rows
                with self.lock:
                    if self.closed or self.views.get(view.collection_id) is not view or view.seq != seq:
                        continue
                    if fields is not None and not view.fields_loaded:
                        view.install_fields(fields)
                    if vectors is not None and not view.vectors_loaded:
                        view.install_vectors(vectors)
                    break
            index = view.index
            if index is not None and not self.closed:
                index.settle_pages()
        except Exception:  # a cache that stays cold: reads keep fetching what they show
            logger.debug("warming the view of %s failed", view.collection_id, exc_info=True)

    def _select(
        self, view: CollectionView, ids: list[str] | None, where: Where | None, where_document: WhereDocument | None
    ) -> np.ndarray:
        """Live slots passing ids AND where AND where_document, in insertion order."""
        mask = self._filter_mask(view, ids, where, where_document)
        return np.flatnonzero(mask)

    def _filter_mask(
        self, view: CollectionView, ids: list[str] | None, where: Where | None, where_document: WhereDocument | None
    ) -> np.ndarray:
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

    def count(self, collection_id: str, tenant: str | None = None, database: str | None = None) -> int:
        with self._reading(collection_id, tenant, database) as view:
            return view.live_count

    def scan(
        self, collection_id: str, after: int = 0, limit: int = 1000, tenant: str | None = None, database: str | None = None
    ) -> list[Record]:
        """Up to `limit` records of the collection with rid > `after`, in insertion order, with
        their vectors, read from the store (for export and rebuilds). Page on with
        `after=page[-1].rid` until a page comes back empty."""
        with self.lock:
            row = self._collection_row(collection_id, tenant, database)
        return self.store.scan(row["cid"], after, limit)

    def totals(self) -> dict[str, int]:
        """What a monitor watches (the server's GET /metrics): collections and records in
        the store, and records of the open collections still waiting for their HNSW index."""
        collections, records = self.store.totals()
        with self.lock:
            pending = sum(len(v.pending_slots()) for v in self.views.values() if v.index is not None)
        return {"collections": collections, "records": records, "pending_records": pending}

    def indexing_status(self, collection_id: str, tenant: str | None = None, database: str | None = None) -> dict[str, Any]:
        """Records the HNSW index covers vs records waiting for the indexer (searched exactly
        meanwhile). A collection too small for an index is searched exactly: all covered."""
        with self._reading(collection_id, tenant, database) as view:
            total = view.live_count
            waiting = 0 if view.index is None else len(view.pending_slots())
        return {
            "num_indexed_ops": total - waiting,
            "num_unindexed_ops": waiting,
            "total_ops": total,
            "op_indexing_progress": 1.0 if total == 0 else (total - waiting) / total,
        }

    def get(
        self, collection_id: str, request: GetRequest, tenant: str | None = None, database: str | None = None
    ) -> dict[str, Any]:
        include, offset, limit = request.include, request.offset, request.limit
        # one snapshot: what the view loads lazily matches what it caught up to
        with self._reading(collection_id, tenant, database) as view:
            self._check_filters(collection_id, request.where, request.where_document)
            slots = self._select(view, request.ids, request.where, request.where_document)
            end = None if limit is None else offset + limit
            slots = slots[offset:end]
            result = _rows(view, slots, include)
        result["include"] = list(include)
        return result

    def query(
        self, collection_id: str, request: QueryRequest, tenant: str | None = None, database: str | None = None
    ) -> dict[str, Any]:
        query_embeddings, n_results, include = request.embeddings, request.n_results, request.include
        ids, where, where_document = request.ids, request.where, request.where_document
        with self._reading(collection_id, tenant, database) as view:
            self._check_filters(collection_id, where, where_document)
            self._check_dimension({"dimension": view.dimension}, query_embeddings)
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
                allowed = view.candidates(key, lambda: self._filter_mask(view, ids, where, where_document))
            found = search(view, query_embeddings, n_results, allowed, self.options.exact_search_max)
            per_query = [_rows(view, slots, include) for slots, _ in found]
        result: dict[str, Any] = dict.fromkeys(("embeddings", "documents", "uris", "metadatas", "distances"))
        result["ids"] = [r["ids"] for r in per_query]
        for key in ("embeddings", "documents", "uris", "metadatas"):
            if key in include:
                result[key] = [r[key] for r in per_query]
        if "distances" in include:
            result["distances"] = [d for _, d in found]
        result["include"] = list(include)
        return result

    def search(
        self, collection_id: str, request: SearchRequest, tenant: str | None = None, database: str | None = None
    ) -> dict[str, Any]:
        """Every payload of a search request, answered column-major (spec/search-api.md §1.4):
        one entry per payload in ids, documents, embeddings, metadatas, scores and select."""
        with self._reading(collection_id, tenant, database) as view:
            schema = (self._rows.get(collection_id) or {}).get("schema")
            answers = [run_payload(view, p, schema, self.options.exact_search_max) for p in request.searches]
        return {key: [a[key] for a in answers] for key in ("ids", "documents", "embeddings", "metadatas", "scores", "select")}


def _rows(view: CollectionView, slots: np.ndarray, include: list[str]) -> dict[str, Any]:
    result: dict[str, Any] = view.fields_of(slots.tolist(), include)
    result["embeddings"] = None
    if "embeddings" in include:
        result["embeddings"] = view.gather(slots)[0] if view.dimension else np.zeros((0, 0), np.float32)
    return result


def _check_scope(row: dict[str, Any] | None, collection_id: str, tenant: str | None, database: str | None) -> None:
    if row is None or (tenant is not None and row["tenant"] != tenant) or (
        database is not None and row["database"] != database
    ):
        raise NotFoundError(f"Collection [{collection_id}] does not exist")
