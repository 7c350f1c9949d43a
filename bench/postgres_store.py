"""The PostgreSQL store beside the SQLite store, same run, in-process clients:
add items/s, query p50 (plain and filtered), and how long a fresh server (empty index
cache) takes to catch up. Starts a throwaway PostgreSQL (tests/postgres_cluster.py)
unless --store names one.

    .venv/bin/python bench/postgres_store.py [--n 20000] [--dim 384] [--store URL]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import chromadb
from chromadb.config import Settings


def run(label: str, make_client, n: int, dim: int, queries: int) -> dict[str, float]:
    rng = np.random.default_rng(0)
    vectors = rng.random((n, dim), dtype=np.float32)
    client = make_client("a")
    coll = client.create_collection("bench")
    t = time.perf_counter()
    for i in range(0, n, 1000):
        coll.add(
            ids=[str(j) for j in range(i, min(i + 1000, n))],
            embeddings=vectors[i : i + 1000],
            metadatas=[{"group": j % 10} for j in range(i, min(i + 1000, n))],
        )
    add_rate = n / (time.perf_counter() - t)
    q = rng.random((queries, dim), dtype=np.float32)
    coll.query(query_embeddings=q[:1], n_results=10)  # the index is built/loaded once
    plain, filtered = [], []
    for v in q:
        t = time.perf_counter()
        coll.query(query_embeddings=[v], n_results=10)
        plain.append(time.perf_counter() - t)
        t = time.perf_counter()
        coll.query(query_embeddings=[v], n_results=10, where={"group": 3})
        filtered.append(time.perf_counter() - t)
    client.close()
    fresh = make_client("b")  # another server: nothing cached
    t = time.perf_counter()
    fresh.get_collection("bench").query(query_embeddings=q[:1], n_results=10)
    catch_up = time.perf_counter() - t
    fresh.close()
    result = {
        "add items/s": add_rate,
        "query p50 ms": statistics.median(plain) * 1000,
        "filtered p50 ms": statistics.median(filtered) * 1000,
        "fresh first query s": catch_up,
    }
    print(label, {k: round(v, 2) for k, v in result.items()}, flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--store", help="a PostgreSQL URL (default: a throwaway cluster)")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="pg-bench-")
    cluster = None
    url = args.store
    if url is None:
        from tests.postgres_cluster import Cluster, find_bin_dir

        bin_dir = find_bin_dir()
        if bin_dir is None:
            sys.exit("PostgreSQL binaries not found: pass --store URL")
        cluster = Cluster(tempfile.mkdtemp(prefix="pg-bench-cluster-"), bin_dir, durable=True)
        url = cluster.new_database()
    try:
        sqlite_dir = os.path.join(work, "sqlite")
        # SQLite's "fresh" client reopens the same directory (its saved index files);
        # PostgreSQL's has an empty cache of its own: it loads everything from PostgreSQL.
        run("sqlite", lambda name: chromadb.PersistentClient(path=sqlite_dir), args.n, args.dim, args.queries)
        run(
            "postgres",
            lambda name: chromadb.PersistentClient(path=os.path.join(work, f"pg-cache-{name}"), settings=Settings(store=url)),
            args.n,
            args.dim,
            args.queries,
        )
    finally:
        if cluster is not None:
            cluster.stop("fast")


if __name__ == "__main__":
    main()
