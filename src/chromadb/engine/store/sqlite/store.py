"""SqliteStore: the RecordStore port (store/base.py) over one SQLite file in WAL mode.

The calls are thin: each one picks the connection's transaction or snapshot and hands
the sqlite3 connection to the module that holds the SQL (catalog.py, records.py).
Disk space comes back while the file stays open: see reclaim.py.
"""
from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from chromadb.engine.store.base import Changes, Deletion, Record, WriteResult
from chromadb.engine.store.sqlite import catalog, records
from chromadb.engine.store.sqlite.connection import Connection
from chromadb.engine.store.sqlite.migrations import migrate
from chromadb.model.records import RecordBatch

__all__ = ["SideReader", "SqliteStore"]


class SqliteStore:
    """One SQLite connection, shared by the threads of one engine under `lock` (the
    engine's own lock may be passed in, so one lock guards both)."""

    def __init__(
        self,
        path: str | None,
        busy_timeout: float = 30.0,
        *,
        wal_watch: bool = True,
        lock: threading.RLock | None = None,
    ) -> None:
        self.path = path
        self.db = Connection(path, busy_timeout, wal_watch=wal_watch, lock=lock)
        self.lock = self.db.lock
        migrate(self.db)
        self.db.start_watching()

    # What tests and maintenance look at in the SQLite store itself.
    @property
    def conn(self) -> sqlite3.Connection:
        return self.db.conn

    @property
    def _reclaimer(self) -> Any:
        return self.db._reclaimer

    @property
    def _wal_watch(self) -> Any:
        return self.db._wal_watch

    # -- transactions and change detection ---------------------------------------------------
    def transaction(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        return self.db.transaction()

    def snapshot(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        return self.db.snapshot()

    def version(self) -> tuple[int, int]:
        return self.db.version()

    def close(self) -> None:
        self.db.close()

    # -- tenants and databases -----------------------------------------------------------------
    def insert_tenant(self, name: str) -> bool:
        with self.db.transaction() as conn:
            return catalog.insert_tenant(conn, name)

    def get_tenant(self, name: str) -> dict[str, Any] | None:
        with self.lock:
            return catalog.get_tenant(self.db.conn, name)

    def insert_database(self, db_id: str, name: str, tenant: str) -> bool:
        with self.db.transaction() as conn:
            return catalog.insert_database(conn, db_id, name, tenant)

    def get_database(self, name: str, tenant: str) -> dict[str, Any] | None:
        with self.lock:
            return catalog.get_database(self.db.conn, name, tenant)

    def list_databases(self, tenant: str, limit: int | None, offset: int) -> list[dict[str, Any]]:
        with self.lock:
            return catalog.list_databases(self.db.conn, tenant, limit, offset)

    def delete_database(self, db_id: str) -> list[str]:
        with self.db.transaction() as conn:
            return catalog.delete_database(conn, db_id)

    # -- collections ---------------------------------------------------------------------------
    def insert_collection(
        self,
        coll_id: str,
        name: str,
        db_id: str,
        metadata: Any,
        configuration: Any,
        dimension: int | None = None,
        *,
        schema: Any = None,
    ) -> None:
        with self.db.transaction() as conn:
            catalog.insert_collection(conn, coll_id, name, db_id, metadata, configuration, dimension, schema=schema)

    def get_collection_by_id(self, coll_id: str) -> dict[str, Any] | None:
        with self.lock:
            return catalog.get_collection_by_id(self.db.conn, coll_id)

    def get_collection_by_name(self, db_id: str, name: str) -> dict[str, Any] | None:
        with self.lock:
            return catalog.get_collection_by_name(self.db.conn, db_id, name)

    def list_collections(self, db_id: str, limit: int | None, offset: int) -> list[dict[str, Any]]:
        with self.lock:
            return catalog.list_collections(self.db.conn, db_id, limit, offset)

    def count_collections(self, db_id: str) -> int:
        with self.lock:
            return catalog.count_collections(self.db.conn, db_id)

    def all_collection_ids(self) -> list[str]:
        with self.lock:
            return catalog.all_collection_ids(self.db.conn)

    def update_collection(self, cid: int, name: str | None, metadata: Any, configuration: Any, set_metadata: bool) -> None:
        with self.db.transaction() as conn:
            catalog.update_collection(conn, cid, name, metadata, configuration, set_metadata)

    def set_schema(self, cid: int, schema: Any) -> None:
        with self.db.transaction() as conn:
            catalog.set_schema(conn, cid, schema)

    def delete_collection(self, cid: int) -> None:
        with self.db.transaction() as conn:
            catalog.delete_collection(conn, cid)

    def copy_records(self, source_cid: int, target_cid: int) -> int:
        with self.db.transaction() as conn:
            return catalog.copy_records(conn, source_cid, target_cid)

    def collection_state(self, cid: int) -> tuple[int, int | None] | None:
        with self.lock:
            return catalog.collection_state(self.db.conn, cid)

    def reset(self) -> None:
        with self.db.transaction() as conn:
            catalog.reset(conn)

    # -- records ---------------------------------------------------------------------------------
    def write(self, cid: int, change: RecordBatch | Deletion, *, expect_seq: int | None = None) -> WriteResult:
        with self.db.transaction() as conn:
            return records.write(conn, cid, change, expect_seq)

    def changes_since(self, cid: int, seq: int) -> Changes | None:
        with self.db.snapshot() as conn:
            return records.changes_since(conn, cid, seq)

    def scan(self, cid: int, after: int = 0, limit: int = 1000) -> list[Record]:
        with self.lock:
            return records.scan(self.db.conn, cid, after, limit)

    def record_rids(self, cid: int) -> np.ndarray:
        with self.lock:
            return records.record_rids(self.db.conn, cid)

    def rids_since(self, cid: int, seq: int) -> list[int]:
        with self.lock:
            return records.rids_since(self.db.conn, cid, seq)

    def record_count(self, cid: int) -> int:
        with self.lock:
            return records.record_count(self.db.conn, cid)

    def totals(self) -> tuple[int, int]:
        with self.lock:
            return catalog.collection_count(self.db.conn), records.total_count(self.db.conn)

    def record_fields(self, cid: int, rids: Sequence[int] | None) -> list[tuple[Any, ...]]:
        with self.lock:
            return records.record_columns(self.db.conn, cid, rids, records.FIELD_COLUMNS)

    def record_vectors(self, cid: int, rids: Sequence[int] | None) -> list[tuple[Any, ...]]:
        with self.lock:
            return records.record_columns(self.db.conn, cid, rids, records.VECTOR_COLUMNS)

    def record_rids_of_ids(self, cid: int, ids: Sequence[str]) -> list[tuple[Any, ...]]:
        with self.lock:
            return records.record_rids_of_ids(self.db.conn, cid, ids)

    @contextlib.contextmanager
    def side_snapshot(self) -> Iterator[SideReader]:
        """A read snapshot on a second connection, for background work that must not hold
        the engine's lock (the main connection is only used under it). File stores only."""
        with self.db.side_snapshot() as conn:
            yield SideReader(conn)

    # -- care ------------------------------------------------------------------------------------
    def integrity_check(self) -> str:
        with self.lock:
            result: str = self.db.conn.execute("PRAGMA integrity_check").fetchone()[0]
            return result

    def compact(self) -> None:
        """VACUUM, with the WAL copied back and truncated before and after."""
        with self.lock:
            self.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self.db.conn.execute("VACUUM")
            self.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


class SideReader:
    """The reads a background warm-up needs, on the side connection (SqliteStore.side_snapshot)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def collection_seq(self, cid: int) -> int | None:
        state = catalog.collection_state(self.conn, cid)
        return None if state is None else state[0]

    def record_fields(self, cid: int, rids: Sequence[int] | None = None) -> list[tuple[Any, ...]]:
        return records.record_columns(self.conn, cid, rids, records.FIELD_COLUMNS)

    def record_vectors(self, cid: int, rids: Sequence[int] | None = None) -> list[tuple[Any, ...]]:
        return records.record_columns(self.conn, cid, rids, records.VECTOR_COLUMNS)
