"""The wal-index header watch that lets a read skip `PRAGMA data_version`: every commit
by any connection changes what it sees, reads do not, and the store still notices
another process's writes at once."""
from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap

import numpy as np

import chromadb
from chromadb.engine.store.sqlite import SqliteStore
from chromadb.engine.store.sqlite.wal_watch import WalWatch


def _wal_db(tmp_path):
    path = str(tmp_path / "x.sqlite3")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE t (v INTEGER)")
    return path, conn


def test_every_commit_changes_the_header_and_reads_do_not(tmp_path):
    path, conn = _wal_db(tmp_path)
    watch = WalWatch(path)
    assert watch.active
    seen = {watch.header()}
    for i in range(200):  # the smallest commits, across WAL checkpoints and restarts
        conn.execute("INSERT INTO t VALUES (?)", (i,))
        if i % 50 == 49:
            conn.execute("PRAGMA wal_checkpoint(RESTART)")
        head = watch.header()
        assert head not in seen
        seen.add(head)
    head = watch.header()
    conn.execute("SELECT COUNT(*) FROM t").fetchone()
    conn.execute("BEGIN")
    conn.execute("SELECT * FROM t").fetchall()
    conn.execute("COMMIT")
    assert watch.header() == head
    watch.close()
    assert not watch.active and watch.header() is None


def test_no_watch_without_a_wal_index(tmp_path):
    assert not WalWatch(str(tmp_path / "missing.sqlite3")).active
    (tmp_path / "junk.sqlite3-shm").write_bytes(b"\0" * 64)  # not a wal-index
    assert not WalWatch(str(tmp_path / "junk.sqlite3")).active


def test_store_version_sees_another_connections_commit(tmp_path):
    store = SqliteStore(str(tmp_path / "s.sqlite3"))
    assert store._wal_watch is not None and store._wal_watch.active
    first = store.version()
    assert store.version() == first  # answered by the header alone
    other = sqlite3.connect(str(tmp_path / "s.sqlite3"), isolation_level=None)
    other.execute("INSERT INTO tenants (name) VALUES ('someone-else')")
    assert store.version() != first
    with store.transaction():
        store.insert_tenant("ours")
    assert store._wal_watch.active  # our own commit moved the header too
    store.close()


WRITER = textwrap.dedent(
    """
    import sys, chromadb
    col = chromadb.PersistentClient(path=sys.argv[1]).get_collection("watched", embedding_function=None)
    col.add(ids=[sys.argv[2]], embeddings=[[0.5, 0.5, 0.5]])
    """
)


def test_reads_see_another_process_write_at_once(tmp_path):
    path = str(tmp_path / "db")
    client = chromadb.PersistentClient(path=path)
    col = client.create_collection("watched", embedding_function=None)
    col.add(ids=["mine"], embeddings=[[0.0, 0.0, 0.0]])
    for n in range(3):
        assert col.count() == n + 1
        col.query(query_embeddings=np.zeros((1, 3), np.float32), n_results=1)  # the read path caches
        subprocess.run([sys.executable, "-c", WRITER, path, f"theirs-{n}"], check=True, timeout=120)
        assert col.count() == n + 2
        assert f"theirs-{n}" in col.get()["ids"]
