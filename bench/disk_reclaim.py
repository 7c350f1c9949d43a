#!/usr/bin/env python
"""Issue 13 item 1: does disk space come back while the writing client stays open?

    .venv/bin/python bench/disk_reclaim.py                 # 10k x 128, 30k x 128, 100k x 384
    .venv/bin/python bench/disk_reclaim.py --scales 30000x128

For each scale, on a fresh `PersistentClient` that is never closed:

1. add N records (a short document and 2 metadata keys each) in batches of 1,000;
   once the directory stops changing, that is the *fresh* size;
2. delete them all and add N new ids: `churn` = size / fresh (goal <= 1.3);
3. add N records to a second collection, then `delete_collection` it:
   `drop` = size / size before step 3 (goal <= 1.1).

Sizes are the sum of the directory's file sizes, taken once they stayed the same for
`--settle` seconds (background index work and checkpoints included). Uses only the
public API, so it runs against any `chromadb` (e.g. another checkout's venv).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time

import numpy as np

import chromadb

BATCH = 1_000
GOAL_CHURN, GOAL_DROP = 1.3, 1.1


def directory_size(path: str) -> int:
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(root, name))
            except OSError:
                pass  # removed while we walked
    return total


def settled_size(path: str, collections, settle: float, timeout: float = 600.0) -> int:
    """The directory's size once it has not changed for `settle` seconds."""
    for col in collections:
        col._wait_for_index()
    deadline = time.monotonic() + timeout
    last, since = directory_size(path), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(min(0.25, settle / 4))
        size = directory_size(path)
        if size != last:
            last, since = size, time.monotonic()
        elif time.monotonic() - since >= settle:
            break
    if os.environ.get("DISK_RECLAIM_FILES"):
        for root, _, files in os.walk(path):
            for name in sorted(files):
                full = os.path.join(root, name)
                print(f"    {os.path.relpath(full, path):60} {os.path.getsize(full) / 1e6:8.2f} MB")
    return last


def fill(col, n: int, dim: int, prefix: str, rng: np.random.Generator) -> None:
    for lo in range(0, n, BATCH):
        hi = min(n, lo + BATCH)
        col.add(
            ids=[f"{prefix}{i}" for i in range(lo, hi)],
            embeddings=rng.standard_normal((hi - lo, dim)).astype(np.float32),
            documents=[f"note {i} about topic {i % 97}" for i in range(lo, hi)],
            metadatas=[{"topic": i % 97, "source": f"s{i % 13}"} for i in range(lo, hi)],
        )


def delete_all(col, n: int, prefix: str) -> None:
    for lo in range(0, n, BATCH):
        col.delete(ids=[f"{prefix}{i}" for i in range(lo, min(n, lo + BATCH))])


def measure(n: int, dim: int, settle: float, root: str) -> dict:
    path = os.path.join(root, f"db-{n}x{dim}")
    rng = np.random.default_rng(13)
    client = chromadb.PersistentClient(path=path)
    col = client.create_collection("churned", embedding_function=None)
    t0 = time.perf_counter()
    fill(col, n, dim, "a", rng)
    fresh = settled_size(path, [col], settle)

    delete_all(col, n, "a")
    fill(col, n, dim, "b", rng)
    churned = settled_size(path, [col], settle)

    other = client.create_collection("dropped", embedding_function=None)
    fill(other, n, dim, "c", rng)
    with_other = settled_size(path, [col, other], settle)
    client.delete_collection("dropped")
    dropped = settled_size(path, [col], settle)
    seconds = time.perf_counter() - t0
    assert col.count() == n
    result = {
        "n": n,
        "dim": dim,
        "fresh_mb": fresh / 1e6,
        "churned_mb": churned / 1e6,
        "with_second_mb": with_other / 1e6,
        "dropped_mb": dropped / 1e6,
        "churn_ratio": churned / fresh,
        "drop_ratio": dropped / churned,
        "seconds": seconds,
    }
    close = getattr(client, "close", None)  # not every chromadb has it
    if close is not None:
        close()
    shutil.rmtree(path, ignore_errors=True)
    return result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scales", default="10000x128,30000x128,100000x384", help="comma list of NxDIM")
    ap.add_argument("--settle", type=float, default=3.0, help="seconds without change before a size counts")
    ap.add_argument("--json", help="write the figures here")
    a = ap.parse_args(argv)
    root = tempfile.mkdtemp(prefix="disk-reclaim-")
    results, ok = [], True
    try:
        print(f"chromadb from {os.path.dirname(chromadb.__file__)}; load {os.getloadavg()}", flush=True)
        for scale in a.scales.split(","):
            n, dim = (int(x) for x in scale.lower().split("x"))
            r = measure(n, dim, a.settle, root)
            passed = r["churn_ratio"] <= GOAL_CHURN and r["drop_ratio"] <= GOAL_DROP
            ok &= passed
            results.append(r)
            print(
                f"{n:>7,} x {dim:<4} fresh {r['fresh_mb']:7.1f} MB  churned {r['churned_mb']:7.1f} MB "
                f"({r['churn_ratio']:.2f}x, goal {GOAL_CHURN})  second collection {r['with_second_mb']:7.1f} MB, "
                f"dropped {r['dropped_mb']:7.1f} MB ({r['drop_ratio']:.2f}x, goal {GOAL_DROP})  "
                f"{'PASS' if passed else 'FAIL'}  [{r['seconds']:.0f} s]",
                flush=True,
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"load": os.getloadavg(), "results": results}, f, indent=1)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
