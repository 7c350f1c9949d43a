"""Reading a Chroma persist directory (0.4.x to 1.5.9) without changing a byte of it.

    with ChromaDirectory(path) as chroma:
        for coll in chroma.collections():
            for batch in chroma.records(coll):
                ...  # batch.ids, .embeddings (float32, bit-exact), .documents, .uris, .metadatas

Modules: source (read-only SQLite), catalog (tenants, databases, collections), space
(which distance space Chroma really uses), log (the embeddings queue), hnsw_files (the
vectors in the HNSW files), id_map (the pickled id map, parsed, never unpickled),
records (the newest state, batch by batch).
"""
from __future__ import annotations

import os
from collections.abc import Iterator

from chromadb.engine import identify
from chromadb.errors import ChromaDirectoryError, ChromaImportError, ForeignDataError
from chromadb.transfer.chroma_dir.catalog import ChromaCollection, read_collections, read_tenants_and_databases
from chromadb.transfer.chroma_dir.log import topics_by_collection
from chromadb.transfer.chroma_dir.records import RecordBatch, read_records
from chromadb.transfer.chroma_dir.source import DB_FILE, ReadOnlySource

__all__ = ["ChromaCollection", "ChromaDirectory", "RecordBatch", "chroma_release", "is_chroma_directory"]


def chroma_release(path: str) -> str | None:
    """The Chroma release range that last wrote `path` ("1.5.0-1.5.9"), None if it is not
    a Chroma persist directory (ours, empty, missing, another program's: not for here)."""
    if not os.path.isfile(os.path.join(path, DB_FILE)):
        return None
    try:
        identify.check_database(os.path.join(path, DB_FILE))
    except ChromaDirectoryError as e:
        return e.chroma_version or "unknown"
    except ForeignDataError:
        return None  # another program's data: not a Chroma directory either
    return None


def is_chroma_directory(path: str) -> bool:
    return chroma_release(path) is not None


class ChromaDirectory:
    def __init__(self, path: str) -> None:
        if not os.path.isdir(path):
            raise ChromaImportError(f"{path} is not a directory", path)
        if not is_chroma_directory(path):
            raise ChromaImportError(f"{path} is not a Chroma persist directory (no Chroma {DB_FILE} in it)", path)
        self.path = path
        self.release = chroma_release(path)
        self.source = ReadOnlySource(path, self.release)
        self._topics = topics_by_collection(self.source)

    def tenants_and_databases(self) -> list[tuple[str, str]]:
        return read_tenants_and_databases(self.source)

    def collections(self) -> list[ChromaCollection]:
        return read_collections(self.source)

    def records(self, coll: ChromaCollection, batch_size: int = 5000) -> Iterator[RecordBatch]:
        return read_records(self.source, coll, self._topics.get(coll.id, []), batch_size)

    def close(self) -> None:
        self.source.close()

    def __enter__(self) -> ChromaDirectory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
