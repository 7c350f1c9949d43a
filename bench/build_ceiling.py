"""How fast the HNSW graph alone can be built here: the ceiling of "add until indexed".

Our acknowledged add runs several times faster than the graph inserts, so the rate at which
a large add becomes fully indexed is bounded by hnswlib's insert rate with the default
configuration (M 16, ef_construction 100) on every core. This builds the shared workload's
vectors into the engine's own VectorIndex (huge pages as the engine advises them, the
indexer's chunk size) with nothing else running in the process, and prints the rate, to
put beside the side-by-side's "add until the index is drained" of the same hour:

    .venv/bin/python bench/build_ceiling.py [--n 100000] [--threads -1]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from workload import load  # noqa: E402

from chromadb.engine import catalog  # noqa: E402
from chromadb.engine.indexer import INDEX_CHUNK  # noqa: E402
from chromadb.engine.vector_index import VectorIndex  # noqa: E402


def build_rate(vectors: np.ndarray, threads: int) -> float:
    index = VectorIndex("l2", vectors.shape[1], dict(catalog.HNSW_DEFAULTS), capacity=len(vectors))
    start = time.perf_counter()
    for lo in range(0, len(vectors), INDEX_CHUNK):
        hi = min(lo + INDEX_CHUNK, len(vectors))
        index.add(vectors[lo:hi], np.arange(lo, hi, dtype=np.int64), num_threads=threads)
    return len(vectors) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--threads", type=int, default=-1, help="hnswlib threads (-1: every core)")
    a = parser.parse_args()
    vectors = load(n=a.n).X
    before = os.getloadavg()[0]
    rate = build_rate(vectors, a.threads)
    print(json.dumps({"n": a.n, "threads": a.threads, "cores": os.cpu_count(), "items_per_s": round(rate),
                      "load_before": before, "load_after": os.getloadavg()[0]}))


if __name__ == "__main__":
    main()
