"""Durability: data outlives the process, survives SIGKILL, and is shared by processes."""
from __future__ import annotations

import dataclasses
import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import chromadb


def run_python(code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args], capture_output=True, text=True, timeout=120, check=True
    )


def test_records_survive_a_fresh_process(tmp_path):
    path = str(tmp_path / "db")
    run_python(
        """
        import sys, chromadb
        c = chromadb.PersistentClient(path=sys.argv[1])
        col = c.create_collection("keep", metadata={"hnsw:space": "cosine"}, embedding_function=None)
        col.add(ids=["a", "b"], embeddings=[[1.0, 0.0], [0.0, 1.0]], documents=["doc a", "doc b"],
                metadatas=[{"n": 1}, {"f": 2.0}])
        """,
        path,
    )
    client = chromadb.PersistentClient(path=path)
    col = client.get_collection("keep", embedding_function=None)
    got = col.get(include=["documents", "metadatas", "embeddings"])
    assert got["ids"] == ["a", "b"]
    assert got["documents"] == ["doc a", "doc b"]
    assert got["metadatas"] == [{"n": 1}, {"f": 2.0}]
    assert isinstance(got["metadatas"][1]["f"], float)
    assert col.metadata == {"hnsw:space": "cosine"}
    res = col.query(query_embeddings=[[1.0, 0.1]], n_results=1)
    assert res["ids"] == [["a"]]


def test_clients_on_one_path_share_one_engine(tmp_path):
    a = chromadb.PersistentClient(path=str(tmp_path / "db"))
    b = chromadb.PersistentClient(path=str(tmp_path / "db"))
    assert a._backend.engine is b._backend.engine
    a.create_collection("shared", embedding_function=None).add(ids=["x"], embeddings=[[1.0, 2.0]])
    assert b.get_collection("shared", embedding_function=None).count() == 1


def test_another_process_writes_are_seen_at_once(tmp_path):
    path = str(tmp_path / "db")
    client = chromadb.PersistentClient(path=path)
    col = client.create_collection("multi", embedding_function=None)
    col.add(ids=["mine"], embeddings=[[0.0, 0.0]])
    assert col.count() == 1
    run_python(
        """
        import sys, chromadb
        c = chromadb.PersistentClient(path=sys.argv[1])
        col = c.get_collection("multi", embedding_function=None)
        col.add(ids=["theirs"], embeddings=[[1.0, 1.0]], metadatas=[{"who": "them"}])
        col.update(ids=["mine"], metadatas=[{"who": "updated by them"}])
        """,
        path,
    )
    assert col.count() == 2
    got = col.get(include=["metadatas"])
    assert got["ids"] == ["mine", "theirs"]
    assert got["metadatas"] == [{"who": "updated by them"}, {"who": "them"}]
    run_python(
        """
        import sys, chromadb
        c = chromadb.PersistentClient(path=sys.argv[1])
        c.get_collection("multi", embedding_function=None).delete(ids=["mine"])
        """,
        path,
    )
    assert col.get()["ids"] == ["theirs"]
    assert col.query(query_embeddings=[[0.0, 0.0]], n_results=5)["ids"] == [["theirs"]]


def test_saved_index_is_caught_up_from_sqlite(tmp_path):
    """A saved HNSW index older than the database is replayed, not trusted blindly."""
    path = str(tmp_path / "db")
    rng = np.random.default_rng(7)
    n, dim = 6000, 16
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    client = chromadb.PersistentClient(path=path)
    col = client.create_collection("idx", embedding_function=None)
    for i in range(0, n, 1000):
        col.add(ids=[f"id{j}" for j in range(i, i + 1000)], embeddings=vectors[i : i + 1000])
    client.close()  # saves the index
    assert os.path.exists(os.path.join(path, str(col.id), "index.json"))
    # another process changes records behind the saved index
    run_python(
        """
        import sys, numpy as np, chromadb
        c = chromadb.PersistentClient(path=sys.argv[1])
        col = c.get_collection("idx", embedding_function=None)
        col.delete(ids=["id0", "id1"])
        col.update(ids=["id2"], embeddings=[np.full(16, 9.0, dtype=np.float32)])
        col.add(ids=["new"], embeddings=[np.full(16, -9.0, dtype=np.float32)])
        import os; os._exit(0)   # no clean close: the index file stays old
        """,
        path,
    )
    client = chromadb.PersistentClient(path=path)
    engine = client._backend.engine
    engine.options = dataclasses.replace(engine.options, exact_search_max=100)  # force the HNSW path
    col = client.get_collection("idx", embedding_function=None)
    assert col.count() == n - 2 + 1
    for q, expected in ((vectors[0], None), (np.full(16, 9.0), "id2"), (np.full(16, -9.0), "new")):
        ids = col.query(query_embeddings=[q], n_results=3)["ids"][0]
        assert "id0" not in ids and "id1" not in ids
        if expected:
            assert ids[0] == expected


def test_reads_and_writes_go_on_while_the_index_is_saved(tmp_path, monkeypatch):
    """The indexer writes its file off the engine lock; a collection deleted meanwhile
    leaves no files behind."""
    import threading

    from chromadb.engine import indexer as indexer_module
    from chromadb.engine.vector_index import VectorIndex

    saving, release = threading.Event(), threading.Event()
    original_save = VectorIndex.save

    def slow_save(self, directory, seq):
        saving.set()
        assert release.wait(30)
        original_save(self, directory, seq)

    monkeypatch.setattr(VectorIndex, "save", slow_save)
    path = str(tmp_path / "db")
    client = chromadb.PersistentClient(path=path)
    engine = client._backend.engine
    engine.options = engine.indexer.options = dataclasses.replace(engine.options, save_min_changes=1)
    col = client.create_collection("saving", embedding_function=None)
    x = np.random.default_rng(8).standard_normal((indexer_module.INDEX_MIN + 500, 8)).astype(np.float32)
    col.add(ids=[f"r{i}" for i in range(len(x))], embeddings=x)
    assert saving.wait(60), "the indexer never saved"
    answered = []

    def meanwhile():  # the save is held: everything else still answers
        answered.append(col.count() == len(x))
        answered.append(col.query(query_embeddings=x[:1], n_results=1)["ids"] == [["r0"]])
        col.add(ids=["late"], embeddings=x[:1] + 100)
        answered.append(col.get(ids=["late"])["ids"] == ["late"])
        client.delete_collection("saving")

    worker = threading.Thread(target=meanwhile)
    worker.start()
    worker.join(20)
    blocked = worker.is_alive()
    release.set()
    worker.join()
    assert not blocked, "reads and writes waited for the index save"
    assert answered == [True, True, True]
    assert client._backend.engine.wait_for_index(60)
    assert not os.path.exists(os.path.join(path, str(col.id)))
    client.close()


WRITER = """
import sys, numpy as np, chromadb
path = sys.argv[1]
col = chromadb.PersistentClient(path=path).get_or_create_collection("crash", embedding_function=None)
rng = np.random.default_rng(int(sys.argv[2]))
for b in range(10_000):
    ids = [f"b{b}-{i}" for i in range(200)]
    vecs = rng.standard_normal((200, 8)).astype(np.float32)
    op = b % 4
    if op == 3 and b > 4:
        col.delete(ids=[f"b{b-3}-{i}" for i in range(200)])
        print(f"deleted {b-3}", flush=True)
        continue
    if op == 2:
        col.upsert(ids=ids, embeddings=vecs, metadatas=[{"batch": b}] * 200)
    else:
        col.add(ids=ids, embeddings=vecs, metadatas=[{"batch": b}] * 200, documents=[f"doc {b}"] * 200)
    print(f"done {b}", flush=True)
"""


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sigkill_loses_no_acknowledged_write(tmp_path, seed):
    path = str(tmp_path / "db")
    proc = subprocess.Popen([sys.executable, "-c", WRITER, path, str(seed)], stdout=subprocess.PIPE, text=True)
    # The kill comes at a random moment after the writer's first acknowledgement, not
    # after a fixed time: on a loaded machine the import alone can take seconds.
    assert proc.stdout is not None
    first = proc.stdout.readline()
    random.seed(seed)
    time.sleep(random.uniform(0.5, 2.5))
    proc.send_signal(signal.SIGKILL)
    out, _ = proc.communicate()
    out = first + out
    done = {int(line.split()[1]) for line in out.splitlines() if line.startswith("done")}
    deleted = {int(line.split()[1]) for line in out.splitlines() if line.startswith("deleted")}
    assert done, "the writer should have acknowledged some batches before the kill"
    col = chromadb.PersistentClient(path=path).get_collection("crash", embedding_function=None)
    got = col.get(include=["metadatas"])
    per_batch: dict[int, int] = {}
    for id_, meta in zip(got["ids"], got["metadatas"]):
        b = int(id_[1:].split("-")[0])
        assert meta == {"batch": b}
        per_batch[b] = per_batch.get(b, 0) + 1
    # the step in flight at the kill may have committed without being acknowledged
    in_flight = max(done | {d + 3 for d in deleted}) + 1
    maybe_deleted = {in_flight - 3} if in_flight % 4 == 3 else set()
    for b in done - deleted - maybe_deleted:
        assert per_batch.get(b) == 200, f"acknowledged batch {b} incomplete after SIGKILL"
    for b, count in per_batch.items():
        assert count == 200, f"batch {b} half-applied ({count} of 200)"
    for b in deleted:
        assert b not in per_batch
    # the reopened collection answers queries over everything it holds
    some = next(iter(done - deleted))
    vec = col.get(ids=[f"b{some}-0"], include=["embeddings"])["embeddings"][0]
    assert col.query(query_embeddings=[vec], n_results=1)["ids"][0][0] == f"b{some}-0"


def test_vacuum_removes_what_a_kill_during_an_index_save_leaves(tmp_path, capsys):
    from chromadb.engine import index_folders, maintenance

    path = str(tmp_path / "db")
    client = chromadb.PersistentClient(path=path)
    col = client.create_collection("leftovers", embedding_function=None)
    col.add(ids=["a"], embeddings=[[1.0, 2.0]])
    client.close()
    folder = os.path.join(path, str(col.id))
    os.makedirs(folder, exist_ok=True)
    index_folders.mark(folder, str(col.id))  # as a save does, before its temporary file
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    # VectorIndex.save writes `<file>.<pid>.tmp` first: a SIGKILL before its rename leaves it
    orphan = os.path.join(folder, f"hnsw.7.bin.{dead.pid}.tmp")
    in_use = os.path.join(folder, f"hnsw.8.bin.{os.getpid()}.tmp")  # a live process may be saving
    for name in (orphan, in_use):
        with open(name, "wb") as f:
            f.write(b"\0" * 4096)
    report = maintenance.check(path)
    assert report["ok"] and report["leftover_files"] == [orphan]
    from chromadb.cli import main

    assert main(["check", "--path", path]) == 0
    printed = capsys.readouterr().out
    assert f"leftover temporary file (a save was interrupted): {orphan}" in printed and in_use not in printed
    maintenance.vacuum(path)
    assert not os.path.exists(orphan) and os.path.exists(in_use)
