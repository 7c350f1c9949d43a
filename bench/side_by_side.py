#!/usr/bin/env python3
"""Side-by-side benchmark: real Chroma 1.5.9 vs ours (vs Qdrant Edge), one run, same data.

Standard library only: run it with any python3 >= 3.10 from the repository root
(``bench/run.sh`` does).  It

1. creates scratch venvs under ``bench/.venvs/`` (real ``chromadb==1.5.9``; optionally
   ``qdrant-edge-py==0.9.0``); ours is the repository's own ``.venv`` (``make install``),
2. generates the seeded workload (``bench/workload.py``) and caches it in ``bench/.data/``,
3. runs ``bench/driver.py`` -- the same script, through ``import chromadb`` -- with each
   venv's python, in-process (PersistentClient on a fresh temp dir, then fresh-process
   open timings) and over HTTP (each project's own ``chroma run`` server, N=20k),
4. prints one markdown table per mode: metric | Chroma 1.5.9 | us | us/Chroma, and with
   ``--write-results`` writes it, with the machine facts and the raw JSON, to
   ``bench/RESULTS.md``.

A target or mode that cannot run (missing venv, server that does not start) is shown
as "n/a" with the reason; a metric that raised is shown as "error".
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
VENVS = os.path.join(HERE, ".venvs")
DATA = os.path.join(HERE, ".data")
LOGS = os.path.join(DATA, "logs")
CHROMA_VERSION = "1.5.9"
QDRANT_EDGE_VERSION = "0.9.0"


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- targets

class Target:
    def __init__(self, key, label, venv, driver="driver.py", modes=("inproc", "http"),
                 sync_index=False, install=None):
        self.key, self.label, self.venv = key, label, venv
        self.driver = os.path.join(HERE, driver)
        self.modes = modes
        self.sync_index = sync_index      # indexes inside add(): "until drained" == add
        self.install = install            # pip requirements for a scratch venv, or None
        self.python = os.path.join(venv, "bin", "python")
        self.chroma_bin = os.path.join(venv, "bin", "chroma")
        self.unavailable = None


def targets(wanted):
    all_ = {
        "chroma": Target("chroma", f"Chroma {CHROMA_VERSION}", os.path.join(VENVS, f"chroma-{CHROMA_VERSION}"),
                         sync_index=True, install=[f"chromadb=={CHROMA_VERSION}"]),
        "ours": Target("ours", "us", os.path.join(REPO, ".venv")),
        "qdrant": Target("qdrant", f"Qdrant Edge {QDRANT_EDGE_VERSION}",
                         os.path.join(VENVS, f"qdrant-edge-{QDRANT_EDGE_VERSION}"),
                         driver="driver_qdrant_edge.py", modes=("inproc",),
                         install=[f"qdrant-edge-py=={QDRANT_EDGE_VERSION}", "numpy"]),
    }
    return [all_[k] for k in wanted]


def ensure_venv(t: Target) -> None:
    if t.install is None:
        if not os.path.exists(t.python):
            t.unavailable = f"{os.path.relpath(t.venv, REPO)} missing (run `make install`)"
        return
    marker = os.path.join(t.venv, ".bench-installed")
    want = " ".join(t.install)
    if os.path.exists(marker) and open(marker).read().strip() == want and os.path.exists(t.python):
        return
    os.makedirs(VENVS, exist_ok=True)
    os.makedirs(LOGS, exist_ok=True)
    lf = os.path.join(LOGS, f"pip-{t.key}.log")
    log(f"creating venv {os.path.relpath(t.venv, REPO)} with {want} (log: {os.path.relpath(lf, REPO)})")
    try:
        with open(lf, "w") as out:
            if not os.path.exists(t.python):
                subprocess.run([sys.executable, "-m", "venv", t.venv], check=True, stdout=out, stderr=subprocess.STDOUT)
            subprocess.run([t.python, "-m", "pip", "install", "-q", *t.install], check=True,
                           stdout=out, stderr=subprocess.STDOUT)
        with open(marker, "w") as f:
            f.write(want + "\n")
    except subprocess.CalledProcessError as e:
        t.unavailable = f"venv setup failed ({e}); see {os.path.relpath(lf, REPO)}"


# --------------------------------------------------------------------------- helpers

def env_for_children() -> dict:
    env = dict(os.environ)
    env["BENCH_DATA"] = DATA
    env["ANONYMIZED_TELEMETRY"] = "False"
    env.setdefault("PYTHONDONTWRITEBYTECODE", "")
    env.pop("PYTHONPATH", None)
    env.pop("VIRTUAL_ENV", None)
    return env


def gen_workload(python: str, n: int) -> None:
    log(f"workload N={n} (cached in bench/.data/)")
    subprocess.run([python, "-c", f"import workload; workload.load({n})"], cwd=HERE,
                   env=env_for_children(), check=True, stdout=sys.stderr)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def heartbeat(port: int) -> bool:
    for host in ("localhost", "127.0.0.1"):
        try:
            with urllib.request.urlopen(f"http://{host}:{port}/api/v2/heartbeat", timeout=2) as r:
                if r.status == 200:
                    return True
        except Exception:
            pass
    return False


def tail(path: str, n: int = 8) -> str:
    try:
        with open(path, errors="replace") as f:
            lines = [ln.rstrip() for ln in f.readlines() if ln.strip()]
        return " | ".join(lines[-n:])[-600:]
    except OSError:
        return ""


def stop_group(proc: subprocess.Popen, grace: float = 10.0) -> None:
    """Stop a process we started in its own session (SIGTERM, then SIGKILL)."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


def run_child(cmd, logf, timeout) -> int | str:
    with open(logf, "a") as lf:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env_for_children(), stdout=lf,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            stop_group(proc, grace=5)
            return "timeout"


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def loadavg():
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


# --------------------------------------------------------------------------- runs

# The 1M mode (issue 20): in-process only, the rows, a memory-lean harness.
MILLION_N = 1_000_000
MILLION_DRIVER_ARGS = ["--steps", "add_docs,query,filtered,get_ids,disk,rss", "--filters", "cat10",
                       "--lean", "--timeline", "--backlog-queries", "0"]
MILLION_DIR = os.path.join(DATA, "million")          # one saved result per target
MILLION_BEGIN, MILLION_END = "<!-- million:begin -->", "<!-- million:end -->"


def run_inproc(t: Target, n: int, a) -> dict:
    tmp = tempfile.mkdtemp(prefix=f"bench-{t.key}-")
    path = os.path.join(tmp, "db")
    out = os.path.join(tmp, "result.json")
    logf = os.path.join(LOGS, f"{t.key}-inproc.log")
    open(logf, "w").close()
    res = {"loadavg_before": loadavg()}
    try:
        cmd = [t.python, t.driver, "run", "--mode", "inproc", "--n", str(n), "--path", path,
               "--out", out, "--filtered-queries", str(a.filtered_queries),
               "--step-budget", str(a.step_budget), *getattr(a, "driver_args", [])]
        log(f"{t.label} in-process N={n} (log: {os.path.relpath(logf, REPO)})")
        rc = run_child(cmd, logf, a.timeout)
        r = read_json(out) or {"steps": {}, "errors": {}}
        res.update(r)
        if rc != 0:
            res.setdefault("errors", {})["driver"] = f"exit {rc}: {tail(logf, 4)}"
        # fresh process: import + open + first query, warm page cache (one warm-up run)
        if os.path.isdir(path) and "add_docs" in res.get("steps", {}):
            runs = []
            for i in range(a.fresh_runs + 1):
                try:
                    p = subprocess.run([t.python, t.driver, "fresh", "--path", path, "--n", str(n)],
                                       cwd=REPO, env=env_for_children(), capture_output=True,
                                       text=True, timeout=300)
                    if p.returncode != 0:
                        raise RuntimeError(p.stderr.strip().splitlines()[-1] if p.stderr.strip() else f"exit {p.returncode}")
                    if i > 0:
                        runs.append(json.loads(p.stdout.strip().splitlines()[-1]))
                except Exception as e:
                    res["errors"]["fresh"] = f"{type(e).__name__}: {str(e)[:300]}"
                    break
            if runs:
                res["steps"]["fresh"] = {k: statistics.median(r[k] for r in runs)
                                         for k in runs[0] if isinstance(runs[0][k], (int, float))}
                res["steps"]["fresh"]["runs"] = len(runs)
    finally:
        keep = getattr(a, "keep_db", None)
        if keep and os.path.isdir(path):
            # kept for looking into it afterwards (e.g. fresh-open profiles at 1M)
            dest = os.path.join(keep, f"{t.key}-db")
            shutil.rmtree(dest, ignore_errors=True)
            shutil.move(path, dest)
            log(f"kept the persist dir in {os.path.relpath(dest, REPO)}")
        shutil.rmtree(tmp, ignore_errors=True)
    res["loadavg_after"] = loadavg()
    return res


def run_http(t: Target, n: int, a) -> dict:
    if not os.path.exists(t.chroma_bin):
        return {"unavailable": f"no `chroma` executable in {os.path.relpath(t.venv, REPO)}/bin"}
    tmp = tempfile.mkdtemp(prefix=f"bench-{t.key}-http-")
    path = os.path.join(tmp, "db")
    out = os.path.join(tmp, "result.json")
    logf = os.path.join(LOGS, f"{t.key}-http.log")
    slog = os.path.join(LOGS, f"{t.key}-server.log")
    open(logf, "w").close()
    res = {"loadavg_before": loadavg()}
    port = free_port()
    log(f"{t.label} HTTP N={n}: starting `chroma run --path TMP --port {port}` "
        f"(log: {os.path.relpath(slog, REPO)})")
    with open(slog, "w") as sl:
        srv = subprocess.Popen([t.chroma_bin, "run", "--path", path, "--port", str(port)], cwd=tmp,
                               env=env_for_children(), stdout=sl, stderr=subprocess.STDOUT,
                               start_new_session=True)
    try:
        deadline = time.time() + a.server_wait
        up = False
        while time.time() < deadline:
            if srv.poll() is not None:
                break
            if heartbeat(port):
                up = True
                break
            time.sleep(0.25)
        if not up:
            why = "exited" if srv.poll() is not None else f"no heartbeat after {a.server_wait:.0f}s"
            return {"unavailable": f"server did not start ({why}): {tail(slog, 3)}"}
        res["server_start_s"] = round(a.server_wait - (deadline - time.time()), 2)
        cmd = [t.python, t.driver, "run", "--mode", "http", "--n", str(n), "--host", "localhost",
               "--port", str(port), "--server-pid", str(srv.pid), "--persist-dir", path,
               "--out", out, "--filtered-queries", str(a.filtered_queries),
               "--step-budget", str(a.step_budget)]
        log(f"{t.label} HTTP N={n}: driver (log: {os.path.relpath(logf, REPO)})")
        rc = run_child(cmd, logf, a.timeout)
        r = read_json(out) or {"steps": {}, "errors": {}}
        res.update(r)
        if rc != 0:
            res.setdefault("errors", {})["driver"] = f"exit {rc}: {tail(logf, 4)}"
        if srv.poll() is not None:
            res.setdefault("errors", {})["server"] = f"server exited with {srv.returncode}: {tail(slog, 3)}"
    finally:
        stop_group(srv)
        shutil.rmtree(tmp, ignore_errors=True)
    res["loadavg_after"] = loadavg()
    return res


# --------------------------------------------------------------------------- table

# (label, step path, unit/format, better, floor)   floor: ("x", r) ratio us/Chroma, ("abs", v)
ROWS_INPROC = [
    ("add, docs + 4 metadata keys (items/s, until last add returns)", "add_docs.items_per_s", "int", "higher", ("x", 5)),
    ("add, docs + metadata, until index drained (items/s)", "add_docs.drained_items_per_s", "int", "higher", ("x", 3)),
    ("query p50 during index backlog (ms)", "add_docs.backlog.p50_ms", "ms", "lower", None),
    ("recall@10 during index backlog", "add_docs.backlog.recall", "rec", "higher", ("abs", 0.99)),
    ("add, vectors only (items/s)", "add_vec.items_per_s", "int", "higher", ("x", 5)),
    ("query p50, default include, 1 per call (ms)", "query.p50_ms", "ms", "lower", ("x", 1 / 3)),
    ("query p95 (ms)", "query.p95_ms", "ms", "lower", None),
    ("query recall@10", "query.recall", "rec", "higher", ("abs", 0.99)),
    ("batch of 100 queries (queries/s)", "batch.qps", "int", "higher", ("x", 3)),
    ("batch recall@10", "batch.recall", "rec", "higher", ("abs", 0.99)),
    ("filtered p50, category c3 ~10% (ms)", "filtered.cat10.p50_ms", "ms", "lower", ("x", 1 / 20)),
    ("filtered recall, category ~10%", "filtered.cat10.recall", "rec", "higher", ("abs", 0.99)),
    ("filtered p50, year >= 2024 ~5.6% (ms)", "filtered.year5.p50_ms", "ms", "lower", ("x", 1 / 20)),
    ("filtered recall, year", "filtered.year5.recall", "rec", "higher", ("abs", 0.99)),
    ("filtered p50, $and of 3 ~1.2% (ms)", "filtered.and1.p50_ms", "ms", "lower", ("x", 1 / 20)),
    ("filtered recall, $and", "filtered.and1.recall", "rec", "higher", ("abs", 0.99)),
    ("where_document $contains ~2% p50 (ms)", "filtered.contains.p50_ms", "ms", "lower", ("x", 1 / 10)),
    ("where_document recall", "filtered.contains.recall", "rec", "higher", ("abs", 0.99)),
    ("get 1,000 ids (ms)", "get_ids.ms", "ms", "lower", ("x", 1 / 3)),
    ("get 1,000 ids, include embeddings (ms)", "get_ids.ms_embeddings", "ms", "lower", None),
    ("get with 10% where (ms)", "get_where.ms", "ms", "lower", ("x", 1 / 5)),
    ("update 10k (items/s)", "update.items_per_s", "int", "higher", ("x", 5)),
    ("upsert 10k, half new (items/s)", "upsert.items_per_s", "int", "higher", ("x", 5)),
    ("delete 10k (items/s)", "delete.items_per_s", "int", "higher", ("x", 5)),
    ("fresh process: import (s)", "fresh.import_s", "s", "lower", None),
    ("fresh process: open + first query (s)", "fresh.open_query_s", "s", "lower", None),
    ("fresh process: import + open + first query (s)", "fresh.total_s", "s", "lower", ("abs", 0.6)),
    ("disk, persist dir with N docs + metadata (MB)", "disk.mb", "mb", "lower", ("x", 2)),
    ("peak RSS of the process after reads (MB)", "rss.peak_mb", "mb", "lower", ("x", 2)),
    ("peak RSS at the end, incl. vectors-only collection (MB)", "rss_final.peak_mb", "mb", "lower", None),
]
ROWS_MILLION = [
    ("add, until the index covers everything (items/s)", "add_docs.drained_items_per_s", "int", "higher", ("x", 5)),
    ("add, acknowledged (items/s, until the last add returns)", "add_docs.items_per_s", "int", "higher", None),
    ("query p50 (ms)", "query.p50_ms", "ms", "lower", ("abs", 1.0)),
    ("query p95 (ms)", "query.p95_ms", "ms", "lower", None),
    ("query p95 / p50", "query.p95_over_p50", "ratio", "lower", ("abs", 2.0)),
    ("query p99 (ms)", "query.p99_ms", "ms", "lower", None),
    ("query p95 / p50, less the time waiting for a CPU", "query.own_p95_over_p50", "ratio", "lower", ("abs", 2.0)),
    ("recall@10, default settings", "query.recall", "rec", "higher", ("abs", 0.99)),
    ("10% filter p50 (ms)", "filtered.cat10.p50_ms", "ms", "lower", None),
    ("10% filter recall@10", "filtered.cat10.recall", "rec", "higher", ("abs", 0.99)),
    ("get 1,000 ids (ms)", "get_ids.ms", "ms", "lower", None),
    ("peak RSS of the process after reads (MB)", "rss.peak_mb", "mb", "lower", None),
    ("  less the harness: the database's share (MB)", "rss.database_peak_mb", "mb", "lower", ("x", 1)),
    ("disk, persist dir (MB)", "disk.mb", "mb", "lower", ("x", 1)),
    ("fresh process: open + first query (s)", "fresh.open_query_s", "s", "lower", ("abs", 1.0)),
    ("fresh process: import (s)", "fresh.import_s", "s", "lower", None),
    ("fresh process: peak RSS (MB)", "fresh.peak_rss_mb", "mb", "lower", None),
]
ROWS_HTTP = [
    ("add, docs + 4 metadata keys (items/s)", "add_docs.items_per_s", "int", "higher", ("x", 3)),
    ("add, docs + metadata, until the server's index is drained (items/s)", "add_docs.drained_items_per_s", "int", "higher", None),
    ("query p50 during the server's index backlog (ms)", "add_docs.backlog.p50_ms", "ms", "lower", None),
    ("add, vectors only (items/s)", "add_vec.items_per_s", "int", "higher", None),
    ("query p50, 1 per call (ms)", "query.p50_ms", "ms", "lower", ("x", 1 / 2)),
    ("query recall@10", "query.recall", "rec", "higher", ("abs", 0.99)),
    ("batch of 100 queries (queries/s)", "batch.qps", "int", "higher", None),
    ("filtered p50, category ~10% (ms)", "filtered.cat10.p50_ms", "ms", "lower", None),
    ("filtered p50, year ~5.6% (ms)", "filtered.year5.p50_ms", "ms", "lower", None),
    ("filtered p50, $and ~1.2% (ms)", "filtered.and1.p50_ms", "ms", "lower", None),
    ("where_document $contains p50 (ms)", "filtered.contains.p50_ms", "ms", "lower", None),
    ("get 1,000 ids (ms)", "get_ids.ms", "ms", "lower", ("x", 1 / 3)),
    ("get 1,000 ids, include embeddings (ms)", "get_ids.ms_embeddings", "ms", "lower", None),
    ("get with 10% where (ms)", "get_where.ms", "ms", "lower", None),
    ("update 10k (items/s)", "update.items_per_s", "int", "higher", None),
    ("upsert 10k (items/s)", "upsert.items_per_s", "int", "higher", None),
    ("delete 10k (items/s)", "delete.items_per_s", "int", "higher", None),
    ("disk of the server's persist dir (MB)", "disk.mb", "mb", "lower", None),
    ("peak RSS of the server (MB)", "rss.peak_mb", "mb", "lower", None),
]


def lookup(res: dict | None, path: str, sync_index: bool):
    """-> (value or None, note)"""
    if res is None:
        return None, "n/a"
    if res.get("unavailable"):
        return None, "n/a"
    parts = path.split(".")
    steps = res.get("steps", {})
    errors = res.get("errors", {})
    cur = steps
    for p in parts:
        if not isinstance(cur, dict) or p not in cur:
            # error for the step (or sub-step), else simply not measured
            for j in range(len(parts), 0, -1):
                if ".".join(parts[:j]) in errors:
                    return None, "error"
            if any(k in errors for k in ("load", "connect", "driver")):
                return None, "error"
            if path == "add_docs.drained_items_per_s" and sync_index:
                v = steps.get("add_docs", {}).get("items_per_s")
                if v is not None:
                    return v, "(= add)"
            if isinstance(cur, dict) and "error" in cur:
                return None, "error"
            return None, "n/a"
        cur = cur[p]
    if isinstance(cur, (int, float)) and not isinstance(cur, bool):
        return float(cur), ""
    return None, "n/a"


def fmt(v, kind):
    if v is None:
        return None
    if kind == "int":
        return f"{v:,.0f}"
    if kind == "ms":
        return f"{v:.3g}" if v < 10 else f"{v:,.1f}" if v < 100 else f"{v:,.0f}"
    if kind == "rec":
        return f"{v:.4f}"
    if kind == "s":
        return f"{v:.3f}"
    if kind == "ratio":
        return f"{v:.2f}"
    if kind == "mb":
        return f"{v:,.0f}" if v >= 100 else f"{v:.1f}"
    return str(v)


def floor_text(floor, better, kind):
    if floor is None:
        return ""
    k, v = floor
    if k == "abs":
        unit = {"s": " s", "ms": " ms"}.get(kind, "")
        return f"{'>=' if better == 'higher' else '<='} {v:g}{unit}"
    if better == "higher" or v >= 1:
        return f"{'>=' if better == 'higher' else '<='} {v:g}x"
    return f"<= 1/{round(1 / v)}"


def check_floor(floor, better, us, ref):
    if floor is None or us is None:
        return ""
    k, v = floor
    if k == "abs":
        ok = us >= v if better == "higher" else us <= v
    else:
        if ref is None or ref == 0:
            return ""
        r = us / ref
        ok = r >= v if better == "higher" else r <= v
    return "PASS" if ok else "FAIL"


def table(rows, results: dict, tlist, mode: str) -> str:
    ref_t = next((t for t in tlist if t.key == "chroma"), None)
    us_t = next((t for t in tlist if t.key == "ours"), None)
    others = [t for t in tlist if t.key not in ("chroma", "ours") and mode in t.modes]
    cols = ["metric"] + [t.label for t in tlist if t.key in ("chroma", "ours")]
    cols += [t.label for t in others]
    if ref_t and us_t:
        cols += ["us / Chroma", "floor", "floor met"]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for label, path, kind, better, floor in rows:
        cells = [label]
        vals = {}
        for t in [x for x in tlist if x.key in ("chroma", "ours")] + others:
            r = results.get(t.key, {}).get(mode)
            v, note = lookup(r, path, t.sync_index)
            vals[t.key] = v
            s = fmt(v, kind)
            cells.append((s + (f" {note}" if note else "")) if s is not None else note)
        if ref_t and us_t:
            ref, us = vals.get("chroma"), vals.get("ours")
            if ref and us is not None and kind != "rec":
                r = us / ref
                word = "better" if (r > 1) == (better == "higher") and r != 1 else ("same" if r == 1 else "worse")
                cells.append(f"{r:.3g}x ({word})")
            else:
                cells.append("")
            cells.append(floor_text(floor, better, kind))
            cells.append(check_floor(floor, better, us, ref))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- machine

def machine_info() -> dict:
    cpu = None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = None
    try:
        with open("/proc/meminfo") as f:
            mem = f"{int(f.readline().split()[1]) / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    commit = None
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                                text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
                               capture_output=True, text=True).stdout.strip()
        if dirty:
            commit += " (dirty)"
    except OSError:
        pass
    return {"cpu": cpu, "cpus": os.cpu_count(), "memory": mem, "kernel": platform.release(),
            "python_orchestrator": platform.python_version(), "repo_commit": commit}


def versions(results: dict, tlist) -> dict:
    out = {}
    for t in tlist:
        for mode in ("inproc", "http"):
            r = results.get(t.key, {}).get(mode) or {}
            if r.get("impl"):
                out[t.key] = r["impl"]
                break
        else:
            out[t.key] = t.unavailable or "not run"
    return out


def sanitize(text: str) -> str:
    """No machine paths in committed files."""
    text = text.replace(REPO + "/", "").replace(REPO, ".")
    tmpd = tempfile.gettempdir()
    return text.replace(tmpd + "/", "<tmp>/")


def status_lines(results, tlist) -> list[str]:
    out = []
    for t in tlist:
        if t.unavailable:
            out.append(f"* {t.label}: n/a -- {t.unavailable}")
            continue
        for mode, r in results.get(t.key, {}).items():
            if r is None:
                continue
            if r.get("unavailable"):
                out.append(f"* {t.label} {mode}: n/a -- {r['unavailable']}")
            for step, err in (r.get("errors") or {}).items():
                out.append(f"* {t.label} {mode}: `{step}` error -- {err[:300]}")
            for step, v in (r.get("steps") or {}).items():
                if isinstance(v, dict) and v.get("warning"):
                    out.append(f"* {t.label} {mode}: `{step}` warning -- {v['warning']}")
                if isinstance(v, dict) and v.get("drain_error"):
                    out.append(f"* {t.label} {mode}: `{step}` drain -- {v['drain_error']}")
    return out


def render(report: dict, tlist, raw: bool) -> str:
    res = report["results"]
    m = report["machine"]
    lines = [f"# Side-by-side benchmark ({report['finished']})", ""]
    lines.append(f"Command: `{report['command']}`  ")
    lines.append(f"Machine: {m['cpu']}, {m['cpus']} CPUs, {m['memory']}, Linux {m['kernel']}; "
                 f"repo commit {m['repo_commit']}  ")
    lines.append(f"Load average (1/5/15 min): before {report['loadavg_before']}, "
                 f"after {report['loadavg_after']}  ")
    for k, v in report["versions"].items():
        if isinstance(v, dict) and v.get("chromadb_version") is None:
            d = v.get("distributions") or {}
            lines.append(f"{k}: " + ", ".join(f"{a} {b}" for a, b in d.items())
                         + f" (python {v.get('python')}, numpy {v.get('numpy')})  ")
        elif isinstance(v, dict):
            d = v.get("distributions")
            dist = ", ".join(f"{a} {b}" for a, b in d.items()) if isinstance(d, dict) else d
            lines.append(f"{k}: chromadb {v.get('chromadb_version')} ({dist}; python {v.get('python')}, "
                         f"numpy {v.get('numpy')})  ")
        else:
            lines.append(f"{k}: {v}  ")
    lines.append("")
    lines.append("`us / Chroma` is our value divided by Chroma's; `(better)` takes the direction into account "
                 "(higher items/s, lower ms/MB). Floors are issue 6's (ratios) plus recall >= 0.99 "
                 "and the absolute fresh-process floor. n/a = not measured / not applicable, "
                 "error = that step raised (see notes).")
    lines.append("")
    if "inproc" in report["modes"]:
        lines.append(f"## In-process (PersistentClient), N = {report['n']:,} x 384")
        lines.append("")
        lines.append(table(ROWS_INPROC, res, tlist, "inproc"))
        lines.append("")
    if "http" in report["modes"]:
        lines.append(f"## Over HTTP (HttpClient, each project's own `chroma run`), N = {report['http_n']:,} x 384")
        lines.append("")
        lines.append(table(ROWS_HTTP, res, tlist, "http"))
        lines.append("")
    notes = status_lines(res, tlist)
    if notes:
        lines.append("### Notes")
        lines.append("")
        lines.extend(notes)
        lines.append("")
    if raw:
        lines.append("## Raw results")
        lines.append("")
        lines.append("```json")
        lines.append(json.dumps(report, indent=1, default=str))
        lines.append("```")
        lines.append("")
    return sanitize("\n".join(lines))


# --------------------------------------------------------------------------- 1M mode

def million_path(key: str) -> str:
    return os.path.join(MILLION_DIR, f"{key}.json")


def run_million(a, tlist) -> None:
    """Run the targets asked for at 1M, save each result on its own, then render the
    table from every saved result (so Chroma's ~15-minute run is made once and reused)."""
    os.makedirs(MILLION_DIR, exist_ok=True)
    a.n = MILLION_N
    a.driver_args = MILLION_DRIVER_ARGS
    if not a.timeout_given:
        a.timeout = 4 * 3600.0  # Chroma adds ~1,100 items/s on a quiet machine, 4x slower on a busy one
    a.keep_db = MILLION_DIR if a.keep_db else None
    for t in tlist:
        ensure_venv(t)
    # workload.py needs only numpy: Qdrant's venv can make it when it runs alone
    gen_py = next((t.python for t in tlist if not t.unavailable and t.key != "qdrant"), None) or \
        next((t.python for t in tlist if not t.unavailable), None)
    if gen_py is None:
        sys.exit("no usable venv to generate the workload")
    gen_workload(gen_py, MILLION_N)
    for t in tlist:
        started = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        machine = machine_info()  # the commit measured is the one at the start
        if t.unavailable:
            log(f"{t.label}: n/a -- {t.unavailable}")
            continue
        try:
            res = run_inproc(t, MILLION_N, a)
        except Exception as e:
            res = {"unavailable": f"harness error {type(e).__name__}: {e}"}
        saved = {"started": started,
                 "finished": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                 "machine": machine, "result": res}
        with open(million_path(t.key), "w") as f:
            json.dump(saved, f, indent=1, default=str)
        log(f"{t.label}: saved {os.path.relpath(million_path(t.key), REPO)}")
    text = render_million(load_million())
    print(text)
    if a.write_results:
        write_million_section()


MILLION_REFERENCE = os.path.join(HERE, "million_reference.json")


def load_million() -> dict:
    """Saved 1M results by target key; without a measured Chroma run, Chroma's column is
    issue 20's figures (bench/million_reference.json), labelled as such."""
    out = {}
    for key in ("chroma", "ours", "qdrant"):
        saved = read_json(million_path(key))
        if saved is not None:
            out[key] = saved
    ref = read_json(MILLION_REFERENCE)
    if "chroma" not in out and ref is not None:
        out["chroma"] = {"reference": ref["source"], "started": "-", "finished": "-", "machine": {},
                         "result": {"steps": ref["steps"], "errors": {}}}
    return out


def tail_summary(query: dict) -> str:
    """What the slow queries of one run coincide with: GCs, and how many are slow."""
    timeline, gcs = query.get("timeline_ms") or [], query.get("gc_ms") or []
    p50 = query.get("p50_ms")
    if not timeline or not p50:
        return ""
    slow = [(t0, ms) for t0, ms in timeline if ms > 2 * p50]
    in_gc = sum(1 for t0, ms in slow if any(g0 < t0 + ms and t0 < g0 + gd for g0, _, gd in gcs))
    gc2 = [g for g in gcs if g[1] == 2]
    text = (f"{len(slow)} of {len(timeline)} queries over 2 x p50 ({in_gc} of them overlap a GC); "
            f"GCs meanwhile: {len(gcs)} ({len(gc2)} full, longest {max((g[2] for g in gcs), default=0):.1f} ms)")
    busy = query.get("threads_ms") or []
    if busy:
        # CPU the process's other threads used during the slow queries vs during the others
        slow_set = {i for i, (_t0, ms) in enumerate(timeline) if ms > 2 * p50}
        by_thread: dict = {}
        for i, per in enumerate(busy):
            for name, ms in per.items():
                acc = by_thread.setdefault(name, [0.0, 0.0])
                acc[0 if i in slow_set else 1] += ms
        if by_thread:
            text += "; other threads' CPU during slow / other queries: " + ", ".join(
                f"{name} {a:.0f} / {b:.0f} ms" for name, (a, b) in sorted(by_thread.items(), key=lambda x: -x[1][0]))
    return text


def database_share(result: dict) -> None:
    """Add rss.database_peak_mb: the peak less what the harness holds, its own objects
    before the run and the base vectors it maps and reads once (all of them, during add)."""
    steps = result.get("steps") or {}
    peak = (steps.get("rss") or {}).get("peak_mb")
    load = steps.get("load") or {}
    if peak is None or load.get("harness_rss_mb") is None or not load.get("lean"):
        return
    mapped = load.get("n", 0) * load.get("dim", 0) * 4 / 2**20
    steps["rss"]["database_peak_mb"] = peak - load["harness_rss_mb"] - mapped


def render_million(saved: dict, raw: bool = False) -> str:
    tlist = targets([k for k in ("chroma", "ours", "qdrant") if k in saved])
    saved = json.loads(json.dumps(saved, default=str))
    results = {k: {"inproc": v["result"]} for k, v in saved.items()}
    for r in results.values():
        database_share(r["inproc"])
    lines = [MILLION_BEGIN, f"## In-process at 1M (`bench/run.sh --million`), N = {MILLION_N:,} x 384", ""]
    lines.append("Issue 20's rows. Each target's run is saved on its own and reused (Chroma's takes "
                 "~15 min on a quiet machine, over an hour at load 10), so the columns may come from "
                 "different times: read the load averages. "
                 "The harness is lean here (base vectors memory-mapped, metadata made per batch); "
                 "the database's share of the peak RSS is the peak less the harness's objects before "
                 "the run and its mapped vectors (N x 384 x 4 bytes, all read during add).")
    lines.append("")
    for t in tlist:
        v = saved[t.key]
        r = v["result"]
        if v.get("reference"):
            lines.append(f"* {t.label}: not measured by this run; {v['reference']}")
            continue
        impl = r.get("impl") or {}
        d = impl.get("distributions")
        dist = ", ".join(f"{x} {y}" for x, y in d.items()) if isinstance(d, dict) else (d or "")
        lines.append(f"* {t.label}: run {v['started']} - {v['finished']}, repo commit "
                     f"{v['machine'].get('repo_commit')}, load average before {r.get('loadavg_before')}, "
                     f"after {r.get('loadavg_after')}; {dist}")
    lines.append("")
    lines.append(table(ROWS_MILLION, results, tlist, "inproc"))
    lines.append("")
    notes = []
    for t in tlist:
        q = (results[t.key]["inproc"].get("steps") or {}).get("query") or {}
        summary = tail_summary(q)
        if summary:
            notes.append(f"* {t.label} query tail: {summary}")
        if t.key == "qdrant" and summary:
            # its per-thread samples show the search itself on the pool, not the calling thread
            notes.append(f"* {t.label} runs each query on its own search threads (`edge-search-N` above): "
                         "the row less the time waiting for a CPU takes out the calling thread's wait "
                         "only, not theirs.")
    notes += status_lines(results, tlist)
    if notes:
        lines += ["### Notes (1M)", ""] + notes + [""]
    if raw:
        slim = saved
        for v in slim.values():
            q = (v["result"].get("steps") or {}).get("query") or {}
            q.pop("timeline_ms", None)   # kept in bench/.data/million/, too long for this page
            q.pop("gc_ms", None)
            q.pop("threads_ms", None)
        lines += ["### Raw results (1M, per-query timelines left out)", "", "```json",
                  json.dumps(slim, indent=1, default=str), "```", ""]
    lines.append(MILLION_END)
    return sanitize("\n".join(lines))


def splice_million(page: str, section: str) -> str:
    """`page` with its 1M section replaced by `section` (appended when it has none)."""
    if MILLION_BEGIN in page and MILLION_END in page:
        head, rest = page.split(MILLION_BEGIN, 1)
        tail = rest.split(MILLION_END, 1)[1]
        return head + section + tail
    return page.rstrip("\n") + "\n\n" + section + "\n"


def existing_million_section() -> str:
    try:
        with open(os.path.join(HERE, "RESULTS.md")) as f:
            page = f.read()
    except OSError:
        return ""
    if MILLION_BEGIN not in page or MILLION_END not in page:
        return ""
    return MILLION_BEGIN + page.split(MILLION_BEGIN, 1)[1].split(MILLION_END, 1)[0] + MILLION_END


def write_results_page(text: str) -> None:
    """Write bench/RESULTS.md, keeping the 1M section a 100k run does not touch."""
    section = existing_million_section()
    with open(os.path.join(HERE, "RESULTS.md"), "w") as f:
        f.write(splice_million(text, section) if section else text)
    log("wrote bench/RESULTS.md")


def write_million_section() -> None:
    path = os.path.join(HERE, "RESULTS.md")
    try:
        with open(path) as f:
            page = f.read()
    except OSError:
        page = "# Side-by-side benchmark\n"
    with open(path, "w") as f:
        f.write(splice_million(page, render_million(load_million(), raw=True)))
    log("wrote the 1M section of bench/RESULTS.md")


# --------------------------------------------------------------------------- main

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000, help="in-process N (default 100,000)")
    ap.add_argument("--http-n", type=int, default=20_000, help="HTTP-mode N (default 20,000)")
    ap.add_argument("--quick", action="store_true", help="same as --n 20000")
    ap.add_argument("--million", action="store_true",
                    help="the 1M mode (issue 20): N = 1,000,000 in-process, its own rows; runs --targets "
                         "(default chroma,ours), saves each in bench/.data/million/ and renders every "
                         "saved one, so Chroma's ~15-minute run is made once")
    ap.add_argument("--keep-db", action="store_true",
                    help="keep each in-process persist dir in bench/.data/ (1M: bench/.data/million/) instead of deleting it")
    ap.add_argument("--render-million", action="store_true",
                    help="do not run: re-render the saved 1M results (with --write-results: into RESULTS.md)")
    ap.add_argument("--targets", default=None,
                    help="comma list of chroma,ours,qdrant (default: all three; qdrant = Qdrant Edge, "
                         "in-process only)")
    ap.add_argument("--modes", default="inproc,http", help="comma list of inproc,http")
    ap.add_argument("--filtered-queries", type=int, default=100, help="queries per filter (default 100)")
    ap.add_argument("--fresh-runs", type=int, default=3, help="fresh-process runs after one warm-up")
    ap.add_argument("--step-budget", type=float, default=120.0, help="seconds per query loop before it stops early")
    ap.add_argument("--timeout", type=float, default=None, help="seconds per driver run (default 3600; 1M: 4 h)")
    ap.add_argument("--server-wait", type=float, default=60.0, help="seconds to wait for a server heartbeat")
    ap.add_argument("--write-results", action="store_true", help="write bench/RESULTS.md")
    ap.add_argument("--json", help="also write the raw report to this file")
    ap.add_argument("--render", metavar="REPORT_JSON",
                    help="do not run: re-render a saved report (bench/.data/last-report.json or --json output)")
    a = ap.parse_args(argv)
    a.targets_given = a.targets is not None
    a.timeout_given = a.timeout is not None
    if a.timeout is None:
        a.timeout = 3600.0
    if a.targets is None:
        a.targets = "chroma,ours,qdrant"
    if a.render:
        with open(a.render) as f:
            report = json.load(f)
        tlist = targets([k for k in ("chroma", "ours", "qdrant") if k in report["results"]])
        print(render(report, tlist, raw=False))
        if a.write_results:
            write_results_page(render(report, tlist, raw=True))
        return
    if a.render_million:
        print(render_million(load_million()))
        if a.write_results:
            write_million_section()
        return
    if a.million:
        names = a.targets if a.targets_given else "chroma,ours"
        run_million(a, targets([k for k in names.split(",") if k]))
        return
    a.keep_db = DATA if a.keep_db else None
    if a.quick:
        a.n = 20_000
    a.http_n = min(a.http_n, a.n)
    modes = [m for m in a.modes.split(",") if m]
    tlist = targets([k for k in a.targets.split(",") if k])
    os.makedirs(LOGS, exist_ok=True)
    started = _dt.datetime.now(_dt.timezone.utc)
    la_before = loadavg()

    for t in tlist:
        ensure_venv(t)
    gen_py = next((t.python for t in tlist if not t.unavailable and t.key != "qdrant"), None) or \
        next((t.python for t in tlist if not t.unavailable), None)
    if gen_py is None:
        sys.exit("no usable venv to generate the workload")
    for n in sorted({a.n} | ({a.http_n} if "http" in modes else set())):
        gen_workload(gen_py, n)

    results: dict = {}
    for t in tlist:
        results[t.key] = {}
        for mode in modes:
            if mode not in t.modes:
                continue
            if t.unavailable:
                results[t.key][mode] = {"unavailable": t.unavailable}
                continue
            try:
                if mode == "inproc":
                    results[t.key][mode] = run_inproc(t, a.n, a)
                else:
                    results[t.key][mode] = run_http(t, a.http_n, a)
            except Exception as e:
                results[t.key][mode] = {"unavailable": f"harness error {type(e).__name__}: {e}"}
            r = results[t.key][mode]
            if r.get("unavailable"):
                log(f"{t.label} {mode}: n/a -- {r['unavailable']}")

    report = {
        "started": started.strftime("%Y-%m-%d %H:%M UTC"),
        "finished": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "bench/run.sh " + " ".join(sys.argv[1:] if argv is None else argv),
        "n": a.n, "http_n": a.http_n, "modes": modes,
        "loadavg_before": la_before, "loadavg_after": loadavg(),
        "machine": machine_info(), "versions": versions(results, tlist),
        "results": results,
    }
    text = render(report, tlist, raw=False)
    print(text)
    if a.json:
        with open(a.json, "w") as f:
            f.write(sanitize(json.dumps(report, indent=1, default=str)))
    with open(os.path.join(DATA, "last-report.json"), "w") as f:
        json.dump(report, f, indent=1, default=str)
    if a.write_results:
        write_results_page(render(report, tlist, raw=True))


if __name__ == "__main__":
    main()
