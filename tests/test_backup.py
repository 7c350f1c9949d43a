"""chroma backup (src/chromadb/transfer/backup.py): a consistent copy while another process writes."""
from __future__ import annotations

import hashlib
import importlib
import json
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import chromadb
from chromadb.errors import ChromaDirectoryError, InvalidArgumentError, NotFoundError
from chromadb.transfer import backup

# the module, which the package shadows with its function of the same name
backup_module = importlib.import_module("chromadb.transfer.backup")

BATCH = 50
BASE = 5000  # above the indexer's threshold: the source has a saved HNSW index

# Adds batches of BATCH records to "live" and acknowledges each one after add() returns.
WRITER = """
import sys, numpy as np, chromadb
collection = chromadb.PersistentClient(path=sys.argv[1]).get_collection("live")
rng = np.random.default_rng(1)
for k in range(100000):
    collection.add(ids=[f"w{k}-{j}" for j in range(BATCH)], embeddings=rng.random((BATCH, 16), dtype=np.float32))
    print(f"ack {k}", flush=True)
""".replace("BATCH", str(BATCH))


def _chroma(*args: str) -> subprocess.CompletedProcess:
    code = "import sys; from chromadb.cli import main; sys.exit(main())"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300)


def _make_source(path) -> str:
    client = chromadb.PersistentClient(path=str(path))
    live = client.create_collection("live", metadata={"hnsw:space": "cosine"})
    vectors = np.random.default_rng(0).random((BASE, 16), dtype=np.float32)
    for start in range(0, BASE, 1000):
        live.add(ids=[f"base-{i}" for i in range(start, start + 1000)], embeddings=vectors[start : start + 1000])
    client.create_collection("small").add(ids=["s"], embeddings=[[1.0] * 16])
    collection_id = str(live.id)
    assert client._backend.engine.wait_for_index(120)
    client.close()  # saves the index
    return collection_id


class Acks:
    """Reads the writer's acknowledgements as they come."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.last = -1
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self._thread.start()

    def _read(self, proc: subprocess.Popen) -> None:
        for line in proc.stdout:  # type: ignore[union-attr]
            with self._cond:
                self.last = int(line.split()[1])
                self._cond.notify_all()

    def wait_for(self, k: int, timeout: float = 60.0) -> None:
        with self._cond:
            assert self._cond.wait_for(lambda: self.last >= k, timeout), f"the writer acknowledged only {self.last}"


def test_backup_while_another_process_writes(tmp_path):
    collection_id = _make_source(tmp_path / "db")
    assert os.path.isfile(tmp_path / "db" / collection_id / "index.json")
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path / "db")], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    with writer:
        try:
            acks = Acks(writer)
            acks.wait_for(3)
            acknowledged = acks.last  # every batch up to here must be in the copy
            result = backup(str(tmp_path / "db"), str(tmp_path / "copy"))
            acks.wait_for(acks.last + 3)  # the writer was never stopped by the backup
        finally:
            writer.kill()
    assert result.indexes_kept == [collection_id]
    client = chromadb.PersistentClient(path=str(tmp_path / "copy"))
    live = client.get_collection("live")
    ids = live.get(include=[])["ids"]
    batches: dict[str, int] = {}
    for id_ in ids:
        if id_.startswith("w"):
            batch = id_.split("-")[0]
            batches[batch] = batches.get(batch, 0) + 1
    assert sum(1 for i in ids if i.startswith("base-")) == BASE
    assert all(f"w{k}" in batches for k in range(acknowledged + 1))  # every acknowledged write
    assert set(batches.values()) == {BATCH}  # no half batch
    assert sorted(int(b[1:]) for b in batches) == list(range(len(batches)))  # a prefix of the writes
    probe = live.get(ids=["base-42"], include=["embeddings"])["embeddings"]
    assert live.query(query_embeddings=probe, n_results=1)["ids"] == [["base-42"]]
    assert client.get_collection("small").count() == 1
    client.close()
    done = _chroma("check", "--path", str(tmp_path / "copy"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == "ok"


def _hashes(path) -> dict[str, str]:
    out = {}
    for root, _, files in os.walk(path):
        for name in files:
            full = os.path.join(root, name)
            with open(full, "rb") as f:
                out[os.path.relpath(full, path)] = hashlib.sha256(f.read()).hexdigest()
    return out


def test_backup_writes_nothing_in_the_source(tmp_path):
    _make_source(tmp_path / "db")
    before = _hashes(tmp_path / "db")
    done = _chroma("backup", "--path", str(tmp_path / "db"), str(tmp_path / "copy"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "ok"
    assert _hashes(tmp_path / "db") == before


def test_an_index_newer_than_the_copy_is_left_out(tmp_path, monkeypatch):
    collection_id = _make_source(tmp_path / "db")
    copy_database = backup_module._copy_database

    def index_saved_after_the_snapshot(database: str, target: str) -> None:
        copy_database(database, target)
        # as if the copied index had been saved after the database's snapshot
        meta_file = os.path.join(os.path.dirname(target), collection_id, "index.json")
        with open(meta_file) as f:
            meta = json.load(f)
        meta["seq"] += 1
        with open(meta_file, "w") as f:
            json.dump(meta, f)

    monkeypatch.setattr(backup_module, "_copy_database", index_saved_after_the_snapshot)
    result = backup(str(tmp_path / "db"), str(tmp_path / "copy"))
    assert result.indexes_kept == [] and collection_id in result.indexes_left_out
    assert sorted(os.listdir(tmp_path / "copy")) == ["chroma.sqlite3"]
    client = chromadb.PersistentClient(path=str(tmp_path / "copy"))
    assert client.get_collection("live").count() == BASE  # rebuilt from the records
    client.close()
    assert _chroma("check", "--path", str(tmp_path / "copy")).returncode == 0


def test_backup_refuses_what_it_cannot_copy(tmp_path):
    with pytest.raises(NotFoundError, match="not a data directory"):
        backup(str(tmp_path / "nothing"), str(tmp_path / "copy"))
    (tmp_path / "chroma-dir").mkdir()
    (tmp_path / "chroma-dir" / "chroma-collections.parquet").write_bytes(b"")
    with pytest.raises(ChromaDirectoryError):
        backup(str(tmp_path / "chroma-dir"), str(tmp_path / "copy"))
    (tmp_path / "fresh").mkdir()
    (tmp_path / "fresh" / "chroma.sqlite3").write_bytes(b"")
    with pytest.raises(NotFoundError, match="no data yet"):
        backup(str(tmp_path / "fresh"), str(tmp_path / "copy"))
    client = chromadb.PersistentClient(path=str(tmp_path / "db"))
    client.create_collection("x-y-z")
    client.close()
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "file").write_text("mine")
    with pytest.raises(InvalidArgumentError, match="exists"):
        backup(str(tmp_path / "db"), str(tmp_path / "taken"))
    assert os.listdir(tmp_path / "taken") == ["file"]
    (tmp_path / "empty").mkdir()
    backup(str(tmp_path / "db"), str(tmp_path / "empty"))
    assert sorted(os.listdir(tmp_path / "empty")) == ["chroma.sqlite3"]
    assert not [p for p in os.listdir(tmp_path) if "partial" in p]


def test_an_index_that_cannot_be_read_whole_is_left_out(tmp_path):
    collection_id = _make_source(tmp_path / "db")
    meta_file = tmp_path / "db" / collection_id / "index.json"
    meta = json.loads(meta_file.read_text())
    meta["files"] = ["hnsw.999.0.bin"]  # names a file that is not there (as if replaced on every attempt)
    meta_file.write_text(json.dumps(meta))
    result = backup(str(tmp_path / "db"), str(tmp_path / "copy"))
    assert collection_id in result.indexes_left_out
    assert sorted(os.listdir(tmp_path / "copy")) == ["chroma.sqlite3"]


def test_export_while_another_process_writes_is_one_snapshot(tmp_path):
    from chromadb.transfer import export_collections

    _make_source(tmp_path / "db")
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path / "db")], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    with writer:
        try:
            acks = Acks(writer)
            acks.wait_for(3)
            acknowledged = acks.last
            export_collections(str(tmp_path / "db"), str(tmp_path / "out"), collections=["live"], page_size=500)
            acks.wait_for(acks.last + 3)
        finally:
            writer.kill()
    lines = (tmp_path / "out" / "live.jsonl").read_bytes().splitlines()
    ids = [json.loads(line)["id"] for line in lines[1:]]
    assert json.loads(lines[0])["collection"]["count"] == len(ids)  # the header counts the same snapshot
    batches: dict[str, int] = {}
    for id_ in ids[BASE:]:
        batches[id_.split("-")[0]] = batches.get(id_.split("-")[0], 0) + 1
    assert ids[:BASE] == [f"base-{i}" for i in range(BASE)]
    assert all(f"w{k}" in batches for k in range(acknowledged + 1)) and set(batches.values()) == {BATCH}
