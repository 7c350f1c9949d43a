"""The PostgreSQL store beside the SQLite store, same run, in-process clients:

* add items/s, then (once the index has caught up with the adds) query p50, plain and
  filtered, for SQLite and for PostgreSQL in both freshness modes (notify, strict);
* freshness: how often another store has not yet heard of a write when the writer gets
  its answer back, and how long after that answer the notification arrives;
* catch-up: a fresh server (empty index cache) over a PostgreSQL store holding
  --catch-up-n records: the time to its first query's answer.

Starts a throwaway PostgreSQL (tests/postgres_cluster.py, fsync on) unless --store names one.

    .venv/bin/python bench/postgres_store.py [--n 20000] [--dim 384] [--catch-up-n 100000] [--store URL]
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


def with_param(url: str, param: str) -> str:
    return url + ("&" if "?" in url else "?") + param


def load(coll, vectors: np.ndarray, batch: int = 1000) -> float:
    """Adds the vectors (metadata: group = i % 10); returns items/s."""
    n = len(vectors)
    t = time.perf_counter()
    for i in range(0, n, batch):
        coll.add(
            ids=[str(j) for j in range(i, min(i + batch, n))],
            embeddings=vectors[i : i + batch],
            metadatas=[{"group": j % 10} for j in range(i, min(i + batch, n))],
        )
    return n / (time.perf_counter() - t)


def wait_indexed(coll, limit: float = 600.0) -> None:
    deadline = time.monotonic() + limit
    while coll.get_indexing_status().op_indexing_progress < 1.0 and time.monotonic() < deadline:
        time.sleep(0.2)


def query_p50s(coll, queries: np.ndarray) -> dict[str, float]:
    plain, filtered = [], []
    for v in queries:
        t = time.perf_counter()
        coll.query(query_embeddings=[v], n_results=10)
        plain.append(time.perf_counter() - t)
        t = time.perf_counter()
        coll.query(query_embeddings=[v], n_results=10, where={"group": 3})
        filtered.append(time.perf_counter() - t)
    return {"query p50 ms": statistics.median(plain) * 1000, "filtered p50 ms": statistics.median(filtered) * 1000}


def show(label: str, result: dict[str, float]) -> None:
    print(f"{label:22} {', '.join(f'{k} {v:.3g}' for k, v in result.items())}  load {os.getloadavg()[0]:.1f}", flush=True)


def add_and_query(work: str, url: str | None, n: int, dim: int, queries: int) -> None:
    rng = np.random.default_rng(0)
    vectors = rng.random((n, dim), dtype=np.float32)
    q = rng.random((queries, dim), dtype=np.float32)
    settings = Settings() if url is None else Settings(store=url)
    client = chromadb.PersistentClient(path=os.path.join(work, "sqlite" if url is None else "pg-a"), settings=settings)
    coll = client.create_collection("bench")
    result = {"add items/s": load(coll, vectors)}
    wait_indexed(coll)
    coll.query(query_embeddings=q[:1], n_results=10)
    if url is None:
        result.update(query_p50s(coll, q))
        show("sqlite", result)
    else:
        show("postgres add", result)
        for freshness in ("notify", "strict"):
            reader = chromadb.PersistentClient(
                path=os.path.join(work, f"pg-{freshness}"), settings=Settings(store=with_param(url, f"freshness={freshness}"))
            )
            read_coll = reader.get_collection("bench")
            read_coll.query(query_embeddings=q[:1], n_results=10)
            wait_indexed(read_coll)
            show(f"postgres {freshness}", query_p50s(read_coll, q))
            reader.close()
    client.close()


def freshness(url: str, writes: int = 300) -> None:
    """Writes through one store; right after each returns, does another store know?"""
    from chromadb.engine.store.postgres import PostgresStore
    from chromadb.model.records import RecordBatch

    writer, reader = PostgresStore(url), PostgresStore(with_param(url, "application_name=reader"))
    try:
        writer.insert_tenant("t")
        writer.insert_database("d", "d", "t")
        writer.insert_collection("fresh", "fresh", "d", None, {})
        cid = writer.get_collection_by_id("fresh")["cid"]
        time.sleep(0.5)
        late, after = 0, []
        for i in range(writes):
            before = reader.version()
            writer.write(cid, RecordBatch.build("add", [f"r{i}"], np.ones((1, 4), dtype=np.float32), None, None, None))
            t = time.perf_counter()
            if reader.version() == before:
                late += 1
                while reader.version() == before:
                    pass
            after.append(time.perf_counter() - t)
            time.sleep(0.002)
        after.sort()
        show(
            "notify delivery",
            {
                "not there at once %": 100 * late / writes,
                "p50 ms": statistics.median(after) * 1000,
                "p99 ms": after[int(0.99 * writes)] * 1000,
                "max ms": after[-1] * 1000,
            },
        )
    finally:
        writer.close()
        reader.close()


def catch_up(work: str, url: str, n: int, dim: int) -> None:
    """A fresh server (empty cache) over a store holding n records: its first query."""
    rng = np.random.default_rng(1)
    writer = chromadb.PersistentClient(path=os.path.join(work, "catch-up-writer"), settings=Settings(store=url))
    coll = writer.create_collection("catch-up")
    rate = load(coll, rng.random((n, dim), dtype=np.float32), batch=5000)
    writer.close()
    fresh = chromadb.PersistentClient(path=os.path.join(work, "catch-up-fresh"), settings=Settings(store=url))
    t = time.perf_counter()
    fresh.get_collection("catch-up").query(query_embeddings=rng.random((1, dim), dtype=np.float32), n_results=10)
    first = time.perf_counter() - t
    fresh.close()
    show(f"catch-up {n // 1000}k x {dim}", {"first query s": first, "(loaded at items/s)": rate})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--catch-up-n", type=int, default=100000, help="0: skip the catch-up step")
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
        add_and_query(work, None, args.n, args.dim, args.queries)
        add_and_query(work, url, args.n, args.dim, args.queries)
        freshness(url)
        if args.catch_up_n:
            catch_up(work, url, args.catch_up_n, args.dim)
    finally:
        if cluster is not None:
            cluster.stop("fast")


if __name__ == "__main__":
    main()
