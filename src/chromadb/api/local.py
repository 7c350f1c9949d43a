"""LocalBackend: the engine behind the Backend interface, with input checks at the door.

Both the in-process clients and the HTTP server go through this class, so whatever
arrives (from user code or from the wire) is validated the same way. A ValueError or
TypeError from a check becomes an InvalidArgumentError here.

Engines are shared per data directory inside one process: two `PersistentClient`s on
the same path see one engine (and one SQLite connection). Ephemeral clients share one
in-memory engine, as upstream's do.
"""
from __future__ import annotations

import atexit
import contextlib
import functools
import os
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from chromadb._version import __version__
from chromadb.api import validation as v
from chromadb.api.backend import Backend
from chromadb.engine.engine import Engine
from chromadb.errors import ChromaError, InvalidArgumentError

# Client-side cap on records per write, like upstream's SQLite-derived value.
MAX_BATCH_SIZE = 41_666

T = TypeVar("T")

_engines: dict[str, list[Any]] = {}  # key -> [engine, refcount]
_engines_lock = threading.Lock()
_forgotten: list[list[Any]] = []  # in-memory engines replaced by forget_ephemeral_engine, still in use


def acquire_engine(path: str | None, busy_timeout: float = 30.0) -> Engine:
    key = "ephemeral" if path is None else os.path.realpath(path)
    with _engines_lock:
        entry = _engines.get(key)
        if entry is None or entry[0].closed:
            entry = [Engine(path, busy_timeout), 0]
            _engines[key] = entry
        entry[1] += 1
        return entry[0]


def release_engine(engine: Engine) -> None:
    with _engines_lock:
        for key, entry in list(_engines.items()):
            if entry[0] is engine:
                entry[1] -= 1
                if entry[1] <= 0 and engine.path is not None:
                    engine.close()
                    del _engines[key]
                return
        for entry in list(_forgotten):
            if entry[0] is engine:
                entry[1] -= 1
                if entry[1] <= 0:
                    engine.close()
                    _forgotten.remove(entry)


def forget_ephemeral_engine() -> None:
    """The next ephemeral client gets a new, empty in-memory engine (`clear_system_cache`).

    Backends still holding the old one keep using it; it closes with the last of them.
    """
    with _engines_lock:
        entry = _engines.pop("ephemeral", None)
        if entry is not None and entry[1] > 0:
            _forgotten.append(entry)
        elif entry is not None:
            entry[0].close()


@atexit.register
def _close_all_engines() -> None:
    with _engines_lock:
        for entry in [*_engines.values(), *_forgotten]:
            with contextlib.suppress(Exception):
                entry[0].close()
        _engines.clear()
        _forgotten.clear()


def _checked(fn: Callable[..., T]) -> Callable[..., T]:
    """Bad input found here is the caller's error: InvalidArgumentError, as the server says it."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return fn(*args, **kwargs)
        except ChromaError:
            raise
        except (ValueError, TypeError) as e:
            raise InvalidArgumentError(str(e)) from None

    return wrapper


def _check_tenant(tenant: str) -> None:
    if not isinstance(tenant, str) or len(tenant) < 3:
        raise ValueError(f"Tenant name must be at least 3 characters long, got {tenant!r}")


def _check_filters(where: Any, where_document: Any) -> tuple[Any, Any]:
    if where is not None and where != {}:
        v.check_where(where)
    else:
        where = None
    if where_document is not None and where_document != {}:
        v.check_where_document(where_document)
    else:
        where_document = None
    return where, where_document


class LocalBackend(Backend):
    def __init__(
        self, path: str | None, allow_reset: bool = False, busy_timeout: float = 30.0, check_records: bool = True
    ) -> None:
        self.engine = acquire_engine(path, busy_timeout)
        self.allow_reset = allow_reset
        # The in-process Collection has already checked every record (client-side, like
        # upstream); checking 1,000 records twice would cost more than storing them.
        self.check_records = check_records
        self._closed = False

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            release_engine(self.engine)

    def stop(self) -> None:
        """Upstream's name for shutting the server side down (`client._server.stop()`)."""
        self.close()

    def get_user_identity(self) -> dict[str, Any]:
        # in-process there is no auth: the anonymous default user, as our server answers
        from chromadb.config import DEFAULT_DATABASE, DEFAULT_TENANT

        return {"user_id": "", "tenant": DEFAULT_TENANT, "databases": [DEFAULT_DATABASE]}

    def wait_for_index(self, timeout: float | None = None) -> bool:
        return self.engine.wait_for_index(timeout)

    # -- system ---------------------------------------------------------------------
    def heartbeat(self) -> int:
        return time.time_ns()

    def get_version(self) -> str:
        return __version__

    def reset(self) -> bool:
        if not self.allow_reset:
            raise ValueError(
                "Resetting is not allowed by this configuration (to enable it, set `allow_reset` to `True` "
                "in your Settings() or include `ALLOW_RESET=TRUE` in your environment variables)"
            )
        self.engine.reset()
        return True

    def get_max_batch_size(self) -> int:
        return MAX_BATCH_SIZE

    # -- tenants and databases ---------------------------------------------------------
    @_checked
    def create_tenant(self, name: str) -> None:
        _check_tenant(name)
        self.engine.create_tenant(name)

    def get_tenant(self, name: str) -> dict[str, Any]:
        return self.engine.get_tenant(name)

    @_checked
    def create_database(self, name: str, tenant: str) -> None:
        v.check_name(name)
        self.engine.create_database(name, tenant)

    def get_database(self, name: str, tenant: str) -> dict[str, Any]:
        return self.engine.get_database(name, tenant)

    def delete_database(self, name: str, tenant: str) -> None:
        self.engine.delete_database(name, tenant)

    @_checked
    def list_databases(self, tenant: str, limit: int | None = None, offset: int | None = None) -> list[dict[str, Any]]:
        limit, offset_ = v.check_limit_offset(limit, offset)
        return self.engine.list_databases(tenant, limit, offset_)

    # -- collections ---------------------------------------------------------------------
    @_checked
    def create_collection(self, name, metadata, configuration, get_or_create, tenant, database):
        v.check_name(name)
        if metadata is not None:
            v.check_metadata(metadata, what="collection metadata")
        return self.engine.create_collection(name, metadata, configuration, bool(get_or_create), tenant, database)

    def get_collection(self, name, tenant, database):
        return self.engine.get_collection(name, tenant, database)

    def get_collection_by_id(self, collection_id, tenant, database):
        return self.engine.get_collection_by_id(collection_id, tenant, database)

    @_checked
    def list_collections(self, limit, offset, tenant, database):
        limit, offset_ = v.check_limit_offset(limit, offset)
        return self.engine.list_collections(limit, offset_, tenant, database)

    def count_collections(self, tenant, database):
        return self.engine.count_collections(tenant, database)

    @_checked
    def update_collection(self, collection_id, new_name, new_metadata, new_configuration, tenant, database):
        if new_name is not None:
            v.check_name(new_name)
        if new_metadata is not None:
            if new_metadata == {}:
                raise ValueError("Metadata cannot be empty")
            # `hnsw:*` keys are stored as plain metadata, as upstream's server does: the
            # configuration (and so the distance) stays as created. Only the Python
            # Collection.modify refuses `hnsw:space`, before anything is sent.
            v.check_metadata(new_metadata, what="collection metadata")
        self.engine.update_collection(collection_id, new_name, new_metadata, new_configuration, tenant, database)

    def delete_collection(self, name, tenant, database):
        self.engine.delete_collection(name, tenant, database)

    @_checked
    def fork_collection(self, collection_id, new_name, tenant, database):
        v.check_name(new_name)
        return self.engine.fork_collection(collection_id, new_name, tenant, database)

    # -- records ---------------------------------------------------------------------------
    def _check_record_batch(self, ids, embeddings, metadatas, documents, uris, for_update: bool):
        if not self.check_records:
            return ids, embeddings, metadatas, documents, uris
        ids = v.check_ids(ids)
        if len(ids) > MAX_BATCH_SIZE:
            from chromadb.errors import BatchSizeExceededError

            raise BatchSizeExceededError(
                f"Cannot submit more than {MAX_BATCH_SIZE:,} embeddings at once. Please submit your embeddings "
                f"in batches of size {MAX_BATCH_SIZE:,} or less."
            )
        if for_update:
            embeddings = v.to_update_embeddings(embeddings)
        else:
            if embeddings is None:
                raise ValueError("Embeddings are required: pass embeddings, or documents with an embedding function")
            embeddings = v.to_embedding_matrix(embeddings)
        metadatas = None if metadatas is None else v.check_metadatas(metadatas, allow_none_values=True)
        documents = None if documents is None else v.check_documents(documents)
        uris = None if uris is None else v.check_documents(uris, "uris")
        v.check_lengths(ids, embeddings=embeddings, metadatas=metadatas, documents=documents, uris=uris)
        return ids, embeddings, metadatas, documents, uris

    @_checked
    def add(self, collection_id, ids, embeddings, metadatas, documents, uris, tenant, database):
        ids, embeddings, metadatas, documents, uris = self._check_record_batch(
            ids, embeddings, metadatas, documents, uris, for_update=False
        )
        if metadatas is not None and self.check_records:
            for m in metadatas:
                if m is not None and any(val is None for val in m.values()):
                    raise ValueError("Metadata values cannot be None when adding records")
        self.engine.add(collection_id, ids, embeddings, metadatas, documents, uris, tenant, database)

    @_checked
    def update(self, collection_id, ids, embeddings, metadatas, documents, uris, tenant, database):
        args = self._check_record_batch(ids, embeddings, metadatas, documents, uris, for_update=True)
        self.engine.update(collection_id, *args, tenant=tenant, database=database)

    @_checked
    def upsert(self, collection_id, ids, embeddings, metadatas, documents, uris, tenant, database):
        args = self._check_record_batch(ids, embeddings, metadatas, documents, uris, for_update=False)
        self.engine.upsert(collection_id, *args, tenant=tenant, database=database)

    @_checked
    def delete(self, collection_id, ids, where, where_document, limit, tenant, database):
        ids = v.check_filter_ids(ids)
        where, where_document = _check_filters(where, where_document)
        limit, _ = v.check_limit_offset(limit, None)
        return self.engine.delete(collection_id, ids, where, where_document, limit, tenant, database)

    def count(self, collection_id, tenant, database):
        return self.engine.count(collection_id, tenant, database)

    def indexing_status(self, collection_id, tenant, database):
        return self.engine.indexing_status(collection_id, tenant, database)

    @_checked
    def get(self, collection_id, ids, where, where_document, limit, offset, include, tenant, database):
        ids = v.check_filter_ids(ids)
        where, where_document = _check_filters(where, where_document)
        limit, offset_ = v.check_limit_offset(limit, offset)
        include = v.check_include(["documents", "metadatas"] if include is None else include, allow_distances=False)
        return self.engine.get(collection_id, ids, where, where_document, limit, offset_, include, tenant, database)

    @_checked
    def query(self, collection_id, query_embeddings, n_results, ids, where, where_document, include, tenant, database):
        queries = v.to_embedding_matrix(query_embeddings, "query_embeddings")
        n_results = v.check_n_results(10 if n_results is None else n_results)
        ids = v.check_filter_ids(ids)
        where, where_document = _check_filters(where, where_document)
        include = v.check_include(
            ["documents", "metadatas", "distances"] if include is None else include, allow_distances=True
        )
        return self.engine.query(
            collection_id, queries, n_results, ids, where, where_document, include, tenant, database
        )


