"""Chroma's catalog tables: tenants, databases, collections, their segments, metadata and
flush points. Columns differ between releases (0.4 had no tenants before 0.4.15, 0.x no
Schema, no list metadata), so each is looked for before it is read.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from chromadb.config import DEFAULT_DATABASE, DEFAULT_TENANT
from chromadb.errors import ChromaImportError
from chromadb.transfer.chroma_dir.source import ReadOnlySource, seq_number
from chromadb.transfer.chroma_dir.space import Resolved, resolve

VECTOR_SCOPE = "VECTOR"
METADATA_SCOPE = "METADATA"


@dataclass(frozen=True)
class ChromaCollection:
    tenant: str
    database: str
    id: str
    name: str
    metadata: dict[str, Any] | None
    configuration: dict[str, Any]  # ours: {"hnsw": {...}, "embedding_function": ...}
    resolved: Resolved
    schema: dict[str, Any] | None  # Chroma's Schema JSON (1.3+), as stored
    dimension: int | None
    vector_segment: str | None
    metadata_segment: str | None
    vector_seq: int | None  # the log seq of the last HNSW flush (None: never flushed)
    metadata_seq: int  # the last log seq applied to the metadata tables
    folder: str | None  # the HNSW folder, when there is one
    live_records: int  # rows of the metadata segment (before any log tail)
    brute_force_buffer: bool  # written by 0.x, whose vector segment keeps a brute-force buffer

    @property
    def space(self) -> str:
        return self.resolved.space


def read_collections(source: ReadOnlySource) -> list[ChromaCollection]:
    for table in ("collections", "segments", "embeddings", "embedding_metadata", "embeddings_queue"):
        if table not in source.tables:
            raise ChromaImportError(f"{source.file} has no `{table}` table: not a Chroma 0.4+ database", source.directory)
    cols = source.tables["collections"]
    schema_col = "c.schema_str" if "schema_str" in cols else "NULL"
    config_col = "c.config_json_str" if "config_json_str" in cols else "NULL"
    if "database_id" in cols and "databases" in source.tables:
        rows = source.execute(
            f"SELECT d.tenant_id, d.name, c.id, c.name, c.dimension, {config_col}, {schema_col} "
            "FROM collections c JOIN databases d ON d.id = c.database_id ORDER BY d.tenant_id, d.name, c.name"
        ).fetchall()
    else:  # 0.4.0-0.4.14: one implicit tenant and database
        rows = source.execute(
            f"SELECT ?, ?, c.id, c.name, c.dimension, {config_col}, {schema_col} FROM collections c ORDER BY c.name",
            (DEFAULT_TENANT, DEFAULT_DATABASE),
        ).fetchall()
    flush_points = _flush_points(source)
    return [_collection(source, row, flush_points) for row in rows]


def read_tenants_and_databases(source: ReadOnlySource) -> list[tuple[str, str]]:
    """Every (tenant, database), those without collections too."""
    if "databases" not in source.tables:
        return [(DEFAULT_TENANT, DEFAULT_DATABASE)]
    return [tuple(r) for r in source.execute("SELECT tenant_id, name FROM databases ORDER BY tenant_id, name")]


def _collection(source: ReadOnlySource, row: tuple[Any, ...], flush_points: dict[str, int]) -> ChromaCollection:
    tenant, database, cid, name, dimension, config_str, schema_str = row
    segments = {scope: seg for seg, scope in source.execute("SELECT id, scope FROM segments WHERE collection = ?", (cid,))}
    vector, meta = segments.get(VECTOR_SCOPE), segments.get(METADATA_SCOPE)
    label = f"{tenant}/{database}/{name}"
    schema, config = _json(schema_str, label), _json(config_str, label)
    resolved = resolve(schema, config, _typed_rows(source, "segment_metadata", "segment_id", vector), label)
    configuration = {"hnsw": dict(resolved.hnsw), "embedding_function": resolved.embedding_function}
    folder = os.path.join(source.directory, vector) if vector else None
    live = 0
    if meta is not None:
        live = source.execute("SELECT count(*) FROM embeddings WHERE segment_id = ?", (meta,)).fetchone()[0]
    return ChromaCollection(
        tenant=tenant,
        database=database,
        id=cid,
        name=name,
        metadata=_typed_rows(source, "collection_metadata", "collection_id", cid) or None,
        configuration=configuration,
        resolved=resolved,
        schema=schema,
        dimension=dimension,
        vector_segment=vector,
        metadata_segment=meta,
        vector_seq=flush_points.get(vector) if vector else None,
        metadata_seq=flush_points.get(meta, 0) if meta else 0,
        folder=folder if folder and os.path.isdir(folder) else None,
        live_records=live,
        brute_force_buffer=source.release_is_0x,
    )


def _flush_points(source: ReadOnlySource) -> dict[str, int]:
    if "max_seq_id" not in source.tables:
        return {}
    return {seg: seq_number(seq) for seg, seq in source.execute("SELECT segment_id, seq_id FROM max_seq_id")}


def _typed_rows(source: ReadOnlySource, table: str, key_column: str, owner: str | None) -> dict[str, Any]:
    """A key -> value dict from one of Chroma's typed-column tables (str, int, float, bool)."""
    if owner is None or table not in source.tables:
        return {}
    columns = source.tables[table]
    bool_col = "bool_value" if "bool_value" in columns else "NULL"
    rows = source.execute(
        f"SELECT key, str_value, int_value, float_value, {bool_col} FROM {table} WHERE {key_column} = ? ORDER BY rowid",
        (owner,),
    )
    return {key: typed_value(s, i, f, b) for key, s, i, f, b in rows}


def typed_value(string: Any, integer: Any, real: Any, boolean: Any) -> Any:
    """Chroma reads the typed columns in this order; a bool is an INTEGER 0/1."""
    if string is not None:
        return string
    if integer is not None:
        return integer
    if real is not None:
        return real
    if boolean is not None:
        return bool(boolean)
    return None


def _json(text: Any, label: str) -> dict[str, Any] | None:
    if text is None or text == "":
        return None
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        raise ChromaImportError(f"collection {label}: its stored configuration is not JSON", label) from None
    return value if isinstance(value, dict) and value else None
