"""The connections of a PostgreSQL store: a pool, the transaction or snapshot a thread is
in, the commits it makes (change detection: changes.py), and the error a caller sees while PostgreSQL is unreachable.

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

from chromadb.engine.store.postgres.changes import ChangeFeed, note_local_commit
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


def split_freshness(url: str) -> tuple[str, str]:
    """(the URL for libpq, the freshness it asks for): `freshness=notify|strict` is our
    parameter (changes.py), not libpq's, so it is taken out of the query string."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    chosen = [value for key, value in query if key == "freshness"]
    if not chosen:
        return url, "strict"
    rest = urllib.parse.urlencode([(key, value) for key, value in query if key != "freshness"])
    return urllib.parse.urlunsplit(parts._replace(query=rest)), chosen[-1]


class Connections:
    def __init__(self, url: str, min_size: int = 1, max_size: int = 8, timeout: float = CONNECT_TIMEOUT) -> None:
        url, freshness = split_freshness(url)
        self.url = url
        self.timeout = timeout
        self._local = threading.local()
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
        try:  # after the pool: a PostgreSQL that cannot be reached is a ServiceUnavailableError
            self.changes = ChangeFeed(url, timeout, redact(url), freshness)
        except BaseException:
            self.pool.close()
            raise

    def close(self) -> None:
        self.changes.close()
        self.pool.close()

    def _current(self) -> psycopg.Connection | None:
        return getattr(self._local, "conn", None)

    @contextlib.contextmanager
    def _borrowed(self, begin: str | None, writes: bool = False) -> Iterator[psycopg.Connection]:
        """A connection for this thread's next statements (joins the thread's transaction).
        `writes`: what runs on it may change the store, which this process then notes."""
        current = self._current()
        if current is not None:
            yield current
            return
        try:
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
        finally:
            if writes:  # after the commit: a reader seeing the new version sees the change
                self.note_commit()

    def connection(self) -> contextlib.AbstractContextManager[psycopg.Connection]:
        """For one statement (or the thread's transaction in progress)."""
        return self._borrowed(None)

    def autocommit_write(self) -> contextlib.AbstractContextManager[psycopg.Connection]:
        """For one statement that changes the store (or the thread's transaction in progress)."""
        return self._borrowed(None, writes=True)

    def transaction(self) -> contextlib.AbstractContextManager[psycopg.Connection]:
        """A catalog transaction (check, then change): one at a time across every server,
        as SQLite's write lock makes them, so two servers creating one name cannot both
        find it free. Record writes do not take it (write_transaction)."""
        return self._borrowed(f"SELECT pg_advisory_xact_lock({CATALOG_LOCK})", writes=True)

    def write_transaction(self) -> contextlib.AbstractContextManager[psycopg.Connection]:
        """A record write's transaction (READ COMMITTED; the write locks its collection's row,
        so writes to different collections run side by side)."""
        return self._borrowed("", writes=True)

    def snapshot(self) -> contextlib.AbstractContextManager[psycopg.Connection]:
        """One consistent view across several reads."""
        return self._borrowed("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")

    @contextlib.contextmanager
    def side_snapshot(self) -> Iterator[psycopg.Connection]:
        """A snapshot on a connection of its own, whatever this thread is in."""
        with translate_errors(self.url), self.pool.connection() as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield conn

    def version(self) -> tuple[int, int]:
        """Changes whenever anyone commits a change to the store (changes.py: no round trip)."""
        return self.changes.version()

    def note_commit(self) -> None:
        """This process committed a change: its stores on this URL see it at once."""
        note_local_commit(self.url)


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
