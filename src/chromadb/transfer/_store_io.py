"""The only place where transfer/ reaches below the Engine's public methods, into its store.

Export reads a consistent snapshot in pages of records, in insertion order; load writes
pages into a collection it created and nobody else knows yet (a temporary name), without
the in-memory view an `Engine.add` would grow to the collection's size. Both are what
the store port's `scan(collection, after, limit)` and `write(batch)` will offer (issue 15);
until then they are built here from the store's record-reading and -writing methods.
"""
from __future__ import annotations

import contextlib
import inspect
import sqlite3
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from chromadb.engine.store import Store, dumps, loads
from chromadb.errors import NotFoundError
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
            rows = self._scan(row["cid"], after, page_size)
            if not rows:
                return
            after = rows[-1][0]
            dimension = row["dimension"] or 0
            matrix = np.empty((len(rows), dimension), dtype=np.float32)
            for i, r in enumerate(rows):
                matrix[i] = np.frombuffer(r[5], dtype=np.float32)
            yield Page(
                ids=[r[1] for r in rows],
                embeddings=matrix,
                documents=[r[2] for r in rows],
                uris=[r[3] for r in rows],
                metadatas=[loads(r[4]) for r in rows],
            )

    def _scan(self, cid: int, after: int, limit: int) -> list[tuple[Any, ...]]:
        """(rid, id, document, uri, metadata_blob, embedding_blob) of the first `limit`
        records with rid > `after`: the store port's `scan`, which today's store lacks.
        A rowid range scan in rid order; `+cid` keeps SQLite off the index on cid (through
        it, each page cost a walk of the whole collection: 10 s of a 13 s export at 100k)."""
        rows: list[tuple[Any, ...]] = self._store.conn.execute(
            "SELECT rid, id, document, uri, metadata, embedding FROM records "
            "WHERE rid > ? AND +cid = ? ORDER BY rid LIMIT ?",
            (after, cid, limit),
        ).fetchall()
        return rows


@contextlib.contextmanager
def read_snapshot(engine: Engine, tenant: str, database: str) -> Iterator[Snapshot]:
    """One read transaction for a whole export: every page comes from the same moment."""
    with engine.store.read():
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
    extra = {} if schema is None else {"schema": schema}
    with store.write():
        db = store.get_database(database, tenant)
        if db is None:
            raise NotFoundError(f"Database [{database}] not found. Are you sure it exists?")
        store.insert_collection(collection_id, name, db["id"], metadata, configuration, dimension, **extra)
        row = store.get_collection_by_id(collection_id)
    assert row is not None  # inserted in the transaction above
    return int(row["cid"])


def can_store_schema() -> bool:
    """Whether the store keeps a collection's schema (the catalog gains it with issue 17)."""
    return "schema" in inspect.signature(Store.insert_collection).parameters


def append_page(engine: Engine, cid: int, page: Page, where: str) -> None:
    """Add the page's records, in order, as one write (one sequence number)."""
    store = engine.store
    vectors = np.ascontiguousarray(page.embeddings, dtype=np.float32)
    try:
        with store.write():
            seq = store.next_seq(cid)
            rid = store.next_rid()
            store.insert_records(
                cid,
                seq,
                [
                    (rid + i, page.ids[i], page.documents[i], page.uris[i], dumps(page.metadatas[i]), vectors[i].tobytes())
                    for i in range(len(page))
                ],
            )
    except sqlite3.IntegrityError:
        with store.read():
            again = [id_ for id_, _ in store.record_rids_of_ids(cid, page.ids)]
        raise ExportFileError(f"{where}: the id {again[0] if again else '?'!r} appears twice in the export") from None
