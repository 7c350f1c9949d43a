"""The in-memory view of one collection: derived from SQLite, loaded lazily, caught up at will.

Records live in *slots*, appended in insertion (rid) order, so slot order is the order
`get` returns and `rids` stays sorted. A deleted record leaves a dead slot until the
view is compacted. Opening a view reads only the rids (a covering-index scan); the
rest is loaded when something needs it, so a fresh process answers its first query
without reading the whole collection:

* *fields* (ids, documents, uris, metadata): loaded in bulk by the first operation that
  looks records up by id or filters on content; before that, the few rows a result
  shows are fetched by rid;
* *vectors* (a contiguous float32 matrix and its norms): loaded in bulk by the first
  exact search over many rows; before that, small sets are fetched by rid. A collection
  whose matrix would pass `resident_vectors_max` bytes keeps none: its HNSW graphs hold
  the same vectors already (1.5 GB at 1M x 384), so it would double the memory. Its exact
  scans (a selective filter, records the index does not cover yet) read what the index
  covers from the saved graph files (VectorIndex.stored_vectors) and the rest from the
  store, chunk by chunk, keeping large reads for the next scan (vector_cache.py).

A bulk load reads and builds LOAD_CHUNK rows at a time: it never holds a second copy of
what it loads (at 1M x 384 the vector blobs alone are 1.5 GB), a background load leaves
the GIL to queries between chunks, and a big one shows a progress bar (progress.py).

Writes applied before a group is loaded only update the slot bookkeeping: SQLite
already holds their values, and the bulk load reads them from there. Derived from the
same data: lazily built metadata columns, a document text index, and the per-slot
`covered` labels that tell search which slots the HNSW index covers.
"""
from __future__ import annotations

import bisect
import itertools
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Sequence
from typing import Any, NamedTuple, Protocol

import numpy as np
import orjson

from chromadb.engine.columns import Column
from chromadb.engine.options import EngineOptions
from chromadb.engine.sketch import FIT_SAMPLE, Sketch
from chromadb.engine.sparse_index import SparseIndex
from chromadb.engine.vector_cache import VectorCache
from chromadb.progress import progress_bar

_SEPARATOR = "\x00"

# An HNSW label is a record's rid plus the version of its vector in the high bits, so an
# updated vector is inserted as a new graph element (hnswlib's in-place update can leave
# a moved element unreachable) and a stale label is recognisable without a lookup table.
LABEL_RID_BITS = 40
LABEL_RID_MASK = (1 << LABEL_RID_BITS) - 1

# Up to this many rows are fetched by rid while a group is not loaded; more load it all.
FETCH_MAX = 1024
# A view keeps no vector matrix that would take more than this (see the module docstring):
# EngineOptions.resident_vectors_max, which the engine passes in.
RESIDENT_VECTORS_MAX = EngineOptions.resident_vectors_max
# A view without a matrix reads the vectors of a scan this many rows at a time.
FETCH_CHUNK = 8192
# The filter cache of a view keeps this many allowed sets, each with its gathered
# vectors when they take at most this many bytes.
FILTER_CACHE_ENTRIES = 8
FILTER_CACHE_VECTOR_BYTES = 32 * 1024 * 1024


# Bulk loads read and build this many rows at a time (see the module docstring).
LOAD_CHUNK = 1024
# A bulk load of at least this many records shows a progress bar.
LOAD_BAR_MIN = 100_000

# The fields group as loaded: ids, documents, uris, metadatas (JSON bytes), and the slot of each id.
FieldGroups = tuple[list[Any], list[Any], list[Any], list[Any], dict[str, int]]
# How a bulk load reads rows: (cid, rids in ascending order) -> rows for those rids, rid first.
RowFetch = Callable[[int, list[int]], list[tuple[Any, ...]]]


class LoadPlan(NamedTuple):
    """What a bulk load fills: the view's slots when it started (a background load builds
    off the lock from this copy, and installs only if the view has not changed since)."""

    n: int
    capacity: int
    rids: np.ndarray
    live: np.ndarray


class SketchWork(NamedTuple):
    """Slots of a view to project into its sketch off the engine lock (CollectionView.sketch_work)."""

    sketch: Sketch
    slots: np.ndarray
    vectors: np.ndarray
    norms: np.ndarray


def split_labels(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    labels = labels.astype(np.int64)
    return labels & LABEL_RID_MASK, labels >> LABEL_RID_BITS


class RecordSource(Protocol):
    """Where a view reads what it has not loaded (the engine's store). None: every record."""

    def record_fields(self, cid: int, rids: list[int] | None) -> list[tuple[Any, ...]]:
        """(rid, id, document, uri, metadata_blob) rows, in rid order."""

    def record_vectors(self, cid: int, rids: list[int] | None) -> list[tuple[Any, ...]]:
        """(rid, embedding_blob) rows, in rid order."""

    def record_rids_of_ids(self, cid: int, ids: list[str]) -> list[tuple[Any, ...]]:
        """(id, rid) of those of these ids that exist."""


class CollectionView:
    def __init__(
        self,
        cid: int,
        collection_id: str,
        dimension: int | None,
        space: str,
        source: RecordSource,
        resident_vectors_max: int = RESIDENT_VECTORS_MAX,
    ) -> None:
        self.cid = cid
        self.resident_vectors_max = resident_vectors_max
        self.collection_id = collection_id
        self.space = space
        self.source = source
        self.seq = 0
        self.n = 0
        self.live_count = 0
        self.capacity = 0
        self.dimension = dimension
        self.rids = np.zeros(0, dtype=np.int64)
        self.live = np.zeros(0, dtype=bool)
        self.vector_version = np.zeros(0, dtype=np.int64)  # bumped on every vector write
        # The HNSW label of each slot's current vector where the index covers it, else -1:
        # a graph hit is good exactly when covered[its slot] equals its label.
        self.covered = np.zeros(0, dtype=np.int64)
        # fields group (None until loaded)
        self._ids: list[str | None] | None = None
        self._documents: list[str | None] = []
        self._uris: list[str | None] = []
        # metadata as JSON bytes, parsed on each read: a million small dicts would cost ~3x
        # the memory and give the garbage collector a million more objects to walk
        self._metadatas: list[bytes | None] = []
        self._slot_of: dict[str, int] = {}
        # vectors group (None until loaded)
        self._vectors: np.ndarray | None = None
        self._norms = np.zeros(0, dtype=np.float32)  # |x|^2 for l2, 1/|x| for cosine
        self._sketch: Sketch | None = None  # projected vectors (sketch.py), while the vectors are loaded
        # without a matrix: vectors read from the store or written since (vector_cache.py),
        # for the index (and its saves) it was started with
        self._cache: VectorCache | None = None
        self._cache_for: tuple[Any, int] | None = None
        self._sketch_off = False  # the data cannot be sketched (too few dimensions, or audits said so)
        # Slots written since the sketch last saw them: projected when a backlog query asks for
        # the sketch, not on the write (the projection is a BLAS product that, with the indexer
        # on the other core, cost upserts ~40% in an A/B).
        self._sketch_stale: list[np.ndarray] = []
        self._sketch_in_flight: np.ndarray | None = None  # slots the indexer is projecting (sketch_work)
        self._columns: dict[str, Column] = {}
        self._sparse: dict[str, SparseIndex] = {}  # inverted indexes of sparse-vector keys
        self._doc_text: tuple[str, list[int]] | None = None
        self._pending: np.ndarray | None = None  # cache of pending_slots()
        self._filters: OrderedDict[Hashable, CandidateSet] = OrderedDict()  # most recent last
        self.index: Any = None  # VectorIndex, attached by the engine
        self.warming = False  # a background load of the lazy groups was started (Engine._warm)

    # -- lazy groups -----------------------------------------------------------------------
    @property
    def fields_loaded(self) -> bool:
        return self._ids is not None

    @property
    def vectors_loaded(self) -> bool:
        return self._vectors is not None

    @property
    def vectors_resident(self) -> bool:
        """Whether the vectors may be held as a matrix (else scans read them from the store)."""
        return self._matrix_fits(self.capacity, self.dimension or 0)

    def _matrix_fits(self, rows: int, dimension: int) -> bool:
        return rows * dimension * 4 <= self.resident_vectors_max

    @property
    def ids(self) -> list[str | None]:
        self._load_fields()
        return self._ids  # type: ignore[return-value]

    @property
    def documents(self) -> list[str | None]:
        self._load_fields()
        return self._documents

    @property
    def uris(self) -> list[str | None]:
        self._load_fields()
        return self._uris

    @property
    def slot_of(self) -> dict[str, int]:
        self._load_fields()
        return self._slot_of

    @property
    def vectors(self) -> np.ndarray:
        self._load_vectors()
        return self._vectors  # type: ignore[return-value]

    @property
    def norms(self) -> np.ndarray:
        self._load_vectors()
        return self._norms

    def _load_fields(self) -> None:
        if self._ids is None:
            self.install_fields(self.fields_from(self.load_plan(), self.source.record_fields))

    def _load_vectors(self) -> None:
        if self._vectors is None:
            self.install_vectors(self.vectors_from(self.load_plan(), self.source.record_vectors))

    # Building a group is the slow part of loading it; it only reads the plan, so a
    # background warm-up (CollectionRuntime._warm) builds off the engine lock, then
    # installs under it if the view has not changed since (same seq).
    def load_plan(self) -> LoadPlan:
        n = self.n
        return LoadPlan(n, self.capacity, self.rids[:n].copy(), self.live[:n].copy())

    def _chunks(self, plan: LoadPlan, fetch: RowFetch, what: str) -> Iterator[tuple[np.ndarray, list[tuple[Any, ...]]]]:
        """(slots, rows) for each chunk of the plan's live slots, rows read by rid (a row
        per slot in the usual case; fewer when the store no longer has some)."""
        with progress_bar(plan.n, what, min_total=LOAD_BAR_MIN) as bar:
            for lo in range(0, plan.n, LOAD_CHUNK):
                hi = min(plan.n, lo + LOAD_CHUNK)
                slots = lo + np.flatnonzero(plan.live[lo:hi])
                if len(slots):
                    yield slots, fetch(self.cid, plan.rids[slots].tolist())
                bar.update(hi - lo)
                time.sleep(0)  # a thread waiting for the GIL (a query) gets it now

    @staticmethod
    def _placed(plan: LoadPlan, slots: np.ndarray, rows: list[tuple[Any, ...]]) -> list[int]:
        """The slot of each row (rows come in rid order, a subset of the slots' rids)."""
        if len(rows) == len(slots):
            return slots.tolist()
        row_rids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        return slots[np.searchsorted(plan.rids[slots], row_rids)].tolist()

    def fields_from(self, plan: LoadPlan, fetch: RowFetch) -> FieldGroups:
        """(ids, documents, uris, metadatas, slot of each id) by slot, read chunk by chunk
        with `fetch` as (rid, id, document, uri, metadata) rows."""
        n = plan.n
        ids: list[str | None] = [None] * n
        docs: list[str | None] = [None] * n
        uris: list[str | None] = [None] * n
        metas: list[Any] = [None] * n
        slot_of: dict[str, int] = {}
        for slots, rows in self._chunks(plan, fetch, "Loading records"):
            placed = self._placed(plan, slots, rows)
            _rids, chunk_ids, chunk_docs, chunk_uris, chunk_metas = (list(col) for col in zip(*rows)) if rows else ([],) * 5
            lo = placed[0] if placed else 0
            if placed and placed[-1] - lo == len(placed) - 1:  # the usual case: no dead slots
                hi = lo + len(placed)
                ids[lo:hi], docs[lo:hi], uris[lo:hi], metas[lo:hi] = chunk_ids, chunk_docs, chunk_uris, chunk_metas
            else:
                for slot, id_, doc, uri, meta in zip(placed, chunk_ids, chunk_docs, chunk_uris, chunk_metas):
                    ids[slot], docs[slot], uris[slot], metas[slot] = id_, doc, uri, meta
            slot_of.update(zip(chunk_ids, placed))
        return ids, docs, uris, metas, slot_of

    def install_fields(self, fields: FieldGroups) -> None:
        self._ids, self._documents, self._uris, self._metadatas, self._slot_of = fields

    def vectors_from(self, plan: LoadPlan, fetch: RowFetch) -> tuple[np.ndarray, np.ndarray]:
        """(matrix, norms), capacity rows, read chunk by chunk with `fetch` as (rid, embedding) rows."""
        matrix = np.zeros((plan.capacity, self.dimension or 0), dtype=np.float32)
        norms = np.zeros(plan.capacity, dtype=np.float32)
        if not self.dimension:
            return matrix, norms
        for slots, rows in self._chunks(plan, fetch, "Loading vectors"):
            rows = [r for r in rows if r[1] is not None]
            if not rows:
                continue
            placed = self._placed(plan, slots, rows)
            block = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), -1)
            where: slice | list[int] = placed
            if placed[-1] - placed[0] == len(placed) - 1:  # the usual case: a run of slots
                where = slice(placed[0], placed[-1] + 1)
            matrix[where] = block
            norms[where] = self._norms_of(block)
        return matrix, norms

    def install_vectors(self, vectors: tuple[np.ndarray, np.ndarray]) -> None:
        self._vectors, self._norms = vectors
        self._sketch = None  # built again from these when a backlog needs it
        self._sketch_stale = []

    def sketch(self) -> Sketch | None:
        """The sketch of the loaded vectors (fitted on a sample of them the first time);
        None when they are not loaded or cannot be sketched."""
        if self._sketch is not None:
            if self._sketch.usable:
                self._refresh_sketch()
                return self._sketch
            self._sketch, self._sketch_off, self._sketch_stale = None, True, []
        if self._sketch_off or self._vectors is None or self.n == 0:
            return None
        live = self.live_slots()
        sample = live[:: max(1, len(live) // FIT_SAMPLE)][:FIT_SAMPLE]
        self._sketch = Sketch.fit(self._vectors[sample], self._norms[sample], self.space, self.capacity)
        if self._sketch is None:
            self._sketch_off = True
            return None
        self._sketch.set(slice(0, self.n), self._vectors[: self.n], self._norms[: self.n])
        self._sketch_stale = []
        return self._sketch

    def sketch_work(self) -> SketchWork | None:
        """The slots written since the sketch last saw them, with copies of their vectors,
        for the indexer to project between its inserts and off the engine lock: otherwise
        the first query of a large backlog projects all of it (0.7-0.9 s at 100k x 384)."""
        sketch = self._sketch
        if sketch is None or not sketch.usable or not self._sketch_stale or self._vectors is None:
            return None
        touched = np.unique(np.concatenate(self._sketch_stale))
        self._sketch_stale = []
        touched = touched[touched < self.n]
        self._sketch_in_flight = touched  # a query before the put projects them itself
        return SketchWork(sketch, touched, self._vectors[touched], self._norms[touched])

    def put_sketch_work(self, work: SketchWork, projected: np.ndarray) -> None:
        """Store what the indexer projected, unless a query (or a compaction) projected
        those slots itself meanwhile, from vectors as they are now. Slots written again
        since the work was taken are stale again and will be projected again."""
        if work.sketch is self._sketch and self._sketch_in_flight is work.slots:
            self._sketch_in_flight = None
            work.sketch.put(work.slots, projected)

    def _refresh_sketch(self) -> None:
        """Project the slots written since the sketch last saw them."""
        in_flight, self._sketch_in_flight = self._sketch_in_flight, None
        if in_flight is not None:
            self._sketch_stale.append(in_flight)
        if not self._sketch_stale or self._sketch is None or self._vectors is None:
            return
        touched = np.unique(np.concatenate(self._sketch_stale))
        self._sketch_stale = []
        touched = touched[touched < self.n]
        self._sketch.set(touched, self._vectors[touched], self._norms[touched])

    def _fill(self, out: np.ndarray, slots: np.ndarray, rows: list[tuple[Any, ...]]) -> None:
        """Copy (rid, blob) rows into out[i] where slots[i] holds that rid."""
        rows = [r for r in rows if r[1] is not None]
        if not rows or len(slots) == 0:
            return
        rids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        want = self.rids[slots]
        order = np.argsort(want, kind="stable")
        pos = np.minimum(np.searchsorted(want[order], rids), len(want) - 1)
        ok = want[order][pos] == rids
        blobs = [r[1] for r, good in zip(rows, ok.tolist()) if good]
        if blobs:
            out[order[pos[ok]]] = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), -1)

    def locate(self, rids: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """(slots, found): the live slot of each rid, where the view has it."""
        arr = np.asarray(rids, dtype=np.int64)
        if self.n == 0:
            return np.zeros(len(arr), np.int64), np.zeros(len(arr), bool)
        slots = np.minimum(np.searchsorted(self.rids[: self.n], arr), self.n - 1)
        return slots, (self.rids[slots] == arr) & self.live[slots]

    # -- growth --------------------------------------------------------------------------
    def _ensure_capacity(self, needed: int) -> None:
        if needed <= self.capacity:
            return
        cap = max(needed, int(self.capacity * 1.5) + 64)
        self.rids = _grown(self.rids, cap)
        self.live = _grown(self.live, cap)
        self.vector_version = _grown(self.vector_version, cap)
        self.covered = _grown(self.covered, cap, fill=-1)
        if self._vectors is not None and not self._matrix_fits(cap, self._vectors.shape[1]):
            self._drop_vectors()
        elif self._vectors is not None:
            vec = np.zeros((cap, self._vectors.shape[1]), dtype=np.float32)
            vec[: self.n] = self._vectors[: self.n]
            self._vectors = vec
            self._norms = _grown(self._norms, cap)
        if self._sketch is not None:
            self._sketch.grow(cap)
        if self._cache is not None:
            self._cache.grow(cap)
        for col in self._columns.values():
            col.grow(cap)
        self.capacity = cap

    def _set_dimension(self, dimension: int) -> None:
        self.dimension = dimension
        self._cache = self._cache_for = None
        self._sketch = None
        self._sketch_stale = []
        if self._vectors is not None and not self.vectors_resident:
            self._drop_vectors()
        elif self._vectors is not None:
            self._vectors = np.zeros((self.capacity, dimension), dtype=np.float32)

    def _drop_vectors(self) -> None:
        """Grown past resident_vectors_max: give up the matrix (and the sketch made from it)."""
        self._vectors = None
        self._norms = np.zeros(0, dtype=np.float32)
        self._sketch, self._sketch_stale, self._sketch_in_flight = None, [], None

    def open(self, rids: np.ndarray) -> None:
        """Start an empty view with the collection's (sorted) rids; everything else is lazy."""
        assert self.n == 0
        n = len(rids)
        self._ensure_capacity(n)
        self.rids[:n] = rids
        self.live[:n] = True
        self.n = self.live_count = n
        self._pending = None
        if n == 0:  # nothing to load: both groups start loaded (and empty)
            self._ids, self._slot_of = [], {}
            self._vectors = np.zeros((self.capacity, self.dimension or 0), dtype=np.float32)
            self._norms = np.zeros(self.capacity, dtype=np.float32)

    # -- writes (applied after the SQLite commit, or when catching up) ----------------------
    def apply_rows(self, rows: Sequence[tuple[Any, ...]]) -> list[int]:
        """rows: (rid, id, document, uri, metadata, vector); insert new rids, overwrite known ones.

        `vector` None leaves the stored vector as it is. Returns the slots touched. New
        rids are always larger than every known rid, because SQLite hands them out under
        its write lock.
        """
        if not rows:
            return []
        known_slots, known = self.locate([r[0] for r in rows])
        self._ensure_capacity(self.n + int(len(rows) - known.sum()))
        if self.dimension is None:
            vec = next((r[5] for r in rows if r[5] is not None), None)
            if vec is not None:
                self._set_dimension(len(vec))
        fields = self._ids is not None
        vectors = self._vectors is not None
        cache = self._kept_cache()
        written: list[int] = []
        written_vectors: list[Any] = []
        slots = []
        for (rid, id_, doc, uri, meta, vec), slot, is_known in zip(rows, known_slots.tolist(), known.tolist()):
            if not is_known:
                slot = self.n
                self.n += 1
                self.rids[slot] = rid
                self.live[slot] = True
                self.covered[slot] = -1
                self.live_count += 1
                if fields:
                    self._ids.append(id_)  # type: ignore[union-attr]
                    self._documents.append(doc)
                    self._uris.append(uri)
                    self._metadatas.append(_json(meta))
                    self._slot_of[id_] = slot
            elif fields:
                self._documents[slot] = doc
                self._uris[slot] = uri
                self._metadatas[slot] = _json(meta)
            if vec is not None:
                if vectors:
                    self._vectors[slot] = vec  # type: ignore[index]
                elif cache is not None:
                    written.append(slot)
                    written_vectors.append(vec)
                self.covered[slot] = -1
                self.vector_version[slot] += 1
            for key, col in self._columns.items():
                col.set(slot, None if meta is None else meta.get(key))
            for key, sparse in self._sparse.items():
                sparse.set(slot, None if meta is None else meta.get(key))
            slots.append(slot)
        if vectors:
            touched = np.asarray(slots, dtype=np.int64)
            self._norms[touched] = self._norms_of(self._vectors[touched])  # type: ignore[index]
            if self._sketch is not None:
                self._sketch_stale.append(touched)
        if cache is not None and written:
            last = dict(zip(written, written_vectors))  # a slot written twice in one batch: its last vector
            where = np.fromiter(last, dtype=np.int64, count=len(last))
            cache.put(where, np.asarray(list(last.values()), dtype=np.float32))
        self._content_changed()
        self._pending = None
        return slots

    def delete_slots(self, slots: list[int]) -> None:
        fields = self._ids is not None
        for slot in slots:
            if not self.live[slot]:
                continue
            self.live[slot] = False
            self.covered[slot] = -1
            self.live_count -= 1
            if fields:
                id_ = self._ids[slot]  # type: ignore[index]
                if id_ is not None and self._slot_of.get(id_) == slot:
                    del self._slot_of[id_]
                self._ids[slot] = None  # type: ignore[index]
                self._documents[slot] = None
                self._uris[slot] = None
                self._metadatas[slot] = None
            for col in self._columns.values():
                col.set(slot, None)
            for sparse in self._sparse.values():
                sparse.set(slot, None)
        self._content_changed()
        self._pending = None

    def compact(self) -> None:
        """Drop dead slots so memory and scans shrink after deletes; record order is kept."""
        self._refresh_sketch()  # stale slot numbers are about to move
        keep = np.flatnonzero(self.live[: self.n])
        n = len(keep)
        for name in ("rids", "covered", "vector_version"):
            arr = getattr(self, name)
            arr[:n] = arr[keep]
        if self._vectors is not None:
            self._vectors[:n] = self._vectors[keep]
            self._norms[:n] = self._norms[keep]
        if self._sketch is not None:
            self._sketch.compact(keep)
        self._cache = self._cache_for = None  # slots move: started again when a scan needs it
        self.live[:n] = True
        self.live[n : self.n] = False
        self.covered[n : self.n] = -1
        if self._ids is not None:
            keep_list = keep.tolist()
            self._ids = [self._ids[i] for i in keep_list]
            self._documents = [self._documents[i] for i in keep_list]
            self._uris = [self._uris[i] for i in keep_list]
            self._metadatas = [self._metadatas[i] for i in keep_list]
            self._slot_of = {id_: i for i, id_ in enumerate(self._ids) if id_ is not None}
        self.n = n
        self._columns.clear()
        self._sparse.clear()
        self._content_changed()
        self._pending = None

    def slots_of_rids(self, rids: list[int]) -> list[int]:
        slots, found = self.locate(rids)
        return slots[found].tolist()

    def _norms_of(self, v: np.ndarray) -> np.ndarray:
        sq = np.einsum("ij,ij->i", v, v)
        if self.space == "cosine":
            return 1.0 / (np.sqrt(sq) + 1e-30)
        return sq

    # -- reads ---------------------------------------------------------------------------
    def metadata(self, slot: int) -> dict[str, Any] | None:
        """The slot's metadata, a fresh dict (the caller may keep or change it)."""
        self._load_fields()
        meta = self._metadatas[slot]
        return None if meta is None else orjson.loads(meta)

    def _metadata_copies(self, slots: list[int]) -> list[dict[str, Any] | None]:
        metas, loads = self._metadatas, orjson.loads
        return [None if (meta := metas[s]) is None else loads(meta) for s in slots]

    def slots_of_ids(self, ids: list[str]) -> dict[str, int]:
        """The slot of each of these ids that is live (looked up in SQLite while ids are not loaded)."""
        if self._ids is not None or len(ids) > FETCH_MAX:
            slot_of = self.slot_of
            return {i: slot_of[i] for i in ids if i in slot_of}
        rows = self.source.record_rids_of_ids(self.cid, ids) if ids else []
        slots, found = self.locate([r[1] for r in rows])
        return {r[0]: slot for r, slot, ok in zip(rows, slots.tolist(), found.tolist()) if ok}

    def gather(self, slots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(vectors, norms) of these slots, for scoring: from the matrix, or fetched by rid
        while few. A view that keeps no matrix reads the vectors the index covers from its
        saved graph files (cosine: normalised there, which scores the same), the rest from
        the store."""
        slots = np.asarray(slots, dtype=np.int64)
        if self._vectors is not None or self.dimension is None or (len(slots) > FETCH_MAX and self.vectors_resident):
            return self.vectors[slots], self.norms[slots]
        x = np.zeros((len(slots), self.dimension), dtype=np.float32)
        missing = np.ones(len(slots), dtype=bool)
        if self.vectors_resident:
            self._fetch_into(x, slots, missing)
            return x, self._norms_of(x)
        if self.index is not None:
            labels = self.covered[slots]
            held = np.flatnonzero(labels >= 0)
            if len(held) == len(slots):  # the usual case: every slot indexed, read in place
                missing = ~self.index.stored_vectors(labels, x)
            elif len(held):
                part = np.zeros((len(held), self.dimension), dtype=np.float32)
                found = self.index.stored_vectors(labels[held], part)
                x[held[found]] = part[found]
                missing[held[found]] = False
        cache = self._kept_cache()
        if cache is not None:
            missing = cache.read(slots, x, missing)
        read = int(np.count_nonzero(missing))
        if read:
            self._fetch_into(x, slots, missing)
            if cache is None and read > FETCH_MAX:
                cache = self._start_cache()  # a scan too large to read again each time
            if cache is not None:
                cache.put(slots[missing], x[missing])
        return x, self._norms_of(x)

    def _kept_cache(self) -> VectorCache | None:
        """The cache of store reads, unless the index it was started for is gone or saved since."""
        if self._cache is not None and self._cache_for != self._cache_key():
            self._cache = self._cache_for = None
        return self._cache

    def _start_cache(self) -> VectorCache:
        self._cache = VectorCache(self.capacity, self.dimension or 0, self.resident_vectors_max)
        self._cache_for = self._cache_key()
        return self._cache

    def _cache_key(self) -> tuple[Any, int]:
        return (self.index, getattr(self.index, "saves", 0))

    def embeddings(self, slots: np.ndarray) -> np.ndarray:
        """The vectors of these slots as they were written (the `embeddings` of a result)."""
        slots = np.asarray(slots, dtype=np.int64)
        if self.vectors_resident or self._vectors is not None or self.dimension is None:
            return self.gather(slots)[0]
        x = np.zeros((len(slots), self.dimension), dtype=np.float32)
        self._fetch_into(x, slots, np.ones(len(slots), dtype=bool))
        return x

    def _fetch_into(self, x: np.ndarray, slots: np.ndarray, which: np.ndarray) -> None:
        """Read the vectors of slots[which] from the store into x, FETCH_CHUNK rows at a time."""
        rows = np.flatnonzero(which)
        for lo in range(0, len(rows), FETCH_CHUNK):
            part = rows[lo : lo + FETCH_CHUNK]
            block = np.zeros((len(part), x.shape[1]), dtype=np.float32)
            self._fill(block, slots[part], self.source.record_vectors(self.cid, self.rids[slots[part]].tolist()))
            x[part] = block

    def block(self, slots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Like gather, for reading only: a contiguous run of slots (the not-yet-indexed
        tail usually is one) comes back as views into the matrix, not copies. Copying
        50k rows costs 4x the scan itself, mostly in page faults on the new block."""
        n = len(slots)
        if self._vectors is not None and n > 1 and int(slots[-1]) - int(slots[0]) == n - 1:
            lo = int(slots[0])
            return self._vectors[lo : lo + n], self._norms[lo : lo + n]
        return self.gather(slots)

    def fields_of(self, slots: list[int], include: list[str] | tuple[str, ...]) -> dict[str, list[Any] | None]:
        """ids and the included documents / uris / metadatas of these slots (fresh dicts)."""
        if self._ids is not None or len(slots) > FETCH_MAX:
            ids = self.ids
            documents, uris = self._documents, self._uris
            return {
                "ids": [ids[s] for s in slots],
                "documents": [documents[s] for s in slots] if "documents" in include else None,
                "uris": [uris[s] for s in slots] if "uris" in include else None,
                "metadatas": self._metadata_copies(slots) if "metadatas" in include else None,
            }
        by_rid = {r[0]: r for r in self.source.record_fields(self.cid, self.rids[np.asarray(slots, dtype=np.int64)].tolist())} if slots else {}
        rows = [by_rid.get(int(self.rids[s]), (None,) * 5) for s in slots]
        return {
            "ids": [r[1] for r in rows],
            "documents": [r[2] for r in rows] if "documents" in include else None,
            "uris": [r[3] for r in rows] if "uris" in include else None,
            "metadatas": [None if r[4] is None else orjson.loads(r[4]) for r in rows] if "metadatas" in include else None,
        }

    def column(self, key: str) -> Column:
        col = self._columns.get(key)
        if col is None:
            self._load_fields()
            loads = orjson.loads
            col = Column.build(key, (None if m is None else loads(m) for m in self._metadatas[: self.n]), self.capacity)
            self._columns[key] = col
        return col

    def sparse_index(self, key: str) -> SparseIndex:
        """The inverted index of sparse-vector key `key`, built on first use, rebuilt when
        the writes since have made its delta large."""
        index = self._sparse.get(key)
        if index is None or index.needs_rebuild:
            live = self.live
            index = SparseIndex(key, [self.metadata(s) if live[s] else None for s in range(self.n)])
            self._sparse[key] = index
        return index

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

    def slots_of_hits(self, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(slots, valid) of graph hits, any shape: valid where the index covers the slot
        with this very label (a live record's current vector, not one still pending)."""
        labels = labels.astype(np.int64, copy=False)
        n = self.n
        if n == 0:
            return np.zeros(labels.shape, np.int64), np.zeros(labels.shape, bool)
        first = int(self.rids[0])
        if int(self.rids[n - 1]) - first == n - 1:
            # rids without gaps (the usual case: one collection written at a time): the
            # slot is an offset, which spares a binary search with a cache miss per step
            slots = (labels & LABEL_RID_MASK) - first
            np.maximum(slots, 0, out=slots)  # stale labels may point outside (np.clip is slower)
            np.minimum(slots, n - 1, out=slots)
        else:
            slots = np.searchsorted(self.rids[:n], labels & LABEL_RID_MASK)
            np.minimum(slots, n - 1, out=slots)
        return slots, self.covered[slots] == labels

    def _content_changed(self) -> None:
        self._doc_text = None
        self._filters.clear()

    def candidates(self, key: Hashable | None, mask: Callable[[], np.ndarray]) -> CandidateSet:
        """The slots a filter allows, cached under `key` (None: not cached) until a write.

        Applications repeat their filters (a tenant, a category, a user), so the allowed
        set and the gathered vectors a scan of it needs are kept for the last few.
        """
        found = self._filters.get(key) if key is not None else None
        if found is not None:
            self._filters.move_to_end(key)
            return found
        found = CandidateSet(mask() & self.live[: self.n])
        if key is not None:
            self._filters[key] = found
            if len(self._filters) > FILTER_CACHE_ENTRIES:
                self._filters.popitem(last=False)
        return found

    # -- what the HNSW index covers ---------------------------------------------------------
    def pending_slots(self) -> np.ndarray:
        """Live slots the index does not cover (yet): search scans them exactly."""
        if self._pending is None:
            self._pending = np.flatnonzero(self.live[: self.n] & (self.covered[: self.n] < 0))
        return self._pending

    def set_indexed(self, slots: np.ndarray | slice, value: bool = True) -> None:
        """The index now holds (or no longer holds) the current vectors of these live slots."""
        if value:
            slots = np.arange(self.n)[slots] if isinstance(slots, slice) else slots
            self.covered[slots] = self.labels(slots)
        else:
            self.covered[slots] = -1
        self._pending = None

    def is_indexed(self, slots: np.ndarray | list[int]) -> np.ndarray:
        return self.covered[slots] >= 0

    def live_slots(self) -> np.ndarray:
        return np.flatnonzero(self.live[: self.n])


class CandidateSet:
    """The live slots one filter allows: a mask, its slot list, and (once a scan asked for
    them) their vectors and norms gathered into one contiguous block."""

    def __init__(self, mask: np.ndarray) -> None:
        self.mask = mask
        self.slots = np.flatnonzero(mask)
        self.count = len(self.slots)
        self._gathered: tuple[np.ndarray, np.ndarray] | None = None

    def gathered(self, view: CollectionView) -> tuple[np.ndarray, np.ndarray]:
        if self._gathered is not None:
            return self._gathered
        block = view.gather(self.slots)
        if block[0].nbytes <= FILTER_CACHE_VECTOR_BYTES:
            self._gathered = block
        return block


def _json(meta: dict[str, Any] | None) -> bytes | None:
    # orjson hands back its 4 KiB write buffer as the bytes object: copied to its length,
    # a record's metadata takes ~100 bytes instead of 4 KiB
    return None if meta is None else bytes(memoryview(orjson.dumps(meta)))


def _grown(arr: np.ndarray, cap: int, fill: int = 0) -> np.ndarray:
    new = np.full(cap, fill, dtype=arr.dtype)
    new[: len(arr)] = arr
    return new
