"""The schema of a PostgreSQL store, as named migrations recorded in `chroma_migrations`.

The tables live in the connection's current schema (search_path). A migration runs once
per database, in this order, and is never edited once released. The first start on an
empty schema creates everything; a schema that holds tables of some other application
(no `chroma_migrations` table) is refused before anything is written.

Tables (as in the SQLite store, store/sqlite/migrations.py):
  chroma_tenants, chroma_databases, chroma_collections   the catalog
  chroma_records     one row per live record; `rid` from the sequence chroma_rids
  chroma_tombstones  (cid, rid, seq) of deleted records, pruned like SQLite's
A statement trigger on each table notifies the channel `chroma_changes` (changes.py).
Values are encoded as in SQLite: JSON (orjson) in bytea, vectors as float32 bytes.
"""
from __future__ import annotations

import time

import psycopg

from chromadb.engine.store.postgres.changes import CHANNEL
from chromadb.errors import ForeignDataError

__all__ = ["MIGRATIONS", "migrate"]

# pg_advisory_xact_lock key: servers starting together migrate one after the other
MIGRATE_LOCK = 0x5155_4152_0001

MIGRATIONS: list[tuple[str, str | list[str]]] = [
    (
        "0001_initial",
        """
        CREATE TABLE chroma_tenants (name text PRIMARY KEY, resource_name text);
        CREATE TABLE chroma_databases (
            id text PRIMARY KEY,
            name text NOT NULL,
            tenant text NOT NULL REFERENCES chroma_tenants(name),
            UNIQUE (tenant, name)
        );
        CREATE TABLE chroma_collections (
            cid bigserial PRIMARY KEY,
            id text NOT NULL UNIQUE,
            name text NOT NULL,
            database_id text NOT NULL REFERENCES chroma_databases(id),
            metadata bytea,
            configuration bytea NOT NULL,
            dimension integer,
            seq bigint NOT NULL DEFAULT 0,
            tombstone_horizon bigint NOT NULL DEFAULT 0,
            schema bytea,
            UNIQUE (database_id, name)
        );
        -- CACHE 1 (the default): every session's nextval is above every earlier one, so a
        -- collection's rids grow in the order its writes commit (they hold its row lock)
        CREATE SEQUENCE chroma_rids AS bigint MINVALUE 1 MAXVALUE 1099511627775 CACHE 1;
        CREATE TABLE chroma_records (
            rid bigint PRIMARY KEY,
            cid bigint NOT NULL,
            id text NOT NULL,
            document text,
            uri text,
            metadata bytea,
            embedding bytea,
            seq bigint NOT NULL,
            UNIQUE (cid, id)
        );
        CREATE INDEX chroma_records_by_seq ON chroma_records (cid, seq);
        CREATE INDEX chroma_records_by_rid ON chroma_records (cid, rid);
        CREATE TABLE chroma_tombstones (cid bigint NOT NULL, rid bigint NOT NULL, seq bigint NOT NULL);
        CREATE INDEX chroma_tombstones_by_seq ON chroma_tombstones (cid, seq)
        """,
    ),
    (
        # every change to a chroma_* table announces itself on the channel servers LISTEN to
        # (changes.py); one notification per transaction, as PostgreSQL folds duplicates
        "0002_change_notifications",
        [
            f"""
            CREATE FUNCTION chroma_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('{CHANNEL}', '');
                RETURN NULL;
            END
            $$
            """,
            *(
                f"CREATE TRIGGER chroma_notify_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION chroma_notify_change()"
                for table in ("chroma_tenants", "chroma_databases", "chroma_collections", "chroma_records", "chroma_tombstones")
            ),
        ],
    ),
]


def _statements(sql: str | list[str]) -> list[str]:
    """A migration's statements: a list as given, or a text split at its semicolons."""
    if isinstance(sql, list):
        return sql
    return [statement for statement in sql.split(";") if statement.strip()]


def _table_names(conn: psycopg.Connection) -> set[str]:
    rows = conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
    ).fetchall()
    return {r[0] for r in rows}


def check_ours(conn: psycopg.Connection, where: str) -> bool:
    """True when the schema holds our tables, False when it is empty; ForeignDataError
    (nothing written) when it holds tables of something else."""
    tables = _table_names(conn)
    if "chroma_migrations" in tables:
        return True
    if tables:
        shown = ", ".join(sorted(tables)[:5])
        raise ForeignDataError(
            f"{where} holds tables that are not a chromadb store ({shown}); it was left untouched. "
            "Point the store at an empty database (or schema) of its own.",
            where,
        )
    return False


def migrate(conn: psycopg.Connection, where: str) -> None:
    """Bring the schema up to date, each migration once, in one transaction."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATE_LOCK,))
        if not check_ours(conn, where):
            conn.execute("CREATE TABLE chroma_migrations (name text PRIMARY KEY, applied_at double precision)")
        done = {r[0] for r in conn.execute("SELECT name FROM chroma_migrations")}
        for name, sql in MIGRATIONS:
            if name in done:
                continue
            for statement in _statements(sql):
                conn.execute(statement)
            conn.execute("INSERT INTO chroma_migrations VALUES (%s, %s)", (name, time.time()))
