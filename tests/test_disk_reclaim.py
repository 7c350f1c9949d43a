"""Disk space comes back while the client stays open (issue 13, item 1).

Sizes are taken the way a user sees them: the whole directory, with the writing client
still open, once background work (indexing, index saves, checkpoints) has stopped
changing it. The 30k and 100k scales are in bench/disk_reclaim.py.
"""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
import time

import numpy as np

import chromadb
from chromadb.engine import maintenance
from chromadb.engine.engine import Engine
from chromadb.engine.store.sqlite import reclaim
from chromadb.engine.store.sqlite.migrations import AUTO_VACUUM_MIGRATION

N, DIM, BATCH = 10_000, 128, 1_000


def _fill(col, prefix: str, rng: np.random.Generator, n: int = N) -> None:
    for lo in range(0, n, BATCH):
        col.add(
            ids=[f"{prefix}{i}" for i in range(lo, lo + BATCH)],
            embeddings=rng.standard_normal((BATCH, DIM)).astype(np.float32),
            documents=[f"note {i} about topic {i % 97}" for i in range(lo, lo + BATCH)],
            metadatas=[{"topic": i % 97, "source": f"s{i % 13}"} for i in range(lo, lo + BATCH)],
        )


def _settled_size(client, path: str, quiet: float = 1.0, timeout: float = 120.0) -> int:
    """The directory's size once indexing and reclaiming are done and it stays put for `quiet` s."""
    engine = client._backend.engine
    assert engine.wait_for_index(timeout)
    assert engine.store._reclaimer.wait_idle(timeout)
    deadline = time.monotonic() + timeout
    last, since = maintenance.directory_size(path), time.monotonic()
    while time.monotonic() - since < quiet:
        assert time.monotonic() < deadline, "the directory never stopped changing"
        time.sleep(0.1)
        size = maintenance.directory_size(path)
        if size != last:
            last, since = size, time.monotonic()
    return last


def _wal_size(path: str) -> int:
    wal = os.path.join(path, "chroma.sqlite3-wal")
    return os.path.getsize(wal) if os.path.exists(wal) else 0


def test_space_comes_back_while_the_client_stays_open(tmp_path):
    path = str(tmp_path / "db")
    rng = np.random.default_rng(13)
    client = chromadb.PersistentClient(path=path)
    col = client.create_collection("churned", embedding_function=None)
    _fill(col, "a", rng)
    fresh = _settled_size(client, path)
    assert _wal_size(path) == 0  # checkpointed and truncated, with the client open

    for lo in range(0, N, BATCH):
        col.delete(ids=[f"a{i}" for i in range(lo, lo + BATCH)])
    _fill(col, "b", rng)
    churned = _settled_size(client, path)
    assert churned <= 1.3 * fresh, (churned, fresh)

    other = client.create_collection("dropped", embedding_function=None)
    _fill(other, "c", rng)
    assert _settled_size(client, path) > 1.5 * churned
    client.delete_collection("dropped")
    dropped = _settled_size(client, path)
    assert dropped <= 1.1 * churned, (dropped, churned)

    assert col.count() == N
    assert col.get(ids=["b0"], include=["metadatas"])["metadatas"] == [{"topic": 0, "source": "s0"}]
    client.close()
    assert maintenance.check(path)["ok"]


def test_a_reader_in_another_connection_delays_the_truncation_and_fails_nothing(tmp_path):
    path = str(tmp_path / "db")
    client = chromadb.PersistentClient(path=path)
    col = client.create_collection("held", embedding_function=None)
    rng = np.random.default_rng(1)
    _fill(col, "a", rng, n=2_000)
    _settled_size(client, path, quiet=0.2)

    reader = sqlite3.connect(os.path.join(path, "chroma.sqlite3"), isolation_level=None)
    reader.execute("BEGIN")
    assert reader.execute("SELECT count(*) FROM records").fetchone()[0] == 2_000  # holds this snapshot
    started = time.monotonic()
    col.delete(ids=[f"a{i}" for i in range(1_000)])
    _fill(col, "b", rng, n=2_000)
    assert time.monotonic() - started < 30  # writes go on while the reader holds its snapshot
    time.sleep(reclaim.IDLE_SECONDS * 3)
    assert _wal_size(path) > 0  # the reader still needs it: not truncated
    assert reader.execute("SELECT count(*) FROM records").fetchone()[0] == 2_000
    reader.execute("COMMIT")
    reader.close()

    engine = client._backend.engine
    assert engine.store._reclaimer.wait_idle(60)
    assert _wal_size(path) == 0  # the retry after the reader left truncated it
    assert col.count() == 3_000
    client.close()


def test_a_writer_in_another_connection_makes_the_vacuum_wait_not_fail(tmp_path):
    path = str(tmp_path / "db")
    client = chromadb.PersistentClient(path=path)
    col = client.create_collection("freed", embedding_function=None)
    _fill(col, "a", np.random.default_rng(3), n=4_000)
    _settled_size(client, path, quiet=0.2)
    db = os.path.join(path, "chroma.sqlite3")

    writer = sqlite3.connect(db, isolation_level=None)
    col.delete(ids=[f"a{i}" for i in range(4_000)])
    writer.execute("BEGIN IMMEDIATE")  # holds the write lock the vacuum needs
    time.sleep(reclaim.IDLE_SECONDS * 3)
    free = writer.execute("PRAGMA freelist_count").fetchone()[0]
    assert free >= reclaim.VACUUM_MIN_FREE_PAGES  # nothing could move meanwhile
    writer.execute("COMMIT")
    writer.close()

    assert client._backend.engine.store._reclaimer.wait_idle(60)
    check = sqlite3.connect(db)
    assert check.execute("PRAGMA freelist_count").fetchone()[0] < reclaim.VACUUM_MIN_FREE_PAGES
    check.close()
    assert _wal_size(path) == 0
    assert col.count() == 0
    client.close()


def test_a_file_made_without_auto_vacuum_gets_it_once(tmp_path):
    path = str(tmp_path / "db")
    client = chromadb.PersistentClient(path=path)
    col = client.create_collection("kept", embedding_function=None)
    _fill(col, "a", np.random.default_rng(2), n=5_000)
    client.close()
    db = os.path.join(path, "chroma.sqlite3")
    # what a directory written before this migration looks like
    old = sqlite3.connect(db, isolation_level=None)
    old.execute("PRAGMA auto_vacuum = NONE")
    old.execute("VACUUM")
    old.execute("DELETE FROM migrations WHERE name = ?", (AUTO_VACUUM_MIGRATION,))
    assert old.execute("PRAGMA auto_vacuum").fetchone()[0] == 0
    old.close()

    client = chromadb.PersistentClient(path=path)
    col = client.get_collection("kept", embedding_function=None)
    assert col.count() == 5_000
    assert col.get(ids=["a7"], include=["documents"])["documents"] == ["note 7 about topic 7"]
    store = client._backend.engine.store
    with store.lock:
        assert store.conn.execute("PRAGMA auto_vacuum").fetchone()[0] == reclaim.AUTO_VACUUM_INCREMENTAL
        names = [r[0] for r in store.conn.execute("SELECT name FROM migrations")]
    assert names.count(AUTO_VACUUM_MIGRATION) == 1
    before = _settled_size(client, path, quiet=0.2)
    col.delete(ids=[f"a{i}" for i in range(5_000)])
    assert _settled_size(client, path, quiet=0.2) < 0.7 * before  # freed pages are given back now
    client.close()


def test_a_migrated_file_is_not_vacuumed_again(tmp_path):
    path = str(tmp_path / "db")
    chromadb.PersistentClient(path=path).close()
    db = os.path.join(path, "chroma.sqlite3")
    seen = sqlite3.connect(db)
    applied = seen.execute("SELECT applied_at FROM migrations WHERE name = ?", (AUTO_VACUUM_MIGRATION,)).fetchone()
    seen.close()
    engine = Engine(path)
    with engine.store.lock:
        again = engine.store.conn.execute(
            "SELECT applied_at FROM migrations WHERE name = ?", (AUTO_VACUUM_MIGRATION,)
        ).fetchone()
    engine.close()
    assert applied is not None and again == applied


WRITER = textwrap.dedent(
    """
    import sys, numpy as np, chromadb
    path, worker = sys.argv[1], int(sys.argv[2])
    client = chromadb.PersistentClient(path=path)
    rng = np.random.default_rng(worker)
    for r in range(12):
        col = client.get_or_create_collection(f"writer{worker}", embedding_function=None)
        ids = [f"r{r}-{i}" for i in range(400)]
        col.add(ids=ids, embeddings=rng.standard_normal((400, 8)).astype(np.float32), documents=ids)
        col.delete(ids=ids[:200])
        if r % 4 == 3:
            client.delete_collection(f"writer{worker}")
    col = client.get_or_create_collection("kept", embedding_function=None)
    col.add(ids=[f"k{worker}"], embeddings=[[float(worker)] * 8])
    """
)


def test_processes_that_write_and_reclaim_at_once_lose_nothing(tmp_path):
    path = str(tmp_path / "db")
    client = chromadb.PersistentClient(path=path)
    client.create_collection("kept", embedding_function=None)
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, path, str(w)]) for w in range(2)]
    for p in procs:
        assert p.wait(timeout=300) == 0
    kept = client.get_collection("kept", embedding_function=None)
    assert sorted(kept.get()["ids"]) == ["k0", "k1"]
    assert {c.name for c in client.list_collections()} == {"kept"}
    _settled_size(client, path, quiet=0.2)
    assert _wal_size(path) == 0
    client.close()
    report = maintenance.check(path)
    assert report["ok"], report


def _index_file_size(path: str, collection_id) -> int:
    folder = os.path.join(path, str(collection_id))
    return sum(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder) if f.endswith(".bin"))


def test_an_index_rebuilt_after_deletes_replaces_its_file_while_open(tmp_path):
    path = str(tmp_path / "db")
    client = chromadb.PersistentClient(path=path)
    col = client.create_collection("shrunk", embedding_function=None)
    rng = np.random.default_rng(5)
    vectors = rng.standard_normal((10_000, 32)).astype(np.float32)
    for lo in range(0, 10_000, BATCH):
        col.add(ids=[f"a{i}" for i in range(lo, lo + BATCH)], embeddings=vectors[lo : lo + BATCH])
    _settled_size(client, path, quiet=0.2)
    full = _index_file_size(path, col.id)

    col.delete(ids=[f"a{i}" for i in range(9_000)])
    _settled_size(client, path, quiet=0.2)
    assert _index_file_size(path, col.id) < 0.2 * full  # the rebuilt index holds the live tenth only
    found = col.query(query_embeddings=vectors[9_500:9_501], n_results=1)["ids"]
    assert found == [["a9500"]]
    client.close()
    reopened = chromadb.PersistentClient(path=path).get_collection("shrunk", embedding_function=None)
    assert reopened.count() == 1_000
    assert reopened.query(query_embeddings=vectors[9_999:], n_results=1)["ids"] == [["a9999"]]
