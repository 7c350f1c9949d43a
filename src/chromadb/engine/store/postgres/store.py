"""PostgresStore: the RecordStore port (store/base.py) over a PostgreSQL database, shared by
any number of servers. Each call borrows a pooled connection (connection.py) and hands it
to the module holding the SQL (catalog.py, records.py)."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import psycopg

from chromadb.engine.store.base import Changes, Deletion, Record, WriteResult
from chromadb.engine.store.postgres import catalog, records
from chromadb.engine.store.postgres.connection import CONNECT_TIMEOUT, Connections, redact
from chromadb.engine.store.postgres.migrations import migrate
from chromadb.model.records import RecordBatch

__all__ = ["PostgresStore", "SideReader"]


class PostgresStore:
    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 8, timeout: float = CONNECT_TIMEOUT) -> None:
        self.url = url
        self.db = Connections(url, min_size, max_size, timeout)
        try:
            with self.db.connection() as conn:
                migrate(conn, redact(url))
        except BaseException:
            self.db.close()
            raise

    # -- transactions and change detection ---------------------------------------------------
    def transaction(self) -> contextlib.AbstractContextManager[psycopg.Connection]:
        return self.db.transaction()

    def snapshot(self) -> contextlib.AbstractContextManager[psycopg.Connection]:
        return self.db.snapshot()

    def version(self) -> tuple[int, int]:
        return self.db.version()

    def close(self) -> None:
        self.db.close()

    # -- tenants and databases -----------------------------------------------------------------
    def insert_tenant(self, name: str) -> bool:
        with self.db.autocommit_write() as conn:
            return catalog.insert_tenant(conn, name)

    def get_tenant(self, name: str) -> dict[str, Any] | None:
        with self.db.connection() as conn:
            return catalog.get_tenant(conn, name)

    def insert_database(self, db_id: str, name: str, tenant: str) -> bool:
        with self.db.autocommit_write() as conn:
            return catalog.insert_database(conn, db_id, name, tenant)

    def get_database(self, name: str, tenant: str) -> dict[str, Any] | None:
        with self.db.connection() as conn:
            return catalog.get_database(conn, name, tenant)

    def list_databases(self, tenant: str, limit: int | None, offset: int) -> list[dict[str, Any]]:
        with self.db.connection() as conn:
            return catalog.list_databases(conn, tenant, limit, offset)

    def delete_database(self, db_id: str) -> list[str]:
        with self.db.transaction() as conn:
            return catalog.delete_database(conn, db_id)

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
    ) -> None:
        with self.db.autocommit_write() as conn:
            catalog.insert_collection(conn, coll_id, name, db_id, metadata, configuration, dimension, schema=schema)

    def get_collection_by_id(self, coll_id: str) -> dict[str, Any] | None:
        with self.db.connection() as conn:
            return catalog.get_collection_by_id(conn, coll_id)

    def get_collection_by_name(self, db_id: str, name: str) -> dict[str, Any] | None:
        with self.db.connection() as conn:
            return catalog.get_collection_by_name(conn, db_id, name)

    def list_collections(self, db_id: str, limit: int | None, offset: int) -> list[dict[str, Any]]:
        with self.db.connection() as conn:
            return catalog.list_collections(conn, db_id, limit, offset)

    def count_collections(self, db_id: str) -> int:
        with self.db.connection() as conn:
            return catalog.count_collections(conn, db_id)

    def all_collection_ids(self) -> list[str]:
        with self.db.connection() as conn:
            return catalog.all_collection_ids(conn)

    def update_collection(self, cid: int, name: str | None, metadata: Any, configuration: Any, set_metadata: bool) -> None:
        with self.db.transaction() as conn:
            catalog.update_collection(conn, cid, name, metadata, configuration, set_metadata)

    def set_schema(self, cid: int, schema: Any) -> None:
        with self.db.autocommit_write() as conn:
            catalog.set_schema(conn, cid, schema)

    def delete_collection(self, cid: int) -> None:
        with self.db.transaction() as conn:
            catalog.delete_collection(conn, cid)

    def copy_records(self, source_cid: int, target_cid: int) -> int:
        with self.db.transaction() as conn:
            return catalog.copy_records(conn, source_cid, target_cid)

    def collection_state(self, cid: int) -> tuple[int, int | None] | None:
        with self.db.connection() as conn:
            return catalog.collection_state(conn, cid)

    def reset(self) -> None:
        with self.db.transaction() as conn:
            catalog.reset(conn)

    # -- records ---------------------------------------------------------------------------------
    def write(self, cid: int, change: RecordBatch | Deletion, *, expect_seq: int | None = None) -> WriteResult:
        with self.db.write_transaction() as conn:
            return records.write(conn, cid, change, expect_seq)

    def changes_since(self, cid: int, seq: int) -> Changes | None:
        with self.db.snapshot() as conn:
            return records.changes_since(conn, cid, seq)

    def scan(self, cid: int, after: int = 0, limit: int = 1000) -> list[Record]:
        with self.db.connection() as conn:
            return records.scan(conn, cid, after, limit)

    def record_rids(self, cid: int) -> np.ndarray:
        with self.db.connection() as conn:
            return records.record_rids(conn, cid)

    def rids_since(self, cid: int, seq: int) -> list[int]:
        with self.db.connection() as conn:
            return records.rids_since(conn, cid, seq)

    def record_count(self, cid: int) -> int:
        with self.db.connection() as conn:
            return records.record_count(conn, cid)

    def totals(self) -> tuple[int, int]:
        """(collections, records) in the whole store. Exact counts: a monitor scraping every
        few seconds of a store of millions of records may want pg_class.reltuples instead."""
        with self.db.snapshot() as conn:
            row = conn.execute(
                "SELECT (SELECT count(*) FROM chroma_collections), (SELECT count(*) FROM chroma_records)"
            ).fetchone()
        assert row is not None
        return int(row[0]), int(row[1])

    def record_fields(self, cid: int, rids: Sequence[int] | None) -> list[tuple[Any, ...]]:
        with self.db.connection() as conn:
            return records.record_columns(conn, cid, rids, records.FIELD_COLUMNS)

    def record_vectors(self, cid: int, rids: Sequence[int] | None) -> list[tuple[Any, ...]]:
        with self.db.connection() as conn:
            return records.record_columns(conn, cid, rids, records.VECTOR_COLUMNS)

    def record_rids_of_ids(self, cid: int, ids: Sequence[str]) -> list[tuple[Any, ...]]:
        with self.db.connection() as conn:
            return records.record_rids_of_ids(conn, cid, ids)

    @contextlib.contextmanager
    def side_snapshot(self) -> Iterator[SideReader]:
        with self.db.side_snapshot() as conn:
            yield SideReader(conn)

    # -- care ------------------------------------------------------------------------------------
    def integrity_check(self) -> str:
        """'ok', or the records and tombstones whose collection is gone."""
        with self.db.connection() as conn:
            row = conn.execute(
                "SELECT (SELECT count(*) FROM chroma_records r WHERE NOT EXISTS "
                "(SELECT 1 FROM chroma_collections c WHERE c.cid = r.cid)), "
                "(SELECT count(*) FROM chroma_tombstones t WHERE NOT EXISTS "
                "(SELECT 1 FROM chroma_collections c WHERE c.cid = t.cid))"
            ).fetchone()
        assert row is not None
        orphans, orphan_tombstones = row
        if orphans or orphan_tombstones:
            return f"{orphans} records and {orphan_tombstones} tombstones belong to no collection"
        return "ok"

    def compact(self) -> None:
        """VACUUM the tables that deletes leave space in (PostgreSQL reuses it anyway)."""
        with self.db.connection() as conn:
            conn.execute("VACUUM (ANALYZE) chroma_records, chroma_tombstones, chroma_collections")


class SideReader:
    """The reads a background warm-up needs, on a connection of its own."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn

    def collection_seq(self, cid: int) -> int | None:
        state = catalog.collection_state(self.conn, cid)
        return None if state is None else state[0]

    def record_fields(self, cid: int, rids: Sequence[int] | None = None) -> list[tuple[Any, ...]]:
        return records.record_columns(self.conn, cid, rids, records.FIELD_COLUMNS)

    def record_vectors(self, cid: int, rids: Sequence[int] | None = None) -> list[tuple[Any, ...]]:
        return records.record_columns(self.conn, cid, rids, records.VECTOR_COLUMNS)
