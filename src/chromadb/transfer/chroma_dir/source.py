"""Opening Chroma's `chroma.sqlite3` for reading without changing a byte of it.

* Rollback-journal mode (what Chroma writes) without a journal: `mode=ro` writes
  nothing and creates no file; one read transaction is held for the whole import, so
  every read sees one snapshot.
* WAL mode without a `-wal` file (the file was switched and closed cleanly, e.g. by an
  older quarrydb): `mode=ro` would create `-wal` and `-shm`, so `immutable=1`, which
  creates nothing and is safe because no connection has a WAL file open without its -wal.
* WAL mode with a `-wal`, or a hot `-journal` (a writer is running, or crashed): the
  newest pages live in that file and reading them in place writes (the `-shm` index, a
  rollback), so the database and that file are copied into a private scratch folder and
  the copy is read. `immutable=1` would silently miss the pages in the WAL.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import urllib.parse
from typing import Any

from chromadb.errors import ChromaImportError

DB_FILE = "chroma.sqlite3"


class ReadOnlySource:
    """One read transaction over a Chroma directory's SQLite file."""

    def __init__(self, directory: str, release: str | None = None) -> None:
        self.directory = directory
        self.release_is_0x = bool(release and release.startswith("0."))  # "0.5.6-0.6.3"
        self.file = os.path.join(directory, DB_FILE)
        self._scratch: tempfile.TemporaryDirectory[str] | None = None
        uri = self._uri()
        try:
            self.conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
            self.conn.execute("BEGIN")
            self.conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # takes the snapshot
        except sqlite3.Error as e:
            self._cleanup()
            raise ChromaImportError(f"{self.file} cannot be read as a database: {e}", directory) from None
        self.tables = {
            name: {r[1] for r in self.conn.execute("SELECT * FROM pragma_table_info(?)", (name,))}
            for (name,) in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        }
        self.copied = self._scratch is not None

    def _uri(self) -> str:
        with open(self.file, "rb") as f:
            header = f.read(100)
        wal_mode = len(header) >= 20 and (header[18] == 2 or header[19] == 2)
        wal, journal = self.file + "-wal", self.file + "-journal"
        pending = [p for p in (wal, journal) if os.path.exists(p) and os.path.getsize(p) > 0]
        if pending:
            return _uri(self._copy(pending), "")
        if wal_mode:
            return _uri(self.file, "mode=ro&immutable=1")
        return _uri(self.file, "mode=ro")

    def _copy(self, pending: list[str]) -> str:
        self._scratch = tempfile.TemporaryDirectory(prefix="quarrydb-chroma-import-")
        copy = os.path.join(self._scratch.name, DB_FILE)
        shutil.copyfile(self.file, copy)
        for path in pending:
            shutil.copyfile(path, copy + path[len(self.file) :])
        return copy

    def has(self, table: str, *columns: str) -> bool:
        return table in self.tables and set(columns) <= self.tables[table]

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def close(self) -> None:
        try:
            self.conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass
        self.conn.close()
        self._cleanup()

    def _cleanup(self) -> None:
        if self._scratch is not None:
            self._scratch.cleanup()
            self._scratch = None


def _uri(file: str, mode: str) -> str:
    return f"file:{urllib.parse.quote(os.path.abspath(file))}" + (f"?{mode}" if mode else "")


def seq_number(value: object) -> int:
    """A sequence number: INTEGER in 1.x, an 8-byte big-endian BLOB in 0.4-0.6."""
    if isinstance(value, bytes):
        return int.from_bytes(value, "big")
    if isinstance(value, int):
        return value
    raise ChromaImportError(f"unexpected sequence number {value!r}", "")
