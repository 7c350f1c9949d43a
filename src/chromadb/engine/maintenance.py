"""Offline care of a data directory: check it, rebuild its derived files, give space back.

Used by `chroma check`, `chroma repair` and `chroma vacuum`. SQLite is the truth; the
vector index files are derived and may always be deleted and rebuilt. Only files that
are provably ours are deleted (index_folders.py); anything else in the directory is
reported (`unknown`) and left where it is. A directory that is not ours at all is
refused before anything is written (identify.py, through Engine).
"""
from __future__ import annotations

import os
from typing import Any

import numpy as np

from chromadb.engine import index_folders
from chromadb.engine.engine import Engine


def check(path: str) -> dict[str, Any]:
    """SQLite integrity plus, per collection, whether the saved index agrees with the records."""
    engine = Engine(path)
    try:
        report: dict[str, Any] = {"sqlite": engine.store.integrity_check()}
        collections = []
        for coll_id in engine.store.all_collection_ids():
            row = engine.store.get_collection_by_id(coll_id)
            if row is None:  # deleted since the list was read
                continue
            with engine.lock:
                view = engine._runtime(row).view  # loads the saved index and replays what it misses
                entry: dict[str, Any] = {"id": coll_id, "name": row["name"], "records": engine.store.record_count(row["cid"])}
                entry["view_records"] = view.live_count
                index = view.index
                if index is not None:
                    labels = index.labels()
                    labels = labels[~np.isin(labels, np.fromiter(index.deleted, dtype=np.int64))]
                    _, valid = view.slots_of_labels(labels)
                    entry["index_elements"] = len(labels)
                    entry["index_stale_elements"] = int((~valid).sum())
                    entry["index_deleted"] = len(index.deleted)
                entry["ok"] = entry["records"] == entry["view_records"] and entry.get("index_stale_elements", 0) == 0
            collections.append(entry)
        report["collections"] = collections
        folders = index_folders.survey(path, set(engine.store.all_collection_ids()))
        # harmless for correctness (`chroma vacuum` removes them), so not a reason to fail
        report["leftover_files"] = _leftover_files(path, folders)
        report["dead_folders"] = folders.dead
        report["unknown"] = _unknown(path, folders)
        report["ok"] = report["sqlite"] == "ok" and all(c["ok"] for c in collections)
        return report
    finally:
        engine.indexer.stop()
        engine.store.close()  # do not save anything: checking must not change the directory


def repair(path: str) -> list[str]:
    """Delete the index files of every collection; they are rebuilt from SQLite on next use.
    Returns the index folders emptied (see `unknown` for what was left)."""
    folders = _survey(path)
    for name in folders.live:
        index_folders.remove_our_files(os.path.join(path, name))
    return folders.live


def vacuum(path: str) -> tuple[int, int]:
    """Compact SQLite, remove our index folders of deleted collections and our leftovers.
    Returns (bytes before, bytes after)."""
    before = directory_size(path)
    engine = Engine(path)
    try:
        engine.store.compact()
        folders = index_folders.survey(path, set(engine.store.all_collection_ids()))
    finally:
        engine.close()
    for name in folders.unmarked_live:  # ours from before the marker: mark them now
        index_folders.mark(os.path.join(path, name), name)
    for name in folders.dead:
        index_folders.remove_our_files(os.path.join(path, name))
    for leftover in _leftover_files(path, folders):
        try:
            os.remove(leftover)
        except OSError:
            pass
    return before, directory_size(path)


def unknown(path: str) -> list[tuple[str, str]]:
    """(entry, why it is not ours) for what the data directory holds that quarrydb did not
    write: maintenance never removes these. Reads the catalog (a foreign directory is refused)."""
    return _unknown(path, _survey(path))


def leftover_files(path: str) -> list[str]:
    """Temporary index files of writers that died mid-save (`<name>.<pid>.tmp`, that pid gone),
    in the index folders of ours. Reads the catalog (a directory that is not ours is refused).

    A process killed while it saves an index leaves its temporary copy behind, as large
    as the index, and nothing else would ever remove it.
    """
    return _leftover_files(path, _survey(path))


def _survey(path: str) -> index_folders.Survey:
    engine = Engine(path)
    try:
        return index_folders.survey(path, set(engine.store.all_collection_ids()))
    finally:
        engine.indexer.stop()
        engine.store.close()


def _leftover_files(path: str, folders: index_folders.Survey) -> list[str]:
    found = []
    for name in sorted(folders.live + folders.dead):
        folder = os.path.join(path, name)
        if not os.path.isdir(folder):
            continue  # removed meanwhile (vacuum empties the folders of deleted collections first)
        for file in sorted(os.listdir(folder)):
            parts = file.split(".")
            if (
                index_folders.is_our_file(file)
                and parts[-1] == "tmp"
                and parts[-2].isdigit()
                and not _alive(int(parts[-2]))
            ):
                found.append(os.path.join(folder, file))
    return found


def _unknown(path: str, folders: index_folders.Survey) -> list[tuple[str, str]]:
    """What is not ours: top-level entries, and strangers inside our own index folders."""
    found = list(folders.unknown)
    for name in folders.live + folders.dead:
        for stranger in index_folders.strangers_in(os.path.join(path, name)):
            found.append((os.path.join(name, stranger), "not a file of quarrydb"))
    return sorted(found)


def _alive(pid: int) -> bool:
    if os.name != "posix":
        return True  # cannot tell: keep the file
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def directory_size(path: str) -> int:
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.path.getsize(os.path.join(root, f))
            except OSError:
                pass
    return total
