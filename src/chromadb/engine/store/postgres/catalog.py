"""The catalog's SQL for PostgreSQL: tenants, databases, collections (each call runs in
the caller's transaction)."""
from __future__ import annotations

from typing import Any

import psycopg

from chromadb.engine.store.postgres.records import RID_LOCK, delete_all_records
from chromadb.engine.store.sqlite.blobs import dumps, loads

_COLLECTION_FROM = (
    "SELECT c.cid, c.id, c.name, c.metadata, c.configuration, c.dimension, c.seq, d.name, d.tenant, c.schema "
    "FROM chroma_collections c JOIN chroma_databases d ON d.id = c.database_id"
)


def insert_tenant(conn: psycopg.Connection, name: str) -> bool:
    cur = conn.execute("INSERT INTO chroma_tenants (name) VALUES (%s) ON CONFLICT DO NOTHING", (name,))
    return cur.rowcount == 1


def get_tenant(conn: psycopg.Connection, name: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT name, resource_name FROM chroma_tenants WHERE name = %s", (name,)).fetchone()
    return None if row is None else {"name": row[0], "resource_name": row[1]}


def insert_database(conn: psycopg.Connection, db_id: str, name: str, tenant: str) -> bool:
    cur = conn.execute(
        "INSERT INTO chroma_databases (id, name, tenant) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING", (db_id, name, tenant)
    )
    return cur.rowcount == 1


def get_database(conn: psycopg.Connection, name: str, tenant: str) -> dict[str, Any] | None:
    row = conn.execute(
        "SELECT id, name, tenant FROM chroma_databases WHERE tenant = %s AND name = %s", (tenant, name)
    ).fetchone()
    return None if row is None else {"id": row[0], "name": row[1], "tenant": row[2]}


def list_databases(conn: psycopg.Connection, tenant: str, limit: int | None, offset: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT id, name, tenant FROM chroma_databases WHERE tenant = %s ORDER BY name LIMIT %s OFFSET %s",
        (tenant, limit, offset),
    ).fetchall()
    return [{"id": r[0], "name": r[1], "tenant": r[2]} for r in rows]


def delete_database(conn: psycopg.Connection, db_id: str) -> list[str]:
    rows = conn.execute("SELECT cid, id FROM chroma_collections WHERE database_id = %s ORDER BY cid", (db_id,)).fetchall()
    for cid, _ in rows:
        delete_collection(conn, cid)
    conn.execute("DELETE FROM chroma_databases WHERE id = %s", (db_id,))
    return [coll_id for _, coll_id in rows]


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
    conn: psycopg.Connection,
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
        "INSERT INTO chroma_collections (id, name, database_id, metadata, configuration, dimension, schema)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s)",
        (coll_id, name, db_id, dumps(metadata), dumps(configuration), dimension, dumps(schema)),
    )


def get_collection_by_name(conn: psycopg.Connection, db_id: str, name: str) -> dict[str, Any] | None:
    return _collection_row(
        conn.execute(f"{_COLLECTION_FROM} WHERE c.database_id = %s AND c.name = %s", (db_id, name)).fetchone()
    )


def get_collection_by_id(conn: psycopg.Connection, coll_id: str) -> dict[str, Any] | None:
    return _collection_row(conn.execute(f"{_COLLECTION_FROM} WHERE c.id = %s", (coll_id,)).fetchone())


def list_collections(conn: psycopg.Connection, db_id: str, limit: int | None, offset: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        f"{_COLLECTION_FROM} WHERE c.database_id = %s ORDER BY c.cid LIMIT %s OFFSET %s", (db_id, limit, offset)
    ).fetchall()
    return [r for r in map(_collection_row, rows) if r is not None]


def count_collections(conn: psycopg.Connection, db_id: str) -> int:
    row = conn.execute("SELECT count(*) FROM chroma_collections WHERE database_id = %s", (db_id,)).fetchone()
    assert row is not None
    return int(row[0])


def all_collection_ids(conn: psycopg.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT id FROM chroma_collections ORDER BY cid")]


def update_collection(
    conn: psycopg.Connection, cid: int, name: str | None, metadata: Any, configuration: Any, set_metadata: bool
) -> None:
    if name is not None:
        conn.execute("UPDATE chroma_collections SET name = %s WHERE cid = %s", (name, cid))
    if set_metadata:
        conn.execute("UPDATE chroma_collections SET metadata = %s WHERE cid = %s", (dumps(metadata), cid))
    if configuration is not None:
        conn.execute("UPDATE chroma_collections SET configuration = %s WHERE cid = %s", (dumps(configuration), cid))


def set_schema(conn: psycopg.Connection, cid: int, schema: Any) -> None:
    conn.execute("UPDATE chroma_collections SET schema = %s WHERE cid = %s", (dumps(schema), cid))


def delete_collection(conn: psycopg.Connection, cid: int) -> None:
    delete_all_records(conn, cid)
    conn.execute("DELETE FROM chroma_collections WHERE cid = %s", (cid,))


def copy_records(conn: psycopg.Connection, source_cid: int, target_cid: int) -> int:
    """Copy every record into an empty collection, which takes the source's seq (and has
    no tombstones: its horizon is that seq). Returns the rid shift.

    The copies need one contiguous block of rids: with the rid lock held exclusive no
    writer takes a rid meanwhile, so the sequence can be moved past the block.
    """
    conn.execute("SELECT seq FROM chroma_collections WHERE cid = %s FOR UPDATE", (source_cid,))
    row = conn.execute("SELECT min(rid), max(rid) FROM chroma_records WHERE cid = %s", (source_cid,)).fetchone()
    lo, hi = (None, None) if row is None else row
    shift = 0
    if lo is not None:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (RID_LOCK,))
        first = conn.execute("SELECT nextval('chroma_rids')").fetchone()
        assert first is not None
        shift = int(first[0]) - lo
        conn.execute("SELECT setval('chroma_rids', %s)", (hi + shift,))
        conn.execute(
            "INSERT INTO chroma_records (rid, cid, id, document, uri, metadata, embedding, seq) "
            "SELECT rid + %s, %s, id, document, uri, metadata, embedding, seq FROM chroma_records WHERE cid = %s",
            (shift, target_cid, source_cid),
        )
    seq_row = conn.execute("SELECT seq FROM chroma_collections WHERE cid = %s", (source_cid,)).fetchone()
    assert seq_row is not None
    conn.execute(
        "UPDATE chroma_collections SET seq = %s, tombstone_horizon = %s WHERE cid = %s", (seq_row[0], seq_row[0], target_cid)
    )
    return shift


def collection_state(conn: psycopg.Connection, cid: int) -> tuple[int, int | None] | None:
    row = conn.execute("SELECT seq, dimension FROM chroma_collections WHERE cid = %s", (cid,)).fetchone()
    return None if row is None else (row[0], row[1])


def reset(conn: psycopg.Connection) -> None:
    for table in ("chroma_records", "chroma_tombstones", "chroma_collections", "chroma_databases", "chroma_tenants"):
        conn.execute(f"DELETE FROM {table}")
