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
from collections.abc import Callable

import numpy as np

from chromadb.engine.graph_file import LABEL, read_header
from chromadb.engine.vector_index import VectorIndex, write_meta
from chromadb.engine.view import LABEL_RID_BITS


def shift_labels(path: str, shift: int) -> None:
    """Add `shift` to every label in the hnswlib index file at `path`, in place."""
    header = read_header(path)
    if header.count == 0:
        return
    blocks = np.memmap(path, dtype=np.uint8, mode="r+", offset=header.size, shape=(header.count, header.per_element))
    try:
        cells = blocks[:, header.label_offset : header.label_offset + LABEL.itemsize]
        labels = np.ascontiguousarray(cells).view(LABEL).ravel() + np.uint64(shift)
        cells[:] = labels.view(np.uint8).reshape(header.count, LABEL.itemsize)
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
