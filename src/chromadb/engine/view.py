"""The in-memory view of one collection: derived from SQLite, rebuilt or caught up at will.

Records live in *slots*, appended in insertion (rid) order, so slot order is the order
`get` returns. A deleted record leaves a dead slot until the view is compacted. The
view holds what reads need without touching SQLite: ids, documents, uris, metadata,
a contiguous float32 vector matrix, lazily built metadata columns and a document text
index, plus the per-slot `indexed` flags that tell search which slots the HNSW index
covers (the rest are searched exactly).
"""
from __future__ import annotations

import bisect
import itertools
from typing import Any

import numpy as np
import orjson

from chromadb.engine.columns import Column

_SEPARATOR = "\x00"

# An HNSW label is a record's rid plus the version of its vector in the high bits, so an
# updated vector is inserted as a new graph element (hnswlib's in-place update can leave
# a moved element unreachable) and a stale label is recognisable without a lookup table.
LABEL_RID_BITS = 40
LABEL_RID_MASK = (1 << LABEL_RID_BITS) - 1


def split_labels(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    labels = labels.astype(np.int64)
    return labels & LABEL_RID_MASK, labels >> LABEL_RID_BITS


class CollectionView:
    def __init__(self, cid: int, collection_id: str, dimension: int | None, space: str) -> None:
        self.cid = cid
        self.collection_id = collection_id
        self.space = space
        self.seq = 0
        self.n = 0
        self.live_count = 0
        self.capacity = 0
        self.dimension = dimension
        self.rids = np.zeros(0, dtype=np.int64)
        self.live = np.zeros(0, dtype=bool)
        self.indexed = np.zeros(0, dtype=bool)
        self.vector_version = np.zeros(0, dtype=np.int64)  # bumped on every vector write
        self.vectors = np.zeros((0, dimension or 0), dtype=np.float32)
        self.norms = np.zeros(0, dtype=np.float32)  # |x|^2 for l2, 1/|x| for cosine
        self.ids: list[str | None] = []
        self.documents: list[str | None] = []
        self.uris: list[str | None] = []
        self.metadatas: list[dict[str, Any] | bytes | None] = []  # bytes: not parsed yet
        self.slot_of: dict[str, int] = {}
        self._columns: dict[str, Column] = {}
        self._doc_text: tuple[str, list[int]] | None = None
        self.index: Any = None  # VectorIndex, attached by the engine

    # -- growth --------------------------------------------------------------------------
    def _ensure_capacity(self, needed: int) -> None:
        if needed <= self.capacity:
            return
        cap = max(needed, int(self.capacity * 1.5) + 64)
        self.rids = _grown(self.rids, cap)
        self.live = _grown(self.live, cap)
        self.indexed = _grown(self.indexed, cap)
        self.vector_version = _grown(self.vector_version, cap)
        self.norms = _grown(self.norms, cap)
        if self.dimension is not None:
            vec = np.zeros((cap, self.dimension), dtype=np.float32)
            vec[: self.n] = self.vectors[: self.n]
            self.vectors = vec
        for col in self._columns.values():
            col.grow(cap)
        self.capacity = cap

    def _set_dimension(self, dimension: int) -> None:
        self.dimension = dimension
        self.vectors = np.zeros((self.capacity, dimension), dtype=np.float32)

    def load(self, rows: list[tuple]) -> None:
        """Fill an empty view from SQLite rows (rid, id, document, uri, metadata_blob, embedding_blob).

        The bulk twin of apply_rows: whole columns at once, no per-record slot logic.
        """
        assert self.n == 0
        n = len(rows)
        if n == 0:
            return
        rids, ids, docs, uris, metas, blobs = zip(*rows)
        self._ensure_capacity(n)
        self.rids[:n] = rids
        self.live[:n] = True
        self.ids = list(ids)
        self.documents = list(docs)
        self.uris = list(uris)
        # parsed on first use (metadata(slot), or a column build): opening stays cheap
        self.metadatas = list(metas)
        self.slot_of = {id_: i for i, id_ in enumerate(ids)}
        if blobs[0] is not None:
            matrix = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(n, -1)
            if self.dimension is None:
                self._set_dimension(matrix.shape[1])
            self.vectors[:n] = matrix
        self.n = self.live_count = n
        self._refresh_norms(slice(0, n))

    # -- writes (applied after the SQLite commit, or when catching up) ----------------------
    def apply_rows(self, rows: list[tuple]) -> list[int]:
        """rows: (rid, id, document, uri, metadata, vector); insert new rids, overwrite known ones.

        Returns the slots touched. New rids are always larger than every known rid,
        because SQLite hands them out under its write lock.
        """
        if not rows:
            return []
        new = [r for r in rows if self._slot_of_rid(r[0], r[1]) is None]
        self._ensure_capacity(self.n + len(new))
        if self.dimension is None:
            for r in rows:
                if r[5] is not None:
                    self._set_dimension(len(r[5]))
                    break
        slots = []
        for rid, id_, doc, uri, meta, vec in rows:
            slot = self._slot_of_rid(rid, id_)
            if slot is None:
                slot = self.n
                self.n += 1
                self.rids[slot] = rid
                self.live[slot] = True
                self.live_count += 1
                self.ids.append(id_)
                self.documents.append(doc)
                self.uris.append(uri)
                self.metadatas.append(meta)
                self.slot_of[id_] = slot
            else:
                self.documents[slot] = doc
                self.uris[slot] = uri
                self.metadatas[slot] = meta
            if vec is not None:
                self.vectors[slot] = vec
                self.indexed[slot] = False
                self.vector_version[slot] += 1
            for key, col in self._columns.items():
                col.set(slot, None if meta is None else meta.get(key))
            slots.append(slot)
        self._refresh_norms(np.asarray(slots, dtype=np.int64))
        self._doc_text = None
        return slots

    def delete_slots(self, slots: list[int]) -> None:
        for slot in slots:
            if not self.live[slot]:
                continue
            self.live[slot] = False
            self.live_count -= 1
            id_ = self.ids[slot]
            if id_ is not None and self.slot_of.get(id_) == slot:
                del self.slot_of[id_]
            self.ids[slot] = None
            self.documents[slot] = None
            self.uris[slot] = None
            self.metadatas[slot] = None
            for col in self._columns.values():
                col.set(slot, None)
        self._doc_text = None

    def compact(self) -> None:
        """Drop dead slots so memory and scans shrink after deletes; record order is kept."""
        keep = np.flatnonzero(self.live[: self.n])
        n = len(keep)
        for name in ("rids", "indexed", "vector_version", "norms"):
            arr = getattr(self, name)
            arr[:n] = arr[keep]
        if self.dimension is not None:
            self.vectors[:n] = self.vectors[keep]
        self.live[:n] = True
        self.live[n : self.n] = False
        keep_list = keep.tolist()
        self.ids = [self.ids[i] for i in keep_list]
        self.documents = [self.documents[i] for i in keep_list]
        self.uris = [self.uris[i] for i in keep_list]
        self.metadatas = [self.metadatas[i] for i in keep_list]
        self.slot_of = {id_: i for i, id_ in enumerate(self.ids)}
        self.n = n
        self._columns.clear()
        self._doc_text = None

    def slots_of_rids(self, rids: list[int]) -> list[int]:
        pos = np.searchsorted(self.rids[: self.n], np.asarray(rids, dtype=np.int64))
        out = []
        for p, rid in zip(pos.tolist(), rids):
            if p < self.n and self.rids[p] == rid and self.live[p]:
                out.append(p)
        return out

    def _slot_of_rid(self, rid: int, id_: str) -> int | None:
        slot = self.slot_of.get(id_)
        if slot is not None and self.rids[slot] == rid:
            return slot
        return None

    def _refresh_norms(self, slots: np.ndarray | slice) -> None:
        if self.dimension is None:
            return
        v = self.vectors[slots]
        sq = np.einsum("ij,ij->i", v, v)
        if self.space == "cosine":
            self.norms[slots] = 1.0 / (np.sqrt(sq) + 1e-30)
        else:
            self.norms[slots] = sq

    # -- reads ---------------------------------------------------------------------------
    def metadata(self, slot: int) -> dict[str, Any] | None:
        meta = self.metadatas[slot]
        if isinstance(meta, bytes):
            meta = self.metadatas[slot] = orjson.loads(meta)
        return meta

    def column(self, key: str) -> Column:
        col = self._columns.get(key)
        if col is None:
            col = Column.build(key, [self.metadata(i) for i in range(self.n)], self.n, self.capacity)
            self._columns[key] = col
        return col

    def documents_containing(self, needle: str) -> np.ndarray:
        """Exact, case-sensitive substring test over every document."""
        n = self.n
        mask = np.zeros(n, dtype=bool)
        if _SEPARATOR in needle:
            for slot, doc in enumerate(self.documents[:n]):
                mask[slot] = doc is not None and needle in doc
            return mask
        text, starts = self._document_text()
        find = text.find
        pos = find(needle)
        while pos != -1:
            slot = bisect.bisect_right(starts, pos) - 1
            mask[slot] = True
            # continue after this document: one find per matching document
            pos = find(needle, starts[slot + 1] if slot + 1 < n else len(text))
        return mask

    def _document_text(self) -> tuple[str, list[int]]:
        # All documents joined by a separator no needle contains, so one C-level
        # str.find per matching document answers $contains.
        if self._doc_text is None:
            docs = [d or "" for d in self.documents[: self.n]]
            starts = list(itertools.accumulate((len(d) + 1 for d in docs[:-1]), initial=0)) if docs else []
            self._doc_text = (_SEPARATOR.join(docs), starts)
        return self._doc_text

    def labels(self, slots: np.ndarray | list[int]) -> np.ndarray:
        """The HNSW labels of the current vectors of these slots."""
        slots = np.asarray(slots, dtype=np.int64)
        return self.rids[slots] | (self.vector_version[slots] << LABEL_RID_BITS)

    def slots_of_labels(self, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(slots, valid): valid where the label is a live record's current vector."""
        rids, versions = split_labels(labels)
        if self.n == 0:
            return np.zeros(len(rids), np.int64), np.zeros(len(rids), bool)
        slots = np.minimum(np.searchsorted(self.rids[: self.n], rids), self.n - 1)
        valid = (self.rids[slots] == rids) & self.live[slots] & (self.vector_version[slots] == versions)
        return slots, valid

    def live_slots(self) -> np.ndarray:
        return np.flatnonzero(self.live[: self.n])


def _grown(arr: np.ndarray, cap: int) -> np.ndarray:
    new = np.zeros(cap, dtype=arr.dtype)
    new[: len(arr)] = arr
    return new
