"""`chroma export`: collections of a data directory, out to an export folder (format.py).

The records are read in pages from one read snapshot, so an export is a consistent
picture of the moment it started while other processes keep writing, and memory holds
one page at a time (plus the row numbers of the collection being read). The folder is
written beside OUT under a temporary name and renamed into place once complete.
"""
from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from chromadb.config import DEFAULT_DATABASE, DEFAULT_TENANT
from chromadb.errors import InvalidArgumentError, NotFoundError
from chromadb.progress import progress_bar
from chromadb.transfer._store_io import read_snapshot
from chromadb.transfer.format import FORMATS, MANIFEST_FILE, collection_file_names, make_header, make_manifest

__all__ = ["PAGE_SIZE", "ExportedCollection", "export_collections"]

# Records per page (and per Parquet row group): ~1.6 MB of vectors at 384 dimensions.
PAGE_SIZE = 1000


@dataclass(frozen=True)
class ExportedCollection:
    name: str
    file: str  # path of the collection file
    count: int


def export_collections(
    path: str,
    out: str,
    *,
    collections: Sequence[str] | None = None,
    tenant: str = DEFAULT_TENANT,
    database: str = DEFAULT_DATABASE,
    format: str = "jsonl",
    page_size: int = PAGE_SIZE,
    store: str | None = None,
) -> list[ExportedCollection]:
    """Export collections of the data directory `path` into the new folder `out`.

    Args:
        path: a quarrydb data directory (another process may have it open and keep writing).
        out: the export folder to create; it must not exist, or be empty.
        collections: names to export (default: every collection of the database).
        tenant, database: where the collections are.
        format: "jsonl" (default) or "parquet" (needs pyarrow: `pip install quarrydb[parquet]`).
        page_size: records read and written at a time.
        store: a PostgreSQL URL to export from (`path` is then its index cache; docs/postgresql.md).

    Returns:
        One ExportedCollection (name, file, count) per collection, in export order.

    Raises:
        NotFoundError: a named collection, the tenant or the database does not exist.
        InvalidArgumentError: an unknown format, or `out` is a file or a non-empty folder.

    Example:
        >>> export_collections("./db", "./backup-2026-12", collections=["docs"])
    """
    from chromadb.engine.engine import Engine

    writer_class = _writer_class(format)
    _check_target(out)
    if page_size < 1:
        raise InvalidArgumentError(f"page_size must be at least 1, got {page_size}")
    if store is None and not os.path.isfile(os.path.join(path, "chroma.sqlite3")):
        raise NotFoundError(f"{path} is not a data directory (no chroma.sqlite3 in it)")
    engine = Engine(path, store=store)
    out = out.rstrip(os.sep) or out  # "copy/" names the folder "copy"
    staging = f"{out}.partial-{os.getpid()}"
    try:
        with read_snapshot(engine, tenant, database) as snapshot:
            rows = _select(snapshot.collections(), collections)
            os.makedirs(staging)
            files = collection_file_names([r["name"] for r in rows], format)
            exported = []
            counts = [snapshot.count(row) for row in rows]
            with progress_bar(sum(counts), "Exporting") as bar:
                for row, file, count in zip(rows, files, counts):
                    bar.set_description(row["name"])
                    writer = writer_class(os.path.join(staging, file), make_header(row, count, format))
                    try:
                        for page in snapshot.pages(row, page_size):
                            writer.write(page)
                            bar.update(len(page.ids))
                    finally:
                        writer.close()
                    exported.append(ExportedCollection(row["name"], os.path.join(out, file), count))
        manifest = make_manifest(tenant, database, [{"name": e.name, "file": os.path.basename(e.file), "count": e.count} for e in exported])
        with open(os.path.join(staging, MANIFEST_FILE), "wb") as f:
            f.write(orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE))
        if os.path.isdir(out):
            os.rmdir(out)  # empty (checked above); rename cannot replace a folder on every platform
        os.rename(staging, out)
        return exported
    finally:
        engine.close()
        if os.path.isdir(staging):
            shutil.rmtree(staging, ignore_errors=True)


def _writer_class(format: str) -> Any:
    if format == "jsonl":
        from chromadb.transfer.jsonl import JsonlWriter

        return JsonlWriter
    if format == "parquet":
        from chromadb.transfer.parquet import ParquetWriter, require_pyarrow

        require_pyarrow()
        return ParquetWriter
    raise InvalidArgumentError(f"Unknown export format {format!r}: expected one of {', '.join(FORMATS)}")


def _check_target(out: str) -> None:
    if os.path.lexists(out) and not os.path.isdir(out):
        raise InvalidArgumentError(f"{out} exists and is not a folder: the export needs a new (or empty) folder")
    if os.path.isdir(out) and os.listdir(out):
        raise InvalidArgumentError(f"{out} is not empty: the export needs a new (or empty) folder")


def _select(rows: list[dict[str, Any]], names: Sequence[str] | None) -> list[dict[str, Any]]:
    if names is None:
        return rows
    by_name = {r["name"]: r for r in rows}
    missing = [n for n in names if n not in by_name]
    if missing:
        raise NotFoundError(f"Collection [{missing[0]}] does not exist")
    return [by_name[n] for n in dict.fromkeys(names)]
