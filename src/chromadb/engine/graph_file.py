"""hnswlib's saved graph file, read in place: each element's label and vector.

hnswlib reads a whole graph file into memory before it answers anything: ~0.55 s per
250k x 384 graph here, 2.2 s at 1M, most of it copying the file out of the page cache.
Its level-0 blocks hold every element's vector and label at fixed offsets, so a fresh
process maps the files (np.memmap: nothing copied) and answers its first queries by an
exact scan of the mapped vectors (~0.2 s at 1M) until hnswlib has read them
(vector_index.VectorIndex.load). fork.py patches labels at the same offsets.
"""
from __future__ import annotations

import os
import struct
from dataclasses import dataclass

import numpy as np

__all__ = ["Header", "MappedGraph", "read_header"]

# hnswlib's saveIndex header (hnswalg.h, format stable since 0.5): six size_t fields
# (offsetLevel0, max_elements, cur_element_count, size_data_per_element, label_offset,
# offsetData), int maxlevel, uint enterpoint, size_t maxM, maxM0, M, double mult,
# size_t ef_construction; then each element's level-0 block: its links, its vector at
# offsetData, its label at label_offset.
_HEADER = struct.Struct("<6QiI3QdQ")
LABEL = np.dtype("<u8")
# rows scanned per step: a few MB of vectors, so the copy out of the mapping stays in cache
SCAN_ROWS = 8_192


@dataclass(frozen=True)
class Header:
    count: int  # elements in the file
    per_element: int  # bytes of one level-0 block
    label_offset: int
    data_offset: int
    size: int = _HEADER.size  # where the blocks start


def read_header(path: str, dimension: int | None = None) -> Header:
    """The file's header, checked against its size (and the vectors' `dimension`, when
    given); ValueError when it is not an hnswlib graph file this code understands."""
    with open(path, "rb") as f:
        raw = f.read(_HEADER.size)
    if len(raw) < _HEADER.size:
        raise ValueError(f"{path} is not an hnswlib index file this code understands (too short)")
    fields = _HEADER.unpack(raw)
    header = Header(count=fields[2], per_element=fields[3], label_offset=fields[4], data_offset=fields[5])
    vector_bytes = 0 if dimension is None else 4 * dimension
    if (
        not 0 <= header.label_offset <= header.per_element - LABEL.itemsize
        or not 0 <= header.data_offset <= header.per_element - vector_bytes
        or os.path.getsize(path) < _HEADER.size + header.count * header.per_element
    ):
        raise ValueError(f"{path} is not an hnswlib index file this code understands")
    return header


class MappedGraph:
    """A saved graph's elements, mapped read-only: labels and an exact k-nearest scan with
    hnswlib's distances (l2: squared; ip: 1 - dot; cosine: 1 - dot, the stored vectors
    being normalised by hnswlib)."""

    def __init__(self, path: str, space: str, dimension: int) -> None:
        header = read_header(path, dimension)
        self.count = header.count
        self.space = space
        self.dimension = dimension
        self._blocks = (
            np.memmap(path, dtype=np.uint8, mode="r", offset=header.size, shape=(header.count, header.per_element))
            if header.count
            else np.zeros((0, header.per_element), dtype=np.uint8)
        )
        self._label_at = header.label_offset
        self._data_at = header.data_offset
        # The vectors in place, one row per element: BLAS reads rows that far apart as they
        # are, so the scan copies nothing out of the mapping (0.20 s for 1M x 384 on one
        # core, 0.45 s copying each chunk out first).
        self._rows: np.ndarray | None = None
        if header.count and header.per_element % 4 == 0:
            self._rows = np.ndarray(
                (header.count, dimension),
                dtype=np.float32,
                buffer=self._blocks,
                offset=header.data_offset,
                strides=(header.per_element, 4),
            )
        self._by_label: tuple[np.ndarray, np.ndarray] | None = None  # (sorted labels, their rows)

    def labels(self) -> np.ndarray:
        cells = self._blocks[:, self._label_at : self._label_at + LABEL.itemsize]
        return np.ascontiguousarray(cells).view(LABEL).ravel().astype(np.int64)

    def vectors_of(self, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(found, vectors): which of `labels` the file holds, and their vectors (copies,
        in the order of `labels` where found; cosine: normalised, as hnswlib stores them)."""
        if self._by_label is None:
            every = self.labels()
            order = np.argsort(every, kind="stable")
            self._by_label = every[order], order
        held, rows = self._by_label
        if not len(held):
            return np.zeros(len(labels), dtype=bool), np.zeros((0, self.dimension), dtype=np.float32)
        at = np.minimum(np.searchsorted(held, labels), len(held) - 1)
        found = held[at] == labels
        return found, self._vectors(rows[at[found]])

    def knn(self, queries: np.ndarray, k: int, hidden: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Labels (uint64, as hnswlib gives them) and distances of the k nearest elements
        whose label is not in `hidden` (sorted), nearest first."""
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        if self.space == "cosine":
            queries = queries / (np.linalg.norm(queries, axis=1, keepdims=True) + np.float32(1e-30))
        # rank by dot products (|x|^2 - 2 x.q for l2), keeping a shortlist; then the
        # shortlist's distances computed as hnswlib does (identical vectors: exactly 0)
        keep = 2 * k + len(hidden)
        best_d = np.zeros((len(queries), 0), dtype=np.float32)
        best_i = np.zeros((len(queries), 0), dtype=np.int64)
        for start in range(0, self.count, SCAN_ROWS):
            x = self._vectors(slice(start, start + SCAN_ROWS))
            d = -(queries @ x.T)
            if self.space == "l2":
                d = 2.0 * d + np.einsum("ij,ij->i", x, x)[None, :]
            best_d = np.concatenate([best_d, d.astype(np.float32)], axis=1)
            best_i = np.concatenate([best_i, np.broadcast_to(np.arange(start, start + len(x)), d.shape)], axis=1)
            if best_d.shape[1] > 2 * keep:
                nearest = np.argpartition(best_d, keep - 1, axis=1)[:, :keep]
                best_d, best_i = np.take_along_axis(best_d, nearest, 1), np.take_along_axis(best_i, nearest, 1)
        labels = self.labels_at(best_i)
        distances = np.empty(best_i.shape, dtype=np.float32)
        for qi, rows in enumerate(best_i):
            x = self._vectors(rows)
            if self.space == "l2":
                diff = x - queries[qi]
                distances[qi] = np.einsum("ij,ij->i", diff, diff)
            else:
                distances[qi] = 1.0 - x @ queries[qi]
        if len(hidden):
            distances[np.isin(labels, hidden)] = np.inf
        order = np.argsort(distances, axis=1, kind="stable")[:, :k]
        return np.take_along_axis(labels, order, 1).astype(np.uint64), np.take_along_axis(distances, order, 1)

    def _vectors(self, rows: slice | np.ndarray) -> np.ndarray:
        if self._rows is not None:
            return self._rows[rows]  # a slice: a view in place; chosen rows: their vectors only
        cells = self._blocks[rows, self._data_at : self._data_at + 4 * self.dimension]
        return np.ascontiguousarray(cells).view(np.float32)

    def labels_at(self, rows: np.ndarray) -> np.ndarray:
        cells = self._blocks[rows.ravel(), self._label_at : self._label_at + LABEL.itemsize]
        return np.ascontiguousarray(cells).view(LABEL).reshape(rows.shape).astype(np.int64)
