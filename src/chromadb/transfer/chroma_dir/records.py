"""A Chroma collection's records, newest state, in Chroma's order, batch by batch.

Where Chroma keeps what (see the format note):
* ids, documents, uris, metadata: the metadata segment (`embeddings` + the EAV tables),
  in `embeddings.id` order, which is the order of Chroma's get(); plus the log past the
  segment's `max_seq_id` (normally nothing: it is applied at each write).
* vectors: the HNSW files as of the vector segment's flush point, mapped to user ids by
  the id map (pickle), plus the log past that point, replayed with the HNSW writer's
  rules (add only if absent, update only if present, upsert sets, delete removes).
  Without an id map (never flushed) the whole log is replayed.

Only one batch of records is in memory at a time; what is held per collection is the
id map (ids and labels) and the vectors of the log tail.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from chromadb.errors import ChromaImportError
from chromadb.transfer.chroma_dir import log
from chromadb.transfer.chroma_dir.catalog import ChromaCollection, typed_value
from chromadb.transfer.chroma_dir.hnsw_files import HnswFiles
from chromadb.transfer.chroma_dir.id_map import IdMap, read_id_map
from chromadb.transfer.chroma_dir.source import ReadOnlySource

ID_MAP_FILE = "index_metadata.pickle"


@dataclass
class RecordBatch:
    ids: list[str]
    embeddings: np.ndarray  # (n, dim) float32, as Chroma's get() returns them
    documents: list[str | None]
    uris: list[str | None]
    metadatas: list[dict[str, Any] | None]

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class _Record:
    document: str | None = None
    uri: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


def read_records(
    source: ReadOnlySource, coll: ChromaCollection, topics: list[str], batch_size: int = 5000
) -> Iterator[RecordBatch]:
    vectors = _Vectors(source, coll, topics)
    tail = _MetadataTail(source, coll, topics)
    if coll.metadata_segment is not None:
        after = -1
        while True:
            rows = source.execute(
                "SELECT id, embedding_id FROM embeddings WHERE segment_id = ? AND id > ? ORDER BY id LIMIT ?",
                (coll.metadata_segment, after, batch_size),
            ).fetchall()
            if not rows:
                break
            after = rows[-1][0]
            records = _segment_records(source, rows)
            kept = [(uid, tail.final(uid, rec)) for uid, rec in records if not tail.moved_or_gone(uid)]
            if kept:
                yield _batch(kept, vectors)
    added = tail.appended()
    for start in range(0, len(added), batch_size):
        yield _batch(added[start : start + batch_size], vectors)


def _batch(records: list[tuple[str, _Record]], vectors: _Vectors) -> RecordBatch:
    ids = [uid for uid, _ in records]
    return RecordBatch(
        ids=ids,
        embeddings=vectors.of(ids),
        documents=[rec.document for _, rec in records],
        uris=[rec.uri for _, rec in records],
        metadatas=[dict(rec.metadata) or None for _, rec in records],
    )


def _segment_records(source: ReadOnlySource, rows: list[tuple[int, str]]) -> list[tuple[str, _Record]]:
    lo, hi = rows[0][0], rows[-1][0]
    by_rid = {rid: _Record() for rid, _ in rows}
    scalars = source.execute(
        "SELECT id, key, string_value, int_value, float_value, bool_value FROM embedding_metadata "
        "WHERE id BETWEEN ? AND ? ORDER BY id, rowid",
        (lo, hi),
    )
    for rid, key, s, i, f, b in scalars:
        rec = by_rid.get(rid)
        if rec is None:
            continue  # a row of another segment's record in the same id range
        value = typed_value(s, i, f, b)
        if key == log.DOCUMENT_KEY:
            rec.document = value
        elif key == log.URI_KEY:
            rec.uri = value
        elif value is not None:
            rec.metadata[key] = value
    if source.has("embedding_metadata_array", "id", "key"):
        arrays = source.execute(
            "SELECT id, key, string_value, int_value, float_value, bool_value FROM embedding_metadata_array "
            "WHERE id BETWEEN ? AND ? ORDER BY rowid",
            (lo, hi),
        )
        for rid, key, s, i, f, b in arrays:
            rec = by_rid.get(rid)
            if rec is not None:
                rec.metadata.setdefault(key, []).append(typed_value(s, i, f, b))
    return [(uid, by_rid[rid]) for rid, uid in rows]


class _MetadataTail:
    """Log entries past the metadata segment's flush point (normally none: Chroma applies
    each write to its metadata tables at once; there are some after a crash between the
    log insert and that step). Applied with the metadata writer's rules."""

    def __init__(self, source: ReadOnlySource, coll: ChromaCollection, topics: list[str]) -> None:
        self.state: dict[str, _Record | None] = {}
        self.moved: dict[str, int] = {}  # id -> seq of the add that gave it a new place in the order
        tail = list(log.entries(source, topics, coll.metadata_seq)) if coll.metadata_segment else []
        for entry in tail:
            if entry.id not in self.state:
                self.state[entry.id] = self._stored(source, coll, entry.id)
            current = self.state[entry.id]
            if entry.operation == log.DELETE:
                self.state[entry.id] = None
            elif current is None and entry.operation in (log.ADD, log.UPSERT):
                self.state[entry.id] = _merged(_Record(), entry.metadata)
                self.moved[entry.id] = entry.seq
            elif current is not None and entry.operation in (log.UPDATE, log.UPSERT):
                self.state[entry.id] = _merged(current, entry.metadata)

    @staticmethod
    def _stored(source: ReadOnlySource, coll: ChromaCollection, uid: str) -> _Record | None:
        row = source.execute(
            "SELECT id, embedding_id FROM embeddings WHERE segment_id = ? AND embedding_id = ?",
            (coll.metadata_segment, uid),
        ).fetchone()
        return None if row is None else _segment_records(source, [row])[0][1]

    def moved_or_gone(self, uid: str) -> bool:
        return uid in self.moved or (uid in self.state and self.state[uid] is None)

    def final(self, uid: str, stored: _Record) -> _Record:
        return self.state.get(uid) or stored

    def appended(self) -> list[tuple[str, _Record]]:
        order = sorted(self.moved, key=self.moved.__getitem__)
        return [(uid, self.state[uid]) for uid in order if self.state[uid] is not None]  # type: ignore[misc]


def _merged(record: _Record, update: dict[str, Any] | None) -> _Record:
    merged = _Record(record.document, record.uri, dict(record.metadata))
    for key, value in (update or {}).items():
        if key == log.DOCUMENT_KEY:
            merged.document = value
        elif key == log.URI_KEY:
            merged.uri = value
        elif value is None:
            merged.metadata.pop(key, None)
        else:
            merged.metadata[key] = value
    return merged


class _Vectors:
    """Vectors by user id: the HNSW files through the id map, overlaid by the log tail."""

    def __init__(self, source: ReadOnlySource, coll: ChromaCollection, topics: list[str]) -> None:
        self.coll = coll
        self.cosine = coll.space == "cosine"
        self.id_map: IdMap | None = None
        self.files: HnswFiles | None = None
        after = 0
        pickle_file = os.path.join(coll.folder, ID_MAP_FILE) if coll.folder else None
        if pickle_file and os.path.exists(pickle_file):
            with open(pickle_file, "rb") as f:
                id_map = read_id_map(f.read(), pickle_file)
            if id_map.id_to_label:  # an empty map: Chroma treats the segment as never flushed
                self.id_map = id_map
                self.files = HnswFiles(coll.folder, self.cosine)  # type: ignore[arg-type]
                self.files.live_positions(np.fromiter(id_map.id_to_label.values(), np.uint64, len(id_map.id_to_label)))
                flushed = coll.vector_seq if coll.vector_seq is not None else id_map.max_seq_id
                after = flushed or 0
        self.overlay: dict[str, np.ndarray | None] = {}
        # 0.x: the log is replayed through a brute-force buffer moved into the HNSW every
        # batch_size log records; get() returns a vector still in the buffer as given
        buffered: set[str] = set()
        since_batch = 0
        batch_size = coll.resolved.batch_size
        for entry in log.entries(source, topics, after):
            present = self._present(entry.id)
            if entry.operation == log.DELETE:
                self.overlay[entry.id] = None
                buffered.discard(entry.id)
            elif entry.vector is not None and (
                entry.operation == log.UPSERT
                or (entry.operation == log.ADD and not present)
                or (entry.operation == log.UPDATE and present)
            ):
                self.overlay[entry.id] = entry.vector
                buffered.add(entry.id)
            since_batch += 1
            if since_batch >= batch_size:
                buffered.clear()
                since_batch = 0
        if self.cosine:
            as_given = buffered if coll.brute_force_buffer else set()
            for uid, vector in self.overlay.items():
                if vector is not None and uid not in as_given:
                    self.overlay[uid] = _as_hnsw_returns(vector)

    def _present(self, uid: str) -> bool:
        if uid in self.overlay:
            return self.overlay[uid] is not None
        return self.id_map is not None and uid in self.id_map.id_to_label

    def of(self, ids: list[str]) -> np.ndarray:
        from_files: list[int] = []
        labels: list[int] = []
        rows: list[np.ndarray | None] = []
        for i, uid in enumerate(ids):
            if uid in self.overlay:
                vector = self.overlay[uid]
                if vector is None:
                    raise self._missing(uid)
                rows.append(vector)
                continue
            label = self.id_map.id_to_label.get(uid) if self.id_map else None
            if label is None:
                raise self._missing(uid)
            from_files.append(i)
            labels.append(label)
            rows.append(None)
        if from_files:
            assert self.files is not None
            found = self.files.vectors(self.files.live_positions(np.asarray(labels, np.uint64)))
            for j, i in enumerate(from_files):
                rows[i] = found[j]
        dims = {len(r) for r in rows if r is not None}
        if len(dims) > 1:
            raise ChromaImportError(f"collection {self.coll.name}: vectors of different lengths {sorted(dims)}", self.coll.name)
        dim = dims.pop() if dims else (self.coll.dimension or 0)
        return np.array(rows, dtype=np.float32).reshape(len(ids), dim)

    def _missing(self, uid: str) -> ChromaImportError:
        return ChromaImportError(
            f"collection {self.coll.tenant}/{self.coll.database}/{self.coll.name}: record {uid!r} has no vector "
            "in the HNSW files nor in the log (a torn flush?); stop Chroma, let it open the directory once, "
            "and import again",
            self.coll.name,
        )


def _as_hnsw_returns(vector: np.ndarray) -> np.ndarray:
    """A cosine vector as hnswlib gives it back: normalised on insert (a sequential float32
    sum of squares), then multiplied by its stored norm on get(), all in float32."""
    v = np.asarray(vector, dtype=np.float32)
    norm = np.sqrt(np.cumsum(v * v, dtype=np.float32)[-1]) if len(v) else np.float32(0)
    unit = v * (np.float32(1.0) / (norm + np.float32(1e-30)))
    return (unit * norm).astype(np.float32)
