"""Where each collection's vector index lives on disk, and how it is read, saved and removed.

A collection's files sit in `<data dir>/<collection id>/` (index_folders.py says which of
them are ours). Saves take the folder's file lock, so processes sharing the directory
never write one folder at once; reads take no lock (see read_saved). An in-memory engine
has no root: nothing is read, saved or removed.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from typing import Any

from chromadb.engine import index_folders
from chromadb.engine.vector_index import META_FILE, VectorIndex

__all__ = ["LOCK_FILE", "IndexFiles"]

LOCK_FILE = "index.lock"


class IndexFiles:
    def __init__(self, root: str | None, *, huge_pages: bool = True) -> None:
        self.root = root
        self.huge_pages = huge_pages

    def directory(self, collection_id: str) -> str | None:
        return None if self.root is None else os.path.join(self.root, collection_id)

    def read_saved(self, row: dict[str, Any]) -> tuple[VectorIndex, dict[str, Any]] | None:
        """The collection's saved index and its meta (safe to call from any thread)."""
        directory = self.directory(row["id"])
        if directory is None or row["dimension"] is None or not os.path.isdir(directory):
            return None
        params = row["configuration"]["hnsw"]
        # No lock: a save replaces index.json atomically, then drops the older file; a
        # reader that lost that race finds its file gone and reads the new pair.
        for _ in range(3):
            loaded = VectorIndex.load(
                directory, params["space"], row["dimension"], params, huge_pages=self.huge_pages, background=True
            )
            if loaded is not None or not os.path.exists(os.path.join(directory, META_FILE)):
                return loaded
        return None

    @contextlib.contextmanager
    def writing(self, collection_id: str) -> Iterator[str]:
        """The collection's folder, created and marked as ours, under its file lock (one
        writer at a time, across processes). In memory: a temporary folder, gone after."""
        directory = self.directory(collection_id)
        if directory is None:
            with tempfile.TemporaryDirectory(prefix="chromadb-index-") as scratch:
                yield scratch
            return
        os.makedirs(directory, exist_ok=True)
        index_folders.mark(directory, collection_id)  # what maintenance may delete: ours
        from filelock import FileLock  # imported here: it costs a fresh process ~30 ms

        with FileLock(os.path.join(directory, LOCK_FILE)):
            yield directory

    def save(self, collection_id: str, index: VectorIndex, seq: int) -> None:
        """Write the index (holding the records up to `seq`) atomically; OSError if it cannot."""
        if self.root is None:
            return
        with self.writing(collection_id) as directory:
            index.save(directory, seq)

    def remove(self, collection_id: str) -> None:
        """Delete the collection's files (a file we did not write stays)."""
        directory = self.directory(collection_id)
        if directory is not None and os.path.isdir(directory):
            index_folders.remove_our_files(directory)
