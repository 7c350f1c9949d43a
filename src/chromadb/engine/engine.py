"""The engine: catalog calls go to the store, record calls to the collection's runtime.

Every write call is one store transaction; the collection's runtime (runtime.py) then
applies what the store says it wrote. Before any read or write touches a collection, its
runtime is brought up to the collection's committed sequence number, so writes made by
another process (or another engine on the same file) are seen at once. Runtimes are
cached by collection id and dropped when their collection goes.
"""
from __future__ import annotations

import contextlib
import logging
import os
import threading
import uuid
from collections.abc import Hashable, Iterator
from typing import Any

import numpy as np

from chromadb.config import DEFAULT_DATABASE, DEFAULT_TENANT
from chromadb.engine import catalog, collection_schema, identify, index_rules
from chromadb.engine.fork import write_shifted_index
from chromadb.engine.index_files import IndexFiles
from chromadb.engine.indexer import Indexer
from chromadb.engine.options import EngineOptions
from chromadb.engine.runtime import CollectionRuntime, SavedIndex
from chromadb.engine.store import (
    ChangesPruned,
    CollectionGone,
    Deletion,
    Record,
    RecordStore,
    WriteConflict,
    WriteResult,
    open_store,
)
from chromadb.engine.vector_index import VectorIndex
from chromadb.errors import InvalidArgumentError, NotFoundError, UniqueConstraintError
from chromadb.model.records import RecordBatch, WriteKind
from chromadb.model.requests import DeleteRequest, GetRequest, QueryRequest
from chromadb.model.results import GetResult, QueryResult
from chromadb.model.search import SearchRequest
from chromadb.model.where import Where, WhereDocument

logger = logging.getLogger("chromadb.engine")


class Engine:
    def __init__(
        self, path: str | None, busy_timeout: float = 30.0, options: EngineOptions | None = None, *, store: str | None = None
    ) -> None:
        """`path`: the data directory (None: in memory); with a `store` URL (PostgreSQL),
        the records live there and `path` only caches the index files."""
        self.path = path
        self.options = EngineOptions.from_env() if options is None else options
        if path is not None:
            identify.check_directory(path)
            os.makedirs(path, exist_ok=True)
        # one lock for the runtimes and the SQLite connection (the server's loop reads take it)
        self.lock = threading.RLock()
        self.store: RecordStore = open_store(
            store,
            None if path is None else os.path.join(path, "chroma.sqlite3"),
            busy_timeout,
            wal_watch=self.options.wal_watch,
            lock=self.lock,
        )
        self.runtimes: dict[str, CollectionRuntime] = {}
        self._rows: dict[str, dict[str, Any] | None] = {}  # collection rows as of _rows_version
        self._rows_version: Hashable = None
        self.index_files = IndexFiles(path, huge_pages=self.options.huge_pages)
        self.indexer = Indexer(self.runtimes, self.lock, self.store, self.options, self.index_files)
        # load lazily opened views in the background (CollectionRuntime.warm_soon)
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
            for runtime in self.runtimes.values():
                runtime.drop()  # a warm-up still running leaves it alone
        self.indexer.stop()
        with self.lock:
            self.indexer.save_all(force=True)
            self._drop_all()
            self.store.close()

    # -- system ---------------------------------------------------------------------------
    def reset(self) -> None:
        with self.lock:
            with self.store.transaction():
                ids = self.store.all_collection_ids()
                self.store.reset()
                self._ensure_defaults()
            self._drop_all()
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
                self._drop(coll_id)
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
            self._drop(row["id"])
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
                source = self._runtime(row)  # caught up: what the copy holds is what it shows
                new_id = str(uuid.uuid4())
                self.store.insert_collection(
                    new_id, new_name, db_id, row["metadata"], row["configuration"], row["dimension"], schema=row["schema"]
                )
                new_row: dict[str, Any] = self.store.get_collection_by_id(new_id)  # type: ignore[assignment]
                shift = self.store.copy_records(row["cid"], new_row["cid"])
                new_row["seq"] = row["seq"]
            self._install(self._open_runtime(new_row, self._forked_index(source, new_row, shift)))
            return catalog.collection_model(new_row)

    def _forked_index(self, source: CollectionRuntime, row: dict[str, Any], shift: int) -> SavedIndex | None:
        """The source's vector index as the fork's saved index (None: the fork indexes afresh)."""
        view = source.view
        index = view.index
        if index is None:
            return None

        def changed_since_inserted(labels: np.ndarray) -> list[int]:
            # an insert that ran while this fork waited may hold a vector rewritten meanwhile
            return labels[~view.slots_of_labels(labels)[1]].tolist()

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

    # -- runtimes -------------------------------------------------------------------------
    def _runtime(self, row: dict[str, Any]) -> CollectionRuntime:
        """The collection's runtime, caught up to `row["seq"]` (read in the caller's transaction)."""
        runtime = self.runtimes.get(row["id"])
        if runtime is None or runtime.cid != row["cid"]:
            runtime = self._install(self._open_runtime(row))
        elif runtime.seq != row["seq"]:
            try:
                runtime.catch_up()
            except ChangesPruned:  # too far behind to replay the deletes: reload
                runtime = self._install(self._open_runtime(row))
        runtime.use_params(row["configuration"]["hnsw"])
        return runtime

    def _open_runtime(self, row: dict[str, Any], saved: SavedIndex | None = None) -> CollectionRuntime:
        return CollectionRuntime.open(
            row,
            store=self.store,
            lock=self.lock,
            indexer=self.indexer,
            index_files=self.index_files,
            options=self.options,
            warm_up=self.warm_up,
            saved=saved,
        )

    def _install(self, runtime: CollectionRuntime) -> CollectionRuntime:
        old = self.runtimes.get(runtime.collection_id)
        if old is not None:
            old.drop()
        self.runtimes[runtime.collection_id] = runtime
        return runtime

    def _drop(self, collection_id: str) -> None:
        runtime = self.runtimes.pop(collection_id, None)
        if runtime is not None:
            runtime.drop()

    def _drop_all(self) -> None:
        for collection_id in list(self.runtimes):
            self._drop(collection_id)

    # -- vector index -------------------------------------------------------------------
    def wait_for_index(self, timeout: float | None = None) -> bool:
        """Block until every pending record is in its collection's index (for benchmarks and tests)."""
        return self.indexer.wait_idle(timeout)

    # -- record writes --------------------------------------------------------------------
    # The store decides what a write does (which ids exist, how records merge) in its own
    # transaction; the runtime then applies what the store says it wrote.

    def add(self, collection_id: str, batch: RecordBatch, *, tenant: str | None = None, database: str | None = None) -> None:
        self._write_records(collection_id, "add", batch, tenant, database)

    def upsert(
        self, collection_id: str, batch: RecordBatch, *, tenant: str | None = None, database: str | None = None
    ) -> None:
        self._write_records(collection_id, "upsert", batch, tenant, database)

    def update(
        self, collection_id: str, batch: RecordBatch, *, tenant: str | None = None, database: str | None = None
    ) -> None:
        self._write_records(collection_id, "update", batch, tenant, database)

    def _write_records(
        self, collection_id: str, kind: WriteKind, batch: RecordBatch, tenant: str | None, database: str | None
    ) -> None:
        # the batch was checked by the door that built it (RecordBatch.build); its kind says
        # which merge rules the store applies, so it must be the call's
        if batch.kind != kind:
            raise InvalidArgumentError(f"Expected a batch for {kind}, got one for {batch.kind}")
        with self.lock:
            # one transaction: the write and the schema keys it brings (store.write joins it)
            with self.store.transaction():
                row = self._collection_row(collection_id, tenant, database)
                # opened before the write, so the view of a new collection starts loaded
                # (empty) and takes the records from the write's result, not from SQLite
                self._runtime(row)
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
        """Bring the collection's runtime to the write's seq: apply what the store wrote when
        it was at the seq just before, else catch up (another writer came in between)."""
        if not result.changed:
            return
        runtime = self.runtimes.get(row["id"])
        if runtime is None or runtime.cid != row["cid"] or runtime.seq != result.base_seq:
            self._runtime({**row, "seq": result.seq, "dimension": result.dimension})
            return
        try:
            runtime.absorb(result)
        except Exception:
            # the commit stands; the runtime is derived, so rebuild it on next use
            logger.exception("dropping the runtime of %s after a failed update", runtime.collection_id)
            self._drop(runtime.collection_id)

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
                self._runtime(row)
                self._after_write(row, self._store_write(row, Deletion(ids=ids)))
                return len(ids)  # type: ignore[arg-type]
            while True:
                # the records the filter selects in a view at the store's seq, deleted only
                # if no other writer changed the collection in between (else: select again)
                with self.store.snapshot():
                    row = self._collection_row(collection_id, tenant, database)
                    runtime = self._runtime(row)
                    slots = runtime.select(ids, where, where_document)
                    if limit is not None:
                        slots = slots[:limit]
                    rids = runtime.view.rids[slots].tolist()
                if not rids:
                    return 0
                try:
                    result = self._store_write(row, Deletion(rids=rids), expect_seq=runtime.seq)
                except WriteConflict:
                    continue
                self._after_write(row, result)
                return len(rids)

    # -- reads -------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _reading(self, collection_id: str, tenant: str | None, database: str | None) -> Iterator[CollectionRuntime]:
        """The collection's runtime, up to date, for one read operation (under the engine lock).

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
                runtime = self._runtime(row)
                if runtime.loaded:
                    yield runtime
                    return
            with self.store.snapshot():
                runtime = self._runtime(self._collection_row(collection_id, tenant, database))
                yield runtime
            if not runtime.loaded:
                runtime.warm_soon()

    def count(self, collection_id: str, tenant: str | None = None, database: str | None = None) -> int:
        with self._reading(collection_id, tenant, database) as runtime:
            return runtime.count()

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
            pending = sum(runtime.waiting() for runtime in self.runtimes.values())
        return {"collections": collections, "records": records, "pending_records": pending}

    def indexing_status(self, collection_id: str, tenant: str | None = None, database: str | None = None) -> dict[str, Any]:
        with self._reading(collection_id, tenant, database) as runtime:
            return runtime.indexing_status()

    def get(
        self, collection_id: str, request: GetRequest, tenant: str | None = None, database: str | None = None
    ) -> GetResult:
        # one snapshot: what the view loads lazily matches what it caught up to
        with self._reading(collection_id, tenant, database) as runtime:
            self._check_filters(collection_id, request.where, request.where_document)
            return runtime.get(request)

    def query(
        self, collection_id: str, request: QueryRequest, tenant: str | None = None, database: str | None = None
    ) -> QueryResult:
        with self._reading(collection_id, tenant, database) as runtime:
            self._check_filters(collection_id, request.where, request.where_document)
            return runtime.query(request)

    def search(
        self, collection_id: str, request: SearchRequest, tenant: str | None = None, database: str | None = None
    ) -> dict[str, Any]:
        with self._reading(collection_id, tenant, database) as runtime:
            schema = (self._rows.get(collection_id) or {}).get("schema")
            return runtime.search(request, schema)



def _check_scope(row: dict[str, Any] | None, collection_id: str, tenant: str | None, database: str | None) -> None:
    if row is None or (tenant is not None and row["tenant"] != tenant) or (
        database is not None and row["database"] != database
    ):
        raise NotFoundError(f"Collection [{collection_id}] does not exist")
