"""Importing a Chroma persist directory into a quarrydb directory.

    summary = import_chroma_dir("./chroma", "./quarry")      # or `chroma import ./chroma --path ./quarry`

Every tenant, database and collection comes over with its id, name, metadata and
configuration (the space Chroma really uses, HNSW parameters, embedding-function
config); records in Chroma's order with embeddings bit-exact, documents, uris and typed
metadata. The source is only read (chroma_dir). Records stream in batches through the
Engine, so the importer holds one batch at a time. Afterwards each collection is
verified: its count, and sha256 digests of its ids (in order) and of its vectors, read
back from the destination and compared with what was read from the source.

Nothing is written when a collection's name or id is already taken in the destination:
every conflict is listed first. A failure half-way removes the collections this import
created.
"""
from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, field
from typing import Any, TextIO

from chromadb.engine import catalog
from chromadb.engine.engine import Engine
from chromadb.errors import ChromaError, ChromaImportError, NotFoundError
from chromadb.model.records import RecordBatch as Records
from chromadb.model.requests import GetRequest
from chromadb.progress import ProgressBar, progress_bar
from chromadb.transfer.chroma_dir import ChromaCollection, ChromaDirectory, RecordBatch

BATCH_SIZE = 5000


@dataclass
class CollectionReport:
    tenant: str
    database: str
    name: str
    id: str
    space: str
    records: int = 0  # read from the source
    imported: int = 0  # counted in the destination afterwards
    ids_sha256: str = ""
    vectors_sha256: str = ""
    verified: bool | None = None  # None: not verified (dry run)

    @property
    def label(self) -> str:
        return f"{self.tenant}/{self.database}/{self.name}"


@dataclass
class ImportSummary:
    source: str
    dest: str
    chroma_release: str | None
    dry_run: bool
    collections: list[CollectionReport] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def records(self) -> int:
        return sum(c.records for c in self.collections)

    @property
    def verified(self) -> bool:
        return all(c.verified for c in self.collections)

    def text(self) -> str:
        head = "Would import" if self.dry_run else "Imported"
        release = self.chroma_release or "of an unknown release"
        first = f"{head} {len(self.collections)} collection(s), {self.records:,} records, from {self.source}"
        lines = [f"{first} (Chroma {release}) into {self.dest}"]
        for c in self.collections:
            state = "" if c.verified is None else ("  verified" if c.verified else "  VERIFY FAILED")
            lines.append(f"  {c.label}  id {c.id}  {c.space}  {c.records:,} records{state}")
        if not self.dry_run:
            rate = self.records / self.seconds if self.seconds > 0 else 0.0
            lines.append(f"{self.records:,} records in {self.seconds:.1f} s ({rate:,.0f} records/s)")
        return "\n".join(lines)


class _Digest:
    """sha256 of the ids (in order) and of the vectors (float32 little-endian bytes)."""

    def __init__(self) -> None:
        self.ids = hashlib.sha256()
        self.vectors = hashlib.sha256()
        self.count = 0

    def update(self, ids: list[str], embeddings: Any) -> None:
        for id_ in ids:
            self.ids.update(id_.encode("utf-8") + b"\x00")
        if len(ids):
            self.vectors.update(embeddings.astype("<f4", copy=False).tobytes())
        self.count += len(ids)


def import_chroma_dir(
    src: str,
    dest: str,
    *,
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
    progress: TextIO | None = None,
    show_progress: bool = True,
) -> ImportSummary:
    """Import the Chroma persist directory `src` into the quarrydb directory `dest`.

    Raises ChromaImportError (nothing written) when `dest` already has a collection of
    the same name in the same tenant and database, or of the same id, and when the
    source holds something that is not what Chroma writes.
    """
    real_src, real_dest = os.path.realpath(src), os.path.realpath(dest)
    if real_dest == real_src or real_dest.startswith(real_src + os.sep):
        raise ChromaImportError(
            f"{dest} is the Chroma directory itself or inside it, whose files are never modified: "
            "import into a directory beside it",
            dest,
        )
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    started = time.monotonic()
    with ChromaDirectory(src) as chroma:
        collections = chroma.collections()
        summary = ImportSummary(src, dest, chroma.release, dry_run)
        summary.collections = [
            CollectionReport(c.tenant, c.database, c.name, c.id, c.space, records=c.live_records) for c in collections
        ]
        if dry_run:
            return summary
        bar = progress_bar(
            sum(c.live_records for c in collections),
            "Importing",
            stream=progress,
            enabled=None if show_progress else False,
        )
        engine = Engine(dest)
        try:
            _check_plan(engine, collections, dest)
            _write_all(engine, chroma, collections, summary, bar, batch_size)
        finally:
            bar.close()
            engine.close()
    summary.seconds = time.monotonic() - started
    return summary


def _check_plan(engine: Engine, collections: list[ChromaCollection], dest: str) -> None:
    """Everything that would stop the import half-way and can be known first: taken names
    and ids, configurations we refuse."""
    taken = []
    for c in collections:
        try:
            catalog.resolve_configuration(c.metadata, c.configuration)
        except ValueError as e:
            raise ChromaImportError(
                f"collection {c.tenant}/{c.database}/{c.name} cannot be imported: {e}. Nothing was imported", dest
            ) from None
        try:
            engine.get_collection(c.name, c.tenant, c.database)
            taken.append(f"{c.tenant}/{c.database}/{c.name} (a collection of that name)")
            continue
        except NotFoundError:
            pass
        try:
            other = engine.get_collection_by_id(c.id)
            taken.append(f"{c.tenant}/{c.database}/{c.name} (its id {c.id} is {other['name']!r}'s)")
        except NotFoundError:
            pass
    if taken:
        raise ChromaImportError(
            f"{dest} already has: {'; '.join(taken)}. Nothing was imported: import into a new directory, "
            "or delete those collections first",
            dest,
        )


def _write_all(
    engine: Engine,
    chroma: ChromaDirectory,
    collections: list[ChromaCollection],
    summary: ImportSummary,
    bar: ProgressBar,
    batch_size: int,
) -> None:
    created: list[ChromaCollection] = []
    new_databases = _create_tenants_and_databases(engine, chroma.tenants_and_databases())
    try:
        for coll, report in zip(collections, summary.collections):
            bar.set_description(report.label)
            engine.create_collection(
                coll.name, coll.metadata, coll.configuration, False, coll.tenant, coll.database, collection_id=coll.id
            )
            created.append(coll)
            source_digest = _Digest()
            for batch in chroma.records(coll, batch_size):
                _add(engine, coll, batch)
                source_digest.update(batch.ids, batch.embeddings)
                bar.update(len(batch))
            report.records = source_digest.count
            _verify(engine, coll, report, source_digest, batch_size)
    except BaseException:
        _undo(engine, created, new_databases)
        raise
    failed = [c.label for c in summary.collections if not c.verified]
    if failed:
        raise ChromaImportError(
            f"the import into {summary.dest} does not read back as the source: {', '.join(failed)} "
            "(counts, ids or vectors differ)",
            summary.dest,
        )


def _create_tenants_and_databases(engine: Engine, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    created = []
    for tenant, database in pairs:
        try:
            engine.get_tenant(tenant)
        except NotFoundError:
            engine.create_tenant(tenant)
        try:
            engine.get_database(database, tenant)
        except NotFoundError:
            engine.create_database(database, tenant)
            created.append((tenant, database))
    return created


def _add(engine: Engine, coll: ChromaCollection, batch: RecordBatch) -> None:
    if not len(batch):
        return
    # Chroma's records, as it checked them when it wrote them: taken as they are
    records = Records("add", batch.ids, batch.embeddings, batch.metadatas, batch.documents, batch.uris)
    engine.add(coll.id, records, tenant=coll.tenant, database=coll.database)


def _verify(engine: Engine, coll: ChromaCollection, report: CollectionReport, source: _Digest, batch_size: int) -> None:
    dest = _Digest()
    offset = 0
    while True:
        request = GetRequest(None, None, None, batch_size, offset, ("embeddings",))
        page = engine.get(coll.id, request, tenant=coll.tenant, database=coll.database)
        if not page.ids:
            break
        dest.update(page.ids, page.embeddings)
        offset += len(page.ids)
    report.imported = engine.count(coll.id, tenant=coll.tenant, database=coll.database)
    report.ids_sha256 = source.ids.hexdigest()
    report.vectors_sha256 = source.vectors.hexdigest()
    report.verified = (
        report.imported == source.count == dest.count
        and dest.ids.digest() == source.ids.digest()
        and dest.vectors.digest() == source.vectors.digest()
    )


def _undo(engine: Engine, created: list[ChromaCollection], new_databases: list[tuple[str, str]]) -> None:
    """Remove what this import created, so a failed import leaves the destination as it was."""
    for coll in created:
        try:
            engine.delete_collection(coll.name, coll.tenant, coll.database)
        except ChromaError:
            pass
    for tenant, database in new_databases:
        try:
            engine.delete_database(database, tenant)
        except ChromaError:
            pass
