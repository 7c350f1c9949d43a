"""One HNSW graph or several smaller ones, at 1M (issue 20: recall@10 >= 0.99 at p50 <= 1 ms).

On the shared workload one hnswlib graph of 1M (M 16, ef_construction 100) stops at recall@10
~0.978 however wide the beam (bench/RESULTS-index-choice.md), while a graph of 300k reaches
0.998 at ef 300. Qdrant Edge splits a collection into segments and searches each. This
measures that shape with hnswlib: the base vectors split into S equal segments, each built
on its own, a query searched in every segment with the same beam and the S top-10s merged
by distance. Per beam: recall@10 of the merged answer, and p50/p95 with the segments
searched one after the other, and on a pool of 2 threads (hnswlib releases the GIL).

    python bench/segments.py --n 1000000 --segments 4 --efs 50,100,150,200
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import hnswlib
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from index_choice import EF_CONSTRUCTION, THREADS, K, M, vectors


def build(X: np.ndarray, offset: int) -> hnswlib.Index:
    index = hnswlib.Index(space="l2", dim=X.shape[1])
    index.init_index(max_elements=len(X), ef_construction=EF_CONSTRUCTION, M=M)
    index.add_items(X, np.arange(offset, offset + len(X)), num_threads=THREADS)
    return index


def merged(found: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    labels = np.concatenate([f[0][0] for f in found])
    dist = np.concatenate([f[1][0] for f in found])
    return labels[np.argsort(dist, kind="stable")[:K]]


def sweep(segments: list[hnswlib.Index], Q: np.ndarray, gt: np.ndarray, ef: int, pool: ThreadPoolExecutor) -> dict:
    for s in segments:
        s.set_ef(ef)
    out = {"ef": ef}
    for how in ("sequential", "2 threads"):
        lat, hits = [], 0
        for i in range(len(Q)):
            q = Q[i : i + 1]
            t = time.perf_counter()
            if how == "sequential":
                found = [s.knn_query(q, k=K) for s in segments]
            else:
                found = list(pool.map(lambda s, q=q: s.knn_query(q, k=K), segments))
            top = merged(found)
            lat.append((time.perf_counter() - t) * 1000)
            hits += len(set(top.tolist()) & set(gt[i][:K].tolist()))
        out[how] = {"recall": hits / (K * len(Q)), "p50_ms": float(np.percentile(lat, 50)),
                    "p95_ms": float(np.percentile(lat, 95))}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--segments", type=int, default=4)
    ap.add_argument("--efs", default="50,100,150,200")
    ap.add_argument("--queries", type=int, default=1000)
    a = ap.parse_args()
    X, Q, gt = vectors(a.n, 384, 1000)
    Q, gt = Q[: a.queries], gt[: a.queries]
    size = -(-a.n // a.segments)
    started, load = time.perf_counter(), os.getloadavg()[0]
    segments = [build(X[lo : lo + size], lo) for lo in range(0, a.n, size)]
    build_s = time.perf_counter() - started
    print(json.dumps({"n": a.n, "segments": a.segments, "build_items_per_s": round(a.n / build_s),
                      "load_before": load, "load_after_build": os.getloadavg()[0]}), flush=True)
    with ThreadPoolExecutor(2) as pool:
        for ef in (int(e) for e in a.efs.split(",")):
            print(json.dumps(sweep(segments, Q, gt, ef, pool)), flush=True)
    print(json.dumps({"load_after": os.getloadavg()[0]}))


if __name__ == "__main__":
    main()
