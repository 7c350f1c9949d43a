#!/usr/bin/env python
"""Benchmark driver: the same script for every Chroma-compatible implementation.

It only uses the public ``chromadb`` API (PersistentClient / HttpClient, collections
with explicit embeddings, ``embedding_function=None``), so running it with the python
of a given venv measures whichever ``chromadb`` that venv has installed: the real
Chroma 1.5.9 or ours.  ``side_by_side.py`` runs it as a subprocess; it can also be run
by hand:

    python bench/driver.py run --mode inproc --n 20000 --path scratch/db --out r.json
    python bench/driver.py run --mode http --port 8000 --n 20000 --out r.json
    python bench/driver.py fresh --path scratch/db --n 20000     # after a `run`

Every step is wrapped in try/except: a failing step is recorded under "errors" and
the run goes on with the next one.

Protocol (issue 6): writes in batches of 1,000; `add` timed until the last call
returns; if the collection exposes a drain hook (``Collection._wait_for_index()``,
see DRAIN_HOOKS), the time until the index is drained is reported separately and one
query pass runs during the backlog.  All other query figures are taken after the drain.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import sys
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)
os.environ.setdefault("BENCH_DATA", os.path.join(HERE, ".data"))   # workload cache
REPO = os.path.dirname(HERE)

BATCH = 1000
COLL_DOCS = "bench_docs"
COLL_VEC = "bench_vec"
# Optional hook an implementation may expose to let the benchmark wait until
# background index maintenance has caught up.  Looked up on the collection, then on
# the client.  Override with BENCH_DRAIN_HOOK=name.
DRAIN_HOOKS = ("_wait_for_index", "wait_for_index", "_drain_index")


# --------------------------------------------------------------------------- utils

def now() -> float:
    return time.perf_counter()


def pct(xs, p):
    import numpy as np
    return float(np.percentile(np.asarray(xs, dtype=np.float64), p)) if len(xs) else None


def ids_to_rows(ids):
    return [int(s[2:]) for s in ids]


def du_bytes(path: str) -> int:
    """Disk usage (allocated blocks) of a directory tree, like `du -s`."""
    tot = 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            try:
                st = os.lstat(os.path.join(root, f))
            except OSError:
                continue
            tot += st.st_blocks * 512
    return tot


def proc_children(pid: int) -> list[int]:
    kids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                s = f.read()
            ppid = int(s[s.rindex(")") + 2:].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == pid:
            kids.append(int(d))
    return kids


def proc_status_kb(pid: int, key: str) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def tree_hwm_mb(pid: int) -> float | None:
    """Peak RSS (VmHWM) of a process plus the peaks of its descendants, in MB."""
    todo, seen, tot = [pid], set(), 0
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        v = proc_status_kb(p, "VmHWM")
        if v is not None:
            tot += v
        todo.extend(proc_children(p))
    return tot / 1024.0 if tot else None


def self_hwm_mb() -> float:
    v = proc_status_kb(os.getpid(), "VmHWM")
    if v is not None:
        return v / 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def impl_info() -> dict:
    import chromadb
    info = {"chromadb_version": getattr(chromadb, "__version__", None),
            "chromadb_file": os.path.relpath(getattr(chromadb, "__file__", "") or "", REPO),
            "python": platform.python_version()}
    try:
        from importlib import metadata
        dists = metadata.packages_distributions().get("chromadb", [])
        info["distributions"] = {d: metadata.version(d) for d in sorted(set(dists))}
    except Exception as e:  # pragma: no cover - informative only
        info["distributions"] = f"unknown ({e})"
    try:
        import numpy
        info["numpy"] = numpy.__version__
    except Exception:
        pass
    return info


# --------------------------------------------------------------------------- driver

class Driver:
    def __init__(self, args):
        self.a = args
        self.res: dict = {"steps": {}, "errors": {}, "mode": args.mode, "n": args.n}
        self.t_start = now()

    # -- bookkeeping
    def step(self, name, fn, *fa, **fk):
        t0 = now()
        print(f"[driver] {name} ...", file=sys.stderr, flush=True)
        try:
            out = fn(*fa, **fk)
            if out is not None:
                self.res["steps"][name] = out
            print(f"[driver] {name}: {json.dumps(out, default=str)} ({now() - t0:.1f}s)",
                  file=sys.stderr, flush=True)
            return out
        except Exception as e:
            self.res["errors"][name] = f"{type(e).__name__}: {str(e)[:500]}"
            traceback.print_exc()
            print(f"[driver] {name}: ERROR {type(e).__name__}: {e}", file=sys.stderr, flush=True)
            return None
        finally:
            self.save()

    def save(self):
        if self.a.out:
            tmp = self.a.out + ".tmp"
            with open(tmp, "w") as f:
                json.dump(self.res, f, indent=1, default=str)
            os.replace(tmp, self.a.out)

    # -- setup
    def load(self):
        import workload
        self.wl = load_lean(self.a.n) if self.a.lean else workload.load(self.a.n, verbose=False)
        self.recall = workload.recall_at_k
        wl = self.wl
        self.ids = wl.ids
        # lean: metadata dicts are made per batch, so the harness's own memory stays small
        self.metas = LazyMetadatas(wl) if self.a.lean else wl.metadatas()
        self.docs = wl.docs
        self.X = wl.X
        self.Q = wl.Q
        self.nq = min(self.a.queries, wl.Q.shape[0])
        return {"n": wl.n, "dim": wl.d, "queries": int(wl.Q.shape[0]),
                "contains_word": wl.contains_word, "lean": bool(self.a.lean),
                "harness_rss_mb": self_rss_mb()}

    def connect(self):
        t0 = now()
        import chromadb
        t_imp = now() - t0
        self.res["impl"] = impl_info()
        t0 = now()
        if self.a.mode == "inproc":
            self.client = chromadb.PersistentClient(path=self.a.path)
        else:
            self.client = chromadb.HttpClient(host=self.a.host, port=self.a.port)
        return {"import_s": t_imp, "client_s": now() - t0}

    def create(self, name):
        try:
            self.client.delete_collection(name)
        except Exception:
            pass
        return self.client.create_collection(name, metadata={"hnsw:space": "l2"},
                                             embedding_function=None)

    def drain_hook(self, coll):
        if os.environ.get("BENCH_DRAIN_HOOK"):
            names = (os.environ["BENCH_DRAIN_HOOK"],)
        elif self.a.mode == "http":
            # the client sees the server's indexer only through the indexing_status route
            return self._indexing_status_hook(coll)
        else:
            names = DRAIN_HOOKS
        for obj in (coll, self.client):
            for nm in names:
                try:
                    f = getattr(obj, nm, None)
                except Exception:
                    f = None
                if callable(f):
                    return f"{type(obj).__name__}.{nm}", f
        return None, None

    @staticmethod
    def _indexing_status_hook(coll):
        """Over HTTP: poll `get_indexing_status()` (upstream's route) until nothing waits.
        None when the server does not answer it (then the add is taken as drained)."""
        status = getattr(coll, "get_indexing_status", None)
        try:
            status()
        except Exception:
            return None, None

        def wait(timeout: float = 900.0) -> bool:
            deadline = now() + timeout
            while now() < deadline:
                if status().num_unindexed_ops == 0:
                    return True
                time.sleep(0.05)
            return False

        return "Collection.get_indexing_status", wait

    # -- steps
    def _add(self, coll, with_docs: bool):
        n = self.a.n
        t0 = now()
        for s in range(0, n, BATCH):
            e = min(n, s + BATCH)
            if with_docs:
                coll.add(ids=self.ids[s:e], embeddings=self.X[s:e],
                         metadatas=self.metas[s:e], documents=self.docs[s:e])
            else:
                coll.add(ids=self.ids[s:e], embeddings=self.X[s:e])
        return t0, now() - t0

    def _add_and_drain(self, name, with_docs, backlog_pass):
        coll = self.create(name)
        t0, dt = self._add(coll, with_docs)
        out = {"items_per_s": self.a.n / dt, "seconds": dt}
        hook_name, hook = self.drain_hook(coll)
        out["drain_hook"] = hook_name
        box = {}
        th = None
        if hook is not None:
            def run_hook():
                try:
                    ok = hook()
                    box["t"] = now()
                    if ok is False:
                        box["err"] = "drain hook returned False (timed out?)"
                except Exception as e:
                    box["err"] = f"{type(e).__name__}: {e}"
            th = threading.Thread(target=run_hook, daemon=True)
            th.start()
        if backlog_pass and self.a.backlog_queries > 0:
            # one query pass while the index may still be catching up (recall must hold)
            try:
                out["backlog"] = self._single_queries(coll, min(self.a.backlog_queries, self.nq),
                                                      None, None, self.wl.gt["l2"])
            except Exception as e:
                out["backlog"] = {"error": f"{type(e).__name__}: {e}"}
        if th is not None:
            th.join()
            if "err" in box:
                out["drain_error"] = box["err"]
            if "t" in box and "err" not in box:
                out["drain_s"] = box["t"] - t0 - dt
                out["drained_items_per_s"] = self.a.n / (box["t"] - t0)
        self.coll = coll if with_docs else getattr(self, "coll", None)
        c = coll.count()
        out["count"] = c
        if c != self.a.n:
            out["warning"] = f"count {c} != {self.a.n}"
        return out

    def _single_queries(self, coll, nq, where, where_document, gt, timeline=False):
        lat, found, starts = [], [], []
        budget = self.a.step_budget
        t_start = now()
        gc_events = GcRecorder(t_start) if timeline else None
        threads = ThreadCpu() if timeline else None
        busy = []      # per query: {thread name: CPU ms} of the process's other threads
        for i in range(nq):
            kw = {}
            if where is not None:
                kw["where"] = where
            if where_document is not None:
                kw["where_document"] = where_document
            before = threads.sample() if threads is not None else None
            t0 = now()
            r = coll.query(query_embeddings=self.Q[i:i + 1], n_results=10, **kw)
            lat.append((now() - t0) * 1000.0)
            if threads is not None:
                busy.append(threads.others_since(before))
            starts.append((t0 - t_start) * 1000.0)
            found.append(ids_to_rows(r["ids"][0]))
            if now() - t_start > budget and i >= 9:
                break
        n_done = len(lat)
        out = {"p50_ms": pct(lat, 50), "p95_ms": pct(lat, 95), "p99_ms": pct(lat, 99),
               "p95_over_p50": pct(lat, 95) / pct(lat, 50), "max_ms": max(lat), "mean_ms": sum(lat) / n_done,
               "recall": self.recall(found, gt[:n_done], 10), "n_queries": n_done}
        if gc_events is not None:
            # what the tail is made of: each query's start and latency, and the garbage
            # collections that ran meanwhile (start, generation, duration)
            out["timeline_ms"] = [[round(a, 2), round(b, 3)] for a, b in zip(starts, lat)]
            out["gc_ms"] = gc_events.stop()
            out["threads_ms"] = busy
            # the latency the process itself made: minus the time its query thread sat
            # runnable while other processes had the cores (a shared 2-core machine)
            waited = [b.get("(query thread waiting for a CPU)", 0.0) for b in busy]
            own = [max(x - w, 0.0) for x, w in zip(lat, waited)]
            out["own_p50_ms"], out["own_p95_ms"] = pct(own, 50), pct(own, 95)
            out["own_p95_over_p50"] = out["own_p95_ms"] / out["own_p50_ms"]
        return out

    def add_docs(self):
        return self._add_and_drain(COLL_DOCS, True, True)

    def add_vec(self):
        out = self._add_and_drain(COLL_VEC, False, False)
        try:
            self.client.delete_collection(COLL_VEC)
        except Exception as e:
            out["delete_error"] = str(e)
        return out

    def query(self):
        return self._single_queries(self.coll, self.nq, None, None, self.wl.gt["l2"],
                                    timeline=self.a.timeline)

    def batch(self):
        B = 100
        found, lat = [], []
        t_all = now()
        for s in range(0, self.nq, B):
            t0 = now()
            r = self.coll.query(query_embeddings=self.Q[s:s + B], n_results=10)
            lat.append(now() - t0)
            found.extend(ids_to_rows(x) for x in r["ids"])
        tot = now() - t_all
        return {"qps": len(found) / tot, "per_call_ms": pct(lat, 50) * 1000.0,
                "recall": self.recall(found, self.wl.gt["l2"][:len(found)], 10),
                "n_queries": len(found)}

    def filtered(self):
        out = {}
        nq = min(self.a.filtered_queries, self.nq)
        wanted = self.a.filters.split(",") if self.a.filters else None
        for name, f in self.wl.filters().items():
            if wanted is not None and name not in wanted:
                continue
            try:
                out[name] = self._single_queries(self.coll, nq, f["where"], f["where_document"],
                                                 self.wl.gt[f"l2_{name}"])
                out[name]["selectivity"] = float(self.wl.masks[name].mean())
            except Exception as e:
                out[name] = {"error": f"{type(e).__name__}: {str(e)[:300]}"}
                self.res["errors"][f"filtered.{name}"] = out[name]["error"]
        return out

    def get_ids(self):
        import numpy as np
        rng = np.random.default_rng(7)
        lat, lat_emb, bad = [], [], 0
        for _ in range(self.a.get_reps):
            rows = rng.choice(self.a.n, size=min(1000, self.a.n), replace=False)
            ids = [self.ids[int(i)] for i in rows]
            t0 = now()
            r = self.coll.get(ids=ids)
            lat.append((now() - t0) * 1000.0)
            if len(r["ids"]) != len(ids):
                bad += 1
        for _ in range(self.a.get_reps):
            rows = rng.choice(self.a.n, size=min(1000, self.a.n), replace=False)
            ids = [self.ids[int(i)] for i in rows]
            t0 = now()
            r = self.coll.get(ids=ids, include=["embeddings"])
            lat_emb.append((now() - t0) * 1000.0)
        out = {"ms": pct(lat, 50), "ms_embeddings": pct(lat_emb, 50), "reps": len(lat)}
        if bad:
            out["warning"] = f"{bad} calls returned a wrong number of records"
        return out

    def get_where(self):
        lat = []
        want = int(self.wl.masks["cat10"].sum())
        got = None
        for _ in range(max(1, self.a.get_reps // 2)):
            t0 = now()
            r = self.coll.get(where={"category": "c3"})
            lat.append((now() - t0) * 1000.0)
            got = len(r["ids"])
        out = {"ms": pct(lat, 50), "records": got, "reps": len(lat)}
        if got != want:
            out["warning"] = f"returned {got} records, expected {want}"
        return out

    def disk(self):
        p = self.a.persist_dir or self.a.path
        if not p:
            return {"mb": None, "note": "persist dir unknown"}
        return {"mb": du_bytes(p) / 1e6}

    def rss(self):
        if self.a.mode == "inproc":
            return {"peak_mb": self_hwm_mb(), "of": "driver process"}
        if self.a.server_pid:
            return {"peak_mb": tree_hwm_mb(self.a.server_pid), "of": "server process tree"}
        return {"peak_mb": None, "of": "server pid unknown"}

    def _write_batches(self, op, ids, **cols):
        t0 = now()
        for s in range(0, len(ids), BATCH):
            e = s + BATCH
            getattr(self.coll, op)(ids=ids[s:e], **{k: v[s:e] for k, v in cols.items()})
        dt = now() - t0
        return {"items_per_s": len(ids) / dt, "seconds": dt}

    def update(self):
        import numpy as np
        m = min(10_000, self.a.n // 2)
        rows = np.arange(m)
        src = (rows + self.a.n // 2) % self.a.n          # other vectors of the same distribution
        metas = [dict(md, year=int(md["year"]) + 1 if md["year"] < 2025 else 1990, score=0.5)
                 for md in self.metas[:m]]
        return self._write_batches("update", self.ids[:m], embeddings=self.X[src], metadatas=metas)

    def upsert(self):
        import numpy as np
        m = min(10_000, self.a.n // 2)
        half = m // 2
        # half of the ids exist (merge), half are new (insert)
        ids = [f"id{i}" for i in range(self.a.n - half, self.a.n + (m - half))]
        src = np.arange(m) + m
        metas = [self.metas[int(i)] for i in src]
        docs = [self.docs[int(i)] for i in src]
        out = self._write_batches("upsert", ids, embeddings=self.X[src], metadatas=metas, documents=docs)
        out["count_after"] = self.coll.count()
        self._upsert_ids = ids
        return out

    def delete(self):
        ids = getattr(self, "_upsert_ids", None) or self.ids[-min(10_000, self.a.n // 2):]
        out = self._write_batches("delete", list(ids))
        out["count_after"] = self.coll.count()
        return out

    def run(self):
        self.step("load", self.load)
        if self.step("connect", self.connect) is None:
            self.res["total_s"] = now() - self.t_start
            self.save()
            return
        wanted = set(self.a.steps.split(",")) if self.a.steps else None
        for name in STEPS:
            if wanted is None or name in wanted:
                self.step(name, getattr(self, "rss" if name == "rss_final" else name))
        self.res["total_s"] = now() - self.t_start
        self.save()


STEPS = ("add_docs", "query", "batch", "filtered", "get_ids", "get_where", "disk", "rss",
         "update", "upsert", "delete", "add_vec", "rss_final")


class GcRecorder:
    """Garbage collections while it records: [start ms, generation, duration ms]."""

    def __init__(self, t_start: float):
        self.t_start, self.events, self._t0 = t_start, [], None
        gc.callbacks.append(self._on_gc)

    def _on_gc(self, phase, info):
        if phase == "start":
            self._t0 = now()
        elif self._t0 is not None:
            self.events.append([round((self._t0 - self.t_start) * 1000.0, 2), info.get("generation"),
                                round((now() - self._t0) * 1000.0, 3)])
            self._t0 = None

    def stop(self):
        gc.callbacks.remove(self._on_gc)
        return self.events


class ThreadCpu:
    """CPU time of this process's threads (Linux schedstat, ns), to tell which background
    thread ran while a query was slow. Names come from Python's threads where it knows
    them, else from the kernel (native threads of an extension)."""

    def __init__(self):
        self.me = threading.get_native_id()
        self.ok = os.path.isdir("/proc/self/task")

    def sample(self) -> dict:
        """{tid: (ns on a CPU, ns waiting for one)}"""
        out = {}
        if not self.ok:
            return out
        for tid in os.listdir("/proc/self/task"):
            try:
                with open(f"/proc/self/task/{tid}/schedstat") as f:
                    run, wait = f.read().split()[:2]
                out[int(tid)] = (int(run), int(wait))
            except (OSError, ValueError):
                continue
        return out

    def others_since(self, before: dict) -> dict:
        """{thread name: CPU ms} of the other threads since `before`, and under "(query
        thread waiting for a CPU)" how long the measuring thread sat runnable but not running
        (other processes had the cores)."""
        after = self.sample()
        names = {t.native_id: t.name for t in threading.enumerate()}
        busy = {}
        for tid, (ns, wait) in after.items():
            if tid == self.me:
                ms = (wait - before.get(tid, (0, 0))[1]) / 1e6
                if ms >= 0.05:
                    busy["(query thread waiting for a CPU)"] = round(ms, 3)
                continue
            ms = (ns - before.get(tid, (0, 0))[0]) / 1e6
            if ms >= 0.05:
                name = names.get(tid) or self._kernel_name(tid)
                busy[name] = round(busy.get(name, 0.0) + ms, 3)
        return busy

    @staticmethod
    def _kernel_name(tid: int) -> str:
        try:
            with open(f"/proc/self/task/{tid}/comm") as f:
                return f.read().strip()
        except OSError:
            return str(tid)


class LazyMetadatas:
    """wl.metadatas() made on demand, a slice or an item at a time."""

    def __init__(self, wl):
        self.wl = wl

    def __len__(self):
        return self.wl.n

    def __getitem__(self, key):
        if isinstance(key, slice):
            lo, hi, _ = key.indices(self.wl.n)
            return self.wl.metadatas(lo, hi)
        return self.wl.metadatas(int(key), int(key) + 1)[0]


def load_lean(n: int):
    """The cached workload (workload.load must have made it) with the base vectors
    memory-mapped from an .npy copy, so a 1M run does not hold 1.5 GB of harness data."""
    import numpy as np
    import workload
    key = f"N{n}_D384_Q1000_s{workload.SEED}"
    folder = os.path.join(workload.DATA_ROOT, key)
    if not os.path.exists(os.path.join(folder, "done")):
        workload.load(n, verbose=False)
    z = np.load(os.path.join(folder, "data.npz"))
    x_path = os.path.join(folder, "X.npy")
    if not os.path.exists(x_path):
        tmp = x_path + f".{os.getpid()}.tmp.npy"
        np.save(tmp, z["X"])
        os.replace(tmp, x_path)
    X = np.load(x_path, mmap_mode="r")
    with open(os.path.join(folder, "docs.json")) as f:
        jd = json.load(f)
    gt = {name[3:]: z[name] for name in z.files if name.startswith("gt_")}
    wl = workload.Workload(n, X.shape[1], int(z["Q"].shape[0]), X, z["Q"], z["cat"], z["year"], z["score"],
                           z["flag"], jd["docs"], jd["word"], gt)
    wl.masks = workload._masks(wl.cat, wl.year, wl.docs, wl.contains_word)
    return wl


def self_rss_mb() -> float | None:
    v = proc_status_kb(os.getpid(), "VmRSS")
    return None if v is None else v / 1024.0


# --------------------------------------------------------------------------- fresh

def cmd_fresh(a):
    """New interpreter: import chromadb, open the persisted collection, one query."""
    t0 = now()
    import chromadb
    t_import = now() - t0
    import numpy as np
    import workload
    key = f"N{a.n}_D384_Q1000_s{workload.SEED}"
    z = np.load(os.path.join(workload.DATA_ROOT, key, "data.npz"))
    q = z["Q"][a.query_index:a.query_index + 1]
    t1 = now()
    client = chromadb.PersistentClient(path=a.path)
    coll = client.get_collection(COLL_DOCS, embedding_function=None)
    t_open = now() - t1
    t2 = now()
    r = coll.query(query_embeddings=q, n_results=10)
    t_query = now() - t2
    out = {"import_s": t_import, "open_s": t_open, "first_query_s": t_query,
           "open_query_s": t_open + t_query, "total_s": t_import + t_open + t_query,
           "first_query_results": len(r["ids"][0]),
           "peak_rss_mb": self_hwm_mb()}
    print(json.dumps(out))



def add_selection_options(r: argparse.ArgumentParser) -> None:
    """What to run and how lean: the options every driver shares (the 1M mode passes them,
    side_by_side.MILLION_DRIVER_ARGS)."""
    r.add_argument("--steps", default="", help=f"comma list of steps to run (default all: {','.join(STEPS)})")
    r.add_argument("--filters", default="", help="comma list of workload filters (default all)")
    r.add_argument("--lean", action="store_true",
                   help="memory-mapped base vectors, metadata made per batch (the 1M mode)")
    r.add_argument("--timeline", action="store_true",
                   help="keep each query's start and latency, the GCs and other threads' CPU, in `query`")

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--mode", choices=["inproc", "http"], default="inproc")
    r.add_argument("--n", type=int, default=20_000)
    r.add_argument("--path", help="persist directory (inproc mode)")
    r.add_argument("--persist-dir", help="server persist directory, for disk usage (http mode)")
    r.add_argument("--host", default="localhost")
    r.add_argument("--port", type=int, default=8000)
    r.add_argument("--server-pid", type=int, default=None)
    r.add_argument("--queries", type=int, default=1000, help="single/batch query count")
    r.add_argument("--filtered-queries", type=int, default=100)
    r.add_argument("--backlog-queries", type=int, default=200)
    r.add_argument("--get-reps", type=int, default=10)
    r.add_argument("--step-budget", type=float, default=120.0,
                   help="stop a query loop after this many seconds (>= 10 queries done)")
    r.add_argument("--out", help="write JSON results here (updated after every step)")
    add_selection_options(r)
    f = sub.add_parser("fresh")
    f.add_argument("--path", required=True)
    f.add_argument("--n", type=int, default=20_000)
    f.add_argument("--query-index", type=int, default=0)
    a = ap.parse_args(argv)
    if a.cmd == "fresh":
        cmd_fresh(a)
        return
    if a.mode == "inproc" and not a.path:
        ap.error("--path is required in inproc mode")
    d = Driver(a)
    d.run()
    if not a.out:
        print(json.dumps(d.res, indent=1, default=str))


if __name__ == "__main__":
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    main()
