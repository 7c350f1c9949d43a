"""Whose data is this? Answered before anything is written to a data directory.

Chroma and we both default to `./chroma` and both name the file `chroma.sqlite3`, so
a user who swaps the package in place points us at Chroma's data on the first run.
Opening a file read-write is already a write (the WAL switch rewrites its header), so
the file is first looked at without SQLite's write path:

1. the 100-byte header, read as plain bytes: not SQLite -> refused; our application
   id at offset 68 (set by `store/sqlite/migrations.py`) -> ours, nothing more to read;
2. otherwise the schema, through a read-only connection that leaves no file behind
   (`mode=ro`, or `immutable=1` for a WAL file nobody has open: see _read_schema).

The verdict: no file, an empty file or an SQLite file without tables -> ours to
create; our tables -> ours (a directory from before the application id); Chroma's
tables -> ChromaDirectoryError naming the release that last wrote it; anything else
-> ForeignDataError. Both leave every byte as it was.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import urllib.parse

from chromadb.errors import ChromaDirectoryError, ForeignDataError

# `PRAGMA application_id` of our files: "QRRY" (SQLite's header, bytes 68-71, big-endian)
APPLICATION_ID = int.from_bytes(b"QRRY", "big")

_SQLITE_MAGIC = b"SQLite format 3\x00"
_HEADER_SIZE = 100

# Chroma's schema: (sysdb, metadb, embeddings_queue) migration levels -> the releases
# that leave a file at exactly those levels (read from the migration folders of each
# release tag, 0.4.0 to 1.5.9). Chroma migrates a file on open, so this names the last
# release that opened it.
_CHROMA_RELEASES: dict[tuple[int, int, int], str] = {
    (3, 1, 1): "0.4.0-0.4.3",
    (3, 2, 1): "0.4.4-0.4.5",
    (3, 3, 1): "0.4.6-0.4.14",
    (4, 3, 1): "0.4.15-0.4.24",
    (5, 3, 1): "0.5.0",
    (6, 3, 1): "0.5.1-0.5.3",
    (7, 3, 1): "0.5.4-0.5.5",
    (9, 4, 2): "0.5.6-0.6.3",
    (9, 5, 2): "1.0.0-1.2.2",
    (10, 5, 2): "1.3.0-1.4.1",
    (10, 6, 2): "1.5.0-1.5.9",
}
_NEWEST_KNOWN = (10, 6, 2)
# Chroma 0.3 and older kept duckdb + parquet files and no SQLite at all
_CHROMA_03_FILES = ("chroma-collections.parquet", "chroma-embeddings.parquet")

_KEEP_OUT = "quarrydb left it untouched: give quarrydb a directory of its own (e.g. `chroma run --path ./quarry`)."
_IMPORT_HINT = "Then import it into a quarrydb directory with `chroma import SRC --path DEST`."


def _import_hint(directory: str) -> str:
    """The exact command that imports this directory beside itself (transfer/switch.py's place)."""
    shown = os.path.normpath(directory)
    return (
        f"Import it into a quarrydb directory with `chroma import {shown} --path {shown}-quarrydb` "
        "(Chroma's files are only read), or let the client do that on first open: "
        "`Settings(import_chroma_dir=True)` or CHROMA_IMPORT_CHROMA_DIR=1."
    )


def check_directory(path: str) -> None:
    """Refuse a data directory that is a file, or an old Chroma one without SQLite."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise ForeignDataError(f"{path} is a file, not a data directory; {_KEEP_OUT}", path)
    if os.path.isdir(path) and not os.path.lexists(os.path.join(path, "chroma.sqlite3")):
        old = [name for name in _CHROMA_03_FILES if os.path.exists(os.path.join(path, name))]
        if old:
            raise ChromaDirectoryError(
                f"{path} is a persist directory of Chroma 0.3 or older (duckdb + parquet: {', '.join(old)}). "
                f"{_KEEP_OUT} Chroma's own `chroma-migrate` tool converts it to Chroma's newer format. {_IMPORT_HINT}",
                path,
                "0.3 or older",
            )


def check_database(file: str) -> bool:
    """Raise unless `file` is ours or ours to create; True when it already holds our tables."""
    header = _read_header(file)
    if header is None:
        return False  # no file, or an empty one: ours to create
    if not header.startswith(_SQLITE_MAGIC) or len(header) < _HEADER_SIZE:
        raise ForeignDataError(
            f"{file} is not an SQLite database (it does not start with SQLite's header). {_KEEP_OUT}", file
        )
    application_id = int.from_bytes(header[68:72], "big")
    if application_id == APPLICATION_ID:
        return True
    tables, migrations, user_version = _read_schema(file, wal=header[18] == 2 or header[19] == 2)
    if _is_ours(tables):
        return True
    if "dir" in tables.get("migrations", set()) or {"embeddings_queue", "segments"} <= tables.keys():
        raise _chroma_directory(os.path.dirname(file) or ".", migrations)
    if not tables and application_id == 0 and user_version == 0:
        return False  # a blank SQLite file: nothing in it to lose
    shown = ", ".join(sorted(tables)[:8]) + (", ..." if len(tables) > 8 else "")
    owner = f" (application id {application_id:#x})" if application_id else ""
    raise ForeignDataError(
        f"{file} is an SQLite database of another program{owner}"
        + (f", with tables {shown}" if tables else "")
        + f"; it is not a quarrydb database. {_KEEP_OUT}",
        file,
    )


def _chroma_directory(directory: str, migrations: dict[str, int]) -> ChromaDirectoryError:
    version = _chroma_release(migrations)
    said = f"Chroma {version}" if version else "Chroma (its release is not recorded)"
    known = [d for d in ("sysdb", "metadb", "embeddings_queue") if d in migrations]
    levels = ", ".join(f"{d} {migrations[d]}" for d in known + sorted(set(migrations) - set(known)))
    return ChromaDirectoryError(
        f"{directory} is a persist directory of {said}"
        + (f" (migrations {levels})" if levels else "")
        + f", not a quarrydb one: quarrydb cannot open Chroma's files in place. {_KEEP_OUT} {_import_hint(directory)}",
        directory,
        version,
    )


def _read_header(file: str) -> bytes | None:
    try:
        with open(file, "rb") as f:
            header = f.read(_HEADER_SIZE)
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise ForeignDataError(f"{file} is a directory, not a database file. {_KEEP_OUT}", file) from None
    except OSError as e:
        raise ForeignDataError(
            f"{file} cannot be read ({e.strerror or e}), so quarrydb cannot tell whose data it is "
            f"(check its permissions). {_KEEP_OUT}",
            file,
        ) from None
    return header or None


def _read_schema(file: str, wal: bool) -> tuple[dict[str, set[str]], dict[str, int], int]:
    """({table: columns}, {Chroma migration dir: level}, user_version), read without writing."""
    # mode=ro takes SQLite's read lock and writes nothing, except that on a WAL file it
    # creates -wal and -shm when they are absent: then immutable=1 (no locks, no files),
    # safe because no connection has the file open. A WAL with pages in it (a live or
    # crashed writer) holds the newest pages, and reading them in place writes read marks
    # into the -shm: they are read from a private copy of the file and its WAL instead.
    wal_file = file + "-wal"
    if wal and os.path.exists(wal_file) and os.path.getsize(wal_file) > 0:
        return _schema_of_copy(file)
    modes = ["mode=ro&immutable=1"] if wal else ["mode=ro", "mode=ro&immutable=1"]
    error: sqlite3.Error | None = None
    for mode in modes:
        try:
            return _schema_through(_uri(file, mode))
        except sqlite3.Error as e:
            error = e
    raise ForeignDataError(
        f"{file} has SQLite's header but cannot be read as a database ({error}). {_KEEP_OUT}", file
    )


def _schema_of_copy(file: str) -> tuple[dict[str, set[str]], dict[str, int], int]:
    with tempfile.TemporaryDirectory(prefix="quarrydb-identify-") as scratch:
        copy = os.path.join(scratch, "db")
        try:
            shutil.copyfile(file, copy)
            shutil.copyfile(file + "-wal", copy + "-wal")
            return _schema_through(_uri(copy, "mode=ro"))
        except (OSError, sqlite3.Error) as e:
            message = f"{file} and its WAL cannot be read as a database ({e}). {_KEEP_OUT}"
            raise ForeignDataError(message, file) from None


def _uri(file: str, mode: str) -> str:
    return f"file:{urllib.parse.quote(os.path.abspath(file))}?{mode}"


def _schema_through(uri: str) -> tuple[dict[str, set[str]], dict[str, int], int]:
    conn = sqlite3.connect(uri, uri=True, timeout=5.0)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        tables = {name: {r[1] for r in conn.execute("SELECT * FROM pragma_table_info(?)", (name,))} for name in names}
        migrations: dict[str, int] = {}
        if "dir" in tables.get("migrations", set()) and "version" in tables["migrations"]:
            migrations = dict(conn.execute("SELECT dir, max(version) FROM migrations GROUP BY dir").fetchall())
        user_version = conn.execute("PRAGMA user_version").fetchone()[0]
        return tables, migrations, user_version
    finally:
        conn.close()


def _is_ours(tables: dict[str, set[str]]) -> bool:
    """Our schema from before the application id: our migrations table and records."""
    return {"name", "applied_at"} <= tables.get("migrations", set()) and {"rid", "cid", "embedding"} <= tables.get(
        "records", set()
    )


def _chroma_release(migrations: dict[str, int]) -> str | None:
    levels = (migrations.get("sysdb", 0), migrations.get("metadb", 0), migrations.get("embeddings_queue", 0))
    if levels in _CHROMA_RELEASES:
        return _CHROMA_RELEASES[levels]
    if levels > _NEWEST_KNOWN and all(a >= b for a, b in zip(levels, _NEWEST_KNOWN)):
        return "newer than 1.5.9"
    return None
