"""`chroma backup --path DIR DEST`: a consistent copy of a data directory that others keep writing to.

SQLite is the truth: it is copied with SQLite's online backup API in one step, which reads
one snapshot (in WAL mode writers go on meanwhile), so the copy holds every write committed
before that moment, each whole, and nothing after it. The vector index files are a cache
of SQLite. Each collection's saved index is copied *before* the snapshot and kept only
if it provably fits the copy: it reflects a sequence number no newer than the copy's, so
opening the copy replays the rest from SQLite, as after any restart (indexer.load_index
also checks every label against the records). Any other index is left out; it is rebuilt
from the records on first use. Nothing in the source directory is written.

The copy is assembled beside DEST under a temporary name and renamed into place at the end.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import urllib.parse
from dataclasses import dataclass, field

from chromadb.engine import identify, index_folders
from chromadb.errors import InvalidArgumentError, NotFoundError
from chromadb.progress import progress_bar

__all__ = ["BackupResult", "backup"]

_DB_FILE = "chroma.sqlite3"
_META_FILE = "index.json"
# attempts to copy an index while its owner replaces it (a save renames a new set in)
_COPY_ATTEMPTS = 5


@dataclass
class BackupResult:
    dest: str
    bytes_copied: int = 0
    indexes_kept: list[str] = field(default_factory=list)  # collection ids whose index came along
    indexes_left_out: list[str] = field(default_factory=list)  # rebuilt on first use


def backup(path: str, dest: str) -> BackupResult:
    """Copy the data directory `path` to the new directory `dest`, consistently, while
    other processes may be writing to it.

    Args:
        path: a quarrydb data directory.
        dest: where the copy goes; must not exist, or be an empty folder.

    Returns:
        A BackupResult: bytes copied, and which collections' index files came along
        (the others rebuild theirs from the records on first use).

    Raises:
        NotFoundError: `path` is not a data directory.
        ForeignDataError / ChromaDirectoryError: `path` holds data that is not quarrydb's.
        InvalidArgumentError: `dest` exists and is not an empty folder.

    Example:
        >>> backup("./db", "./db-backup-2026-12-06")
    """
    database = os.path.join(path, _DB_FILE)
    identify.check_directory(path)
    if not os.path.isfile(database):
        raise NotFoundError(f"{path} is not a data directory (no {_DB_FILE} in it)")
    # refuses Chroma's and other programs' files, reading only; False: an empty file, no tables yet
    if not identify.check_database(database):
        raise NotFoundError(f"{path} holds no data yet: there is nothing to back up")
    if os.path.lexists(dest) and not (os.path.isdir(dest) and not os.listdir(dest)):
        raise InvalidArgumentError(f"{dest} exists: a backup needs a new (or empty) folder")
    dest = dest.rstrip(os.sep) or dest  # "copy/" names the folder "copy"
    staging = f"{dest}.partial-{os.getpid()}"
    os.makedirs(staging)
    result = BackupResult(dest)
    try:
        # index files first: whatever they reflect is then no newer than the snapshot below
        folders = _live_index_folders(path)
        with progress_bar(len(folders) + 1, "Backing up", unit="file") as bar:
            copied = []
            for folder in folders:
                if _copy_index(path, staging, folder):
                    copied.append(folder)
                bar.update()
            _copy_database(database, os.path.join(staging, _DB_FILE))  # one step: one consistent snapshot
            bar.update()
        states = _collection_states(os.path.join(staging, _DB_FILE))
        for collection_id in sorted(copied):
            if _fits(os.path.join(staging, collection_id), states.get(collection_id)):
                index_folders.mark(os.path.join(staging, collection_id), collection_id)
                result.indexes_kept.append(collection_id)
            else:
                shutil.rmtree(os.path.join(staging, collection_id))
                result.indexes_left_out.append(collection_id)
        result.indexes_left_out += sorted(set(states) - set(copied))
        result.bytes_copied = sum(
            os.path.getsize(os.path.join(root, f)) for root, _, files in os.walk(staging) for f in files
        )
        if os.path.isdir(dest):
            os.rmdir(dest)
        os.rename(staging, dest)
        _fsync_directory(os.path.dirname(os.path.abspath(dest)))
        return result
    finally:
        if os.path.isdir(staging):
            shutil.rmtree(staging, ignore_errors=True)


def _reader(database: str) -> sqlite3.Connection:
    """A connection that only ever reads. Not `mode=ro`: a read-only connection cannot remove
    the -wal and -shm files it makes when nobody else has the database open, where this one,
    the last to close, does, leaving the directory as it found it (the file is already ours
    and in WAL mode, so opening it writes nothing)."""
    uri = "file:" + urllib.parse.quote(os.path.abspath(database)) + "?mode=rw"
    return sqlite3.connect(uri, uri=True, isolation_level=None, timeout=30.0)


def _live_index_folders(path: str) -> list[str]:
    with _reader(os.path.join(path, _DB_FILE)) as conn:
        ids = {r[0] for r in conn.execute("SELECT id FROM collections")}
    conn.close()
    return [c for c in index_folders.survey(path, ids).live if os.path.isfile(os.path.join(path, c, _META_FILE))]


def _fits(folder: str, state: tuple[int, int | None] | None) -> bool:
    """Whether a copied index can serve the copy's collection (state: its seq and dimension)."""
    try:
        with open(os.path.join(folder, _META_FILE), "rb") as f:
            meta = json.loads(f.read())
        return state is not None and int(meta["seq"]) <= state[0] and meta["dimension"] == state[1]
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _copy_index(path: str, staging: str, collection_id: str) -> bool:
    """Copy a collection's saved index (index.json and the files it names) as one set;
    False, with nothing left in `staging`, when no stable set could be read."""
    source, target = os.path.join(path, collection_id), os.path.join(staging, collection_id)
    for _ in range(_COPY_ATTEMPTS):
        try:
            if _copy_index_files(source, target):
                return True
        except FileNotFoundError:
            pass  # a file it named was replaced by a newer save: try the new set
        except (OSError, ValueError, KeyError, TypeError):
            break  # unreadable: left out, rebuilt on first use
        shutil.rmtree(target, ignore_errors=True)
    shutil.rmtree(target, ignore_errors=True)
    return False


def _copy_index_files(source: str, target: str) -> bool:
    with open(os.path.join(source, _META_FILE), "rb") as f:
        raw = f.read()
    meta = json.loads(raw)
    names = meta.get("files") or [meta["file"]]  # "file": one graph, as written before graphs were split
    for name in names:
        if not isinstance(name, str) or os.path.basename(name) != name or not index_folders.is_our_file(name):
            raise ValueError(f"index.json names {name!r}")
    # an open file stays whole: a save writes a new file and renames it in
    with contextlib.ExitStack() as stack:
        graphs = [stack.enter_context(open(os.path.join(source, name), "rb")) for name in names]
        with open(os.path.join(source, _META_FILE), "rb") as f:
            if f.read() != raw:
                return False  # a save replaced the set meanwhile: read the new one
        os.makedirs(target, exist_ok=True)
        for name, graph in zip(names, graphs):
            with open(os.path.join(target, name), "wb") as out:
                shutil.copyfileobj(graph, out, 16 * 1024 * 1024)
                out.flush()
                os.fsync(out.fileno())
    with open(os.path.join(target, _META_FILE), "wb") as out:
        out.write(raw)
    return True


def _copy_database(database: str, target: str) -> None:
    source = _reader(database)
    copy = sqlite3.connect(target, isolation_level=None)
    try:
        source.backup(copy)  # pages=-1: every page in one step, from one read snapshot
        copy.execute("PRAGMA journal_mode = WAL")  # what a store of ours runs in
        if copy.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise OSError(f"the copy of {database} does not pass SQLite's quick_check")
    finally:
        copy.close()
        source.close()
    with open(target, "rb+") as f:
        os.fsync(f.fileno())


def _collection_states(database: str) -> dict[str, tuple[int, int | None]]:
    """collection id -> (seq, dimension) in the copy."""
    conn = sqlite3.connect(database)
    try:
        return {r[0]: (r[1], r[2]) for r in conn.execute("SELECT id, seq, dimension FROM collections")}
    finally:
        conn.close()


def _fsync_directory(directory: str) -> None:
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
