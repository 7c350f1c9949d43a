"""Chroma's persisted HNSW index (chroma-core/hnswlib, persistence version 1), read with
numpy over the files: the vectors, their labels and delete marks, never the graph.

* `header.bin`: 100 bytes, `<i Q Q Q Q Q Q i I Q Q Q d Q` (see the field names below);
  the dimension is not stored: it is (label_offset - offset_data) / 4.
* `data_level0.bin`: `count` elements of `size_per_element` bytes in internal-id order:
  the level-0 link list (a uint32 header whose byte 2, bit 0, is the delete mark, then
  the links), the vector (dim float32), the label (uint64, Chroma's offset label). The
  file may be longer than `count` elements (capacity, dirty writes in place).
* `length.bin`: `count` float32 norms. For cosine, hnswlib stores the unit vector and the
  norm apart, and Chroma returns unit * norm, in float32.

The element file is memory-mapped read-only, so a big index is paged in as batches
are read, never loaded whole.
"""
from __future__ import annotations

import os
import struct
from dataclasses import dataclass

import numpy as np

from chromadb.errors import ChromaImportError

HEADER = struct.Struct("<iQQQQQQiIQQQdQ")
_FIELDS = (
    "version", "offset_level0", "max_elements", "count", "size_per_element", "label_offset", "offset_data",
    "max_level", "enter_point", "max_m", "max_m0", "m", "mult", "ef_construction",
)
_DELETE_MARK = 0x01  # in byte 2 of an element's level-0 link-list header


@dataclass(frozen=True)
class Header:
    version: int
    offset_level0: int
    max_elements: int
    count: int
    size_per_element: int
    label_offset: int
    offset_data: int
    max_level: int
    enter_point: int
    max_m: int
    max_m0: int
    m: int
    mult: float
    ef_construction: int

    @property
    def dim(self) -> int:
        return (self.label_offset - self.offset_data) // 4


class HnswFiles:
    """The elements of one Chroma HNSW folder, looked up by label."""

    def __init__(self, folder: str, cosine: bool) -> None:
        self.folder = folder
        self.cosine = cosine
        self.header = _read_header(os.path.join(folder, "header.bin"))
        h = self.header
        count, size = h.count, h.size_per_element
        data_file = os.path.join(folder, "data_level0.bin")
        if os.path.getsize(data_file) < count * size:
            raise ChromaImportError(
                f"{data_file} holds fewer than the {count} elements its header counts: the index is torn", folder
            )
        self._elements: np.ndarray = (
            np.memmap(data_file, dtype=np.uint8, mode="r", shape=(count, size)) if count else np.zeros((0, size), np.uint8)
        )
        self.labels = self._elements[:, h.label_offset : h.label_offset + 8].copy().view("<u8").reshape(count)
        self.deleted = (self._elements[:, h.offset_level0 + 2] & _DELETE_MARK).astype(bool)
        self.norms: np.ndarray | None = None
        if cosine:
            self.norms = np.fromfile(os.path.join(folder, "length.bin"), dtype="<f4", count=count)
            if len(self.norms) != count:
                raise ChromaImportError(f"{folder}/length.bin holds fewer than {count} norms: the index is torn", folder)
        self._order = np.argsort(self.labels, kind="stable")
        self._sorted_labels = self.labels[self._order]

    def live_positions(self, labels: np.ndarray) -> np.ndarray:
        """Internal positions of `labels`, each present and not marked deleted (else an error)."""
        labels = np.asarray(labels, dtype=np.uint64)
        n = len(self._sorted_labels)
        if n == 0:
            positions, bad = np.zeros(len(labels), np.int64), np.ones(len(labels), bool)
        else:
            at = np.minimum(np.searchsorted(self._sorted_labels, labels), n - 1)
            positions = self._order[at]
            bad = (self._sorted_labels[at] != labels) | self.deleted[positions]
        if bad.any():
            missing = int(labels[np.argmax(bad)])
            raise ChromaImportError(
                f"{self.folder}: label {missing} of the id map is not a live element of the HNSW files "
                "(the files and the pickle disagree, as after a crash during a flush); stop Chroma, "
                "let it open the directory once, and import again",
                self.folder,
            )
        return positions

    def vectors(self, positions: np.ndarray) -> np.ndarray:
        """The vectors at `positions` as Chroma's get() returns them (float32, bit-exact)."""
        h = self.header
        raw = self._elements[positions, h.offset_data : h.offset_data + 4 * h.dim]
        vectors = np.ascontiguousarray(raw).view("<f4").reshape(len(positions), h.dim)
        if self.norms is not None:
            vectors = vectors * self.norms[positions][:, None]  # float32 * float32, as hnswlib
        return vectors.astype(np.float32, copy=False)


def _read_header(path: str) -> Header:
    try:
        with open(path, "rb") as f:
            raw = f.read(HEADER.size)
    except OSError as e:
        raise ChromaImportError(f"{path} cannot be read: {e.strerror or e}", path) from None
    if len(raw) != HEADER.size:
        raise ChromaImportError(f"{path} is {len(raw)} bytes, not an HNSW header of {HEADER.size}", path)
    header = Header(**dict(zip(_FIELDS, HEADER.unpack(raw))))
    if header.version != 1 or header.label_offset <= header.offset_data or header.size_per_element < header.label_offset + 8:
        raise ChromaImportError(f"{path} is not an HNSW header of the persistence version Chroma writes", path)
    return header
