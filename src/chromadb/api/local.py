"""LocalBackend: the engine behind the Backend interface.

Both the in-process clients and the HTTP server go through this class. Records and
read requests arrive as the types each door built and checked once (`chromadb.model`);
the catalog calls (names, collection metadata) are checked here. A ValueError or
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
from chromadb.model.records import RecordBatch
from chromadb.model.requests import DeleteRequest, GetRequest, QueryRequest
from chromadb.model.search import SearchRequest

# Client-side cap on records per write, like upstream's SQLite-derived value.
MAX_BATCH_SIZE = 41_666

T = TypeVar("T")

_engines: dict[str, list[Any]] = {}  # key -> [engine, refcount]
_engines_lock = threading.Lock()
_forgotten: list[list[Any]] = []  # in-memory engines replaced by forget_ephemeral_engine, still in use


def acquire_engine(path: str | None, busy_timeout: float = 30.0, store: str | None = None) -> Engine:
    key = "ephemeral" if path is None else os.path.realpath(path)
    if store is not None:
        key += " " + store
    with _engines_lock:
        entry = _engines.get(key)
        if entry is None or entry[0].closed:
            entry = [Engine(path, busy_timeout, store=store), 0]
            _engines[key] = entry
        entry[1] += 1
        return entry[0]


def release_engine(engine: Engine) -> None:
    with _engines_lock:
        for key, entry in list(_engines.items()):
            if entry[0] is engine:
                entry[1] -= 1
                if entry[1] <= 0 and (engine.path is not None or key != "ephemeral"):
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


class LocalBackend(Backend):
    def __init__(
        self, path: str | None, allow_reset: bool = False, busy_timeout: float = 30.0, store: str | None = None
    ) -> None:
        self.engine = acquire_engine(path, busy_timeout, store)
        self.allow_reset = allow_reset
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
    def create_collection(self, name, metadata, configuration, get_or_create, tenant, database, *, schema=None):
        v.check_name(name)
        if metadata is not None:
            v.check_metadata(metadata, what="collection metadata")
        return self.engine.create_collection(
            name, metadata, configuration, bool(get_or_create), tenant, database, schema=schema
        )

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
    # Writes, reads and deletes arrive checked: the door built the batch or request.
    @_checked
    def add(self, collection_id: str, batch: RecordBatch, tenant: str, database: str) -> None:
        self.engine.add(collection_id, batch, tenant=tenant, database=database)

    @_checked
    def update(self, collection_id: str, batch: RecordBatch, tenant: str, database: str) -> None:
        self.engine.update(collection_id, batch, tenant=tenant, database=database)

    @_checked
    def upsert(self, collection_id: str, batch: RecordBatch, tenant: str, database: str) -> None:
        self.engine.upsert(collection_id, batch, tenant=tenant, database=database)

    def delete(self, collection_id: str, request: DeleteRequest, tenant: str, database: str) -> int:
        return self.engine.delete(collection_id, request, tenant, database)

    def count(self, collection_id, tenant, database):
        return self.engine.count(collection_id, tenant, database)

    def indexing_status(self, collection_id, tenant, database):
        return self.engine.indexing_status(collection_id, tenant, database)

    def get(self, collection_id: str, request: GetRequest, tenant: str, database: str) -> dict[str, Any]:
        return self.engine.get(collection_id, request, tenant, database).to_dict()

    def query(self, collection_id: str, request: QueryRequest, tenant: str, database: str) -> dict[str, Any]:
        return self.engine.query(collection_id, request, tenant, database).to_dict()

    def search(self, collection_id: str, request: SearchRequest, tenant: str, database: str) -> dict[str, Any]:
        return self.engine.search(collection_id, request, tenant, database)
