"""Import of an export (format.py) into a data directory: `chroma import OUT --path DIR`.

Each collection is loaded under a temporary name, page by page, then renamed to its
own once every collection of the export is in: a taken name is refused before anything
is written, and a file that turns out bad midway leaves nothing behind (the temporary
collections are deleted). Collections keep their id (unless the directory already has
it), name, metadata, configuration and dimension exactly, and their records' order.
"""
from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chromadb.config import DEFAULT_DATABASE, DEFAULT_TENANT
from chromadb.errors import ChromaError, DuplicateIDError, InvalidArgumentError, NotFoundError, UniqueConstraintError
from chromadb.model.records import RecordBatch
from chromadb.transfer import _store_io
from chromadb.transfer.format import MANIFEST_FILE, ExportFileError, Page

__all__ = ["LoadedCollection", "load_export"]

PAGE_SIZE = 2000


@dataclass(frozen=True)
class LoadedCollection:
    name: str  # its name in the data directory (after any rename)
    id: str
    count: int
    source: str  # the collection file it came from


@dataclass(frozen=True)
class _Source:
    file: str
    header: dict[str, Any]  # the collection part
    read: Callable[[str, int], Iterator[Page]]


def load_export(
    src: str,
    path: str,
    *,
    tenant: str = DEFAULT_TENANT,
    database: str = DEFAULT_DATABASE,
    collections: Sequence[str] | None = None,
    rename: Mapping[str, str] | None = None,
    page_size: int = PAGE_SIZE,
    dry_run: bool = False,
    store: str | None = None,
) -> list[LoadedCollection]:
    """Import an export folder (or one of its collection files) into the data directory `path`.

    Args:
        src: an export folder (with manifest.json), or one .jsonl / .parquet collection file.
        path: the data directory (created if missing; other processes may have it open).
        tenant, database: where the collections go (created if missing).
        collections: names (as exported) to import; default all.
        rename: {exported name: new name} for collections whose name is taken or unwanted.
        page_size: records read and written at a time.
        dry_run: check the export's headers and the names, and say what would be imported,
            without writing anything (the records themselves are read only by a real import).
        store: a PostgreSQL URL to import into (`path` is then its index cache; docs/postgresql.md).

    Returns:
        One LoadedCollection (name, id, count, source) per collection imported (for a dry
        run: that would be imported; the id is the exported one).

    Raises:
        UniqueConstraintError: a collection name is taken in the directory (nothing is written).
        ExportFileError (an InvalidArgumentError): the export cannot be read; nothing is left behind.
        NotFoundError: `src` does not exist, or names a collection the export does not hold.

    Example:
        >>> load_export("./backup-2026-12", "./db", rename={"docs": "docs-restored"})
    """
    from chromadb.api.validation import check_name
    from chromadb.engine.engine import Engine

    sources = _select(_sources(src), collections)
    targets = _target_names(sources, rename or {}, check_name)
    _refuse_schemas(sources)
    if dry_run:
        return _dry_run(sources, targets, path, tenant, database, store)
    engine = Engine(path, store=store)
    created: list[tuple[str, str]] = []  # (temporary name, id) of what this load made
    try:
        _ensure_database(engine, tenant, database)
        _refuse_taken(engine, targets, tenant, database)
        loaded = []
        for source, target in zip(sources, targets):
            header = source.header
            temporary = f"quarrydb-import-{uuid.uuid4().hex}"
            collection_id = header["id"] if _id_free(engine, header["id"]) else str(uuid.uuid4())
            cid = _store_io.insert_collection(
                engine, tenant, database, temporary, collection_id,
                header["metadata"], header["configuration"], header["dimension"], header.get("schema"),
            )
            created.append((temporary, collection_id))
            count = _load_records(engine, cid, source, page_size)
            loaded.append(LoadedCollection(target, collection_id, count, source.file))
        _refuse_taken(engine, targets, tenant, database)  # taken by someone else meanwhile?
        for (_, collection_id), target in zip(created, targets):
            engine.update_collection(collection_id, target, None, None)
        created.clear()
        return loaded
    finally:
        for temporary, _ in created:
            try:
                engine.delete_collection(temporary, tenant, database)
            except ChromaError:
                pass  # not there: nothing to clean
        engine.close()


def _refuse_schemas(sources: list[_Source]) -> None:
    if _store_io.can_store_schema():
        return
    for source in sources:
        if source.header.get("schema") is not None:
            raise ExportFileError(f"{source.file}: the collection has a schema, which this quarrydb cannot store")


def _dry_run(
    sources: list[_Source], targets: list[str], path: str, tenant: str, database: str, store: str | None
) -> list[LoadedCollection]:
    from chromadb.engine.engine import Engine

    # without a store URL, no SQLite file means nothing there can be taken
    if store is not None or os.path.isfile(os.path.join(path, "chroma.sqlite3")):
        engine = Engine(path, store=store)
        try:
            if _database_exists(engine, tenant, database):
                _refuse_taken(engine, targets, tenant, database)
        finally:
            engine.close()
    return [LoadedCollection(t, s.header["id"], s.header["count"], s.file) for s, t in zip(sources, targets)]


def _database_exists(engine: Any, tenant: str, database: str) -> bool:
    try:
        engine.get_database(database, tenant)
    except NotFoundError:
        return False
    return True


def _load_records(engine: Any, cid: int, source: _Source, page_size: int) -> int:
    count = 0
    for page in source.read(source.file, page_size):
        where = f"{source.file}, records {count + 1}-{count + len(page)}"
        try:
            batch = RecordBatch.build("add", page.ids, page.embeddings, page.metadatas, page.documents, page.uris)
        except (ValueError, TypeError, DuplicateIDError) as e:
            raise ExportFileError(f"{where}: {e}") from None
        _store_io.append_page(engine, cid, Page(batch.ids, batch.matrix, page.documents, page.uris, page.metadatas), where)
        count += len(page)
    expected = source.header["count"]
    if count != expected:
        raise ExportFileError(f"{source.file} holds {count} records, its header says {expected}: the file is incomplete")
    return count


def _sources(src: str) -> list[_Source]:
    from chromadb.transfer.format import parse_manifest

    if os.path.isdir(src):
        files = parse_manifest(src)
    elif os.path.isfile(src):
        files = [src]
    else:
        raise NotFoundError(f"{src} does not exist")
    return [_source(f) for f in files]


def _source(file: str) -> _Source:
    if file.endswith(".parquet"):
        from chromadb.transfer.parquet import read_parquet, read_parquet_header

        return _Source(file, read_parquet_header(file), read_parquet)
    if file.endswith(".jsonl"):
        from chromadb.transfer.jsonl import read_jsonl, read_jsonl_header

        if not os.path.isfile(file):
            raise ExportFileError(f"{file} is listed in the export's {MANIFEST_FILE} but missing")
        return _Source(file, read_jsonl_header(file), read_jsonl)
    raise ExportFileError(f"{file}: an export file ends with .jsonl or .parquet")


def _select(sources: list[_Source], names: Sequence[str] | None) -> list[_Source]:
    if names is None:
        return sources
    by_name = {s.header["name"]: s for s in sources}
    missing = [n for n in names if n not in by_name]
    if missing:
        raise NotFoundError(f"The export holds no collection [{missing[0]}]")
    return [by_name[n] for n in dict.fromkeys(names)]


def _target_names(sources: list[_Source], rename: Mapping[str, str], check_name: Callable[[Any], str]) -> list[str]:
    exported = {s.header["name"] for s in sources}
    unknown = [n for n in rename if n not in exported]
    if unknown:
        raise NotFoundError(f"Cannot rename [{unknown[0]}]: the import holds no collection of that name")
    targets = [rename.get(s.header["name"], s.header["name"]) for s in sources]
    for name in targets:
        try:
            check_name(name)
        except (TypeError, ValueError) as e:
            raise InvalidArgumentError(str(e)) from None
    twice = sorted({n for n in targets if targets.count(n) > 1})
    if twice:
        raise InvalidArgumentError(f"Two collections would both be named [{twice[0]}]: rename one of them")
    return targets


def _ensure_database(engine: Any, tenant: str, database: str) -> None:
    try:
        engine.get_tenant(tenant)
    except NotFoundError:
        engine.create_tenant(tenant)
    try:
        engine.get_database(database, tenant)
    except NotFoundError:
        engine.create_database(database, tenant)


def _refuse_taken(engine: Any, names: list[str], tenant: str, database: str) -> None:
    taken = []
    for name in names:
        try:
            engine.get_collection(name, tenant, database)
        except NotFoundError:
            continue
        taken.append(name)
    if taken:
        shown = ", ".join(taken)
        raise UniqueConstraintError(
            f"Collection [{shown}] already exists in {tenant}/{database}: nothing was imported. "
            "Import under another name (`--rename OLD=NEW`, or rename= in Python)"
        )


def _id_free(engine: Any, collection_id: str) -> bool:
    try:
        engine.get_collection_by_id(collection_id)
    except NotFoundError:
        return True
    return False
