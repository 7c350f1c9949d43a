"""The catalog's SQL: tenants, databases, collections (each call runs in the caller's transaction)."""
from __future__ import annotations

import sqlite3
from typing import Any

from chromadb.engine.store.sqlite.blobs import dumps, loads
from chromadb.engine.store.sqlite.records import delete_all_records, next_rid

__all__ = [
    "all_collection_ids",
    "collection_state",
    "copy_records",
    "count_collections",
    "delete_collection",
    "delete_database",
    "get_collection_by_id",
    "get_collection_by_name",
    "get_database",
    "get_tenant",
    "insert_collection",
    "insert_database",
    "insert_tenant",
    "list_collections",
    "list_databases",
    "reset",
    "set_schema",
    "update_collection",
]

_COLLECTION_COLUMNS = (
    "c.cid, c.id, c.name, c.metadata, c.configuration, c.dimension, c.seq, d.name, d.tenant, c.schema"
)
_COLLECTION_FROM = f"SELECT {_COLLECTION_COLUMNS} FROM collections c JOIN databases d ON d.id = c.database_id"


# -- tenants and databases ----------------------------------------------------------------------
def insert_tenant(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("INSERT OR IGNORE INTO tenants (name) VALUES (?)", (name,)).rowcount == 1


def get_tenant(conn: sqlite3.Connection, name: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT name, resource_name FROM tenants WHERE name = ?", (name,)).fetchone()
    return None if row is None else {"name": row[0], "resource_name": row[1]}


def insert_database(conn: sqlite3.Connection, db_id: str, name: str, tenant: str) -> bool:
    cur = conn.execute("INSERT OR IGNORE INTO databases (id, name, tenant) VALUES (?, ?, ?)", (db_id, name, tenant))
    return cur.rowcount == 1


def get_database(conn: sqlite3.Connection, name: str, tenant: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT id, name, tenant FROM databases WHERE tenant = ? AND name = ?", (tenant, name)).fetchone()
    return None if row is None else {"id": row[0], "name": row[1], "tenant": row[2]}


def list_databases(conn: sqlite3.Connection, tenant: str, limit: int | None, offset: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT id, name, tenant FROM databases WHERE tenant = ? ORDER BY name LIMIT ? OFFSET ?",
        (tenant, -1 if limit is None else limit, offset),
    ).fetchall()
    return [{"id": r[0], "name": r[1], "tenant": r[2]} for r in rows]


def delete_database(conn: sqlite3.Connection, db_id: str) -> list[str]:
    """Deletes the database and its collections; returns the deleted collection ids."""
    rows = conn.execute("SELECT cid, id FROM collections WHERE database_id = ?", (db_id,)).fetchall()
    for cid, _ in rows:
        delete_collection(conn, cid)
    conn.execute("DELETE FROM databases WHERE id = ?", (db_id,))
    return [coll_id for _, coll_id in rows]


# -- collections ------------------------------------------------------------------------------------
def _collection_row(row: tuple[Any, ...] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "cid": row[0],
        "id": row[1],
        "name": row[2],
        "metadata": loads(row[3]),
        "configuration": loads(row[4]),
        "dimension": row[5],
        "seq": row[6],
        "database": row[7],
        "tenant": row[8],
        "schema": loads(row[9]),
    }


def insert_collection(
    conn: sqlite3.Connection,
    coll_id: str,
    name: str,
    db_id: str,
    metadata: Any,
    configuration: Any,
    dimension: int | None = None,
    *,
    schema: Any = None,
) -> None:
    conn.execute(
        "INSERT INTO collections (id, name, database_id, metadata, configuration, dimension, schema)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (coll_id, name, db_id, dumps(metadata), dumps(configuration), dimension, dumps(schema)),
    )


def get_collection_by_name(conn: sqlite3.Connection, db_id: str, name: str) -> dict[str, Any] | None:
    return _collection_row(
        conn.execute(f"{_COLLECTION_FROM} WHERE c.database_id = ? AND c.name = ?", (db_id, name)).fetchone()
    )


def get_collection_by_id(conn: sqlite3.Connection, coll_id: str) -> dict[str, Any] | None:
    return _collection_row(conn.execute(f"{_COLLECTION_FROM} WHERE c.id = ?", (coll_id,)).fetchone())


def list_collections(conn: sqlite3.Connection, db_id: str, limit: int | None, offset: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        f"{_COLLECTION_FROM} WHERE c.database_id = ? ORDER BY c.cid LIMIT ? OFFSET ?",
        (db_id, -1 if limit is None else limit, offset),
    ).fetchall()
    return [r for r in map(_collection_row, rows) if r is not None]


def count_collections(conn: sqlite3.Connection, db_id: str) -> int:
    count: int = conn.execute("SELECT COUNT(*) FROM collections WHERE database_id = ?", (db_id,)).fetchone()[0]
    return count


def collection_count(conn: sqlite3.Connection) -> int:
    count: int = conn.execute("SELECT COUNT(*) FROM collections").fetchone()[0]
    return count


def all_collection_ids(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT id FROM collections")]


def update_collection(
    conn: sqlite3.Connection, cid: int, name: str | None, metadata: Any, configuration: Any, set_metadata: bool
) -> None:
    if name is not None:
        conn.execute("UPDATE collections SET name = ? WHERE cid = ?", (name, cid))
    if set_metadata:
        conn.execute("UPDATE collections SET metadata = ? WHERE cid = ?", (dumps(metadata), cid))
    if configuration is not None:
        conn.execute("UPDATE collections SET configuration = ? WHERE cid = ?", (dumps(configuration), cid))


def set_schema(conn: sqlite3.Connection, cid: int, schema: Any) -> None:
    conn.execute("UPDATE collections SET schema = ? WHERE cid = ?", (dumps(schema), cid))


def delete_collection(conn: sqlite3.Connection, cid: int) -> None:
    delete_all_records(conn, cid)
    conn.execute("DELETE FROM collections WHERE cid = ?", (cid,))


def copy_records(conn: sqlite3.Connection, source_cid: int, target_cid: int) -> int:
    """Copy every record of one collection into another (empty) one, inside SQLite, and
    give the target the source's sequence number. Returns the rid shift: each copy's
    rid is its original's plus this one number, so rid order (insertion order) and
    rid-keyed derived data (the HNSW labels) carry over. The target has no
    tombstones: its horizon is its seq, so a view of it can only load it whole."""
    lo, hi = conn.execute("SELECT min(rid), max(rid) FROM records WHERE cid = ?", (source_cid,)).fetchone()
    shift = 0 if lo is None else next_rid(conn) - lo
    if lo is not None:
        # `+cid`: a sequential rowid range scan, as in records.record_columns
        conn.execute(
            "INSERT INTO records (rid, cid, id, document, uri, metadata, embedding, seq) "
            "SELECT rid + ?, ?, id, document, uri, metadata, embedding, seq FROM records "
            "WHERE rid BETWEEN ? AND ? AND +cid = ? ORDER BY rid",
            (shift, target_cid, lo, hi, source_cid),
        )
    seq = conn.execute("SELECT seq FROM collections WHERE cid = ?", (source_cid,)).fetchone()[0]
    conn.execute("UPDATE collections SET seq = ?, tombstone_horizon = ? WHERE cid = ?", (seq, seq, target_cid))
    return int(shift)


def collection_state(conn: sqlite3.Connection, cid: int) -> tuple[int, int | None] | None:
    """(seq, dimension) of a collection, or None if it was deleted."""
    row = conn.execute("SELECT seq, dimension FROM collections WHERE cid = ?", (cid,)).fetchone()
    return None if row is None else (row[0], row[1])


def reset(conn: sqlite3.Connection) -> None:
    for table in ("records", "tombstones", "collections", "databases", "tenants"):
        conn.execute(f"DELETE FROM {table}")
