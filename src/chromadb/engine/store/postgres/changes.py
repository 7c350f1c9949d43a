""""Has anyone committed since I last looked?" for a PostgreSQL store. Every change to a
`chroma_*` table notifies the channel `chroma_changes` (a statement trigger, migration
0002), which PostgreSQL delivers at commit to every session that LISTENs; each store keeps
one listening connection. Two ways to read it (the URL's `freshness` parameter,
docs/postgresql.md has the measurements):

* `strict` (the default): a read also sends `SELECT 1` on that connection. PostgreSQL
  signals the listeners before a commit returns, and a listening backend hands over what
  it was signalled before it answers, so a write acknowledged by any server is seen at
  the next call, for one round trip per call.
* `notify`: a read only asks the connection's socket whether a notification
  came (a poll: no I/O when nothing did). No round trip; another server's write is seen
  once its notification has arrived, usually before the writer's client hears back, but
  not always on a busy machine (the listening backend must first get a CPU): an opt-in
  for deployments with sticky sessions or that accept milliseconds of staleness.

Either way a store counts its own commits (and those of every store of this process on
the same URL) the moment they return, so a server reads its own writes at once. A lost
listening connection (PostgreSQL restarting, the network) may have lost notifications: it
counts as a change, and the next read reconnects and LISTENs again (ServiceUnavailableError
while PostgreSQL cannot be reached). TCP keepalives notice a silently dead network within
about 10 s.
"""
from __future__ import annotations

import os
import select
import threading
from collections import Counter

import psycopg

from chromadb.errors import ServiceUnavailableError

__all__ = ["CHANNEL", "FRESHNESS", "ChangeFeed", "note_local_commit"]

CHANNEL = "chroma_changes"
FRESHNESS = ("notify", "strict")

# How often the background thread wakes up on a silent connection (seconds).
IDLE_WAKEUP = 1.0
# TCP keepalives of the listening connection: probes after 5 s of silence, 1 s apart, 3
# lost ones drop it (libpq's connection parameters of these names).
KEEPALIVE_IDLE, KEEPALIVE_INTERVAL, KEEPALIVE_COUNT = 5, 1, 3

# Commits made by this process, per store URL: every store of the process on that URL
# sees them at once (in-process clients sharing a database, like a server's own writes).
_local_commits: Counter[str] = Counter()
_local_lock = threading.Lock()


def note_local_commit(url: str) -> None:
    with _local_lock:
        _local_commits[url] += 1


class ChangeFeed:
    def __init__(self, url: str, connect_timeout: float, describe: str, freshness: str = "strict") -> None:
        if freshness not in FRESHNESS:
            raise ValueError(f"freshness must be one of {', '.join(FRESHNESS)}, not {freshness!r}")
        self.url = url
        self.strict = freshness == "strict"
        self.connect_timeout = connect_timeout
        self.describe = describe  # the URL without its password, for messages
        self._lock = threading.Lock()
        self._conn: psycopg.Connection | None = None
        self._poll: select.poll | None = None
        self._heard = 0  # notifications received and reconnections
        self._closed = threading.Event()
        self._wake_read, self._wake_write = os.pipe()  # close() wakes the thread through it
        try:
            self._connect()
        except BaseException:
            self._close_pipe()
            raise
        self._thread = threading.Thread(target=self._drain_in_background, name="chromadb-store-changes", daemon=True)
        self._thread.start()

    def version(self) -> tuple[int, int]:
        """Changes whenever anyone committed a change to the store (see the module doc)."""
        with self._lock:
            if self._conn is None:
                self._connect()
            elif self.strict:
                self._ask()
            else:
                self._drain()
            return self._heard, _local_commits[self.url]

    def close(self) -> None:
        self._closed.set()
        os.write(self._wake_write, b"x")
        self._thread.join(timeout=5)
        with self._lock:
            self._disconnect()
        self._close_pipe()

    def _close_pipe(self) -> None:
        os.close(self._wake_read)
        os.close(self._wake_write)

    # -- the listening connection (all under self._lock) --------------------------------------
    def _connect(self) -> None:
        try:
            conn = psycopg.connect(
                self.url,
                autocommit=True,
                connect_timeout=max(1, int(self.connect_timeout)),
                keepalives=1,
                keepalives_idle=KEEPALIVE_IDLE,
                keepalives_interval=KEEPALIVE_INTERVAL,
                keepalives_count=KEEPALIVE_COUNT,
            )
            conn.execute(f"LISTEN {CHANNEL}")
            conn.add_notify_handler(self._on_notify)
        except psycopg.OperationalError as e:
            raise ServiceUnavailableError(f"the PostgreSQL store at {self.describe} is unavailable: {e}") from e
        self._conn = conn
        self._poll = select.poll()
        self._poll.register(conn.pgconn.socket, select.POLLIN)
        self._heard += 1  # whatever was committed while nobody listened

    def _ask(self) -> None:
        """One round trip: what the listening backend was signalled comes before its answer
        (counted by _on_notify). Once more on a new connection if PostgreSQL restarted."""
        assert self._conn is not None
        try:
            self._conn.execute("SELECT 1")
        except psycopg.OperationalError:
            self._disconnect()
            self._connect()

    def _on_notify(self, _notification: psycopg.Notify) -> None:
        self._heard += 1

    def _drain(self) -> None:
        """Count the notifications already in the socket; a broken connection is dropped."""
        assert self._conn is not None and self._poll is not None
        if not self._poll.poll(0):
            return
        pgconn = self._conn.pgconn
        try:
            pgconn.consume_input()
        except psycopg.OperationalError:
            self._disconnect()
            self._heard += 1
            return
        while pgconn.notifies() is not None:
            self._heard += 1
        if pgconn.status != psycopg.pq.ConnStatus.OK:
            self._disconnect()
            self._heard += 1

    def _disconnect(self) -> None:
        conn, self._conn, self._poll = self._conn, None, None
        if conn is not None:
            conn.close()

    def _drain_in_background(self) -> None:
        """Keep the socket read while no call comes, so PostgreSQL's queue of notifications
        never waits on this server (and a dropped connection is noticed early)."""
        watched: psycopg.Connection | None = None
        poll = select.poll()  # a poll object of its own: one cannot be polled by two threads
        while not self._closed.is_set():
            with self._lock:  # the calls' thread may replace the connection meanwhile
                conn = self._conn
                if conn is not None and conn is not watched:
                    poll = select.poll()
                    poll.register(conn.pgconn.socket, select.POLLIN)
                    poll.register(self._wake_read, select.POLLIN)
                    watched = conn
            if conn is None:
                self._closed.wait(IDLE_WAKEUP)
                continue
            try:
                ready = poll.poll(IDLE_WAKEUP * 1000)
            except (OSError, ValueError):
                ready = []
            if ready:
                with self._lock:
                    if self._conn is conn:
                        self._drain()
