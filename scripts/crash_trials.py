"""Crash trials: SIGKILL a writer at random moments, then prove nothing acknowledged was lost.

    python scripts/crash_trials.py [--trials 100] [--seed 1] [--keep-failed] [-v]

Each trial runs a child process that opens a fresh directory with
`chromadb.PersistentClient` and plays a seeded workload. The child reports every
batch on a pipe, "start" before the call and "ack" after it returns, and reports
SQLite commits, index saves and index rebuilds from hooks. The parent SIGKILLs it at
a random moment chosen for the trial's kind:

  add / update / upsert / delete   during a batch of that kind (in about a third of
                                   the trials between its COMMIT and its return)
  index_save                       while the indexer saves the HNSW file
  rebuild                          during the delete that drops most records (view
                                   compaction) or while the index is rebuilt after it

Then the parent replays the same workload in a model and checks the directory:
`chroma check` says it is healthy; the collection equals the model after the last
acknowledged batch, or after the batch in flight (each batch is all or nothing; one
whose COMMIT had returned must be there); queries find a stored vector first and
agree with brute force; `chroma vacuum` removes what a kill during a save left. A
trial whose kill landed outside its target is still verified, and counted as a miss.
"""
from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import itertools
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson

KINDS = ("add", "update", "upsert", "delete", "index_save", "rebuild")
WRITES = ("add", "update", "upsert", "delete")
COLLECTION = "crash"
TRIAL_TIMEOUT = 90.0


# -- the workload: the same seeded plan in the child (to play) and the parent (to model) --------
@dataclass
class Op:
    op: str  # add, update, upsert, delete, wait_index, close
    ids: list[str] | None = None
    embeddings: np.ndarray | None = None
    documents: list[str | None] | None = None
    metadatas: list[dict[str, Any] | None] | None = None
    where: dict[str, Any] | None = None
    role: str = ""  # "target": the batch a write trial kills; "big-delete": the rebuild trigger


@dataclass
class Model:
    """What the collection must hold: id -> (embedding, document, metadata)."""

    records: dict[str, tuple[np.ndarray, str | None, dict[str, Any] | None]] = field(default_factory=dict)

    def copy(self) -> Model:
        return Model(dict(self.records))

    def apply(self, op: Op) -> None:
        recs = self.records
        if op.op == "add":
            for i, id_ in enumerate(op.ids or []):
                if id_ not in recs:
                    recs[id_] = (op.embeddings[i], _doc(op, i), _clean(_meta(op, i)))
        elif op.op in ("update", "upsert"):
            for i, id_ in enumerate(op.ids or []):
                vec = None if op.embeddings is None else op.embeddings[i]
                old = recs.get(id_)
                if old is None:
                    if op.op == "upsert":
                        recs[id_] = (vec, _doc(op, i), _clean(_meta(op, i)))
                    continue
                doc = _doc(op, i)
                recs[id_] = (
                    old[0] if vec is None else vec,
                    old[1] if doc is None else doc,
                    _merge(old[2], _meta(op, i)),
                )
        elif op.op == "delete":
            if op.where is not None:
                key, value = next(iter(op.where.items()))
                doomed = [i for i, r in recs.items() if r[2] is not None and r[2].get(key) == value]
            else:
                doomed = op.ids or []
            for id_ in doomed:
                recs.pop(id_, None)


def _doc(op: Op, i: int) -> str | None:
    return None if op.documents is None else op.documents[i]


def _meta(op: Op, i: int) -> dict[str, Any] | None:
    return None if op.metadatas is None else op.metadatas[i]


def _clean(meta: dict[str, Any] | None) -> dict[str, Any] | None:
    if not meta:
        return None
    return {k: v for k, v in meta.items() if v is not None} or None


def _merge(old: dict[str, Any] | None, new: dict[str, Any] | None) -> dict[str, Any] | None:
    if new is None:
        return old
    merged = dict(old or {})
    for k, v in new.items():
        if v is None:
            merged.pop(k, None)
        else:
            merged[k] = v
    return merged or None


def dimension(kind: str) -> int:
    return 64 if kind == "index_save" else 16  # wider vectors make the HNSW save last longer


def collection_metadata(kind: str) -> dict[str, Any] | None:
    # a cheaper graph build keeps index_save trials short; the save path is the same
    return {"hnsw:construction_ef": 32} if kind == "index_save" else None


def build_plan(kind: str, seed: int) -> list[Op]:
    """The trial's ops; a pure function of (kind, seed)."""
    rng = np.random.default_rng([seed, KINDS.index(kind)])
    dim = dimension(kind)
    model = Model()
    ops: list[Op] = []
    serial = itertools.count()

    def emit(op: Op) -> None:
        model.apply(op)
        ops.append(op)

    # 64-d vectors on an 8-d subspace, as real embeddings have few intrinsic dimensions (on
    # 64-d Gaussian noise HNSW misses ~2% of exact self-matches, and the checks would flake)
    basis = rng.standard_normal((8, dim)).astype(np.float32) if dim > 16 else None

    def vectors(n: int) -> np.ndarray:
        if basis is None:
            return rng.standard_normal((n, dim)).astype(np.float32)
        noise = 0.05 * rng.standard_normal((n, dim)).astype(np.float32)
        return rng.standard_normal((n, len(basis))).astype(np.float32) @ basis + noise

    def metadata(b: int) -> dict[str, Any]:
        return {"b": b, "g": int(rng.integers(20)), "f": float(rng.random()), "s": f"s{int(rng.integers(1000))}", "t": bool(rng.random() < 0.5)}

    def existing(n: int) -> list[str]:
        live = list(model.records)
        return [live[i] for i in rng.choice(len(live), size=min(n, len(live)), replace=False)]

    def add(n: int, role: str = "") -> Op:
        b = len(ops)
        ids = [f"r{next(serial)}" for _ in range(n)]
        docs = None if rng.random() < 0.15 else [f"doc {i} of batch {b} \u00e9t\u00e9" for i in ids]
        return Op("add", ids, vectors(n), docs, [metadata(b) for _ in ids], role=role)

    def update(n: int, role: str = "") -> Op:
        b = len(ops)
        ids = existing(n)
        variant = int(rng.integers(3))
        if variant == 0:  # everything
            return Op("update", ids, vectors(len(ids)), [f"updated {i} at {b}" for i in ids], [metadata(b) for _ in ids], role=role)
        if variant == 1:  # metadata only, merged key by key; None removes a key
            metas = [{"g": int(rng.integers(20)), "u": b, "s": None} for _ in ids]
            return Op("update", ids, None, None, metas, role=role)
        return Op("update", ids, vectors(len(ids)), [f"moved {i} at {b}" for i in ids], None, role=role)

    def upsert(n: int, role: str = "") -> Op:
        b = len(ops)
        ids = existing(n // 2) + [f"r{next(serial)}" for _ in range(n - n // 2)]
        metas = [{"g": int(rng.integers(20)), "u": b} for _ in ids]
        return Op("upsert", ids, vectors(len(ids)), [f"upserted {i} at {b}" for i in ids], metas, role=role)

    def delete(n: int, role: str = "", by_where: float = 0.25) -> Op:
        if rng.random() < by_where:  # about 5% of the records
            return Op("delete", where={"g": int(rng.integers(20))}, role=role)
        return Op("delete", existing(n) + ["never-added"], role=role)

    makers = {"add": add, "update": update, "upsert": upsert, "delete": delete}
    if kind in WRITES:
        for _ in range(3):
            emit(add(2000))  # 6,000 records: past INDEX_MIN, so the HNSW index is live too
        n_mixed = 10
        target_at = int(rng.integers(2, n_mixed - 1))  # never last: a late kill still lands in a write
        for j in range(n_mixed):
            which = kind if j == target_at or rng.random() < 0.4 else str(rng.choice(WRITES))
            size = int(rng.integers(1000, 3001)) if j == target_at else int(rng.integers(200, 1500))
            if which == "delete":
                size = min(size, len(model.records) // 4)
            emit(makers[which](size, "target" if j == target_at else ""))
    elif kind == "index_save":
        for _ in range(6):
            emit(add(2000))
        emit(Op("wait_index"))  # the indexer catches up, then saves (>= SAVE_MIN_CHANGES changed)
        emit(update(3000))
        emit(delete(1000))
        emit(add(2000))
        emit(Op("close"))  # closing saves again
    else:  # rebuild
        for _ in range(6):
            emit(add(2000))
        emit(Op("wait_index"))
        share = float(rng.uniform(0.65, 0.8))
        emit(delete(int(len(model.records) * share), "big-delete", by_where=0.0))
        emit(add(1000))
        emit(update(1000))
        emit(upsert(1000))
        emit(Op("wait_index"))
        emit(Op("close"))
    return ops


def plan_digest(plan: list[Op]) -> str:
    """Parent and child must play the same plan (this file might change during a run)."""
    h = hashlib.sha256()
    for op in plan:
        h.update(orjson.dumps([op.op, op.ids, op.documents, op.metadatas, op.where, op.role]))
        if op.embeddings is not None:
            h.update(op.embeddings.tobytes())
    return h.hexdigest()[:16]


# -- the child ------------------------------------------------------------------------------------
# Hooks wrap VectorIndex.save, Indexer.after_write and the SQLite store's
# Connection.transaction (every commit), and wait on
# Engine.wait_for_index: rename those and this script needs the same change.
def child(path: str, kind: str, seed: int, fd: int, digest: str) -> None:
    import threading

    import chromadb
    from chromadb.engine import indexer as indexer_module
    from chromadb.engine import vector_index
    from chromadb.engine.store.sqlite import connection as connection_module

    def report(msg: str) -> None:
        os.write(fd, (msg + "\n").encode())  # one write below PIPE_BUF: atomic, unbuffered

    original_save = vector_index.VectorIndex.save

    def save(self, directory, seq):
        report(f"save-start {self.element_count} {self.dimension}")
        t = time.perf_counter()
        original_save(self, directory, seq)
        report(f"save-end {time.perf_counter() - t:.4f}")

    vector_index.VectorIndex.save = save
    rebuilt = threading.Event()
    original_after_write = indexer_module.Indexer.after_write

    def after_write(self, view, changed):
        before = view.index
        original_after_write(self, view, changed)
        if view.index is not before:
            report(f"{'rebuild' if before is not None else 'build'} {view.live_count}")
            if before is not None:
                rebuilt.set()

    indexer_module.Indexer.after_write = after_write
    original_transaction = connection_module.Connection.transaction

    @contextlib.contextmanager
    def transaction(self):
        nested = self.conn.in_transaction  # joins the outer one: its commit is reported
        with original_transaction(self) as conn:
            yield conn
        if not nested:
            report("commit")

    connection_module.Connection.transaction = transaction

    client = chromadb.PersistentClient(path=path)
    engine = client._backend.engine

    def watch_rebuilds() -> None:
        while True:
            rebuilt.wait()
            rebuilt.clear()
            engine.wait_for_index()
            report("index-idle")

    threading.Thread(target=watch_rebuilds, daemon=True).start()
    plan = build_plan(kind, seed)
    if plan_digest(plan) != digest:
        raise SystemExit("this plan differs from the parent's: was crash_trials.py edited during the run?")
    col = client.create_collection(COLLECTION, metadata=collection_metadata(kind), embedding_function=None)
    report("ready")
    for b, op in enumerate(plan):
        report(f"start {b} {op.op}")
        t = time.perf_counter()
        if op.op == "add":
            col.add(ids=op.ids, embeddings=op.embeddings, documents=op.documents, metadatas=op.metadatas)
        elif op.op == "update":
            col.update(ids=op.ids, embeddings=op.embeddings, documents=op.documents, metadatas=op.metadatas)
        elif op.op == "upsert":
            col.upsert(ids=op.ids, embeddings=op.embeddings, documents=op.documents, metadatas=op.metadatas)
        elif op.op == "delete":
            col.delete(ids=op.ids, where=op.where)
        elif op.op == "wait_index":
            col._wait_for_index()
        elif op.op == "close":
            client.close()
        report(f"ack {b} {time.perf_counter() - t:.4f}")
    report("plan-done")
    time.sleep(3600)  # the parent kills us


# -- the parent -----------------------------------------------------------------------------------
@dataclass
class Trial:
    kind: str
    seed: int
    path: str
    events: list[str] = field(default_factory=list)
    hit: bool = False
    landed: str = ""
    problems: list[str] = field(default_factory=list)
    stderr: str = ""
    leftovers: int = 0  # temporary index files the kill left behind
    committed: bool | None = None  # whether the batch in flight at the kill was found applied
    commit_returned: bool = False  # the child saw that batch's COMMIT return before the kill


class KillPolicy:
    """Decides, from the events seen so far, when to SIGKILL the child."""

    def __init__(self, trial: Trial, plan: list[Op], rng: np.random.Generator) -> None:
        self.kind = trial.kind
        self.plan = plan
        self.rng = rng
        self.durations: dict[str, list[float]] = {}  # seconds per record (per save for "save")
        self.saves = 0
        self.target_save = int(rng.integers(1, 3))  # the first save (after catching up) or the one at close
        self.rebuild_in_delete = rng.random() < 0.3
        # the last ~10% of a write, after its COMMIT and before the call returns, is hard to
        # hit by chance: in some trials wait for the commit, then kill before the ack
        self.after_commit = trial.kind in WRITES and rng.random() < 0.35
        self.committed_at: float | None = None
        self.target_started = False
        self.kill_at: float | None = None
        self.plan_done_at: float | None = None

    def _estimate(self, op: str, default: float) -> float:
        seen = self.durations.get(op)
        return float(np.median(seen)) if seen else default

    def see(self, event: str, now: float) -> None:
        word, *rest = event.split()
        if word == "save-end":
            self.durations.setdefault("save", []).append(float(rest[0]))
        elif word == "commit":
            self.committed_at = now
        elif word == "ack":
            op = self.plan[int(rest[0])]
            if op.ids:
                self.durations.setdefault(op.op, []).append(float(rest[1]) / len(op.ids))
            if self.committed_at is not None:
                self.durations.setdefault("after-commit", []).append(now - self.committed_at)
            self.committed_at = None
        if self.kill_at is not None:
            return
        if word == "commit" and self.target_started and self.after_commit:
            self.kill_at = now + self.rng.uniform(0, self._estimate("after-commit", 0.005))
        if word == "plan-done":
            self.plan_done_at = now
        elif word == "start":
            op = self.plan[int(rest[0])]
            if op.role == "target" and self.after_commit:
                self.target_started = True
            elif op.role == "target":
                # ~30 us per record on a 2-core laptop; where-deletes are cheap
                size = len(op.ids) if op.ids else 1000
                self.kill_at = now + self.rng.uniform(0, 1.2 * size * self._estimate(op.op, 30e-6))
            elif op.role == "big-delete" and self.rebuild_in_delete:
                self.kill_at = now + self.rng.uniform(0, 0.3)
        elif word == "save-start" and self.kind == "index_save":
            self.saves += 1
            if self.saves == self.target_save:
                elements, dim = int(rest[0]), int(rest[1])  # ~5 ms for 12k x 64 on a 2-core laptop
                self.kill_at = now + self.rng.uniform(0, self._estimate("save", 0.55e-8 * elements * dim + 0.001))
        elif word == "rebuild" and self.kind == "rebuild" and not self.rebuild_in_delete:
            self.kill_at = now + self.rng.uniform(0, int(rest[0]) / 15_000 + 0.05)

    def deadline(self) -> float | None:
        if self.kill_at is not None:
            return self.kill_at
        if self.plan_done_at is not None:
            return self.plan_done_at + 1.0  # the target never came: kill anyway, a "miss"
        return None


def run_child(trial: Trial, plan: list[Op], rng: np.random.Generator) -> None:
    read_fd, write_fd = os.pipe()
    err = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        [
            sys.executable, os.path.abspath(__file__), "--child",
            trial.path, trial.kind, str(trial.seed), str(write_fd), plan_digest(plan),
        ],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=err,
    )
    os.close(write_fd)
    policy = KillPolicy(trial, plan, rng)
    buffer = b""
    started = time.monotonic()
    eof = False
    while not eof:
        deadline = policy.deadline()
        now = time.monotonic()
        if (deadline is not None and now >= deadline) or now - started > TRIAL_TIMEOUT:
            break
        timeout = 0.5 if deadline is None else max(0.0, deadline - now)
        ready, _, _ = select.select([read_fd], [], [], timeout)
        if not ready:
            continue
        chunk = os.read(read_fd, 65536)
        if not chunk:
            eof = True  # the child died on its own
            break
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            event = line.decode()
            trial.events.append(event)
            policy.see(event, time.monotonic())
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait()
    while chunk := os.read(read_fd, 65536):  # whatever the child wrote before it died
        buffer += chunk
    trial.events += [line.decode() for line in buffer.split(b"\n") if line]
    os.close(read_fd)
    err.seek(0)
    trial.stderr = err.read().decode(errors="replace")
    err.close()
    if proc.returncode != -signal.SIGKILL:
        trial.problems.append(f"child exited with {proc.returncode} instead of being killed")
    if time.monotonic() - started > TRIAL_TIMEOUT:
        trial.problems.append("trial timed out")


def classify(trial: Trial, plan: list[Op]) -> int | None:
    """What the kill interrupted (sets trial.landed and trial.hit); returns the batch in flight."""
    started: int | None = None
    acked: set[int] = set()
    saves = 0
    rebuilding = False
    commit_after_start = False
    for event in trial.events:
        word, *rest = event.split()
        if word == "start":
            started = int(rest[0])
            commit_after_start = False
        elif word == "commit":
            commit_after_start = True
        elif word == "ack":
            acked.add(int(rest[0]))
        elif word == "save-start":
            saves += 1
        elif word == "save-end":
            saves -= 1
        elif word == "rebuild":
            rebuilding = True
        elif word == "index-idle":
            rebuilding = False
    in_flight = started if started is not None and started not in acked else None
    landed = []
    if in_flight is not None:
        op = plan[in_flight]
        trial.commit_returned = commit_after_start and op.op in WRITES
        landed.append(f"{op.op}{'(big)' if op.role == 'big-delete' else ''}{'(committed)' if trial.commit_returned else ''}")
    if saves > 0:
        landed.append("index-save")
    if rebuilding:
        landed.append("index-rebuild")
    trial.landed = "+".join(landed) or "idle"
    if trial.kind in WRITES:
        trial.hit = in_flight is not None and plan[in_flight].op == trial.kind
    elif trial.kind == "index_save":
        trial.hit = saves > 0
    else:
        trial.hit = rebuilding or (in_flight is not None and plan[in_flight].role == "big-delete")
    return in_flight


def verify(trial: Trial, plan: list[Op], in_flight: int | None, rng: np.random.Generator) -> None:
    import chromadb
    from chromadb import cli

    acked = {int(e.split()[1]) for e in trial.events if e.startswith("ack ")}
    if "ready" not in trial.events:
        trial.problems.append("the child never created its collection")
        return
    last = max(acked, default=-1)
    if acked != set(range(last + 1)):
        trial.problems.append(f"acknowledgements out of order: {sorted(acked)[:10]}")
    before = Model()
    for op in plan[: last + 1]:
        before.apply(op)
    candidates = [("after the last acknowledged batch", before)]
    if in_flight is not None:
        after = before.copy()
        after.apply(plan[in_flight])
        candidates.append(("with the batch in flight", after))

    # `chroma check --path DIR`, run in this process (same code, a second saved each trial)
    # before anything else opens the directory
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = cli.main(["check", "--path", trial.path])
    if code != 0 or out.getvalue().strip().splitlines()[-1:] != ["ok"]:
        trial.problems.append(f"chroma check failed ({code}): {out.getvalue().strip()[-1000:]}")

    client = chromadb.PersistentClient(path=trial.path)
    try:
        col = client.get_collection(COLLECTION, embedding_function=None)
        got = col.get(include=["embeddings", "documents", "metadatas"])
        db = {id_: (got["embeddings"][i], got["documents"][i], got["metadatas"][i]) for i, id_ in enumerate(got["ids"])}
        if len(db) != len(got["ids"]):
            trial.problems.append("get returned an id twice")
        diffs = [(name, _differences(db, model)) for name, model in candidates]
        match = next((model for (_, model), (_, found) in zip(candidates, diffs) if not found), None)
        if len(diffs) == 2 and bool(diffs[0][1]) != bool(diffs[1][1]):  # a batch that changes nothing matches both
            trial.committed = not diffs[1][1]
            if trial.commit_returned and not trial.committed:
                trial.problems.append("the batch in flight had committed, but it is not in the reopened collection")
        if match is None:
            for name, found in diffs:
                trial.problems.append(f"differs from the model {name}: {found}")
            if in_flight is not None:
                trial.problems.append(_half_applied(db, plan[in_flight], candidates[0][1], candidates[1][1]))
            return
        if col.count() != len(match.records):
            trial.problems.append(f"count() is {col.count()}, the collection holds {len(match.records)}")
        _check_queries(col, match, rng, trial.problems)
        # the recovered directory takes writes again
        probe = np.full(dimension(trial.kind), 7.0, dtype=np.float32)
        col.add(ids=["after-crash"], embeddings=[probe])
        if col.query(query_embeddings=[probe], n_results=1)["ids"] != [["after-crash"]]:
            trial.problems.append("a write after the recovery is not found")
    finally:
        client.close()
    _check_leftovers(trial)


def _check_leftovers(trial: Trial) -> None:
    """A kill during an index save leaves its temporary file: `chroma vacuum` must remove it."""
    from chromadb.engine import maintenance

    trial.leftovers = len(maintenance.leftover_files(trial.path))
    if trial.leftovers:
        vacuum = subprocess.run(_chroma_command("vacuum", trial.path), capture_output=True, text=True, timeout=120)
        left = maintenance.leftover_files(trial.path)
        if vacuum.returncode != 0 or left:
            trial.problems.append(f"chroma vacuum left {left} ({vacuum.returncode}: {vacuum.stderr.strip()[-300:]})")


def _chroma_command(command: str, path: str) -> list[str]:
    """`chroma COMMAND --path PATH`: the console script next to this interpreter, else the module."""
    script = os.path.join(os.path.dirname(sys.executable), "chroma")
    if os.path.exists(script):
        return [script, command, "--path", path]
    return [sys.executable, "-m", "chromadb.cli", command, "--path", path]


def _same(a: tuple, b: tuple) -> bool:
    return np.array_equal(np.asarray(a[0], np.float32), b[0]) and a[1] == b[1] and _exact(a[2]) == _exact(b[2])


def _exact(meta: dict[str, Any] | None) -> bytes:
    """Metadata as canonical JSON: 1, 1.0 and True stay different (== would call them equal)."""
    return orjson.dumps(meta, option=orjson.OPT_SORT_KEYS)


def _differences(db: dict[str, tuple], model: Model) -> str:
    want = model.records
    missing = [i for i in want if i not in db]
    extra = [i for i in db if i not in want]
    common = [i for i in want if i in db]
    wrong: list[str] = []
    if common:
        got_vectors = np.stack([np.asarray(db[i][0], np.float32) for i in common])
        want_vectors = np.stack([want[i][0] for i in common])
        bad = ~(got_vectors == want_vectors).all(axis=1)
        wrong = [
            i for n, i in enumerate(common)
            if bad[n] or db[i][1] != want[i][1] or _exact(db[i][2]) != _exact(want[i][2])
        ]
    if not (missing or extra or wrong):
        return ""
    return f"{len(missing)} missing {missing[:3]}, {len(extra)} unexpected {extra[:3]}, {len(wrong)} with other values {wrong[:3]}"


def _half_applied(db: dict[str, tuple], op: Op, before: Model, after: Model) -> str:
    ids = op.ids if op.ids is not None else [i for i in before.records if i not in after.records]
    new = sum(1 for i in ids if (i in db) == (i in after.records) and (i not in db or _same(db[i], after.records[i])))
    old = sum(1 for i in ids if (i in db) == (i in before.records) and (i not in db or _same(db[i], before.records[i])))
    return f"batch in flight ({op.op}, {len(ids)} ids): {new} look applied, {old} look untouched"


def _check_queries(col: Any, model: Model, rng: np.random.Generator, problems: list[str]) -> None:
    ids = list(model.records)
    if not ids:
        return
    matrix = np.stack([model.records[i][0] for i in ids])
    for i in rng.choice(len(ids), size=min(10, len(ids)), replace=False):
        res = col.query(query_embeddings=[matrix[i]], n_results=1, include=["distances"])
        if res["ids"][0][:1] != [ids[i]]:
            problems.append(f"a query for the vector of {ids[i]} returned {res['ids'][0][:1]} first")
    k = 10
    recalls = []
    for _ in range(10):
        a, b = rng.choice(len(ids), size=2)
        q = 0.5 * (matrix[a] + matrix[b])  # between two records: near the data, as real queries are
        exact = ((matrix - q) ** 2).sum(axis=1)
        truth = [ids[j] for j in np.argsort(exact)[:k]]
        res = col.query(query_embeddings=[q], n_results=k, include=["distances"])
        got, dist = res["ids"][0], res["distances"][0]
        returned = set(got)
        want = {ids[j]: exact[j] for j in range(len(ids)) if ids[j] in returned}
        if len(got) != min(k, len(ids)) or any(g not in want for g in got):
            problems.append(f"query returned unknown ids or too few: {got}")
            continue
        if not np.allclose(dist, [want[g] for g in got], rtol=1e-4, atol=1e-4) or list(dist) != sorted(dist):
            problems.append("query distances are wrong or unsorted")
        recalls.append(len(set(got) & set(truth)) / len(truth))
    # HNSW is approximate (a fresh index scores ~0.99 here): a broken one falls far below
    if recalls and np.mean(recalls) < 0.9:
        problems.append(f"mean query recall {np.mean(recalls):.2f} against brute force: {recalls}")
    # a selective filter is answered exactly: it must equal brute force
    metas = [model.records[i][2] or {} for i in ids]
    g = int(rng.integers(20))
    allowed = np.array([m.get("g") == g for m in metas])
    if allowed.any():
        q = rng.standard_normal(matrix.shape[1]).astype(np.float32)
        exact = np.where(allowed, ((matrix - q) ** 2).sum(axis=1), np.inf)
        truth = [ids[j] for j in np.argsort(exact, kind="stable")[: min(k, int(allowed.sum()))]]
        got = col.query(query_embeddings=[q], n_results=k, where={"g": g})["ids"][0]
        if got != truth:
            problems.append(f"filtered query {got[:3]}... differs from brute force {truth[:3]}...")


def run_trial(kind: str, seed: int, root: str) -> Trial:
    trial = Trial(kind, seed, os.path.join(root, f"{kind}-{seed}"))
    plan = build_plan(kind, seed)
    rng = np.random.default_rng([seed, 99])
    run_child(trial, plan, rng)
    in_flight = classify(trial, plan)
    try:
        verify(trial, plan, in_flight, rng)
    except Exception as e:  # noqa: BLE001 - a failed trial, reported with the others
        trial.problems.append(f"verification raised {type(e).__name__}: {e}")
    return trial


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--kinds", default=",".join(KINDS), help="comma-separated subset of " + ",".join(KINDS))
    parser.add_argument("--keep-failed", action="store_true", help="keep the directories of failed trials")
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("--child", nargs=5, metavar=("PATH", "KIND", "SEED", "FD", "DIGEST"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        path, kind, seed, fd, digest = args.child
        child(path, kind, int(seed), int(fd), digest)
        return 0

    kinds = [k for k in args.kinds.split(",") if k]
    unknown = set(kinds) - set(KINDS)
    if unknown:
        parser.error(f"unknown kinds: {', '.join(sorted(unknown))}")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    root = tempfile.mkdtemp(prefix="crash-trials-")
    started = time.monotonic()
    counts: Counter[str] = Counter()
    hits: Counter[str] = Counter()
    failures: list[Trial] = []
    landed: dict[str, Counter[str]] = {k: Counter() for k in kinds}
    seconds: Counter[str] = Counter()
    leftovers = 0
    committed: Counter[bool] = Counter()
    try:
        for n in range(args.trials):
            kind = kinds[n % len(kinds)]
            t = time.monotonic()
            trial = run_trial(kind, args.seed * 1_000_003 + n, root)
            seconds[kind] += time.monotonic() - t
            leftovers += trial.leftovers
            if trial.committed is not None:
                committed[trial.committed] += 1
            counts[kind] += 1
            hits[kind] += trial.hit
            landed[kind][trial.landed] += 1
            status = "FAIL" if trial.problems else "ok"
            if args.verbose or trial.problems:
                print(f"trial {n:3d} {kind:10s} seed {trial.seed}: killed during {trial.landed} -> {status}", flush=True)
                for p in trial.problems:
                    print(f"    {p}", flush=True)
                if trial.problems and trial.stderr.strip():
                    print("    child stderr: " + trial.stderr.strip()[-2000:].replace("\n", "\n    "), flush=True)
            if trial.problems:
                failures.append(trial)
                if args.keep_failed:
                    print(f"    kept {trial.path}", flush=True)
                    continue
            shutil.rmtree(trial.path, ignore_errors=True)
    finally:
        if not (args.keep_failed and failures):
            shutil.rmtree(root, ignore_errors=True)
    elapsed = time.monotonic() - started
    failed = Counter(t.kind for t in failures)
    print(f"\n{'kind':12s} {'trials':>6s} {'hits':>5s} {'failed':>6s} {'s/trial':>7s}  where the kills landed")
    for kind in kinds:
        where = ", ".join(f"{k} {v}" for k, v in landed[kind].most_common())
        per_trial = seconds[kind] / max(counts[kind], 1)
        print(f"{kind:12s} {counts[kind]:6d} {hits[kind]:5d} {failed[kind]:6d} {per_trial:7.1f}  {where}")
    total = sum(counts.values())
    print(f"{'total':12s} {total:6d} {sum(hits.values()):5d} {len(failures):6d}")
    print(f"\n{total} trials, {len(failures)} failed, {elapsed:.0f} s (seed {args.seed})")
    print(f"batches in flight at the kill: {committed[True]} found committed, {committed[False]} found rolled back")
    print(f"temporary index files left by kills during a save, removed by `chroma vacuum`: {leftovers}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
