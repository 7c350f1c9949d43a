"""A `get` whose `where` matches 1,000,000 rows: how long it takes, how much memory it needs.

    python scripts/big_get.py [--rows 1000000] [--dim 8] [--path DIR]

Builds the collection once (kept in DIR when given, else in a temporary directory),
then measures each variant in a fresh process, so every peak RSS is that variant's
own: open the directory and load the collection (`count()`), then the same `get`
twice. The first also loads what the view loads lazily ("after": RSS once its result
is freed); "freed" is how much RSS the second result gave back when freed (a lower
bound of what it held: the allocator keeps some memory for reuse).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

VARIANTS = {
    "ids": [],
    "metadatas": ["metadatas"],
    "documents+metadatas": ["documents", "metadatas"],
    "embeddings+documents+metadatas": ["embeddings", "documents", "metadatas"],
}
WHERE = {"i": {"$gte": 0}}  # every row


def reset_peak() -> None:
    """Restart the peak RSS count from the current RSS (Linux; elsewhere peaks only grow)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def memory() -> tuple[float, float]:
    """(current RSS, peak RSS) of this process, in MB."""
    try:
        with open("/proc/self/status") as f:
            fields = dict(line.split(":", 1) for line in f)
        return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024
    except OSError:  # not Linux: the peak only
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return peak, peak


def build(path: str, rows: int, dim: int) -> float:
    import numpy as np

    import chromadb

    started = time.perf_counter()
    client = chromadb.PersistentClient(path=path)
    col = client.create_collection("big", embedding_function=None)
    step = client.get_max_batch_size()
    rng = np.random.default_rng(0)
    for start in range(0, rows, step):
        stop = min(start + step, rows)
        col.add(
            ids=[f"id{i:07d}" for i in range(start, stop)],
            embeddings=rng.standard_normal((stop - start, dim)).astype(np.float32),
            documents=[f"document {i}" for i in range(start, stop)],
            metadatas=[{"i": i, "g": i % 10} for i in range(start, stop)],
        )
        print(f"\r  built {stop:,} / {rows:,} rows", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    client.close()
    return time.perf_counter() - started


def measure(path: str, variant: str) -> dict[str, float]:
    import gc

    import chromadb

    out: dict[str, float] = {}
    started = time.perf_counter()
    client = chromadb.PersistentClient(path=path)
    col = client.get_collection("big", embedding_function=None)
    out["rows"] = col.count()
    out["open_s"] = time.perf_counter() - started
    out["rss_open"], _ = memory()
    for attempt in ("first", "second"):
        reset_peak()
        t = time.perf_counter()
        result = col.get(where=WHERE, include=VARIANTS[variant])
        out[f"{attempt}_s"] = time.perf_counter() - t
        out["matched"] = len(result["ids"])
        with_result, out[f"{attempt}_peak"] = memory()
        del result
        gc.collect()
        out[f"{attempt}_after"], _ = memory()
        out["freed"] = with_result - out[f"{attempt}_after"]
    client.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=8)
    parser.add_argument("--path", help="keep the collection here (built when missing)")
    parser.add_argument("--measure", nargs=2, metavar=("PATH", "VARIANT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(*args.measure)))
        return 0

    path = args.path or tempfile.mkdtemp(prefix="big-get-")
    try:
        if not os.path.exists(os.path.join(path, "chroma.sqlite3")):
            print(f"building {args.rows:,} rows of dimension {args.dim} in {path}", file=sys.stderr)
            print(f"build: {build(path, args.rows, args.dim):.1f} s")
        print(f"get(where={json.dumps(WHERE)}), each variant in a fresh process (RSS in MB):")
        print(
            f"{'include':31s} {'matched':>9s} {'open s':>6s} {'RSS':>5s} | {'get s':>5s} {'peak':>5s} {'after':>5s}"
            f" | {'again s':>7s} {'peak':>5s} | {'freed':>5s}"
        )
        for variant in VARIANTS:
            done = subprocess.run(
                [sys.executable, os.path.abspath(__file__), "--measure", path, variant],
                capture_output=True, text=True, check=True,
            )
            m = json.loads(done.stdout.strip().splitlines()[-1])
            print(
                f"{variant:31s} {int(m['matched']):9,d} {m['open_s']:6.2f} {m['rss_open']:5.0f} |"
                f" {m['first_s']:5.2f} {m['first_peak']:5.0f} {m['first_after']:5.0f} |"
                f" {m['second_s']:7.2f} {m['second_peak']:5.0f} | {max(m['freed'], 0):5.0f}",
                flush=True,
            )
    finally:
        if not args.path:
            shutil.rmtree(path, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
