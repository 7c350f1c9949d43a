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
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import numpy as np

from chromadb.config import DEFAULT_DATABASE, DEFAULT_TENANT
from chromadb.engine import catalog, collection_schema, identify, index_folders, index_rules
from chromadb.engine.filters import filter_mask
from chromadb.engine.fork import write_shifted_index
from chromadb.engine.indexer import Indexer
from chromadb.engine.options import EngineOptions
from chromadb.engine.search import search
from chromadb.engine.search_exec import run_payload
from chromadb.engine.store import Store, TombstonesPruned, dumps, loads
from chromadb.engine.vector_index import VectorIndex
from chromadb.engine.view import CollectionView
from chromadb.errors import InvalidArgumentError, NotFoundError, UniqueConstraintError
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
        self.store = Store(
            None if path is None else os.path.join(path, "chroma.sqlite3"),
            busy_timeout,
            wal_watch=self.options.wal_watch,
        )
        self.lock = self.store.lock
        self.views: dict[str, CollectionView] = {}
        self._rows: dict[str, dict[str, Any]] = {}  # collection rows as of _rows_version
        self._rows_version: tuple[int, int] | None = None
        self.indexer = Indexer(self)
        # load lazily opened views in the background (_warm)
        self.warm_up = path is not None and self.options.warm_up
        self.closed = False
        with self.store.write():
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
            with self.store.write():
                ids = self.store.all_collection_ids()
                self.store.reset()
                self._ensure_defaults()
            self.views.clear()
            for coll_id in ids:
                self._remove_files(coll_id)

    # -- tenants and databases -----------------------------------------------------------
    def create_tenant(self, name: str) -> None:
        with self.store.write():
            if not self.store.insert_tenant(name):
                raise UniqueConstraintError(f"Tenant [{name}] already exists")

    def get_tenant(self, name: str) -> dict[str, Any]:
        with self.lock:
            tenant = self.store.get_tenant(name)
        if tenant is None:
            raise NotFoundError(f"Tenant [{name}] not found")
        return tenant

    def create_database(self, name: str, tenant: str) -> None:
        with self.store.write():
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
            with self.store.write():
                db = self.store.get_database(name, tenant)
                if db is None:
                    raise NotFoundError(f"Database [{name}] not found. Are you sure it exists?")
                removed = self.store.delete_database(db["id"])
            for coll_id in removed:
                self.views.pop(coll_id, None)
                self._remove_files(coll_id)

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
        with self.store.write():
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
        with self.store.read():
            row = self.store.get_collection_by_name(self._database_id(tenant, database), name)
        if row is None:
            raise NotFoundError(f"Collection [{name}] does not exist")
        return catalog.collection_model(row)

    def get_collection_by_id(self, collection_id: str, tenant: str | None = None, database: str | None = None) -> dict[str, Any]:
        with self.lock:
            row = self._collection_row(collection_id, tenant, database)
        return catalog.collection_model(row)

    def list_collections(self, limit: int | None, offset: int, tenant: str, database: str) -> list[dict[str, Any]]:
        with self.store.read():
            rows = self.store.list_collections(self._database_id(tenant, database), limit, offset)
        return [catalog.collection_model(r) for r in rows]

    def count_collections(self, tenant: str, database: str) -> int:
        with self.store.read():
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
        with self.store.write():
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
            with self.store.write():
                row = self.store.get_collection_by_name(self._database_id(tenant, database), name)
                if row is None:
                    raise NotFoundError(f"Collection [{name}] does not exist")
                self.store.delete_collection_rows(row["cid"])
            self.views.pop(row["id"], None)
            self._remove_files(row["id"])

    def fork_collection(
        self, collection_id: str, new_name: str, tenant: str | None = None, database: str | None = None
    ) -> dict[str, Any]:
        """A new collection `new_name` beside this one, with its configuration, metadata and
        a copy of every record, independent from then on. Rows are copied inside SQLite in
        one transaction; the vector index is the source's graph, relabelled (fork.py)."""
        with self.lock:
            with self.store.write():
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

        directory = self._index_dir(row["id"])
        try:
            with contextlib.ExitStack() as stack:
                if directory is None:  # in memory: the files only carry the graph across
                    directory = stack.enter_context(tempfile.TemporaryDirectory(prefix="chromadb-fork-"))
                else:  # another process may already save an index of the fork it opened
                    from filelock import FileLock

                    os.makedirs(directory, exist_ok=True)
                    index_folders.mark(directory, row["id"])  # what maintenance may delete: ours
                    stack.enter_context(FileLock(os.path.join(directory, "index.lock")))
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
            except TombstonesPruned:  # too far behind to replay the deletes: reload
                view = self.views[row["id"]] = self._load_view(row)
        index = view.index
        if index is not None and index.params is not row["configuration"]["hnsw"]:
            index.params = row["configuration"]["hnsw"]  # ef_search may have been modified
        return view

    def _load_view(self, row: dict[str, Any], saved: tuple[VectorIndex, dict] | None = None) -> CollectionView:
        """A fresh view of the collection, with its saved index (read from its files unless given)."""
        space = row["configuration"]["hnsw"]["space"]
        view = CollectionView(row["cid"], row["id"], row["dimension"], space, self.store)
        with self.store.read():
            seq = self.store.collection_state(row["cid"])[0]  # type: ignore[index]
            rids = self.store.record_rids(row["cid"])
        view.open(rids)
        view.seq = seq
        self.indexer.load_index(view, row, self.indexer.read_saved(row) if saved is None else saved)
        return view

    def _catch_up(self, view: CollectionView) -> None:
        with self.store.read():
            state = self.store.collection_state(view.cid)
            if state is None:
                return
            rows = self.store.records_since(view.cid, view.seq)
            deleted = self.store.tombstones_since(view.cid, view.seq)
        self._apply(view, [_decode(r) for r in rows], deleted, state[0])

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
    def _index_dir(self, collection_id: str) -> str | None:
        return None if self.path is None else os.path.join(self.path, collection_id)

    def wait_for_index(self, timeout: float | None = None) -> bool:
        """Block until every pending record is in its collection's index (for benchmarks and tests)."""
        return self.indexer.wait_idle(timeout)

    def _remove_files(self, collection_id: str) -> None:
        directory = self._index_dir(collection_id)
        if directory is not None and os.path.isdir(directory):
            index_folders.remove_our_files(directory)  # a file we did not write stays

    # -- record writes --------------------------------------------------------------------
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
        with self.lock:
            with self.store.write():
                row = self._collection_row(collection_id, tenant, database)
                self._check_dimension(row, embeddings)
                view = self._view(row)
                existing = view.slots_of_ids(ids)
                seen: set[str] = set()
                new_rows = []
                rid = self.store.next_rid()
                for i, id_ in enumerate(ids):
                    if id_ in existing or id_ in seen:
                        continue  # add of an existing id is a silent no-op; first in a batch wins
                    seen.add(id_)
                    meta = _clean_metadata(metadatas[i] if metadatas else None)
                    new_rows.append(
                        (rid, id_, documents[i] if documents else None, uris[i] if uris else None, meta, embeddings[i])
                    )
                    rid += 1
                if not new_rows:
                    return
                self._discover_keys(row, [r[4] for r in new_rows])
                seq = self.store.next_seq(row["cid"])
                self.store.insert_records(row["cid"], seq, [_encode(r) for r in new_rows])
                if row["dimension"] is None:
                    self.store.set_dimension(row["cid"], embeddings.shape[1])
            self._after_commit(view, new_rows, [], seq)

    def upsert(self, collection_id: str, ids: list[str], embeddings: np.ndarray, metadatas, documents, uris, tenant=None, database=None) -> None:
        self._write(collection_id, ids, embeddings, metadatas, documents, uris, tenant, database, insert_missing=True)

    def update(self, collection_id: str, ids: list[str], embeddings, metadatas, documents, uris, tenant=None, database=None) -> None:
        self._write(collection_id, ids, embeddings, metadatas, documents, uris, tenant, database, insert_missing=False)

    def _write(self, collection_id, ids, embeddings, metadatas, documents, uris, tenant, database, insert_missing: bool) -> None:
        """upsert and update: merge into existing records; upsert also inserts missing ones."""
        with self.lock:
            with self.store.write():
                row = self._collection_row(collection_id, tenant, database)
                matrix = embeddings if isinstance(embeddings, np.ndarray) else None
                if isinstance(embeddings, list):
                    present = [e for e in embeddings if e is not None]
                    matrix = np.stack(present) if present else None
                    if matrix is not None and len({len(e) for e in present}) > 1:
                        raise InvalidArgumentError("Inconsistent dimensions in provided embeddings")
                self._check_dimension(row, matrix)
                view = self._view(row)
                rid = self.store.next_rid()
                merged_rows: dict[str, tuple] = {}  # id -> final row; a repeated id merges again
                new_ids: set[str] = set()
                for i, id_ in enumerate(ids):
                    vec = None if embeddings is None else embeddings[i]
                    doc = documents[i] if documents else None
                    uri = uris[i] if uris else None
                    meta = metadatas[i] if metadatas else None
                    prev = merged_rows.get(id_)
                    if prev is None and id_ in view.slot_of:
                        slot = view.slot_of[id_]
                        prev = (int(view.rids[slot]), id_, view.documents[slot], view.uris[slot], view.metadata(slot), None)
                    if prev is None:
                        if not insert_missing:
                            continue  # update of a missing id is silently ignored
                        if vec is None:
                            raise InvalidArgumentError(f"Record {id_!r} does not exist and no embedding was given")
                        merged_rows[id_] = (rid, id_, doc, uri, _clean_metadata(meta), vec)
                        new_ids.add(id_)
                        rid += 1
                    else:
                        merged_rows[id_] = (
                            prev[0],
                            id_,
                            doc if doc is not None else prev[2],
                            uri if uri is not None else prev[3],
                            _merge_metadata(prev[4], meta),
                            vec if vec is not None else prev[5],
                        )
                if not merged_rows:
                    return
                self._discover_keys(row, [r[4] for r in merged_rows.values()])
                final_inserts = [r for r in merged_rows.values() if r[1] in new_ids]
                updates = [r for r in merged_rows.values() if r[1] not in new_ids]
                seq = self.store.next_seq(row["cid"])
                if final_inserts:
                    self.store.insert_records(row["cid"], seq, [_encode(r) for r in final_inserts])
                if updates:
                    self.store.update_records(seq, [_encode_update(r) for r in updates])
                if row["dimension"] is None and matrix is not None:
                    self.store.set_dimension(row["cid"], matrix.shape[1])
            self._after_commit(view, final_inserts + updates, [], seq)

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
        with self.lock:
            with self.store.write():
                row = self._collection_row(collection_id, tenant, database)
                index_rules.check_filters(row["schema"], where, where_document)
                view = self._view(row)
                filtered = request.filtered
                if ids is None and not filtered:
                    return 0
                slots = self._select(view, ids, where, where_document)
                if filtered and limit is not None:
                    slots = slots[:limit]
                if len(slots) == 0:
                    return len(ids) if ids is not None and not filtered else 0
                rids = view.rids[slots].tolist()
                seq = self.store.next_seq(row["cid"])
                self.store.delete_records(row["cid"], seq, rids)
            self._after_commit(view, [], rids, seq)
            return len(ids) if ids is not None and not filtered else len(rids)

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
            with self.store.read():
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

    def totals(self) -> dict[str, int]:
        """What a monitor watches (the server's GET /metrics): collections and records in
        the store, and records of the open collections still waiting for their HNSW index."""
        with self.store.read() as conn:
            collections = conn.execute("SELECT COUNT(*) FROM collections").fetchone()[0]
            records = conn.execute("SELECT COUNT(*) FROM records").fetchone()[0]
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


def _clean_metadata(meta: dict[str, Any] | None) -> dict[str, Any] | None:
    if not meta:
        return None
    if None not in meta.values():
        return meta
    cleaned = {k: v for k, v in meta.items() if v is not None}
    return cleaned or None


def _merge_metadata(old: dict[str, Any] | None, new: dict[str, Any] | None) -> dict[str, Any] | None:
    """Key-by-key merge; a None value deletes the key; an empty result is None."""
    if new is None:
        return old
    merged = dict(old or {})
    for key, value in new.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged or None


def _check_scope(row: dict[str, Any] | None, collection_id: str, tenant: str | None, database: str | None) -> None:
    if row is None or (tenant is not None and row["tenant"] != tenant) or (
        database is not None and row["database"] != database
    ):
        raise NotFoundError(f"Collection [{collection_id}] does not exist")


def _encode(r: tuple) -> tuple:
    vec = r[5]
    return (r[0], r[1], r[2], r[3], dumps(r[4]), None if vec is None else np.asarray(vec, np.float32).tobytes())


def _encode_update(r: tuple) -> tuple:
    vec = r[5]  # None: the stored vector stays
    return (r[0], r[2], r[3], dumps(r[4]), None if vec is None else np.asarray(vec, np.float32).tobytes())


def _decode(r: tuple) -> tuple:
    return (r[0], r[1], r[2], r[3], loads(r[4]), None if r[5] is None else np.frombuffer(r[5], dtype=np.float32))
