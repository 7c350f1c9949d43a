"""The SQLite connection of a store: pragmas, transactions with busy retry, change detection,
and a second connection for background reads.

One connection (WAL mode) is shared by the threads of one engine under one re-entrant
lock. Writes take SQLite's write lock up front (BEGIN IMMEDIATE); a commit that changed
rows wakes the reclaimer (reclaim.py), which gives disk space back once writes pause.
"""
from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

from chromadb.engine import identify
from chromadb.engine.store.sqlite.reclaim import Reclaimer
from chromadb.engine.store.sqlite.wal_watch import WalWatch

__all__ = ["PAGE_CACHE_KIB", "WAL_SIZE_LIMIT", "Connection", "retry_busy"]

# A WAL larger than this is cut back to it when a checkpoint rewinds it (the reclaimer
# truncates it to zero once writes pause). Above the autocheckpoint size (8000 pages),
# so a steady stream of writes never pays for it.
WAL_SIZE_LIMIT = 64 * 1024 * 1024

# The connection's page cache (KiB; allocated as used).
PAGE_CACHE_KIB = 32 * 1024

T = TypeVar("T")


def retry_busy(fn: Callable[[], T], attempts: int = 50) -> T:
    """Run `fn`, again while another connection holds a lock it needs (up to ~2.5 s)."""
    for i in range(attempts):
        try:
            return fn()
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or i == attempts - 1:
                raise
            time.sleep(0.05)
    raise AssertionError("unreachable")


class Connection:
    def __init__(
        self,
        path: str | None,
        busy_timeout: float = 30.0,
        *,
        wal_watch: bool = True,
        lock: threading.RLock | None = None,
    ) -> None:
        self.path = path
        self.lock = threading.RLock() if lock is None else lock
        self.commits = 0  # write transactions committed through this connection
        if path is not None:
            identify.check_database(path)  # before connecting: the WAL switch below is a write
        target = ":memory:" if path is None else path
        self.conn = sqlite3.connect(target, isolation_level=None, check_same_thread=False, timeout=busy_timeout)
        self.conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        if path is not None:
            # only takes effect in a file that has no table yet (older ones: migrations.py)
            self.conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
            retry_busy(lambda: self.conn.execute("PRAGMA journal_mode = WAL"))
            # NORMAL in WAL mode: a committed transaction survives a process crash (kill -9).
            self.conn.execute("PRAGMA synchronous = NORMAL")
            # fewer, larger checkpoints: each one fsyncs the database file
            self.conn.execute("PRAGMA wal_autocheckpoint = 8000")
            self.conn.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}")
        self.conn.execute("PRAGMA foreign_keys = OFF")
        # A write reads the rows it merges into, then rewrites them: 1,000 rows of 384-d
        # vectors span more pages than the default 2 MiB cache holds, so the rewrite read
        # them from disk again (upsert/update at 60k x 384 in-process: ~+15% with 32 MiB).
        self.conn.execute(f"PRAGMA cache_size = -{PAGE_CACHE_KIB}")
        self._side: sqlite3.Connection | None = None  # see side_snapshot
        self._side_lock = threading.Lock()
        self._side_closed = False
        self._wal_watch: WalWatch | None = None
        self._reclaimer: Reclaimer | None = None
        self._want_wal_watch = wal_watch
        self._seen_header: bytes | None = None
        self._seen_data_version = 0

    def start_watching(self) -> None:
        """Start the reclaimer and the WAL watch: after the first transaction, which
        creates the -shm file the watch reads (None in memory, or when switched off)."""
        if self.path is None:
            return
        self._reclaimer = Reclaimer(self.path)
        self._wal_watch = WalWatch(self.path) if self._want_wal_watch else None

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
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE takes SQLite's write lock up front); a
        nested call joins the one in progress."""
        with self.lock:
            if self.conn.in_transaction:
                yield self.conn
                return
            retry_busy(lambda: self.conn.execute("BEGIN IMMEDIATE"))
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
            if watch is not None and before is not None and self.conn.total_changes != before[1] and watch.header() == before[0]:
                # a commit that changed rows left the header as it was: the watch cannot be trusted
                watch.close()
            if self._reclaimer is not None and self.conn.total_changes != changes_at_begin:
                self._reclaimer.note_commit()

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot across several SELECTs (joins a transaction in progress)."""
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
            version: int = self.conn.execute("PRAGMA data_version").fetchone()[0]
            return version

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

    @contextlib.contextmanager
    def side_snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read snapshot on a second connection, for background work that must not hold
        the lock of the main connection. File stores only."""
        assert self.path is not None
        with self._side_lock:
            if self._side_closed:
                raise sqlite3.ProgrammingError("the store is closed")
            if self._side is None:
                self._side = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._side.execute("BEGIN")
            try:
                yield self._side
            finally:
                self._side.execute("COMMIT")
