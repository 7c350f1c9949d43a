"""The schema of a store file, as named migrations recorded in the `migrations` table.

A migration runs once per file, in this order, and is never edited or renamed once
released: files written by every earlier version open unchanged.

Tables:
  tenants, databases, collections   the catalog (a collection's `schema`: upstream's JSON shape)
  records      one row per live record; `rid` (AUTOINCREMENT, never reused) is the
               insertion order and the vector index label; `seq` is the collection
               sequence number of the write that last touched the row
  tombstones   (collection, rid, seq) of deleted records, so another process (or a
               saved vector index) can catch up with "changes since seq N"; pruned
               (see records.prune_tombstones), with `collections.tombstone_horizon` the
               newest seq pruned
  migrations   names of applied schema migrations (and of AUTO_VACUUM_MIGRATION)
"""
from __future__ import annotations

import time

from chromadb.engine import identify
from chromadb.engine.store.sqlite.connection import Connection, retry_busy
from chromadb.engine.store.sqlite.reclaim import AUTO_VACUUM_INCREMENTAL

__all__ = ["AUTO_VACUUM_MIGRATION", "MIGRATIONS", "migrate"]

MIGRATIONS: list[tuple[str, str]] = [
    (
        "0001_initial",
        """
        CREATE TABLE tenants (name TEXT PRIMARY KEY, resource_name TEXT);
        CREATE TABLE databases (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            tenant TEXT NOT NULL REFERENCES tenants(name),
            UNIQUE (tenant, name)
        );
        CREATE TABLE collections (
            cid INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            database_id TEXT NOT NULL REFERENCES databases(id),
            metadata BLOB,
            configuration BLOB NOT NULL,
            dimension INTEGER,
            seq INTEGER NOT NULL DEFAULT 0,
            UNIQUE (database_id, name)
        );
        CREATE TABLE records (
            rid INTEGER PRIMARY KEY AUTOINCREMENT,
            cid INTEGER NOT NULL,
            id TEXT NOT NULL,
            document TEXT,
            uri TEXT,
            metadata BLOB,
            embedding BLOB,
            seq INTEGER NOT NULL,
            UNIQUE (cid, id)
        );
        CREATE INDEX records_by_seq ON records (cid, seq);
        CREATE TABLE tombstones (cid INTEGER NOT NULL, rid INTEGER NOT NULL, seq INTEGER NOT NULL);
        CREATE INDEX tombstones_by_seq ON tombstones (cid, seq);
        """,
    ),
    (
        "0002_tombstone_horizon",
        "ALTER TABLE collections ADD COLUMN tombstone_horizon INTEGER NOT NULL DEFAULT 0",
    ),
    (
        # the collection's index schema (upstream's JSON shape); NULL in collections made
        # before it: theirs is derived from the configuration when read
        "0004_collection_schema",
        "ALTER TABLE collections ADD COLUMN schema BLOB",
    ),
]

# Files made before it get incremental auto-vacuum (so freed pages can be given back)
# with one VACUUM: see _migrate_auto_vacuum.
AUTO_VACUUM_MIGRATION = "0003_incremental_auto_vacuum"


def migrate(db: Connection) -> None:
    """Bring the file's schema up to date (each migration once) and mark the file as ours."""
    with db.transaction() as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at REAL)")
        done = {r[0] for r in conn.execute("SELECT name FROM migrations")}
        for name, sql in MIGRATIONS:
            if name not in done:
                for statement in sql.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute("INSERT INTO migrations VALUES (?, ?)", (name, time.time()))
        # our mark in the file's header: the next open knows the file from 100 bytes
        if conn.execute("PRAGMA application_id").fetchone()[0] != identify.APPLICATION_ID:
            conn.execute(f"PRAGMA application_id = {identify.APPLICATION_ID}")
    _migrate_auto_vacuum(db)


def _migrate_auto_vacuum(db: Connection) -> None:
    """Turn on incremental auto-vacuum in a file made without it, once.

    Only a VACUUM can switch it on in a file that has tables: it rewrites the whole
    file (through the WAL, so it needs free disk about twice the file's size for a
    moment) and holds the write lock meanwhile (seconds for a few hundred MB). New
    files are made with it (see Connection) and only record the migration. Two
    processes opening the same old file at once may both VACUUM: slower, still right.
    """
    if db.path is None:
        return
    conn = db.conn
    with db.lock:
        if conn.execute("SELECT 1 FROM migrations WHERE name = ?", (AUTO_VACUUM_MIGRATION,)).fetchone():
            return
        if conn.execute("PRAGMA auto_vacuum").fetchone()[0] != AUTO_VACUUM_INCREMENTAL:
            conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
            retry_busy(lambda: conn.execute("VACUUM"))
            # the VACUUM wrote every page to the WAL: give that back now
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        with db.transaction():
            conn.execute("INSERT OR IGNORE INTO migrations VALUES (?, ?)", (AUTO_VACUUM_MIGRATION, time.time()))
