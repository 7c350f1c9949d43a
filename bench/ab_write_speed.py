#!/usr/bin/env python
"""A/B write throughput of two checkouts in the same run: add, upsert, update, delete.

    python bench/ab_write_speed.py --target main=../main/.venv/bin/python --target mine=.venv/bin/python

Each round runs every target once, in turn (A, B, A, B, ...), each in its own
interpreter on a fresh directory, so that both see the same machine load. One run,
in-process through `import chromadb` (public API only), batches of 1,000:

* add N records (vector, document, 4 metadata keys): items/s until the last add returns;
* upsert the same N ids with new vectors and metadata: items/s;
* update the same N ids with new metadata only (merged into the stored one): items/s;
* delete all N ids: items/s.

Between steps the run waits for background indexing and then IDLE seconds, for every
target alike. Prints per-round figures, then per target the median and the best round,
each with its ratio to the first target, and the load average.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
STEPS = ("add", "upsert", "update", "delete")
BATCH = 1_000
IDLE = 1.0


def run_once(n: int, dim: int, path: str) -> dict:
    """One measured run (in the target's interpreter)."""
    sys.path.insert(0, HERE)
    os.environ.setdefault("BENCH_DATA", os.path.join(HERE, ".data"))
    import numpy as np
    import workload

    import chromadb

    wl = workload.load(n=n, d=dim, q=10, verbose=False)
    ids, metas, docs = wl.ids, wl.metadatas(), wl.docs
    vectors = wl.X
    moved = np.roll(vectors, 1, axis=0)  # different vectors for the upsert
    col = chromadb.PersistentClient(path=path).create_collection("speed", embedding_function=None)

    def timed(write, **columns) -> float:
        start = time.perf_counter()
        for lo in range(0, n, BATCH):
            write(ids=ids[lo : lo + BATCH], **{k: v[lo : lo + BATCH] for k, v in columns.items()})
        seconds = time.perf_counter() - start
        col._wait_for_index()
        time.sleep(IDLE)
        return n / seconds

    out = {"chromadb": os.path.dirname(chromadb.__file__)}
    out["add"] = timed(col.add, embeddings=vectors, metadatas=metas, documents=docs)
    out["upsert"] = timed(col.upsert, embeddings=moved, metadatas=metas[::-1])
    out["update"] = timed(col.update, metadatas=[{"updated": i} for i in range(n)])
    out["delete"] = timed(col.delete)
    assert col.count() == 0
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--target", action="append", default=[], help="NAME=PYTHON (the first is the reference)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--dim", type=int, default=384)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--path", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        print(json.dumps(run_once(a.n, a.dim, a.path)))
        return 0
    if not a.target:
        ap.error("give at least one --target NAME=PYTHON")

    targets = [t.split("=", 1) for t in a.target]
    figures: dict[str, list[dict]] = {name: [] for name, _ in targets}
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="ab-write-") as root:
        for r in range(a.rounds):
            for name, python in targets:
                path = os.path.join(root, f"{name}-{r}")
                cmd = [python, os.path.abspath(__file__), "--child", "--n", str(a.n), "--dim", str(a.dim), "--path", path]
                done = subprocess.run(cmd, capture_output=True, text=True)
                if done.returncode != 0:
                    sys.exit(f"{name} failed:\n{done.stderr[-3000:]}")
                res = json.loads(done.stdout.splitlines()[-1])
                figures[name].append(res)
                print(
                    f"round {r + 1} {name:>8}: " + "  ".join(f"{s} {res[s]:8,.0f}/s" for s in STEPS)
                    + f"  (load {os.getloadavg()[0]:.2f})",
                    flush=True,
                )
    ref = targets[0][0]
    print(f"\nN = {a.n:,} x {a.dim}, batches of {BATCH:,} (load before {load_before}, after {os.getloadavg()})")
    # the median, and the best round: the machine's load only ever slows a round down
    for label, pick in (("median", statistics.median), ("best", max)):
        summary = {name: {s: pick(f[s] for f in runs) for s in STEPS} for name, runs in figures.items()}
        for name, fig in summary.items():
            ratios = "  ".join(f"{s} {fig[s] / summary[ref][s]:.3f}x" for s in STEPS)
            print(f"  {label:>6} {name:>8}: " + "  ".join(f"{s} {fig[s]:8,.0f}/s" for s in STEPS) + f"   vs {ref}: {ratios}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
