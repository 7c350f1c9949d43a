"""The hybrid step on LanceDB (the peer of bench/hybrid.py), run in bench/.venvs/lancedb.

Same documents, vectors and query texts: a table of (id, vector, text) written in
batches of 1,000, then a native full-text index on `text` (its build time counts in the
add rate), a vector index (IVF_PQ, as LanceDB advises above ~100k rows; without it a
search scans), then FTS-only and hybrid (vector + FTS, RRF reranker) top-10 searches.
Prints one JSON line.
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
import workload  # noqa: E402

BATCH = 1000
K = 10


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--texts", required=True)
    ap.add_argument("--path", required=True)
    a = ap.parse_args()
    import lancedb
    import pyarrow as pa
    from lancedb.index import IvfPq
    from lancedb.rerankers import RRFReranker

    wl = workload.load(a.n, 384, 1000, verbose=False)
    with open(a.texts) as f:
        texts = json.load(f)
    db = lancedb.connect(a.path)
    schema = pa.schema([("id", pa.string()), ("vector", pa.list_(pa.float32(), 384)), ("text", pa.string())])
    table = db.create_table("hybrid", schema=schema)
    t0 = time.perf_counter()
    for lo in range(0, wl.n, BATCH):
        hi = min(lo + BATCH, wl.n)
        table.add(
            pa.table(
                {
                    "id": pa.array(wl.ids[lo:hi]),
                    "vector": pa.FixedSizeListArray.from_arrays(pa.array(wl.X[lo:hi].ravel()), 384),
                    "text": pa.array(wl.docs[lo:hi]),
                },
                schema=schema,
            )
        )
    add_s = time.perf_counter() - t0
    table.create_fts_index("text")
    fts_s = time.perf_counter() - t0
    table.create_index("vector", config=IvfPq(distance_type="l2"))
    indexed_s = time.perf_counter() - t0
    reranker = RRFReranker(K=60)
    fts_lat, hybrid_lat = [], []
    table.search(texts[0], query_type="fts").limit(K).to_list()  # warm-up
    for text, q in zip(texts, wl.Q):
        t = time.perf_counter()
        table.search(text, query_type="fts").limit(K).to_list()
        fts_lat.append(time.perf_counter() - t)
        t = time.perf_counter()
        table.search(query_type="hybrid").vector(q.tolist()).text(text).limit(K).rerank(reranker).to_list()
        hybrid_lat.append(time.perf_counter() - t)
    print(
        json.dumps(
            {
                "version": lancedb.__version__,
                "add": {"docs_per_s": wl.n / add_s, "with_fts_index_docs_per_s": wl.n / fts_s, "with_vector_index_docs_per_s": wl.n / indexed_s},
                "fts": {"p50_ms": float(np.percentile(fts_lat, 50)) * 1e3, "p95_ms": float(np.percentile(fts_lat, 95)) * 1e3},
                "hybrid_rrf": {"p50_ms": float(np.percentile(hybrid_lat, 50)) * 1e3, "p95_ms": float(np.percentile(hybrid_lat, 95)) * 1e3},
            }
        )
    )


if __name__ == "__main__":
    main()
