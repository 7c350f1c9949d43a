"""The system of record behind the engine: the port (base.py), the write rules every
implementation shares (merge.py), and the SQLite implementation (sqlite/)."""
from chromadb.engine.store.base import (
    Changes,
    ChangesPruned,
    CollectionGone,
    Deletion,
    Record,
    RecordStore,
    WriteConflict,
    WriteResult,
    iter_pages,
)

__all__ = [
    "Changes",
    "ChangesPruned",
    "CollectionGone",
    "Deletion",
    "Record",
    "RecordStore",
    "WriteConflict",
    "WriteResult",
    "iter_pages",
]
