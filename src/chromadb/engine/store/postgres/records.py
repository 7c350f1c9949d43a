"""The records' SQL for PostgreSQL: writes (with the rules of store/merge.py), catch-up,
scans and the lazy reads of a view. Each call runs in the caller's transaction/snapshot.

A write first locks its collection's row (SELECT ... FOR UPDATE): writes to one
collection, from any number of servers, run one after the other, so its seq grows by one
per write and its rids (nextval, taken under that lock) grow in commit order. A reader
following a collection by seq therefore never misses a committed write.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import psycopg

from chromadb.engine.store.base import (
    Changes,
    ChangesPruned,
    CollectionGone,
    Deletion,
    Record,
    WriteConflict,
    WriteResult,
)
from chromadb.engine.store.merge import batch_dimension, plan
from chromadb.engine.store.sqlite.blobs import dumps, loads, vector_blob, vector_from_blob
from chromadb.model.records import RecordBatch, check_dimension

__all__ = [
    "FIELD_COLUMNS",
    "RID_LOCK",
    "TOMBSTONE_KEEP_SEQS",
    "VECTOR_COLUMNS",
    "changes_since",
    "delete_all_records",
    "record_columns",
    "record_count",
    "record_rids",
    "record_rids_of_ids",
    "rids_since",
    "scan",
    "take_rids",
    "write",
]

FIELD_COLUMNS = "rid, id, document, uri, metadata"
VECTOR_COLUMNS = "rid, embedding"
RECORD_COLUMNS = "rid, id, document, uri, metadata, embedding"

# Tombstones are kept for this many writes to their collection (as the SQLite store).
TOMBSTONE_KEEP_SEQS = 1000

# Writes take rids under this advisory lock shared; a copy takes it exclusive to move the
# sequence past a contiguous block of its own (see catalog.copy_records).
RID_LOCK = 0x5155_4152_0002


def write(conn: psycopg.Connection, cid: int, change: RecordBatch | Deletion, expect_seq: int | None) -> WriteResult:
    """One add / upsert / update / delete, in the caller's write transaction."""
    state = conn.execute("SELECT seq, dimension FROM chroma_collections WHERE cid = %s FOR UPDATE", (cid,)).fetchone()
    if state is None:
        raise CollectionGone(f"collection {cid} was deleted")
    base_seq, dimension = state
    if expect_seq is not None and expect_seq != base_seq:
        raise WriteConflict(f"collection {cid} is at seq {base_seq}, not {expect_seq}")
    if isinstance(change, Deletion):
        return _delete(conn, cid, change, base_seq, dimension)
    given = batch_dimension(change)
    check_dimension(dimension, given)
    existing = _existing(conn, cid, change.ids, fields=change.kind != "add")
    planned = plan(change, existing)
    if not planned.inserts and not planned.updates:
        return WriteResult(base_seq, base_seq, dimension, [], [])
    seq = _next_seq(conn, cid)
    rids = take_rids(conn, len(planned.inserts))
    inserts = [r._replace(rid=rid) for rid, r in zip(rids, planned.inserts)]
    with conn.cursor() as cur:
        if inserts:
            _copy_in(cur, cid, seq, inserts)
        if planned.updates:
            cur.executemany(
                "UPDATE chroma_records SET document = %s, uri = %s, metadata = %s, "
                "embedding = coalesce(%s, embedding), seq = %s WHERE rid = %s",
                [(r.document, r.uri, dumps(r.metadata), vector_blob(r.embedding), seq, r.rid) for r in planned.updates],
            )
    if dimension is None and given is not None:
        dimension = given
        conn.execute("UPDATE chroma_collections SET dimension = %s WHERE cid = %s", (dimension, cid))
    return WriteResult(base_seq, seq, dimension, inserts + planned.updates, [])


def _copy_in(cur: psycopg.Cursor[Any], cid: int, seq: int, inserts: list[Record]) -> None:
    """New records by one binary COPY: one statement whatever their number, vectors sent
    as their bytes (with an INSERT per record, vectors as hex text, a write of 1,000 x 384
    took 100 ms instead of 62 at load 12)."""
    with cur.copy(
        "COPY chroma_records (rid, cid, id, document, uri, metadata, embedding, seq) FROM STDIN (FORMAT BINARY)"
    ) as copy:
        copy.set_types(["int8", "int8", "text", "text", "text", "bytea", "bytea", "int8"])
        for r in inserts:
            copy.write_row((r.rid, cid, r.id, r.document, r.uri, dumps(r.metadata), vector_blob(r.embedding), seq))


def take_rids(conn: psycopg.Connection, n: int) -> list[int]:
    """`n` new rids, increasing (not always contiguous: other writers take theirs too)."""
    if n == 0:
        return []
    conn.execute("SELECT pg_advisory_xact_lock_shared(%s)", (RID_LOCK,))
    rows = conn.execute("SELECT nextval('chroma_rids') FROM generate_series(1, %s)", (n,)).fetchall()
    return sorted(r[0] for r in rows)


def _existing(conn: psycopg.Connection, cid: int, ids: Sequence[str], fields: bool) -> dict[str, Record]:
    """The stored records among these ids (with their fields, not their vectors, if asked)."""
    columns = "rid, id, document, uri, metadata" if fields else "rid, id"
    rows = conn.execute(
        f"SELECT {columns} FROM chroma_records WHERE cid = %s AND id = ANY(%s)", (cid, list(dict.fromkeys(ids)))
    ).fetchall()
    if fields:
        return {r[1]: Record(r[0], r[1], r[2], r[3], loads(r[4]), None) for r in rows}
    return {r[1]: Record(r[0], r[1], None, None, None, None) for r in rows}


def _delete(conn: psycopg.Connection, cid: int, change: Deletion, base_seq: int, dimension: int | None) -> WriteResult:
    if change.rids is not None:
        rows = conn.execute(
            "DELETE FROM chroma_records WHERE rid = ANY(%s) AND cid = %s RETURNING rid", (list(change.rids), cid)
        ).fetchall()
    else:
        rows = conn.execute(
            "DELETE FROM chroma_records WHERE cid = %s AND id = ANY(%s) RETURNING rid", (cid, list(change.ids or []))
        ).fetchall()
    deleted = [r[0] for r in rows]
    if not deleted:
        return WriteResult(base_seq, base_seq, dimension, [], [])
    seq = _next_seq(conn, cid)
    conn.execute(
        "INSERT INTO chroma_tombstones (cid, rid, seq) SELECT %s, unnest(%s::bigint[]), %s", (cid, deleted, seq)
    )
    return WriteResult(base_seq, seq, dimension, [], deleted)


def _next_seq(conn: psycopg.Connection, cid: int) -> int:
    row = conn.execute("UPDATE chroma_collections SET seq = seq + 1 WHERE cid = %s RETURNING seq", (cid,)).fetchone()
    assert row is not None
    seq: int = row[0]
    prune_tombstones(conn, cid, seq)
    return seq


def prune_tombstones(conn: psycopg.Connection, cid: int, seq: int) -> None:
    """Drop the tombstones of writes more than TOMBSTONE_KEEP_SEQS before `seq` and record
    the newest pruned seq as the horizon (the SQLite store's policy: see its records.py)."""
    cutoff = seq - TOMBSTONE_KEEP_SEQS
    if cutoff <= 0:
        return
    row = conn.execute("SELECT max(seq) FROM chroma_tombstones WHERE cid = %s AND seq <= %s", (cid, cutoff)).fetchone()
    newest = None if row is None else row[0]
    if newest is not None:
        conn.execute("DELETE FROM chroma_tombstones WHERE cid = %s AND seq <= %s", (cid, newest))
        conn.execute(
            "UPDATE chroma_collections SET tombstone_horizon = greatest(tombstone_horizon, %s) WHERE cid = %s",
            (newest, cid),
        )


def delete_all_records(conn: psycopg.Connection, cid: int) -> None:
    conn.execute("DELETE FROM chroma_records WHERE cid = %s", (cid,))
    conn.execute("DELETE FROM chroma_tombstones WHERE cid = %s", (cid,))


# -- catching up and scanning -------------------------------------------------------------------------
def _record(row: tuple[Any, ...]) -> Record:
    return Record(row[0], row[1], row[2], row[3], loads(row[4]), vector_from_blob(row[5]))


def changes_since(conn: psycopg.Connection, cid: int, seq: int) -> Changes | None:
    """In the caller's snapshot: the records written and the rids deleted after `seq`."""
    row = conn.execute("SELECT seq, tombstone_horizon FROM chroma_collections WHERE cid = %s", (cid,)).fetchone()
    if row is None:
        return None
    current, horizon = row
    if seq < horizon:
        raise ChangesPruned(f"tombstones up to seq {horizon} of collection {cid} were pruned")
    with conn.cursor(binary=True) as cur:  # vectors as bytes (see record_columns)
        rows = cur.execute(
            f"SELECT {RECORD_COLUMNS} FROM chroma_records WHERE cid = %s AND seq > %s ORDER BY rid", (cid, seq)
        ).fetchall()
    deleted = conn.execute("SELECT rid FROM chroma_tombstones WHERE cid = %s AND seq > %s", (cid, seq)).fetchall()
    return Changes(current, [_record(r) for r in rows], [r[0] for r in deleted])


def scan(conn: psycopg.Connection, cid: int, after: int, limit: int) -> list[Record]:
    with conn.cursor(binary=True) as cur:
        rows = cur.execute(
            f"SELECT {RECORD_COLUMNS} FROM chroma_records WHERE cid = %s AND rid > %s ORDER BY rid LIMIT %s",
            (cid, after, limit),
        ).fetchall()
    return [_record(r) for r in rows]


def rids_since(conn: psycopg.Connection, cid: int, seq: int) -> list[int]:
    rows = conn.execute("SELECT rid FROM chroma_records WHERE cid = %s AND seq > %s ORDER BY rid", (cid, seq))
    return [r[0] for r in rows]


def record_count(conn: psycopg.Connection, cid: int) -> int:
    row = conn.execute("SELECT count(*) FROM chroma_records WHERE cid = %s", (cid,)).fetchone()
    assert row is not None
    return int(row[0])


# -- what a view loads lazily ---------------------------------------------------------------------------
def record_rids(conn: psycopg.Connection, cid: int) -> np.ndarray:
    with conn.cursor(binary=True) as cur:  # an int8[] in binary: no digits to print and parse
        row = cur.execute(
            "SELECT coalesce(array_agg(rid ORDER BY rid), '{}') FROM chroma_records WHERE cid = %s", (cid,)
        ).fetchone()
    assert row is not None
    return np.array(row[0], dtype=np.int64)


def record_rids_of_ids(conn: psycopg.Connection, cid: int, ids: Sequence[str]) -> list[tuple[Any, ...]]:
    return conn.execute("SELECT id, rid FROM chroma_records WHERE cid = %s AND id = ANY(%s)", (cid, list(ids))).fetchall()


def record_columns(conn: psycopg.Connection, cid: int, rids: Sequence[int] | None, columns: str) -> list[tuple[Any, ...]]:
    """`columns` of these rids (None: every record), in rid order. In PostgreSQL's binary
    format: a vector travels as its bytes, not as hex text twice its size to encode and parse."""
    with conn.cursor(binary=True) as cur:
        if rids is None:
            return cur.execute(f"SELECT {columns} FROM chroma_records WHERE cid = %s ORDER BY rid", (cid,)).fetchall()
        return cur.execute(
            f"SELECT {columns} FROM chroma_records WHERE rid = ANY(%s) AND cid = %s ORDER BY rid", (sorted(rids), cid)
        ).fetchall()
