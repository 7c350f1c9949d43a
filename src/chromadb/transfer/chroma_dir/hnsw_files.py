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

The element file is read, never mapped or loaded whole: the labels and delete marks in
one pass of fixed-size chunks, then each batch's vectors with positioned reads, so
memory does not grow with the index (a memory map would keep every page it touched).
"""
from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

from chromadb.errors import ChromaImportError

HEADER = struct.Struct("<iQQQQQQiIQQQdQ")
_FIELDS = (
    "version", "offset_level0", "max_elements", "count", "size_per_element", "label_offset", "offset_data",
    "max_level", "enter_point", "max_m", "max_m0", "m", "mult", "ef_construction",
)
_DELETE_MARK = 0x01  # in byte 2 of an element's level-0 link-list header
_SCAN_BYTES = 32 << 20  # how much of data_level0.bin one step of the label scan reads
_SPAN_FACTOR = 4  # a batch is read as one span when that reads at most 4x the elements it needs


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
        self.data_file = os.path.join(folder, "data_level0.bin")
        if os.path.getsize(self.data_file) < count * size:
            raise ChromaImportError(
                f"{self.data_file} holds fewer than the {count} elements its header counts: the index is torn", folder
            )
        self.labels, self.deleted = self._scan()
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
        positions = np.asarray(positions, dtype=np.int64)
        out = np.empty((len(positions), h.dim), dtype="<f4")
        if len(positions):
            first, last = int(positions.min()), int(positions.max())
            with open(self.data_file, "rb") as f:
                if last - first + 1 <= _SPAN_FACTOR * len(positions):
                    # the usual case (records read in the order they were added): one read
                    f.seek(first * h.size_per_element)
                    span = np.fromfile(f, dtype=np.uint8, count=(last - first + 1) * h.size_per_element)
                    rows = span.reshape(-1, h.size_per_element)[positions - first, h.offset_data : h.label_offset]
                    out[:] = np.ascontiguousarray(rows).view("<f4").reshape(len(positions), h.dim)
                else:
                    for i in np.argsort(positions, kind="stable"):  # scattered: one read each, in file order
                        out[i] = np.frombuffer(self._pread(f, int(positions[i])), dtype="<f4")
        if self.norms is not None:
            out = out * self.norms[positions][:, None]  # float32 * float32, as hnswlib
        return out.astype(np.float32, copy=False)

    def _pread(self, f: BinaryIO, position: int) -> bytes:
        width = 4 * self.header.dim
        raw = os.pread(f.fileno(), width, position * self.header.size_per_element + self.header.offset_data)
        if len(raw) != width:
            raise ChromaImportError(f"{self.data_file} ends inside element {position}", self.folder)
        return raw

    def _scan(self) -> tuple[np.ndarray, np.ndarray]:
        """Every element's label and delete mark, read a chunk at a time (the vectors are
        read per batch later: nothing of the file stays in memory)."""
        h = self.header
        count, size = h.count, h.size_per_element
        labels = np.empty(count, dtype="<u8")
        deleted = np.empty(count, dtype=bool)
        per_chunk = max(1, _SCAN_BYTES // size)
        with open(self.data_file, "rb") as f:
            for start in range(0, count, per_chunk):
                n = min(per_chunk, count - start)
                raw = np.fromfile(f, dtype=np.uint8, count=n * size).reshape(n, size)
                labels[start : start + n] = raw[:, h.label_offset : h.label_offset + 8].copy().view("<u8").reshape(n)
                deleted[start : start + n] = (raw[:, h.offset_level0 + 2] & _DELETE_MARK).astype(bool)
        return labels, deleted


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
