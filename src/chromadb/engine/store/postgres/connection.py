"""The connections of a PostgreSQL store: a pool, the transaction or snapshot a thread is
in, change detection, and the error a caller sees while PostgreSQL is unreachable.

Each call borrows a pooled connection (autocommit) for one statement, unless its thread
is inside `transaction()` / `snapshot()`, whose connection it then joins: nested calls
see what the outer ones wrote, as with the SQLite store's single connection.
"""
from __future__ import annotations

import contextlib
import threading
import urllib.parse
from collections.abc import Iterator

import psycopg
from psycopg_pool import ConnectionPool

from chromadb.errors import InvalidArgumentError, ServiceUnavailableError

__all__ = ["Connections", "redact"]

# pg_advisory_xact_lock key of catalog transactions (see Connections.transaction)
CATALOG_LOCK = 0x5155_4152_0003

# How long a call waits for a pooled connection before it fails with a 503 (seconds).
CONNECT_TIMEOUT = 5.0
# How long the pool keeps retrying a lost connection in the background (its backoff
# doubles each time): short, so that once PostgreSQL is back the next call connects at
# once instead of waiting for a retry scheduled many seconds out.
RECONNECT_SECONDS = 2.0


def redact(url: str) -> str:
    """The URL without its password (for messages and logs)."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


class Connections:
    def __init__(self, url: str, min_size: int = 1, max_size: int = 8, timeout: float = CONNECT_TIMEOUT) -> None:
        self.url = url
        self.timeout = timeout
        self._local = threading.local()
        self._version_lock = threading.Lock()
        self._version_conn: psycopg.Connection | None = None
        # check_connection: a connection broken by a PostgreSQL restart is replaced when it
        # is borrowed, so calls recover by themselves once PostgreSQL is back
        self.pool = ConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            kwargs={"autocommit": True},
            check=ConnectionPool.check_connection,
            timeout=timeout,
            reconnect_timeout=RECONNECT_SECONDS,
            open=False,
            name="chromadb-store",
        )
        with translate_errors(url):
            self.pool.open(wait=True, timeout=timeout)

    def close(self) -> None:
        with self._version_lock:
            self._close_version_conn()
        self.pool.close()

    def _current(self) -> psycopg.Connection | None:
        return getattr(self._local, "conn", None)

    @contextlib.contextmanager
    def _borrowed(self, begin: str | None) -> Iterator[psycopg.Connection]:
        """A connection for this thread's next statements (joins the thread's transaction)."""
        current = self._current()
        if current is not None:
            yield current
            return
        with translate_errors(self.url), self.pool.connection() as conn:
            if begin is None:
                yield conn
                return
            self._local.conn = conn
            try:
                with conn.transaction():  # BEGIN; COMMIT, or ROLLBACK on an exception
                    if begin:
                        conn.execute(begin)
                    yield conn
            finally:
                self._local.conn = None

    def connection(self) -> contextlib.AbstractContextManager[psycopg.Connection]:
        """For one statement (or the thread's transaction in progress)."""
        return self._borrowed(None)

    def transaction(self) -> contextlib.AbstractContextManager[psycopg.Connection]:
        """A catalog transaction (check, then change): one at a time across every server,
        as SQLite's write lock makes them, so two servers creating one name cannot both
        find it free. Record writes do not take it (write_transaction)."""
        return self._borrowed(f"SELECT pg_advisory_xact_lock({CATALOG_LOCK})")

    def write_transaction(self) -> contextlib.AbstractContextManager[psycopg.Connection]:
        """A record write's transaction (READ COMMITTED; the write locks its collection's row,
        so writes to different collections run side by side)."""
        return self._borrowed("")

    def snapshot(self) -> contextlib.AbstractContextManager[psycopg.Connection]:
        """One consistent view across several reads."""
        return self._borrowed("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")

    @contextlib.contextmanager
    def side_snapshot(self) -> Iterator[psycopg.Connection]:
        """A snapshot on a connection of its own, whatever this thread is in."""
        with translate_errors(self.url), self.pool.connection() as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield conn

    def version(self) -> str:
        """Changes whenever anyone commits a transaction that wrote (cluster-wide).

        The snapshot (xmin:xmax:in-progress xids) moves when a transaction gets an id
        (its first write) and when one ends, so no commit goes unseen between two calls;
        writes to other databases of the cluster only cost a needless refresh. One round
        trip that touches no table, on a connection of its own: every read asks, so it
        skips the pool's checkout and its liveness check (another round trip).
        """
        with self._version_lock:
            for attempt in (1, 2):  # once more on a new connection if PostgreSQL restarted
                try:
                    if self._version_conn is None or self._version_conn.closed:
                        self._version_conn = psycopg.connect(
                            self.url, autocommit=True, connect_timeout=max(1, int(self.timeout))
                        )
                    row = self._version_conn.execute("SELECT pg_current_snapshot()::text").fetchone()
                    assert row is not None
                    return str(row[0])
                except psycopg.OperationalError as e:
                    self._close_version_conn()
                    if attempt == 2:
                        raise ServiceUnavailableError(
                            f"the PostgreSQL store at {redact(self.url)} is unavailable: {e}"
                        ) from e
            raise AssertionError("unreachable")

    def _close_version_conn(self) -> None:
        conn, self._version_conn = self._version_conn, None
        if conn is not None:
            conn.close()


@contextlib.contextmanager
def translate_errors(url: str) -> Iterator[None]:
    """PostgreSQL unreachable (down, restarting, pool exhausted): ServiceUnavailableError;
    a value PostgreSQL cannot store (a NUL character in text): InvalidArgumentError."""
    try:
        yield
    except psycopg.OperationalError as e:
        raise ServiceUnavailableError(f"the PostgreSQL store at {redact(url)} is unavailable: {e}") from e
    except psycopg.DataError as e:
        raise InvalidArgumentError(f"PostgreSQL cannot store this value: {e}") from e
