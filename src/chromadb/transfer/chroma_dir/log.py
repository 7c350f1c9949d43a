"""Chroma's log (`embeddings_queue`): the writes not yet flushed to the HNSW files.

Each row: seq_id (global), operation (0 add, 1 update, 2 upsert, 3 delete), topic
(`persistent://<tenant>/<namespace>/<collection id>`), id (the user's), vector (little-
endian float32, NULL for deletes and metadata-only updates) and metadata (the JSON of
the update, the document and uri inside as `chroma:document` / `chroma:uri`; a `null`
value removes a key).
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from chromadb.errors import ChromaImportError
from chromadb.transfer.chroma_dir.source import ReadOnlySource, seq_number

ADD, UPDATE, UPSERT, DELETE = 0, 1, 2, 3
_OPERATIONS = {ADD, UPDATE, UPSERT, DELETE}
DOCUMENT_KEY = "chroma:document"
URI_KEY = "chroma:uri"


@dataclass(frozen=True)
class LogEntry:
    seq: int
    operation: int
    id: str
    vector: np.ndarray | None
    metadata: dict[str, Any] | None  # None: no metadata given; values None remove a key


def topics_by_collection(source: ReadOnlySource) -> dict[str, list[str]]:
    """Collection id -> the log topics naming it (the topic's last path part)."""
    topics: dict[str, list[str]] = {}
    for (topic,) in source.execute("SELECT DISTINCT topic FROM embeddings_queue"):
        if isinstance(topic, str):
            topics.setdefault(topic.rsplit("/", 1)[-1], []).append(topic)
    return topics


def entries(source: ReadOnlySource, topics: list[str], after: int) -> Iterator[LogEntry]:
    """The log entries of these topics with seq > after, in seq order."""
    if not topics:
        return
    marks = ", ".join("?" for _ in topics)
    rows = source.execute(
        "SELECT seq_id, operation, id, vector, encoding, metadata FROM embeddings_queue "
        f"WHERE topic IN ({marks}) AND seq_id > ? ORDER BY seq_id",
        (*topics, after),
    )
    for seq, operation, id_, vector, encoding, metadata in rows:
        seq = seq_number(seq)
        if operation not in _OPERATIONS:
            raise ChromaImportError(f"log entry {seq}: unknown operation {operation!r}", source.directory)
        yield LogEntry(seq, operation, id_, _vector(vector, encoding, seq, source), _metadata(metadata, seq, source))


def _vector(raw: Any, encoding: Any, seq: int, source: ReadOnlySource) -> np.ndarray | None:
    if raw is None:
        return None
    if encoding not in (None, "FLOAT32") or not isinstance(raw, bytes) or len(raw) % 4:
        raise ChromaImportError(f"log entry {seq}: a vector encoded as {encoding!r} cannot be read", source.directory)
    return np.frombuffer(raw, dtype="<f4")


def _metadata(raw: Any, seq: int, source: ReadOnlySource) -> dict[str, Any] | None:
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except (TypeError, ValueError):
        raise ChromaImportError(f"log entry {seq}: its metadata is not JSON", source.directory) from None
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ChromaImportError(f"log entry {seq}: its metadata is not an object", source.directory)
    return value
