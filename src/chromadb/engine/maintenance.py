"""Offline care of a data directory: check it, rebuild its derived files, give space back.

Used by `chroma check`, `chroma repair` and `chroma vacuum`. SQLite is the truth; the
vector index files are derived and may always be deleted and rebuilt.
"""
from __future__ import annotations

import os
import shutil
from typing import Any

import numpy as np

from chromadb.engine.engine import Engine


def check(path: str) -> dict[str, Any]:
    """SQLite integrity plus, per collection, whether the saved index agrees with the records."""
    engine = Engine(path)
    try:
        report: dict[str, Any] = {"sqlite": engine.store.conn.execute("PRAGMA integrity_check").fetchone()[0]}
        collections = []
        for coll_id in engine.store.all_collection_ids():
            row = engine.store.get_collection_by_id(coll_id)
            with engine.lock:
                view = engine._view(row)  # loads the saved index and replays what it misses
                entry: dict[str, Any] = {"id": coll_id, "name": row["name"], "records": engine.store.record_count(row["cid"])}
                entry["view_records"] = view.live_count
                index = view.index
                if index is not None:
                    labels = np.array([x for x in index.hnsw.get_ids_list() if x not in index.deleted], dtype=np.int64)
                    _, valid = view.slots_of_labels(labels)
                    entry["index_elements"] = len(labels)
                    entry["index_stale_elements"] = int((~valid).sum())
                    entry["index_deleted"] = len(index.deleted)
                entry["ok"] = entry["records"] == entry["view_records"] and entry.get("index_stale_elements", 0) == 0
            collections.append(entry)
        report["collections"] = collections
        # harmless for correctness (`chroma vacuum` removes them), so not a reason to fail
        report["leftover_files"] = leftover_files(path)
        report["ok"] = report["sqlite"] == "ok" and all(c["ok"] for c in collections)
        return report
    finally:
        engine.indexer.stop()
        engine.store.close()  # do not save anything: checking must not change the directory


def repair(path: str) -> list[str]:
    """Delete every derived index file; they are rebuilt from SQLite on next use. Returns what was removed."""
    engine = Engine(path)
    try:
        ids = set(engine.store.all_collection_ids())
    finally:
        engine.indexer.stop()
        engine.store.close()
    removed = []
    for name in os.listdir(path):
        full = os.path.join(path, name)
        if os.path.isdir(full) and (name in ids or _looks_like_uuid(name)):
            shutil.rmtree(full, ignore_errors=True)
            removed.append(name)
    return removed


def vacuum(path: str) -> tuple[int, int]:
    """Compact SQLite and drop index files of deleted collections. Returns (bytes before, bytes after)."""
    before = directory_size(path)
    engine = Engine(path)
    try:
        ids = set(engine.store.all_collection_ids())
        with engine.lock:
            engine.store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            engine.store.conn.execute("VACUUM")
            engine.store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.close()
    for name in os.listdir(path):
        full = os.path.join(path, name)
        if os.path.isdir(full) and _looks_like_uuid(name) and name not in ids:
            shutil.rmtree(full, ignore_errors=True)
    for leftover in leftover_files(path):
        try:
            os.remove(leftover)
        except OSError:
            pass
    return before, directory_size(path)


def leftover_files(path: str) -> list[str]:
    """Temporary index files of writers that died mid-save (`<name>.<pid>.tmp`, that pid gone).

    A process killed while it saves an index leaves its temporary copy behind, as large
    as the index, and nothing else would ever remove it.
    """
    found = []
    for name in sorted(os.listdir(path)):
        folder = os.path.join(path, name)
        if not (_looks_like_uuid(name) and os.path.isdir(folder)):
            continue
        for file in sorted(os.listdir(folder)):
            parts = file.split(".")
            if len(parts) >= 3 and parts[-1] == "tmp" and parts[-2].isdigit() and not _alive(int(parts[-2])):
                found.append(os.path.join(folder, file))
    return found


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


def _looks_like_uuid(name: str) -> bool:
    import uuid

    try:
        uuid.UUID(name)
    except ValueError:
        return False
    return True
