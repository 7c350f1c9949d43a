"""Give disk space back while a database stays open.

SQLite in WAL mode never shrinks its files by itself: a checkpoint rewinds the WAL but
leaves the file at its largest size, and pages freed by deletes stay in the database
file. So once writes pause for IDLE_SECONDS, a background thread (one per file store):

* moves pages from the end of the file into freed ones and cuts the end off
  (`incremental_vacuum`, needs `auto_vacuum = INCREMENTAL`), when at least
  VACUUM_MIN_FREE_PAGES are free, in chunks that are each one short write transaction;
* copies the WAL into the database and truncates it to zero (`wal_checkpoint`, PASSIVE
  then TRUNCATE).

Nothing of this runs while writes keep coming, so it costs no write speed. It uses its
own connection with a short busy timeout: when another connection (this process or
another) holds the write lock, or a read snapshot that still needs the WAL, it gives
up at once and tries again a little later. It never fails a user's call and never
holds anyone up for longer than one chunk.
"""
from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
import urllib.parse

logger = logging.getLogger("chromadb.engine")

# Writes must have paused this long before any reclaiming starts (seconds).
IDLE_SECONDS = 0.5
# Vacuum only when this many pages are free (1 MiB of 4 KiB pages): fewer are reused soon.
VACUUM_MIN_FREE_PAGES = 256
# Pages moved per write transaction (4 MiB): another writer waits at most that long.
VACUUM_CHUNK_PAGES = 1024
# Busy: try again after IDLE_SECONDS x 2^attempt (capped), then wait for the next commit.
RETRY_MAX_DELAY = 8.0
RETRY_ATTEMPTS = 12
# How long the reclaimer's connection waits for a lock before it gives up (ms).
BUSY_TIMEOUT_MS = 50

AUTO_VACUUM_INCREMENTAL = 2  # `PRAGMA auto_vacuum` value


class Busy(Exception):
    """Another connection holds what this step needs; try again later."""


class Reclaimer:
    def __init__(self, db_path: str) -> None:
        self.db_path = db_path
        self._cond = threading.Condition()
        self._due: float | None = None  # monotonic time of the next attempt
        self._generation = 0  # commits noted so far
        self._attempts = 0
        self._stopped = False
        self._thread: threading.Thread | None = None
        self._conn: sqlite3.Connection | None = None

    def note_commit(self) -> None:
        """A transaction that changed the database committed: reclaim once writes pause."""
        with self._cond:
            if self._stopped:
                return
            self._generation += 1
            self._attempts = 0
            self._due = time.monotonic() + IDLE_SECONDS
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="chromadb-reclaim", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def stop(self) -> None:
        """Stop the thread; work still scheduled is tried once more, now (a process that
        writes and exits gives its space back too, even when others keep the file open)."""
        with self._cond:
            self._stopped = True
            pending = self._due is not None
            self._cond.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        if pending:
            try:
                self._reclaim(None)
            except Exception:  # busy or failing: the next writer's reclaimer will do it
                logger.debug("reclaiming disk space of %s at close failed", self.db_path, exc_info=True)
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until nothing is scheduled (tests); False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._stopped or self._due is None, timeout)

    # -- the thread ------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped:
                    if self._due is not None:
                        wait = self._due - time.monotonic()
                        if wait <= 0:
                            break
                        self._cond.wait(wait)
                    else:
                        self._cond.wait()
                if self._stopped:
                    return
                generation = self._generation
            busy = False
            try:
                self._reclaim(generation)
            except Busy:
                busy = True
            except Exception:  # space comes back at the next write's round, or at close
                logger.warning("reclaiming disk space of %s failed", self.db_path, exc_info=True)
            with self._cond:
                if self._generation != generation:
                    continue  # written meanwhile: note_commit has scheduled the next round
                if busy and self._attempts < RETRY_ATTEMPTS:
                    self._attempts += 1
                    delay = min(IDLE_SECONDS * 2**self._attempts, RETRY_MAX_DELAY)
                    self._due = time.monotonic() + delay
                else:
                    self._due = None
                self._cond.notify_all()

    def _written_since(self, generation: int) -> bool:
        with self._cond:
            return self._stopped or self._generation != generation

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            # mode=rw: a file removed meanwhile is not created again, empty
            uri = f"file:{urllib.parse.quote(os.path.abspath(self.db_path))}?mode=rw"
            conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False, timeout=0)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._conn = conn
        return self._conn

    def _reclaim(self, generation: int | None) -> None:
        """Vacuum then checkpoint; stops early when a write came after `generation`
        (None: at close, where nothing else writes through this store)."""
        conn = self._connection()

        def written_since() -> bool:
            return generation is not None and self._written_since(generation)

        try:
            if conn.execute("PRAGMA auto_vacuum").fetchone()[0] == AUTO_VACUUM_INCREMENTAL:
                free = conn.execute("PRAGMA freelist_count").fetchone()[0]
                while free >= VACUUM_MIN_FREE_PAGES:
                    if written_since():
                        return  # writes came back: they go first, and may reuse the pages
                    # executescript steps the pragma to the end (execute() moves a single page)
                    conn.executescript(f"PRAGMA incremental_vacuum({VACUUM_CHUNK_PAGES});")
                    free, before = conn.execute("PRAGMA freelist_count").fetchone()[0], free
                    if free >= before:
                        break  # nothing moved: leave the rest to the next round
            if written_since():
                return
            # PASSIVE copies the WAL without blocking writers; TRUNCATE, which does block
            # them, is then left with next to nothing to copy before it cuts the file
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            if written_since():
                return
            busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        except sqlite3.OperationalError as e:
            if "locked" in str(e) or "busy" in str(e):
                raise Busy from e
            raise
        if busy:
            raise Busy("a reader still needs the WAL")
