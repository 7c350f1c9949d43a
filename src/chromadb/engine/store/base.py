"""The store port: what the engine needs from the system of record, in no database's terms.

The engine (catalog calls, views, indexer, maintenance) talks to a `RecordStore`; today's
implementation is SQLite (store/sqlite/), and a PostgreSQL one is meant to fit beside it
without touching the engine. Nothing here names a SQL dialect.

Identities and order the engine relies on:
* a collection is addressed by its row's `cid`: an integer key the store hands out;
* every record has a `rid`: an integer the store hands out, never reused, larger than
  every rid handed out before (so rid order is insertion order) and below 2**40 (the
  HNSW label keeps the vector's version in the bits above). `write()` returns the rids
  it gave, nobody predicts them;
* every write to a collection that changes something bumps the collection's sequence
  number `seq` by one; `changes_since(cid, seq)` lists what changed after a seq.

Collection rows are dicts with the keys cid, id, name, metadata, configuration,
dimension, seq, database, tenant, schema (upstream's JSON shape, or None).

The rules of a write (an add ignores ids that exist, upsert/update merge, an update of a
missing id is ignored, the dimension is fixed by the first vectors) are decided by the
store inside its own transaction, from its own data, with the shared rules of
store/merge.py.
"""
from __future__ import annotations

import contextlib
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

import numpy as np

from chromadb.model.records import RecordBatch

__all__ = [
    "Changes",
    "ChangesPruned",
    "CollectionGone",
    "Deletion",
    "Record",
    "RecordStore",
    "SideReader",
    "WriteConflict",
    "WriteResult",
    "iter_pages",
]


class Record(NamedTuple):
    """One record as the store holds it. `embedding` None: (in a write's result) the
    stored vector was kept; (read back) the record has none."""

    rid: int
    id: str
    document: str | None
    uri: str | None
    metadata: dict[str, Any] | None
    embedding: np.ndarray | None


@dataclass(frozen=True, slots=True)
class Deletion:
    """The records one delete removes: by id (missing ones are ignored), or by rid (records
    the caller selected from a view caught up to the `expect_seq` it passes to write)."""

    ids: list[str] | None = None
    rids: list[int] | None = None


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What one write did. `seq == base_seq`: nothing changed (no new sequence number)."""

    base_seq: int  # the collection's seq just before the write
    seq: int  # the seq of this write (== base_seq when nothing changed)
    dimension: int | None  # the collection's dimension after the write
    rows: list[Record]  # inserted and updated records, final values, in rid order of insertion
    deleted: list[int]  # rids removed

    @property
    def changed(self) -> bool:
        return self.seq != self.base_seq


@dataclass(frozen=True, slots=True)
class Changes:
    """Everything committed to a collection after some seq, up to `seq`."""

    seq: int
    rows: list[Record]  # records written (inserted or updated) since, in rid order
    deleted: list[int]  # rids deleted since


class ChangesPruned(Exception):
    """`changes_since` cannot list the deletes after that seq any more: reload the collection."""


class CollectionGone(Exception):
    """The collection was deleted (by anyone) before this write could run."""


class WriteConflict(Exception):
    """The collection's seq is not the `expect_seq` the write was made for."""


class SideReader(Protocol):
    """Reads for background work that must not hold the engine's lock (store.side_snapshot)."""

    def collection_seq(self, cid: int) -> int | None: ...

    def record_fields(self, cid: int, rids: Sequence[int] | None = None) -> list[tuple[Any, ...]]:
        """As RecordStore.record_fields (None: every record)."""
        ...

    def record_vectors(self, cid: int, rids: Sequence[int] | None = None) -> list[tuple[Any, ...]]:
        """As RecordStore.record_vectors (None: every record)."""
        ...


class RecordStore(Protocol):
    """The system of record. Calls are safe from several threads; a write is durable when
    the call returns. `transaction()` groups catalog calls that check, then change."""

    # -- transactions and change detection ---------------------------------------------------
    def transaction(self) -> contextlib.AbstractContextManager[Any]:
        """One write transaction around several catalog calls (re-entrant: nested calls join it)."""
        ...

    def snapshot(self) -> contextlib.AbstractContextManager[Any]:
        """A consistent view across several reads."""
        ...

    def version(self) -> Hashable:
        """Changes whenever anyone (this process or another) commits a change."""
        ...

    def close(self) -> None: ...

    # -- tenants and databases -----------------------------------------------------------------
    def insert_tenant(self, name: str) -> bool:
        """False when it exists already."""
        ...

    def get_tenant(self, name: str) -> dict[str, Any] | None: ...

    def insert_database(self, db_id: str, name: str, tenant: str) -> bool:
        """False when the tenant has a database of that name already."""
        ...

    def get_database(self, name: str, tenant: str) -> dict[str, Any] | None: ...

    def list_databases(self, tenant: str, limit: int | None, offset: int) -> list[dict[str, Any]]: ...

    def delete_database(self, db_id: str) -> list[str]:
        """Deletes the database and its collections; returns the deleted collections' ids."""
        ...

    # -- collections ---------------------------------------------------------------------------
    def insert_collection(
        self,
        coll_id: str,
        name: str,
        db_id: str,
        metadata: Any,
        configuration: Any,
        dimension: int | None = None,
        *,
        schema: Any = None,
    ) -> None: ...

    def get_collection_by_id(self, coll_id: str) -> dict[str, Any] | None: ...

    def get_collection_by_name(self, db_id: str, name: str) -> dict[str, Any] | None: ...

    def list_collections(self, db_id: str, limit: int | None, offset: int) -> list[dict[str, Any]]: ...

    def count_collections(self, db_id: str) -> int: ...

    def all_collection_ids(self) -> list[str]: ...

    def update_collection(
        self, cid: int, name: str | None, metadata: Any, configuration: Any, set_metadata: bool
    ) -> None: ...

    def set_schema(self, cid: int, schema: Any) -> None: ...

    def delete_collection(self, cid: int) -> None: ...

    def copy_records(self, source_cid: int, target_cid: int) -> int:
        """Copy every record into an empty collection, which takes the source's seq. Returns
        the rid shift: each copy's rid is its original's plus this number."""
        ...

    def collection_state(self, cid: int) -> tuple[int, int | None] | None:
        """(seq, dimension), or None if the collection was deleted."""
        ...

    def reset(self) -> None:
        """Delete every tenant, database, collection and record."""
        ...

    # -- records ---------------------------------------------------------------------------------
    def write(self, cid: int, change: RecordBatch | Deletion, *, expect_seq: int | None = None) -> WriteResult:
        """Apply one add / upsert / update / delete in one transaction. Raises CollectionGone,
        WriteConflict (when expect_seq is given and is not the seq), and InvalidArgumentError
        for records the rules refuse (store/merge.py)."""
        ...

    def changes_since(self, cid: int, seq: int) -> Changes | None:
        """What changed after `seq` (None: the collection is gone); ChangesPruned when the
        deletes after `seq` can no longer be listed."""
        ...

    def scan(self, cid: int, after: int = 0, limit: int = 1000) -> list[Record]:
        """Up to `limit` records with rid > `after`, in rid order, with their vectors: page
        on with `after = page[-1].rid` until a page comes back empty."""
        ...

    def record_rids(self, cid: int) -> np.ndarray:
        """The collection's rids, sorted (int64)."""
        ...

    def rids_since(self, cid: int, seq: int) -> list[int]:
        """Rids of the records written after `seq` (deletes not included)."""
        ...

    def record_count(self, cid: int) -> int: ...

    def totals(self) -> tuple[int, int]:
        """(collections, records) in the whole store: what a monitor shows."""
        ...

    # What a view reads while it has not loaded everything (view.RecordSource).
    def record_fields(self, cid: int, rids: Sequence[int] | None) -> list[tuple[Any, ...]]:
        """(rid, id, document, uri, metadata as JSON bytes) rows (None: every record), in rid order."""
        ...

    def record_vectors(self, cid: int, rids: Sequence[int] | None) -> list[tuple[Any, ...]]:
        """(rid, float32 vector bytes) rows (None: every record), in rid order."""
        ...

    def record_rids_of_ids(self, cid: int, ids: Sequence[str]) -> list[tuple[Any, ...]]:
        """(id, rid) of those of these ids that exist."""
        ...

    def side_snapshot(self) -> contextlib.AbstractContextManager[SideReader]:
        """A read snapshot that does not hold up the engine's other calls."""
        ...

    # -- care ------------------------------------------------------------------------------------
    def integrity_check(self) -> str:
        """'ok', or what is wrong with the stored data."""
        ...

    def compact(self) -> None:
        """Give back the space of deleted data now (offline maintenance: may take a while)."""
        ...


def iter_pages(store: RecordStore, cid: int, page: int = 1000) -> Iterator[list[Record]]:
    """Every record of a collection, in rid order, `page` at a time (scan, paged on)."""
    after = 0
    while True:
        rows = store.scan(cid, after, page)
        if not rows:
            return
        yield rows
        after = rows[-1].rid
