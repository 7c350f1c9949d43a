"""The only place where transfer/ reaches below the Engine's public methods, into its store.

Export reads a consistent snapshot in pages of records, in insertion order (the store
port's `scan`); load writes pages into a collection it created and nobody else knows yet
(a temporary name) with the port's `write`, without the in-memory view an `Engine.add`
would grow to the collection's size.
"""
from __future__ import annotations

import contextlib
import inspect
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from chromadb.engine.store import Record, RecordStore
from chromadb.errors import NotFoundError
from chromadb.model.records import RecordBatch
from chromadb.transfer.format import ExportFileError, Page

if TYPE_CHECKING:
    from chromadb.engine.engine import Engine

__all__ = ["Snapshot", "append_page", "can_store_schema", "insert_collection", "read_snapshot"]


class Snapshot:
    """Collections and their records as of one moment, whatever other processes write meanwhile."""

    def __init__(self, engine: Engine, db_id: str) -> None:
        self._store = engine.store
        self._db_id = db_id

    def collections(self) -> list[dict[str, Any]]:
        """The database's collections (store rows: name, id, metadata, configuration, ...), oldest first."""
        return self._store.list_collections(self._db_id, None, 0)

    def count(self, row: dict[str, Any]) -> int:
        return int(self._store.record_count(row["cid"]))

    def pages(self, row: dict[str, Any], page_size: int) -> Iterator[Page]:
        """The collection's records in insertion order, `page_size` at a time."""
        after = 0
        while True:
            rows: list[Record] = self._store.scan(row["cid"], after, page_size)
            if not rows:
                return
            after = rows[-1].rid
            dimension = row["dimension"] or 0
            matrix = np.empty((len(rows), dimension), dtype=np.float32)
            for i, r in enumerate(rows):
                matrix[i] = r.embedding
            yield Page(
                ids=[r.id for r in rows],
                embeddings=matrix,
                documents=[r.document for r in rows],
                uris=[r.uri for r in rows],
                metadatas=[r.metadata for r in rows],
            )


@contextlib.contextmanager
def read_snapshot(engine: Engine, tenant: str, database: str) -> Iterator[Snapshot]:
    """One read transaction for a whole export: every page comes from the same moment."""
    with engine.store.snapshot():
        db = engine.store.get_database(database, tenant)
        if db is None:
            engine.get_tenant(tenant)  # NotFoundError naming the tenant when it is the tenant that is missing
            raise NotFoundError(f"Database [{database}] not found. Are you sure it exists?")
        yield Snapshot(engine, db["id"])


def insert_collection(
    engine: Engine,
    tenant: str,
    database: str,
    name: str,
    collection_id: str,
    metadata: dict[str, Any] | None,
    configuration: dict[str, Any],
    dimension: int | None,
    schema: dict[str, Any] | None = None,
) -> int:
    """A collection with this metadata, configuration, schema and dimension exactly as
    exported (not re-derived from one another, as `create_collection` would); returns its cid."""
    store = engine.store
    with store.transaction():
        db = store.get_database(database, tenant)
        if db is None:
            raise NotFoundError(f"Database [{database}] not found. Are you sure it exists?")
        store.insert_collection(collection_id, name, db["id"], metadata, configuration, dimension, schema=schema)
        row = store.get_collection_by_id(collection_id)
    assert row is not None  # inserted in the transaction above
    return int(row["cid"])


def can_store_schema() -> bool:
    """Whether the store keeps a collection's schema."""
    return "schema" in inspect.signature(RecordStore.insert_collection).parameters


def append_page(engine: Engine, cid: int, page: Page, where: str) -> None:
    """Add the page's records, in order, as one write (one sequence number). An id the
    collection holds already refuses the page (an add would ignore it): nothing of it is written."""
    store = engine.store
    vectors = np.ascontiguousarray(page.embeddings, dtype=np.float32)
    batch = RecordBatch("add", list(page.ids), vectors, list(page.metadatas), list(page.documents), list(page.uris))
    with store.transaction():
        written = store.write(cid, batch).rows
        if len(written) != len(page):  # raised inside the transaction: the page is rolled back
            raise ExportFileError(f"{where}: the id {_repeated(page.ids, written)!r} appears twice in the export")


def _repeated(ids: list[str], written: list[Record]) -> str:
    """The first id the write did not store: stored before, or earlier in the same page."""
    stored, seen = {r.id for r in written}, set()
    for id_ in ids:
        if id_ not in stored or id_ in seen:
            return id_
        seen.add(id_)
    return "?"
