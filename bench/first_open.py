#!/usr/bin/env python
"""Where a fresh process's open + first query goes (issue 20: <= 1 s at 1M), phase by phase.

    .venv/bin/python bench/first_open.py PERSIST_DIR [--collection bench_docs] [--n 1000000]

Run it on a directory a benchmark kept (`bench/run.sh --million --targets ours --keep-db`
keeps bench/.data/million/ours-db). It wraps the engine's steps with timers (the view's
rids, the saved index read, the index bookkeeping, the search, the rows shown) and prints
one JSON line: seconds per phase, the total, the peak RSS, and then how long the
background warm-up takes to load the view and what the process holds afterwards.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def status_mb(key: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("path")
    ap.add_argument("--collection", default="bench_docs")
    ap.add_argument("--n", type=int, default=1_000_000, help="workload size, for the query vector")
    ap.add_argument("--warm-timeout", type=float, default=120.0)
    ap.add_argument("--load-chunk", type=int, default=0, help="rows per bulk-load chunk (default: the view's)")
    a = ap.parse_args()

    phases: dict[str, float] = {}

    def timed(owner, name, label):
        original = getattr(owner, name)

        def wrapper(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                phases[label] = phases.get(label, 0.0) + time.perf_counter() - t0

        setattr(owner, name, wrapper)

    t0 = time.perf_counter()
    import chromadb
    from chromadb.engine import runtime as runtime_module
    from chromadb.engine import search as search_module
    from chromadb.engine.index_files import IndexFiles
    from chromadb.engine.indexer import Indexer
    from chromadb.engine.store.sqlite.store import SqliteStore
    from chromadb.engine.view import CollectionView
    phases["import"] = time.perf_counter() - t0
    if a.load_chunk:
        from chromadb.engine import view as view_module

        view_module.LOAD_CHUNK = a.load_chunk

    timed(SqliteStore, "record_rids", "view: rids")
    timed(IndexFiles, "read_saved", "index: read the saved graph")
    timed(Indexer, "load_index", "view: what the index covers")
    timed(runtime_module, "search", "query: search")
    timed(CollectionView, "fields_of", "query: rows shown")
    del search_module

    import numpy as np
    import workload
    z = np.load(os.path.join(workload.DATA_ROOT, f"N{a.n}_D384_Q1000_s{workload.SEED}", "data.npz"))
    q = z["Q"][:1]

    t1 = time.perf_counter()
    client = chromadb.PersistentClient(path=a.path)
    collection = client.get_collection(a.collection, embedding_function=None)
    phases["client + get_collection"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    result = collection.query(query_embeddings=q, n_results=10)
    phases["first query (all of it)"] = time.perf_counter() - t2
    out = {k: round(v, 4) for k, v in phases.items()}
    out["open + first query"] = round(time.perf_counter() - t1, 4)
    out["results"] = len(result["ids"][0])
    out["peak_rss_mb_after_first_query"] = round(status_mb("VmHWM"), 1)

    # then the background warm-up: how long until the view is loaded, and what it costs
    engine = client._backend.engine
    view = next(iter(engine.runtimes.values())).view
    t3 = time.perf_counter()
    from driver import ThreadCpu

    threads = ThreadCpu()
    during, own = [], []  # queries while the warm-up runs: their latency, and less the CPU wait
    i = 1
    while not (view.fields_loaded and view.vectors_loaded) and time.perf_counter() - t3 < a.warm_timeout:
        before = threads.sample()
        t4 = time.perf_counter()
        collection.query(query_embeddings=z["Q"][i % 1000 : i % 1000 + 1], n_results=10)
        during.append((time.perf_counter() - t4) * 1000.0)
        waited = threads.others_since(before).get("(query thread waiting for a CPU)", 0.0)
        own.append(max(during[-1] - waited, 0.0))
        i += 1
        time.sleep(0.01)
    out["warm_up_s"] = round(time.perf_counter() - t3, 2)
    if during:
        out["queries_during_warm_up"] = {"n": len(during), "p50_ms": round(float(np.percentile(during, 50)), 3),
                                         "p95_ms": round(float(np.percentile(during, 95)), 3),
                                         "max_ms": round(max(during), 1),
                                         "less_cpu_wait_p50_ms": round(float(np.percentile(own, 50)), 3),
                                         "less_cpu_wait_p95_ms": round(float(np.percentile(own, 95)), 3)}
    out["warm_up_done"] = view.fields_loaded and view.vectors_loaded
    out["rss_mb_after_warm_up"] = round(status_mb("VmRSS"), 1)
    out["peak_rss_mb_after_warm_up"] = round(status_mb("VmHWM"), 1)
    print(json.dumps(out))
    client.close()


if __name__ == "__main__":
    os.environ.setdefault("BENCH_DATA", os.path.join(HERE, ".data"))
    main()
