"""IndexFiles (engine/index_files.py): one collection's index folder, read, saved under its
file lock and removed, with no Engine; and the indexer built from its parts alone."""
from __future__ import annotations

import os
import threading

import numpy as np

from chromadb.engine import index_folders
from chromadb.engine.catalog import HNSW_DEFAULTS
from chromadb.engine.index_files import LOCK_FILE, IndexFiles
from chromadb.engine.indexer import Indexer
from chromadb.engine.options import EngineOptions
from chromadb.engine.store.sqlite import SqliteStore
from chromadb.engine.vector_index import VectorIndex

DIM = 8


def _index(n: int = 50) -> tuple[VectorIndex, np.ndarray]:
    x = np.random.default_rng(4).standard_normal((n, DIM)).astype(np.float32)
    index = VectorIndex("l2", DIM, dict(HNSW_DEFAULTS), capacity=n, huge_pages=False)
    index.add(x, np.arange(1, n + 1, dtype=np.int64))
    return index, x


def _row(coll_id: str, dimension: int | None = DIM) -> dict:
    return {"id": coll_id, "dimension": dimension, "configuration": {"hnsw": dict(HNSW_DEFAULTS)}}


def test_a_saved_index_is_read_back_with_its_seq(tmp_path):
    files = IndexFiles(str(tmp_path), huge_pages=False)
    assert files.read_saved(_row("c1")) is None  # nothing saved yet
    index, x = _index()
    files.save("c1", index, seq=7)
    folder = files.directory("c1")
    assert folder == os.path.join(str(tmp_path), "c1")
    assert index_folders.marked_for(folder) == "c1" and os.path.exists(os.path.join(folder, LOCK_FILE))
    loaded, meta = files.read_saved(_row("c1"))
    assert meta["seq"] == 7 and loaded.element_count == len(x)
    assert files.read_saved(_row("c1", dimension=None)) is None  # no vectors: no index to read


def test_remove_deletes_only_our_files(tmp_path):
    files = IndexFiles(str(tmp_path), huge_pages=False)
    files.save("c1", _index()[0], seq=1)
    stranger = os.path.join(files.directory("c1"), "notes.txt")
    with open(stranger, "w") as f:
        f.write("not ours")
    files.remove("c1")
    # the index is gone; the stranger stays, and so does our marker that keeps the folder ours
    assert sorted(os.listdir(files.directory("c1"))) == ["notes.txt", index_folders.MARKER_FILE]
    files.remove("never-saved")  # nothing there: nothing to do


def test_in_memory_there_is_nothing_on_disk(tmp_path):
    files = IndexFiles(None)
    assert files.directory("c1") is None and files.read_saved(_row("c1")) is None
    files.save("c1", _index()[0], seq=1)
    with files.writing("c1") as scratch:  # a temporary folder, gone afterwards
        assert os.path.isdir(scratch)
    assert not os.path.exists(scratch)


def test_an_indexer_needs_no_engine(tmp_path):
    store = SqliteStore(None)
    try:
        indexer = Indexer({}, threading.RLock(), store, EngineOptions(), IndexFiles(str(tmp_path)))
        indexer.save_all(force=True)  # no views: nothing to save
        assert indexer.wait_idle(1) and os.listdir(tmp_path) == []
        indexer.stop()
    finally:
        store.close()
