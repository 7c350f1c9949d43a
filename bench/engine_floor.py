#!/usr/bin/env python
"""Issue 3's speed floor for our engine alone, in-process: PASS/FAIL per line.

Run it with the python that has our package installed (the repository's .venv):

    .venv/bin/python bench/engine_floor.py              # N = 100,000 (the floor's N)
    .venv/bin/python bench/engine_floor.py --n 20000    # quick look

It uses only ``import chromadb`` (so it would run against real Chroma too) and the
measurement code of ``bench/driver.py``.  Floors (N = 100k x 384, 2-core machine):

* add, vectors only, batches of 1,000            >= 2,000 items/s
* unfiltered query p50 (default include)         <= 0.6 ms, recall@10 >= 0.99
* metadata-filtered query, 10% selectivity p50   <= 10 ms,  recall@10 >= 0.99
* get of 1,000 ids                               <= 10 ms
* fresh process: import + open + first query     <= 1 s

Exit status 0 when every line passes, 1 otherwise.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)
os.environ.setdefault("BENCH_DATA", os.path.join(HERE, ".data"))
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

import driver as D  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--filtered-queries", type=int, default=200)
    ap.add_argument("--fresh-runs", type=int, default=3)
    ap.add_argument("--keep", action="store_true", help="keep the temp persist dir")
    ap.add_argument("--json", help="write the raw figures here")
    a = ap.parse_args(argv)

    tmp = tempfile.mkdtemp(prefix="engine-floor-")
    args = argparse.Namespace(mode="inproc", n=a.n, path=os.path.join(tmp, "db"), persist_dir=None,
                              host=None, port=None, server_pid=None, queries=a.queries,
                              filtered_queries=a.filtered_queries, backlog_queries=200, get_reps=10,
                              step_budget=120.0, out=None)
    la_before = os.getloadavg()
    d = D.Driver(args)
    lines = []   # (ok or None, text)

    def check(label, value, op, limit, unit, fmtv="{:,.3g}"):
        if value is None:
            lines.append((False, f"{label}: error"))
            return
        ok = value >= limit if op == ">=" else value <= limit
        lines.append((ok, f"{label}: {fmtv.format(value)}{unit} (floor {op} {limit:g}{unit})"))

    try:
        d.step("load", d.load)
        connected = d.step("connect", d.connect) is not None

        def run(name, fn):
            return (d.step(name, fn) or {}) if connected else {}

        vec = run("add_vec", d.add_vec)
        check("add, vectors only, batches of 1,000", vec.get("items_per_s"), ">=", 2000, " items/s", "{:,.0f}")
        if vec.get("drained_items_per_s") is not None:
            lines.append((None, f"  (same, until the index is drained: {vec['drained_items_per_s']:,.0f} items/s)"))
        docs = run("add_docs", d.add_docs)
        if docs.get("items_per_s"):
            lines.append((None, f"  (add with documents + 4 metadata keys: {docs['items_per_s']:,.0f} items/s)"))
        q = run("query", d.query)
        check("unfiltered query p50", q.get("p50_ms"), "<=", 0.6, " ms")
        check("unfiltered query recall@10", q.get("recall"), ">=", 0.99, "", "{:.4f}")

        def cat10():
            f = d.wl.filters()["cat10"]
            return d._single_queries(d.coll, min(a.filtered_queries, d.nq), f["where"], None,
                                     d.wl.gt["l2_cat10"])
        fq = run("filtered_cat10", cat10)
        check("filtered query p50, 10% (category)", fq.get("p50_ms"), "<=", 10, " ms")
        check("filtered query recall@10, 10%", fq.get("recall"), ">=", 0.99, "", "{:.4f}")
        g = run("get_ids", d.get_ids)
        check("get 1,000 ids", g.get("ms"), "<=", 10, " ms")
        fresh = []
        err = None
        if "add_docs" in d.res["steps"]:
            for i in range(a.fresh_runs + 1):
                p = subprocess.run([sys.executable, os.path.join(HERE, "driver.py"), "fresh", "--path", args.path,
                                    "--n", str(a.n)], capture_output=True, text=True, timeout=300)
                if p.returncode != 0:
                    err = (p.stderr.strip().splitlines() or [f"exit {p.returncode}"])[-1]
                    break
                if i:
                    fresh.append(json.loads(p.stdout.strip().splitlines()[-1]))
        if fresh:
            med = {k: statistics.median(r[k] for r in fresh) for k in ("import_s", "open_query_s", "total_s")}
            d.res["steps"]["fresh"] = med
            check("fresh process: import + open + first query", med["total_s"], "<=", 1.0, " s", "{:.3f}")
            lines.append((None, (f"  (import {med['import_s']:.3f} s, open + first query {med['open_query_s']:.3f} s; "
                                 f"median of {len(fresh)} after a warm-up run)")))
        else:
            lines.append((False, f"fresh process: import + open + first query: error {err or '(no collection)'}"))
    finally:
        if not a.keep:
            shutil.rmtree(tmp, ignore_errors=True)

    impl = d.res.get("impl", {})
    print(f"# engine floor (issue 3), in-process, N = {a.n:,} x 384")
    print(f"chromadb {impl.get('chromadb_version')} {impl.get('distributions')}; "
          f"load average before {[round(x, 2) for x in la_before]}, after {[round(x, 2) for x in os.getloadavg()]}")
    for ok, text in lines:
        tag = "    " if ok is None else ("PASS" if ok else "FAIL")
        print(f"{tag} {text}")
    for step, e in d.res["errors"].items():
        print(f"     error in {step}: {e}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(d.res, f, indent=1, default=str)
    sys.exit(0 if all(ok is not False for ok, _ in lines) and lines else 1)


if __name__ == "__main__":
    main()
