"""The system of record behind the engine: the port (base.py), the write rules every
implementation shares (merge.py), the SQLite implementation (sqlite/), the PostgreSQL
one (postgres/), and `open_store`, which picks one from a URL."""
from __future__ import annotations

import threading

from chromadb.engine.store.base import (
    Changes,
    ChangesPruned,
    CollectionGone,
    Deletion,
    Record,
    RecordStore,
    WriteConflict,
    WriteResult,
    iter_pages,
)

__all__ = [
    "Changes",
    "ChangesPruned",
    "CollectionGone",
    "Deletion",
    "Record",
    "RecordStore",
    "WriteConflict",
    "WriteResult",
    "iter_pages",
    "open_store",
]

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def open_store(
    url: str | None,
    sqlite_file: str | None,
    busy_timeout: float = 30.0,
    *,
    wal_watch: bool = True,
    lock: threading.RLock | None = None,
) -> RecordStore:
    """The store a URL names: None is the SQLite file `sqlite_file` (None: in memory);
    `postgresql://USER[:PASSWORD]@HOST[:PORT]/DB` is a PostgreSQL database (docs/postgresql.md)."""
    if url is None:
        from chromadb.engine.store.sqlite import SqliteStore

        return SqliteStore(sqlite_file, busy_timeout, wal_watch=wal_watch, lock=lock)
    if url.startswith(POSTGRES_SCHEMES):
        try:
            from chromadb.engine.store.postgres import PostgresStore
        except ImportError as e:  # psycopg is an optional extra
            raise ValueError(f"A PostgreSQL store needs psycopg: pip install 'quarrydb[postgres]' ({e})") from None
        return PostgresStore(url)
    raise ValueError(f"Unknown store {url.split('://')[0]!r}: expected postgresql://USER@HOST:PORT/DB")
