"""Every SQL statement of the engine lives here: one place that knows the dialect.

Tables:
  tenants, databases, collections   the catalog
  records      one row per live record; `rid` (AUTOINCREMENT, never reused) is the
               insertion order and the vector index label; `seq` is the collection
               sequence number of the write that last touched the row
  tombstones   (collection, rid, seq) of deleted records, so another process (or a
               saved vector index) can catch up with "changes since seq N"; pruned
               (see Store.prune_tombstones), with `collections.tombstone_horizon` the
               newest seq pruned
  migrations   names of applied schema migrations (and of AUTO_VACUUM_MIGRATION)

Disk space comes back while the file stays open: see reclaim.py.
"""
from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import orjson

from chromadb.engine import identify
from chromadb.engine.reclaim import AUTO_VACUUM_INCREMENTAL, Reclaimer
from chromadb.engine.wal_watch import WalWatch

# Bound-variable batches stay far below SQLite's limit (32766 on old builds).
MAX_VARS = 900

# What a view's two lazy groups read from `records` (CollectionView fields / vectors).
FIELD_COLUMNS = "rid, id, document, uri, metadata"
VECTOR_COLUMNS = "rid, embedding"

# Tombstones are kept for this many writes to their collection (see Store.prune_tombstones).
TOMBSTONE_KEEP_SEQS = 1000

_MIGRATIONS: list[tuple[str, str]] = [
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
# with one VACUUM: see Store._migrate_auto_vacuum.
AUTO_VACUUM_MIGRATION = "0003_incremental_auto_vacuum"

# A WAL larger than this is cut back to it when a checkpoint rewinds it (the reclaimer
# truncates it to zero once writes pause). Above the autocheckpoint size (8000 pages),
# so a steady stream of writes never pays for it.
WAL_SIZE_LIMIT = 64 * 1024 * 1024

RECORD_COLUMNS = "rid, id, document, uri, metadata, embedding"


def dumps(value: Any) -> bytes | None:
    return None if value is None else orjson.dumps(value)


def loads(blob: bytes | None) -> Any:
    return None if blob is None else orjson.loads(blob)


class TombstonesPruned(Exception):
    """Raised by `Store.tombstones_since` when deletes after that seq can no longer be listed."""


def chunks(values: Sequence[Any], size: int = MAX_VARS) -> Iterator[Sequence[Any]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


class Store:
    """One SQLite connection (WAL), shared by the threads of one engine under a lock."""

    def __init__(
        self,
        path: str | None,
        busy_timeout: float = 30.0,
        *,
        wal_watch: bool = True,
    ) -> None:
        self.path = path
        self.lock = threading.RLock()
        self.commits = 0  # write transactions committed through this connection
        if path is not None:
            identify.check_database(path)  # before connecting: the WAL switch below is a write
        target = ":memory:" if path is None else path
        self.conn = sqlite3.connect(target, isolation_level=None, check_same_thread=False, timeout=busy_timeout)
        self.conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        if path is not None:
            # only takes effect in a file that has no table yet (older ones: _migrate_auto_vacuum)
            self.conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
            self._retry_busy(lambda: self.conn.execute("PRAGMA journal_mode = WAL"))
            # NORMAL in WAL mode: a committed transaction survives a process crash (kill -9).
            self.conn.execute("PRAGMA synchronous = NORMAL")
            # fewer, larger checkpoints: each one fsyncs the database file
            self.conn.execute("PRAGMA wal_autocheckpoint = 8000")
            self.conn.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}")
        self.conn.execute("PRAGMA foreign_keys = OFF")
        self._side: sqlite3.Connection | None = None  # see side_snapshot
        self._side_lock = threading.Lock()
        self._side_closed = False
        self._wal_watch: WalWatch | None = None
        self._reclaimer: Reclaimer | None = None
        self._migrate()
        self._migrate_auto_vacuum()
        self._reclaimer = Reclaimer(path) if path is not None else None
        # skips data_version while nobody committed (see wal_watch.py); None in memory.
        # Made after the first transaction, which creates the -shm file.
        self._wal_watch = WalWatch(path) if path is not None and wal_watch else None
        self._seen_header: bytes | None = None
        self._seen_data_version = 0

    @staticmethod
    def _retry_busy(fn: Any, attempts: int = 50) -> Any:
        for i in range(attempts):
            try:
                return fn()
            except sqlite3.OperationalError as e:
                if "locked" not in str(e) or i == attempts - 1:
                    raise
                time.sleep(0.05)

    def _migrate(self) -> None:
        with self.write():
            self.conn.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at REAL)")
            done = {r[0] for r in self.conn.execute("SELECT name FROM migrations")}
            for name, sql in _MIGRATIONS:
                if name not in done:
                    for statement in sql.split(";"):
                        if statement.strip():
                            self.conn.execute(statement)
                    self.conn.execute("INSERT INTO migrations VALUES (?, ?)", (name, time.time()))
            # our mark in the file's header: the next open knows the file from 100 bytes
            if self.conn.execute("PRAGMA application_id").fetchone()[0] != identify.APPLICATION_ID:
                self.conn.execute(f"PRAGMA application_id = {identify.APPLICATION_ID}")

    def _migrate_auto_vacuum(self) -> None:
        """Turn on incremental auto-vacuum in a file made without it, once.

        Only a VACUUM can switch it on in a file that has tables: it rewrites the whole
        file (through the WAL, so it needs free disk about twice the file's size for a
        moment) and holds the write lock meanwhile (seconds for a few hundred MB). New
        files are made with it (see __init__) and only record the migration. Two
        processes opening the same old file at once may both VACUUM: slower, still right.
        """
        if self.path is None:
            return
        with self.lock:
            if self.conn.execute("SELECT 1 FROM migrations WHERE name = ?", (AUTO_VACUUM_MIGRATION,)).fetchone():
                return
            if self.conn.execute("PRAGMA auto_vacuum").fetchone()[0] != AUTO_VACUUM_INCREMENTAL:
                self.conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
                self._retry_busy(lambda: self.conn.execute("VACUUM"))
                # the VACUUM wrote every page to the WAL: give that back now
                self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            with self.write():
                self.conn.execute("INSERT OR IGNORE INTO migrations VALUES (?, ?)", (AUTO_VACUUM_MIGRATION, time.time()))

    def close(self) -> None:
        if self._reclaimer is not None:
            self._reclaimer.stop()
        with self.lock:
            self.conn.close()
            if self._wal_watch is not None:
                self._wal_watch.close()
        self._side_closed = True
        side = self._side
        if side is not None:
            side.interrupt()  # a background read in progress stops now, not when it is done
        with self._side_lock:
            if self._side is not None:
                self._side.close()
                self._side = None

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: BEGIN IMMEDIATE takes SQLite's write lock up front."""
        with self.lock:
            self._retry_busy(lambda: self.conn.execute("BEGIN IMMEDIATE"))
            changes_at_begin = self.conn.total_changes
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            watch = self._wal_watch
            before = (watch.header(), self.conn.total_changes) if watch is not None else None
            self.conn.execute("COMMIT")
            self.commits += 1
            if before is not None and self.conn.total_changes != before[1] and watch.header() == before[0]:
                # a commit that changed rows left the header as it was: the watch cannot be trusted
                watch.close()
            if self._reclaimer is not None and self.conn.total_changes != changes_at_begin:
                self._reclaimer.note_commit()

    @contextlib.contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot across several SELECTs."""
        with self.lock:
            if self.conn.in_transaction:
                yield self.conn
                return
            self.conn.execute("BEGIN")
            try:
                yield self.conn
            finally:
                self.conn.execute("COMMIT")

    def data_version(self) -> int:
        """Changes whenever another connection commits (cheap: no I/O)."""
        with self.lock:
            return self.conn.execute("PRAGMA data_version").fetchone()[0]

    def version(self) -> tuple[int, int]:
        """Changes whenever anyone commits: another connection, or this one."""
        with self.lock:
            if self.path is None:
                return 0, self.commits  # an in-memory database has no other connection
            # The header first: a commit between the two reads shows in data_version, and
            # changes the header again, so the next call asks SQLite again. Without a watch
            # (switched off), SQLite is asked every time.
            head = None if self._wal_watch is None else self._wal_watch.header()
            if head is None or head != self._seen_header:
                self._seen_data_version = self.data_version()
                self._seen_header = head
            return self._seen_data_version, self.commits

    # -- tenants and databases ----------------------------------------------------
    def insert_tenant(self, name: str) -> bool:
        cur = self.conn.execute("INSERT OR IGNORE INTO tenants (name) VALUES (?)", (name,))
        return cur.rowcount == 1

    def get_tenant(self, name: str) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT name, resource_name FROM tenants WHERE name = ?", (name,)).fetchone()
        return None if row is None else {"name": row[0], "resource_name": row[1]}

    def insert_database(self, db_id: str, name: str, tenant: str) -> bool:
        cur = self.conn.execute(
            "INSERT OR IGNORE INTO databases (id, name, tenant) VALUES (?, ?, ?)", (db_id, name, tenant)
        )
        return cur.rowcount == 1

    def get_database(self, name: str, tenant: str) -> dict[str, Any] | None:
        row = self.conn.execute(
            "SELECT id, name, tenant FROM databases WHERE tenant = ? AND name = ?", (tenant, name)
        ).fetchone()
        return None if row is None else {"id": row[0], "name": row[1], "tenant": row[2]}

    def list_databases(self, tenant: str, limit: int | None, offset: int) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT id, name, tenant FROM databases WHERE tenant = ? ORDER BY name LIMIT ? OFFSET ?",
            (tenant, -1 if limit is None else limit, offset),
        ).fetchall()
        return [{"id": r[0], "name": r[1], "tenant": r[2]} for r in rows]

    def delete_database(self, db_id: str) -> list[str]:
        """Deletes the database and its collections; returns the deleted collection ids."""
        ids = [r[0] for r in self.conn.execute("SELECT id FROM collections WHERE database_id = ?", (db_id,))]
        for cid_row in self.conn.execute("SELECT cid FROM collections WHERE database_id = ?", (db_id,)).fetchall():
            self.delete_collection_rows(cid_row[0])
        self.conn.execute("DELETE FROM collections WHERE database_id = ?", (db_id,))
        self.conn.execute("DELETE FROM databases WHERE id = ?", (db_id,))
        return ids

    # -- collections ------------------------------------------------------------------
    _COLLECTION_COLUMNS = (
        "c.cid, c.id, c.name, c.metadata, c.configuration, c.dimension, c.seq, d.name, d.tenant, c.schema"
    )

    def _collection_row(self, row: tuple | None) -> dict[str, Any] | None:
        if row is None:
            return None
        return {
            "cid": row[0],
            "id": row[1],
            "name": row[2],
            "metadata": loads(row[3]),
            "configuration": loads(row[4]),
            "dimension": row[5],
            "seq": row[6],
            "database": row[7],
            "tenant": row[8],
            "schema": loads(row[9]),
        }

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
        self.conn.execute(
            "INSERT INTO collections (id, name, database_id, metadata, configuration, dimension, schema)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (coll_id, name, db_id, dumps(metadata), dumps(configuration), dimension, dumps(schema)),
        )

    def get_collection_by_name(self, db_id: str, name: str) -> dict[str, Any] | None:
        return self._collection_row(
            self.conn.execute(
                f"SELECT {self._COLLECTION_COLUMNS} FROM collections c JOIN databases d ON d.id = c.database_id "
                "WHERE c.database_id = ? AND c.name = ?",
                (db_id, name),
            ).fetchone()
        )

    def get_collection_by_id(self, coll_id: str) -> dict[str, Any] | None:
        return self._collection_row(
            self.conn.execute(
                f"SELECT {self._COLLECTION_COLUMNS} FROM collections c JOIN databases d ON d.id = c.database_id "
                "WHERE c.id = ?",
                (coll_id,),
            ).fetchone()
        )

    def list_collections(self, db_id: str, limit: int | None, offset: int) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            f"SELECT {self._COLLECTION_COLUMNS} FROM collections c JOIN databases d ON d.id = c.database_id "
            "WHERE c.database_id = ? ORDER BY c.cid LIMIT ? OFFSET ?",
            (db_id, -1 if limit is None else limit, offset),
        ).fetchall()
        return [self._collection_row(r) for r in rows]  # type: ignore[misc]

    def count_collections(self, db_id: str) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM collections WHERE database_id = ?", (db_id,)).fetchone()[0]

    def all_collection_ids(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT id FROM collections")]

    def update_collection(self, cid: int, name: str | None, metadata: Any, configuration: Any, set_metadata: bool) -> None:
        if name is not None:
            self.conn.execute("UPDATE collections SET name = ? WHERE cid = ?", (name, cid))
        if set_metadata:
            self.conn.execute("UPDATE collections SET metadata = ? WHERE cid = ?", (dumps(metadata), cid))
        if configuration is not None:
            self.conn.execute("UPDATE collections SET configuration = ? WHERE cid = ?", (dumps(configuration), cid))

    def set_schema(self, cid: int, schema: Any) -> None:
        self.conn.execute("UPDATE collections SET schema = ? WHERE cid = ?", (dumps(schema), cid))

    def delete_collection_rows(self, cid: int) -> None:
        self.conn.execute("DELETE FROM records WHERE cid = ?", (cid,))
        self.conn.execute("DELETE FROM tombstones WHERE cid = ?", (cid,))
        self.conn.execute("DELETE FROM collections WHERE cid = ?", (cid,))

    def copy_records(self, source_cid: int, target_cid: int) -> int:
        """Copy every record of one collection into another (empty) one, inside SQLite, and
        give the target the source's sequence number. Returns the rid shift: each copy's
        rid is its original's plus this one number, so rid order (insertion order) and
        rid-keyed derived data (the HNSW labels) carry over. The target has no
        tombstones: its horizon is its seq, so a view of it can only load it whole."""
        lo, hi = self.conn.execute("SELECT min(rid), max(rid) FROM records WHERE cid = ?", (source_cid,)).fetchone()
        shift = 0 if lo is None else self.next_rid() - lo
        if lo is not None:
            # `+cid`: a sequential rowid range scan, as in _record_columns
            self.conn.execute(
                "INSERT INTO records (rid, cid, id, document, uri, metadata, embedding, seq) "
                "SELECT rid + ?, ?, id, document, uri, metadata, embedding, seq FROM records "
                "WHERE rid BETWEEN ? AND ? AND +cid = ? ORDER BY rid",
                (shift, target_cid, lo, hi, source_cid),
            )
        seq = self.conn.execute("SELECT seq FROM collections WHERE cid = ?", (source_cid,)).fetchone()[0]
        self.conn.execute("UPDATE collections SET seq = ?, tombstone_horizon = ? WHERE cid = ?", (seq, seq, target_cid))
        return shift

    def set_dimension(self, cid: int, dimension: int) -> None:
        self.conn.execute("UPDATE collections SET dimension = ? WHERE cid = ?", (dimension, cid))

    def collection_state(self, cid: int) -> tuple[int, int | None] | None:
        """(seq, dimension) of a collection, or None if it was deleted."""
        row = self.conn.execute("SELECT seq, dimension FROM collections WHERE cid = ?", (cid,)).fetchone()
        return None if row is None else (row[0], row[1])

    def next_seq(self, cid: int) -> int:
        """The sequence number of a new write to the collection (in the caller's transaction)."""
        seq = self.conn.execute("UPDATE collections SET seq = seq + 1 WHERE cid = ? RETURNING seq", (cid,)).fetchone()[0]
        self.prune_tombstones(cid, seq)
        return seq

    def prune_tombstones(self, cid: int, seq: int) -> None:
        """Drop the tombstones of writes more than TOMBSTONE_KEEP_SEQS before `seq`.

        Views in other processes catch up by reading the tombstones after their own seq,
        and no process can know how far behind the others are. So tombstones are kept for
        a fixed number of writes, the newest pruned seq is recorded as the collection's
        horizon, and `tombstones_since` refuses to answer for a seq below that horizon:
        such a view reloads instead of catching up (one read of the collection, where
        replaying a thousand writes could read as much). Every write prunes, in its own
        transaction, so the table holds at most the deletes of the last TOMBSTONE_KEEP_SEQS
        writes. A saved vector index needs no tombstones: it is checked against the records.
        """
        cutoff = seq - TOMBSTONE_KEEP_SEQS
        newest = self.conn.execute(
            "SELECT max(seq) FROM tombstones WHERE cid = ? AND seq <= ?", (cid, cutoff)
        ).fetchone()[0]
        if newest is not None:
            self.conn.execute("DELETE FROM tombstones WHERE cid = ? AND seq <= ?", (cid, newest))
            self.conn.execute(
                "UPDATE collections SET tombstone_horizon = max(tombstone_horizon, ?) WHERE cid = ?", (newest, cid)
            )

    # -- records --------------------------------------------------------------------
    def next_rid(self) -> int:
        row = self.conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'records'").fetchone()
        return 1 if row is None else row[0] + 1

    def insert_records(self, cid: int, seq: int, rows: Sequence[tuple]) -> None:
        """rows: (rid, id, document, uri, metadata_blob, embedding_blob)."""
        self.conn.executemany(
            "INSERT INTO records (rid, cid, id, document, uri, metadata, embedding, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(r[0], cid, r[1], r[2], r[3], r[4], r[5], seq) for r in rows],
        )

    def update_records(self, seq: int, rows: Sequence[tuple]) -> None:
        """rows: (rid, document, uri, metadata_blob, embedding_blob or None to keep it), already merged."""
        self.conn.executemany(
            "UPDATE records SET document = ?, uri = ?, metadata = ?, embedding = coalesce(?, embedding), seq = ? WHERE rid = ?",
            [(r[1], r[2], r[3], r[4], seq, r[0]) for r in rows],
        )

    def delete_records(self, cid: int, seq: int, rids: Sequence[int]) -> None:
        for part in chunks(list(rids)):
            marks = ",".join("?" * len(part))
            self.conn.execute(f"DELETE FROM records WHERE rid IN ({marks})", tuple(part))
        self.conn.executemany("INSERT INTO tombstones (cid, rid, seq) VALUES (?, ?, ?)", [(cid, r, seq) for r in rids])

    def record_rids(self, cid: int) -> np.ndarray:
        """The collection's rids, sorted (read from the (cid, seq) index, not the table)."""
        # one JSON array built by SQLite: ~5x faster than 100k Python row tuples
        (rids,) = self.conn.execute("SELECT json_group_array(rid) FROM records WHERE cid = ?", (cid,)).fetchone()
        return np.sort(np.array(orjson.loads(rids), dtype=np.int64))

    def record_fields(self, cid: int, rids: Sequence[int] | None) -> list[tuple]:
        """(rid, id, document, uri, metadata_blob) of these rids (None: all), in rid order."""
        return _record_columns(self.conn, cid, rids, FIELD_COLUMNS)

    def record_vectors(self, cid: int, rids: Sequence[int] | None) -> list[tuple]:
        """(rid, embedding_blob) of these rids (None: all), in rid order."""
        return _record_columns(self.conn, cid, rids, VECTOR_COLUMNS)

    def record_rids_of_ids(self, cid: int, ids: Sequence[str]) -> list[tuple]:
        """(id, rid) of those of these ids that exist in the collection."""
        out: list[tuple] = []
        for part in chunks(list(ids)):
            marks = ",".join("?" * len(part))
            out += self.conn.execute(
                f"SELECT id, rid FROM records WHERE cid = ? AND id IN ({marks})", (cid, *part)
            ).fetchall()
        return out

    @contextlib.contextmanager
    def side_snapshot(self) -> Iterator[SideReader]:
        """A read snapshot on a second connection, for background work that must not hold
        the engine's lock (the main connection is only used under it). File stores only."""
        assert self.path is not None
        with self._side_lock:
            if self._side_closed:
                raise sqlite3.ProgrammingError("the store is closed")
            if self._side is None:
                self._side = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._side.execute("BEGIN")
            try:
                yield SideReader(self._side)
            finally:
                self._side.execute("COMMIT")
    def records_since(self, cid: int, seq: int) -> list[tuple]:
        return self.conn.execute(
            f"SELECT {RECORD_COLUMNS} FROM records WHERE cid = ? AND seq > ? ORDER BY rid", (cid, seq)
        ).fetchall()

    def rids_since(self, cid: int, seq: int) -> list[int]:
        return [r[0] for r in self.conn.execute("SELECT rid FROM records WHERE cid = ? AND seq > ?", (cid, seq))]

    def tombstones_since(self, cid: int, seq: int) -> list[int]:
        """Rids deleted after `seq`; TombstonesPruned if some of them were pruned (read in one snapshot)."""
        row = self.conn.execute("SELECT tombstone_horizon FROM collections WHERE cid = ?", (cid,)).fetchone()
        if row is not None and seq < row[0]:
            raise TombstonesPruned(f"tombstones up to seq {row[0]} of collection {cid} were pruned")
        return [r[0] for r in self.conn.execute("SELECT rid FROM tombstones WHERE cid = ? AND seq > ?", (cid, seq))]

    def record_count(self, cid: int) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM records WHERE cid = ?", (cid,)).fetchone()[0]

    def reset(self) -> None:
        for table in ("records", "tombstones", "collections", "databases", "tenants"):
            self.conn.execute(f"DELETE FROM {table}")


def default_db_path(directory: str) -> str:
    return os.path.join(directory, "chroma.sqlite3")


class SideReader:
    """The reads a background warm-up needs, on the side connection (Store.side_snapshot)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def collection_seq(self, cid: int) -> int | None:
        row = self.conn.execute("SELECT seq FROM collections WHERE cid = ?", (cid,)).fetchone()
        return None if row is None else row[0]

    def record_fields(self, cid: int) -> list[tuple]:
        return _record_columns(self.conn, cid, None, FIELD_COLUMNS)

    def record_vectors(self, cid: int) -> list[tuple]:
        return _record_columns(self.conn, cid, None, VECTOR_COLUMNS)


def _record_columns(conn: sqlite3.Connection, cid: int, rids: Sequence[int] | None, columns: str) -> list[tuple]:
    if rids is not None:
        out: list[tuple] = []
        for part in chunks(sorted(rids)):
            marks = ",".join("?" * len(part))
            out += conn.execute(
                f"SELECT {columns} FROM records WHERE rid IN ({marks}) AND cid = ? ORDER BY rid", (*part, cid)
            ).fetchall()
        return out
    # A rowid range scan reads the table sequentially, already in rid order; `+cid`
    # keeps the planner from walking an index on cid and sorting afterwards.
    lo, hi = conn.execute("SELECT min(rid), max(rid) FROM records WHERE cid = ?", (cid,)).fetchone()
    if lo is None:
        return []
    return conn.execute(
        f"SELECT {columns} FROM records WHERE rid BETWEEN ? AND ? AND +cid = ? ORDER BY rid", (lo, hi, cid)
    ).fetchall()
