"""Tombstones (ids of deleted records, for other processes to catch up) are pruned, and a
view too far behind the pruned ones reloads instead of missing deletes."""
from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap

import numpy as np

import chromadb
from chromadb.engine.store.sqlite import SqliteStore, migrations
from chromadb.engine.store.sqlite import records as store_records

KEEP = 5  # TOMBSTONE_KEEP_SEQS in these tests


def other_process(path: str, code: str) -> None:
    """Run `code` with `col` bound to the collection "tomb", in another process, with KEEP."""
    prelude = f"""
        import sys, numpy as np, chromadb
        from chromadb.engine.store.sqlite import records
        records.TOMBSTONE_KEEP_SEQS = {KEEP}
        col = chromadb.PersistentClient(path=sys.argv[1]).get_collection("tomb", embedding_function=None)
    """
    subprocess.run([sys.executable, "-c", textwrap.dedent(prelude) + textwrap.dedent(code), path], check=True, timeout=120)


def tombstones(path: str) -> tuple[list[tuple[int, int]], int]:
    """(rid, seq) of every tombstone, and the collection's horizon, read with plain sqlite3."""
    conn = sqlite3.connect(f"{path}/chroma.sqlite3")
    try:
        rows = conn.execute("SELECT rid, seq FROM tombstones ORDER BY seq").fetchall()
        horizon = conn.execute("SELECT tombstone_horizon FROM collections WHERE name = 'tomb'").fetchone()[0]
        return rows, horizon
    finally:
        conn.close()


def make_collection(path: str, n: int = 20):
    client = chromadb.PersistentClient(path=path)
    col = client.create_collection("tomb", embedding_function=None)
    col.add(ids=[f"r{i}" for i in range(n)], embeddings=np.eye(n, dtype=np.float32)[:, :8] + np.arange(n)[:, None])
    return client, col


def test_tombstones_older_than_the_margin_are_pruned(tmp_path, monkeypatch):
    monkeypatch.setattr(store_records, "TOMBSTONE_KEEP_SEQS", KEEP)
    path = str(tmp_path / "db")
    client, col = make_collection(path)  # seq 1
    col.delete(ids=["r0", "r1"])  # seq 2
    col.delete(ids=["r2"])  # seq 3
    assert tombstones(path) == ([(1, 2), (2, 2), (3, 3)], 0)
    for i in range(KEEP - 2):  # seqs 4..6: nothing is KEEP writes old yet
        col.update(ids=["r5"], metadatas=[{"i": i}])
    assert tombstones(path) == ([(1, 2), (2, 2), (3, 3)], 0)
    col.update(ids=["r5"], metadatas=[{"i": -1}])  # seq 7: the deletes of seq 2 go
    assert tombstones(path) == ([(3, 3)], 2)
    col.update(ids=["r5"], metadatas=[{"i": -2}])  # seq 8: those of seq 3 too
    assert tombstones(path) == ([], 3)
    col.add(ids=["late"], embeddings=[np.zeros(8, np.float32)])  # pruning again is harmless
    assert tombstones(path) == ([], 3)
    assert col.count() == 20 - 3 + 1
    client.close()


def test_a_view_behind_the_pruned_tombstones_reloads(tmp_path):
    path = str(tmp_path / "db")
    client, col = make_collection(path)
    engine = client._backend.engine
    assert col.count() == 20  # this process now holds a view at seq 1
    view = engine.runtimes[str(col.id)].view
    other_process(
        path,
        f"""
        col.delete(ids=["r3", "r4"])
        for i in range({KEEP + 2}):
            col.upsert(ids=[f"new{{i}}"], embeddings=[np.full(8, 100.0 + i, dtype=np.float32)])
        """,
    )
    rows, horizon = tombstones(path)
    assert rows == [] and horizon > 1, "the deletes of r3, r4 must be forgotten for this test to mean anything"
    got = col.get()["ids"]
    assert "r3" not in got and "r4" not in got
    assert len(got) == 20 - 2 + KEEP + 2 and col.count() == len(got)
    assert engine.runtimes[str(col.id)].view is not view, "the lagging view should have been replaced"
    probe = col.get(ids=["r3", "r5"], include=["embeddings"])
    assert probe["ids"] == ["r5"]
    assert col.query(query_embeddings=[np.full(8, 3.0, np.float32)], n_results=3)["ids"][0][0] not in ("r3", "r4")
    client.close()


def test_a_view_within_the_margin_catches_up_in_place(tmp_path):
    path = str(tmp_path / "db")
    client, col = make_collection(path)
    engine = client._backend.engine
    assert col.count() == 20
    view = engine.runtimes[str(col.id)].view
    other_process(path, 'col.delete(ids=["r3"])\ncol.add(ids=["x"], embeddings=[np.ones(8, np.float32)])')
    assert [rid for rid, _ in tombstones(path)[0]] == [4]
    assert col.count() == 20
    assert "r3" not in col.get()["ids"]
    assert engine.runtimes[str(col.id)].view is view
    client.close()


def test_a_database_from_before_the_horizon_is_migrated(tmp_path):
    path = tmp_path / "db"
    path.mkdir()
    # the schema as the first release created it, with a collection and a tombstone in it
    old = sqlite3.connect(path / "chroma.sqlite3")
    name, sql = migrations.MIGRATIONS[0]
    old.executescript(sql)
    old.execute("CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at REAL)")
    old.execute("INSERT INTO migrations VALUES (?, 0)", (name,))
    old.commit()
    old.close()
    store = SqliteStore(str(path / "chroma.sqlite3"))
    try:
        applied = [r[0] for r in store.conn.execute("SELECT name FROM migrations ORDER BY name")]
        assert applied == [
            "0001_initial",
            "0002_tombstone_horizon",
            migrations.AUTO_VACUUM_MIGRATION,
            "0004_collection_schema",
        ]
        columns = [r[1] for r in store.conn.execute("PRAGMA table_info(collections)")]
        assert "tombstone_horizon" in columns and "schema" in columns
    finally:
        store.close()
