"""Which vector index library, measured on the shared workload before choosing (issue 20).

Compares, on bench/workload.py's vectors (l2, ground truth by exact numpy):
* hnswlib (float32 graph, M 16, ef_construction 100), an ef sweep;
* usearch 2.x with int8 codes that we quantise ourselves (one scale per index, so l2
  ranks the same), and with float16: an ef sweep, each with and without an exact rerank
  of the best candidates from the float32 vectors (the engine keeps them anyway).
For each: recall@10, single-query p50/p95 (ms), build items/s on 2 threads, file size,
a fresh process's open + first query, and that process's RSS after 200 queries.

    python bench/index_choice.py --n 200000            # quick sweep
    python bench/index_choice.py --n 1000000 --libs hnswlib,usearch-i8

Only the vectors of the workload are generated (cached beside workload.py's data), so a
1M run does not build the documents and filter ground truth. usearch is not a
dependency of the project: `pip install usearch` to compare with it. The results and what
was decided: bench/RESULTS-index-choice.md.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import workload

K = 10
M, EF_CONSTRUCTION = 16, 100
THREADS = 2


def vectors(n: int, d: int, q: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Base vectors, queries and their exact l2 top-10 (cached)."""
    path = os.path.join(workload.DATA_ROOT, f"vectors_N{n}_D{d}_Q{q}_s{workload.SEED}.npz")
    if os.path.exists(path):
        z = np.load(path)
        return z["X"], z["Q"], z["gt"]
    X = workload._vectors(n, d, stream=10)
    Q = workload._vectors(q, d, stream=20)
    gt = workload.topk_exact(X, Q, K, "l2")
    os.makedirs(workload.DATA_ROOT, exist_ok=True)
    tmp = path + f".{os.getpid()}.tmp.npz"
    np.savez(tmp, X=X, Q=Q, gt=gt)
    os.replace(tmp, path)
    return X, Q, gt


def quantise_scale(X: np.ndarray) -> float:
    """int8 scale from a sample, with headroom for later vectors a little larger."""
    return 100.0 / float(np.abs(X[:10_000]).max())


def to_i8(X: np.ndarray, scale: float) -> np.ndarray:
    return np.clip(np.rint(X * scale), -127, 127).astype(np.int8)


class Hnswlib:
    name = "hnswlib f32"

    def build(self, X: np.ndarray) -> None:
        import hnswlib

        self.index = hnswlib.Index(space="l2", dim=X.shape[1])
        self.index.init_index(max_elements=len(X), ef_construction=EF_CONSTRUCTION, M=M)
        self.index.add_items(X, np.arange(len(X)), num_threads=THREADS)

    def save(self, path: str) -> None:
        self.index.save_index(path)

    def set_ef(self, ef: int) -> None:
        self.index.set_ef(ef)

    def candidates(self, q: np.ndarray, count: int) -> np.ndarray:
        return self.index.knn_query(q, k=count)[0][0]

    open_code = (
        "import hnswlib, numpy as np\n"
        "ix = hnswlib.Index(space='l2', dim={d}); ix.load_index({path!r}); ix.set_ef(100)\n"
        "search = lambda q: ix.knn_query(q, k=10)"
    )


class Usearch:
    def __init__(self, dtype: str) -> None:
        self.dtype = dtype
        self.name = f"usearch {dtype}"

    def _codes(self, X: np.ndarray) -> np.ndarray:
        return to_i8(X, self.scale) if self.dtype == "i8" else X

    def build(self, X: np.ndarray) -> None:
        from usearch.index import Index

        self.scale = quantise_scale(X)
        self.index = Index(
            ndim=X.shape[1], metric="l2sq", dtype=self.dtype, connectivity=M, expansion_add=EF_CONSTRUCTION
        )
        for lo in range(0, len(X), 100_000):
            hi = min(len(X), lo + 100_000)
            self.index.add(np.arange(lo, hi, dtype=np.uint64), self._codes(X[lo:hi]), threads=THREADS)

    def save(self, path: str) -> None:
        self.index.save(path)

    def set_ef(self, ef: int) -> None:
        self.index.expansion_search = ef

    def candidates(self, q: np.ndarray, count: int) -> np.ndarray:
        return self.index.search(self._codes(q)[0], count).keys.astype(np.int64)

    @property
    def open_code(self) -> str:
        codes = f"np.clip(np.rint(q * {self.scale!r}), -127, 127).astype(np.int8)" if self.dtype == "i8" else "q"
        return (
            "from usearch.index import Index; import numpy as np\n"
            "ix = Index.restore({path!r}, view=True); ix.expansion_search = 100\n"
            f"search = lambda q: ix.search({codes}[0], 10)"
        )


FRESH_PROCESS = """
import time, resource, sys
import numpy as np
q = np.load({queries!r})
t0 = time.perf_counter()
{open_code}
search(q[:1])
first = time.perf_counter() - t0
for i in range(200):
    search(q[i:i+1])
rss = int([l for l in open('/proc/self/status') if l.startswith('VmRSS')][0].split()[1]) * 1024
print(first, rss)
"""


def fresh_open(candidate, path: str, d: int, queries_path: str) -> tuple[float, int]:
    code = FRESH_PROCESS.format(queries=queries_path, open_code=candidate.open_code.format(path=path, d=d))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    return float(out[0]), int(out[1])


def baseline_rss(queries_path: str) -> int:
    code = FRESH_PROCESS.format(queries=queries_path, open_code="search = lambda q: None")
    return int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()[1])


def measure_all(candidates: list, X: np.ndarray, Q: np.ndarray, gt: np.ndarray, ef: int, rerank: int) -> list[dict]:
    """recall@10 and latency of each candidate; `rerank` > 0: ask for that many and order
    them exactly from float32. Queries alternate between the candidates."""
    for candidate in candidates:
        candidate.set_ef(max(ef, rerank, K))
    found: list[list[np.ndarray]] = [[] for _ in candidates]
    times = np.zeros((len(candidates), len(Q)))
    for i in range(len(Q)):
        q = Q[i : i + 1]
        for c, candidate in enumerate(candidates):
            t0 = time.perf_counter()
            keys = candidate.candidates(q, max(rerank, K))
            if rerank:
                diff = X[keys] - q
                keys = keys[np.argsort(np.einsum("ij,ij->i", diff, diff), kind="stable")[:K]]
            times[c, i] = time.perf_counter() - t0
            found[c].append(keys[:K])
    return [
        {
            "ef": ef, "rerank": rerank, "recall": workload.recall_at_k(found[c], gt, K),
            "p50": float(np.percentile(times[c] * 1e3, 50)), "p95": float(np.percentile(times[c] * 1e3, 95)),
        }
        for c in range(len(candidates))
    ]


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--d", type=int, default=384)
    ap.add_argument("--q", type=int, default=1000)
    ap.add_argument("--libs", default="hnswlib,usearch-i8,usearch-f16")
    ap.add_argument("--efs", default="100,200,400,800")
    ap.add_argument("--reranks", default="0,40")
    ap.add_argument("--json", help="append the results, one JSON object per line, to this file")
    args = ap.parse_args()
    X, Q, gt = vectors(args.n, args.d, args.q)
    print(f"n={args.n} d={args.d} queries={len(Q)} load {load_average()}", flush=True)
    candidates = {"hnswlib": Hnswlib(), "usearch-i8": Usearch("i8"), "usearch-f16": Usearch("f16")}
    with tempfile.TemporaryDirectory(prefix="index-choice-") as scratch:
        queries_path = os.path.join(scratch, "q.npy")
        np.save(queries_path, Q)
        base_rss = baseline_rss(queries_path)
        built = []
        for lib in args.libs.split(","):
            candidate = candidates[lib]
            load_before = load_average()
            t0 = time.perf_counter()
            candidate.build(X)
            build_rate = len(X) / (time.perf_counter() - t0)
            path = os.path.join(scratch, f"{lib}.bin")
            candidate.save(path)
            summary = {
                "lib": candidate.name, "n": args.n, "build_per_s": build_rate, "file_bytes": os.path.getsize(path),
                "build_load": f"{load_before} -> {load_average()}",
            }
            print(f"{candidate.name}: build {build_rate:,.0f}/s on {THREADS} threads (load {summary['build_load']}), "
                  f"file {summary['file_bytes'] / 1e6:,.0f} MB", flush=True)
            built.append((candidate, path, summary))
        # the sweeps interleave the candidates query by query, so their ratios share the load
        settings = [(ef, rerank) for ef in map(int, args.efs.split(",")) for rerank in map(int, args.reranks.split(","))]
        for ef, rerank in settings:
            load = load_average()
            rows = measure_all([c for c, _, _ in built], X, Q, gt, ef, rerank)
            for (candidate, _, summary), row in zip(built, rows):
                row["load"] = load
                summary.setdefault("sweep", []).append(row)
                print(f"  {candidate.name:12s} ef {ef:4d} rerank {rerank:3d}: recall@10 {row['recall']:.4f} "
                      f"p50 {row['p50']:.3f} ms p95 {row['p95']:.3f} ms (load {load})", flush=True)
        for candidate, path, summary in built:
            del candidate.index  # the fresh process should not compete for memory
            first, rss = fresh_open(candidate, path, args.d, queries_path)
            summary.update(open_first_query_s=first, index_rss_bytes=rss - base_rss, open_load=load_average())
            print(f"{candidate.name}: fresh process open + first query {first * 1e3:.1f} ms, RSS after 200 "
                  f"queries {(rss - base_rss) / 1e6:,.0f} MB over an empty process (load {summary['open_load']})",
                  flush=True)
            os.remove(path)
            if args.json:
                with open(args.json, "a") as f:
                    f.write(json.dumps(summary) + "\n")


if __name__ == "__main__":
    main()
