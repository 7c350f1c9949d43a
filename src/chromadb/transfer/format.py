"""The export format, version 1: what a file says about its collection, and how a record is written.

An export is a folder:

    OUT/manifest.json        which collections, in which files (and the format, its version)
    OUT/<name>.jsonl         one collection: a header line, then one record per line
    OUT/<name>.parquet       the same collection as Parquet (`--format parquet`, needs pyarrow)

Every collection file describes itself: the header (the first line of a .jsonl file, the
key `quarrydb-export` of a .parquet file's key-value metadata) carries the format name and
version, the quarrydb version that wrote it, and the collection's name, id, tenant,
database, metadata, configuration (the embedding function's config included), schema,
dimension and record count. A record is

    {"id": "a", "embedding": "<base64 of little-endian float32>", "document": "...",
     "uri": null, "metadata": {"year": 2024, "score": 1.0, "tags": ["x", "y"]}}

Metadata is JSON whose types say what they were: an int has no decimal point, a float
always has one (1.0 stays 1.0), booleans are true/false, lists are arrays; a sparse
vector is its tagged wire object (`{"#type": "sparse_vector", ...}`). Documented for
users in docs/import-export-backup.md.
"""
from __future__ import annotations

import base64
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson

from chromadb.errors import InvalidArgumentError

__all__ = [
    "FORMATS",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "MANIFEST_FILE",
    "ExportFileError",
    "Page",
    "collection_file_names",
    "decode_embedding",
    "decode_record",
    "encode_embedding",
    "encode_page",
    "encode_record",
    "make_header",
    "make_manifest",
    "metadata_from_json",
    "metadata_json",
    "parse_header",
    "parse_manifest",
    "quarrydb_version",
]

FORMAT_NAME = "quarrydb-export"
FORMAT_VERSION = 1
MANIFEST_FILE = "manifest.json"
FORMATS = ("jsonl", "parquet")

# float32, little-endian whatever the machine: the bytes Chroma's wire format uses too
_FLOAT32_LE = np.dtype("<f4")
_RECORD_KEYS = ("id", "embedding", "document", "uri", "metadata")


class ExportFileError(InvalidArgumentError):
    """An export file or folder that cannot be read as this format (names the file and line)."""


@dataclass(frozen=True)
class Page:
    """Consecutive records of one collection, in insertion order: what is read or written at once."""

    ids: list[str]
    embeddings: np.ndarray  # (n, dimension) float32
    documents: list[str | None]
    uris: list[str | None]
    metadatas: list[dict[str, Any] | None]

    def __len__(self) -> int:
        return len(self.ids)


def quarrydb_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("quarrydb")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown"


# -- headers and manifest ---------------------------------------------------------------------
def make_header(collection: dict[str, Any], count: int, encoding: str) -> dict[str, Any]:
    """The self-description of one collection file. No timestamp: exporting the same data
    twice gives the same bytes (the round-trip guarantee)."""
    return {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "encoding": encoding,
        "quarrydb_version": quarrydb_version(),
        "collection": {
            "name": collection["name"],
            "id": collection["id"],
            "tenant": collection["tenant"],
            "database": collection["database"],
            "metadata": collection["metadata"],
            "configuration": collection["configuration"],
            "schema": collection.get("schema"),
            "dimension": collection["dimension"],
            "count": count,
        },
    }


def parse_header(data: Any, where: str) -> dict[str, Any]:
    """The collection part of a header, checked; ExportFileError naming `where` otherwise."""
    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
        raise ExportFileError(f"{where} is not a {FORMAT_NAME} file (its header does not name the format)")
    version = data.get("format_version")
    if version != FORMAT_VERSION:
        raise ExportFileError(
            f"{where} is in {FORMAT_NAME} version {version!r}; this quarrydb ({quarrydb_version()}) "
            f"reads version {FORMAT_VERSION}"
        )
    collection = data.get("collection")
    required = {"name", "id", "metadata", "configuration", "dimension", "count"}
    if not isinstance(collection, dict) or not required <= collection.keys():
        raise ExportFileError(f"{where}: the header lacks the collection's {', '.join(sorted(required))}")
    if not isinstance(collection["name"], str) or not isinstance(collection["id"], str):
        raise ExportFileError(f"{where}: the collection's name and id must be strings")
    if collection["metadata"] is not None and not isinstance(collection["metadata"], dict):
        raise ExportFileError(f"{where}: the collection's metadata must be an object or null")
    if not isinstance(collection["configuration"], dict):
        raise ExportFileError(f"{where}: the collection's configuration must be an object")
    dimension, count = collection["dimension"], collection["count"]
    if dimension is not None and (type(dimension) is not int or dimension < 1):
        raise ExportFileError(f"{where}: the dimension must be a positive integer or null, got {dimension!r}")
    if type(count) is not int or count < 0:
        raise ExportFileError(f"{where}: the record count must be a non-negative integer, got {count!r}")
    if count and dimension is None:
        raise ExportFileError(f"{where}: {count} records but no dimension")
    return collection


def make_manifest(tenant: str, database: str, entries: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """entries: {"name", "file", "count"} per collection, in export order."""
    return {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "quarrydb_version": quarrydb_version(),
        "tenant": tenant,
        "database": database,
        "collections": list(entries),
    }


def parse_manifest(folder: str) -> list[str]:
    """The collection files a manifest lists (paths inside `folder`), in its order."""
    where = os.path.join(folder, MANIFEST_FILE)
    try:
        with open(where, "rb") as f:
            data = orjson.loads(f.read())
    except FileNotFoundError:
        raise ExportFileError(f"{folder} is not an export folder (it has no {MANIFEST_FILE})") from None
    except orjson.JSONDecodeError as e:
        raise ExportFileError(f"{where} is not valid JSON: {e}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
        raise ExportFileError(f"{where} is not a {FORMAT_NAME} manifest")
    if data.get("format_version") != FORMAT_VERSION:
        raise ExportFileError(f"{where} is in version {data.get('format_version')!r}; this quarrydb reads {FORMAT_VERSION}")
    entries = data.get("collections")
    if not isinstance(entries, list):
        raise ExportFileError(f"{where}: 'collections' must be a list")
    files = []
    for entry in entries:
        file = entry.get("file") if isinstance(entry, dict) else None
        # a bare file name: a manifest must not point outside its folder
        if not isinstance(file, str) or os.path.basename(file) != file or file in ("", ".", ".."):
            raise ExportFileError(f"{where}: every collection needs a plain 'file' name, got {entry!r}")
        files.append(os.path.join(folder, file))
    return files


def collection_file_names(names: Sequence[str], extension: str) -> list[str]:
    """One file name per collection: its name, unless that collides (case-insensitively,
    for file systems that fold case) with an earlier one."""
    taken: set[str] = {MANIFEST_FILE.lower()}
    out = []
    for name in names:
        stem = re.sub(r"[^A-Za-z0-9._-]", "_", name)  # names are already this alphabet (api/validation.py)
        candidate, n = f"{stem}.{extension}", 1
        while candidate.lower() in taken:
            n += 1
            candidate = f"{stem}-{n}.{extension}"
        taken.add(candidate.lower())
        out.append(candidate)
    return out


# -- records --------------------------------------------------------------------------------------
def encode_embedding(vector: np.ndarray) -> str:
    return base64.b64encode(np.asarray(vector, dtype=_FLOAT32_LE).tobytes()).decode("ascii")


def decode_embedding(text: Any, dimension: int | None, where: str) -> np.ndarray:
    if not isinstance(text, str):
        raise ExportFileError(f"{where}: the embedding must be a base64 string, got {type(text).__name__}")
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:
        raise ExportFileError(f"{where}: the embedding is not valid base64") from None
    if dimension is None or len(raw) != 4 * dimension:
        raise ExportFileError(f"{where}: the embedding holds {len(raw)} bytes, expected 4 x {dimension}")
    return np.frombuffer(raw, dtype=_FLOAT32_LE)


def encode_page(page: Page) -> Iterator[bytes]:
    """The .jsonl lines of a page (each ends with a newline)."""
    vectors = np.ascontiguousarray(page.embeddings, dtype=_FLOAT32_LE)
    for i, id_ in enumerate(page.ids):
        yield encode_record(id_, vectors[i], page.documents[i], page.uris[i], page.metadatas[i])


def encode_record(
    id_: str, embedding: np.ndarray, document: str | None, uri: str | None, metadata: dict[str, Any] | None
) -> bytes:
    record = {"id": id_, "embedding": encode_embedding(embedding), "document": document, "uri": uri, "metadata": metadata}
    return orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE)


def decode_record(line: bytes, dimension: int | None, where: str) -> tuple[str, np.ndarray, Any, Any, Any]:
    """(id, embedding, document, uri, metadata) of one .jsonl line; types are checked by the loader."""
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError as e:
        raise ExportFileError(f"{where} is not valid JSON: {e}") from None
    if not isinstance(record, dict) or set(record) != set(_RECORD_KEYS):
        raise ExportFileError(f"{where}: a record is an object with exactly the keys {', '.join(_RECORD_KEYS)}")
    embedding = decode_embedding(record["embedding"], dimension, where)
    return record["id"], embedding, record["document"], record["uri"], record["metadata"]


def metadata_json(metadata: dict[str, Any] | None) -> str | None:
    """The metadata of a record as JSON text (the Parquet column), with the .jsonl typing rules."""
    return None if metadata is None else orjson.dumps(metadata).decode("utf-8")


def metadata_from_json(text: str | None, where: str) -> Any:
    if text is None:
        return None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as e:
        raise ExportFileError(f"{where}: the metadata is not valid JSON: {e}") from None
