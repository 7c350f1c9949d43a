"""Which folders and files of a data directory are ours, so maintenance deletes nothing else.

A collection's vector index lives in `<data dir>/<collection id>/`: `index.json`,
`hnsw.<seq>.<graph>.bin` (`hnsw.<seq>.bin` before graphs were split), `index.lock`,
temporary `<one of those>.<pid>.tmp` while a save runs, and the marker file below,
written when the folder is created. Chroma's HNSW folders are UUID-named too (and may
hold the only copy of a user's vectors), so a UUID name proves nothing: a folder is ours when it holds our marker for that very collection id.
Folders of ours from before the marker are recognised by their collection id, known to
our catalog, plus contents that are only our files with our `index.json`; they are
marked the next time their index is saved, or by `chroma vacuum`.

Inside a folder of ours only our own file names are ever removed; anything else is
reported and left, and so is the folder then.
"""
from __future__ import annotations

import json
import os
import re
import uuid
from dataclasses import dataclass, field

MARKER_FILE = "quarrydb-index.json"
_MARKER_OWNER = "quarrydb"
# what we write into an index folder (see vector_index.py and indexer.py)
_OUR_FILE = re.compile(r"^(index\.json|index\.lock|hnsw\.\d+(\.\d+)?\.bin|quarrydb-index\.json)(\.\d+\.tmp)?$")
# the database and its SQLite companions, at the top of the data directory
DATABASE_FILES = ("chroma.sqlite3", "chroma.sqlite3-wal", "chroma.sqlite3-shm", "chroma.sqlite3-journal")


def mark(directory: str, collection_id: str) -> None:
    """Write our marker into an index folder (atomically; nothing to do when it is there).
    A marker naming another collection (a folder copied from it) is replaced."""
    if marked_for(directory) == collection_id:
        return
    target = os.path.join(directory, MARKER_FILE)
    tmp = f"{target}.{os.getpid()}.tmp"
    with open(tmp, "w") as f:
        json.dump({"owner": _MARKER_OWNER, "collection": collection_id}, f)
    os.replace(tmp, target)


def is_our_file(name: str) -> bool:
    return _OUR_FILE.match(name) is not None


def marked_for(directory: str) -> str | None:
    """The collection id our marker in this folder names, or None (no marker, or not ours)."""
    try:
        with open(os.path.join(directory, MARKER_FILE)) as f:
            marker = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(marker, dict) or marker.get("owner") != _MARKER_OWNER:
        return None
    collection = marker.get("collection")
    return collection if isinstance(collection, str) else None


@dataclass
class Survey:
    """A data directory sorted by ownership (names relative to it)."""

    live: list[str] = field(default_factory=list)  # index folders of collections in the catalog
    unmarked_live: list[str] = field(default_factory=list)  # of those, without their marker yet
    dead: list[str] = field(default_factory=list)  # marked as ours, their collection deleted
    unknown: list[tuple[str, str]] = field(default_factory=list)  # (name, why it is not ours): left alone


def survey(path: str, catalog_ids: set[str]) -> Survey:
    result = Survey()
    for name in sorted(os.listdir(path)):
        if name in DATABASE_FILES:
            continue
        full = os.path.join(path, name)
        if os.path.islink(full) or not os.path.isdir(full):
            result.unknown.append((name, "not a file of quarrydb"))
            continue
        if not _is_uuid(name):
            result.unknown.append((name, "not an index folder of quarrydb"))
            continue
        owner = marked_for(full)
        if owner == name:
            (result.live if name in catalog_ids else result.dead).append(name)
        elif name in catalog_ids and _legacy_index_folder(full):
            # ours from before the marker, or copied from another collection's folder
            result.live.append(name)
            result.unmarked_live.append(name)
        elif owner is not None:
            result.unknown.append((name, f"its quarrydb marker names another collection ({owner})"))
        elif os.path.exists(os.path.join(full, "header.bin")) or os.path.exists(
            os.path.join(full, "index_metadata.pickle")
        ):
            result.unknown.append((name, "holds Chroma's HNSW files"))
        else:
            result.unknown.append((name, "no quarrydb marker in it"))
    return result


def strangers_in(directory: str) -> list[str]:
    """Entries of one of our index folders that are not our files (reported, never removed)."""
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    return sorted(n for n in names if not (is_our_file(n) and _plain_file(os.path.join(directory, n))))


def remove_our_files(directory: str) -> list[str]:
    """Delete our files in an index folder of ours, then the folder if nothing else is in it.

    Returns what was left because it is not ours. The marker stays while anything is
    left (the folder is still ours, with someone's file in it) and otherwise goes last,
    so a run cut short leaves a folder that is still recognisably ours.
    """
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return []
    # index.json first: a run cut short leaves an index that is absent, not one that points nowhere
    ours = [n for n in names if is_our_file(n) and n != MARKER_FILE]
    ours.sort(key=lambda n: not n.startswith("index.json"))
    for name in ours:
        _remove_file(os.path.join(directory, name))
    left = strangers_in(directory)
    if not left:
        _remove_file(os.path.join(directory, MARKER_FILE))
        try:
            os.rmdir(directory)
        except OSError:
            pass  # something appeared meanwhile: it stays
    return left


def _plain_file(path: str) -> bool:
    return os.path.isfile(path) and not os.path.islink(path)  # a link is never ours to follow


def _remove_file(path: str) -> None:
    if _plain_file(path):
        try:
            os.remove(path)
        except FileNotFoundError:
            pass


def _legacy_index_folder(directory: str) -> bool:
    """Ours from before the marker: only our file names, and our index.json in it."""
    names = os.listdir(directory)
    if not names or strangers_in(directory):
        return False
    try:
        with open(os.path.join(directory, "index.json")) as f:
            meta = json.load(f)
    except (OSError, ValueError):
        return False
    return (
        isinstance(meta, dict)
        and {"seq", "space", "dimension"} <= meta.keys()
        and bool({"files", "file"} & meta.keys())  # "file": one graph, before graphs were split
    )


def _is_uuid(name: str) -> bool:
    try:
        uuid.UUID(name)
    except ValueError:
        return False
    return True
