"""The vector index of a forked collection: the source's graph, relabelled, not rebuilt.

A fork's records are copies with new rids (`rid` is the table's primary key), each the
source rid plus one constant shift, so the source's HNSW graphs serve the fork once their
labels (rid + vector version in the high bits, see view.py) are shifted too. hnswlib
cannot relabel in memory, but its saved files keep each element's label at a fixed
place, so the graphs are written once and their labels are patched in the files: at 100k x
384 that is a 168 MB write and a strided 800 KB patch, where re-indexing takes ~30 s.

If anything here does not add up the fork simply has no saved index: its indexer builds
one, and meanwhile search is exact. A graph that loads with the wrong labels would do no
harm either: opening an index checks every label against the records (indexer.load_index).
"""
from __future__ import annotations

import os
import struct
from collections.abc import Callable

import numpy as np

from chromadb.engine.vector_index import VectorIndex, write_meta
from chromadb.engine.view import LABEL_RID_BITS

# hnswlib's saveIndex header (hnswalg.h, format stable since 0.5): six size_t fields
# (offsetLevel0, max_elements, cur_element_count, size_data_per_element, label_offset,
# offsetData), int maxlevel, uint enterpoint, size_t maxM, maxM0, M, double mult,
# size_t ef_construction; then each element's level-0 block, label at label_offset.
_HEADER = struct.Struct("<6QiI3QdQ")
_LABEL = np.dtype("<u8")


def shift_labels(path: str, shift: int) -> None:
    """Add `shift` to every label in the hnswlib index file at `path`, in place."""
    with open(path, "rb") as f:
        raw = f.read(_HEADER.size)
    if len(raw) < _HEADER.size:
        raise ValueError(f"{path} is not an hnswlib index file this code understands (too short)")
    header = _HEADER.unpack(raw)
    count, per_element, label_offset = header[2], header[3], header[4]
    if count == 0:
        return
    if not (0 <= label_offset <= per_element - _LABEL.itemsize) or (
        os.path.getsize(path) < _HEADER.size + count * per_element
    ):
        raise ValueError(f"{path} is not an hnswlib index file this code understands")
    blocks = np.memmap(path, dtype=np.uint8, mode="r+", offset=_HEADER.size, shape=(count, per_element))
    try:
        cells = blocks[:, label_offset : label_offset + _LABEL.itemsize]
        labels = np.ascontiguousarray(cells).view(_LABEL).ravel() + np.uint64(shift)
        cells[:] = labels.view(np.uint8).reshape(count, _LABEL.itemsize)
        blocks.flush()
    finally:
        del blocks


def write_shifted_index(
    index: VectorIndex, directory: str, seq: int, shift: int, hide: Callable[[np.ndarray], list[int]]
) -> bool:
    """Save `index` into `directory` as the saved index of a fork whose rids are the
    source's plus `shift`, covering the records up to `seq`. `hide(labels)` names the
    graph's labels whose records changed meanwhile (see VectorIndex.write_files).
    False when the labels would not fit (the fork then indexes its records afresh)."""
    if shift < 0:
        return False
    os.makedirs(directory, exist_ok=True)
    labels_ok = True

    def hide_and_check(labels: np.ndarray) -> list[int]:
        nonlocal labels_ok
        rids = labels & ((1 << LABEL_RID_BITS) - 1)
        labels_ok = len(rids) == 0 or int(rids.max()) + shift < (1 << LABEL_RID_BITS)
        return hide(labels)

    def patch(path: str) -> None:
        if labels_ok:
            shift_labels(path, shift)

    names, deleted = index.write_files(directory, seq, hide_and_check, patch)
    if not labels_ok:
        for name in names:
            os.remove(os.path.join(directory, name))
        return False
    write_meta(directory, names, seq, index.space, index.dimension, [label + shift for label in deleted])
    return True
