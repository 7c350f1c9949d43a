"""Space comes back and a data directory can be checked, repaired and vacuumed."""
from __future__ import annotations

import os

import numpy as np

import chromadb
from chromadb.engine import maintenance

N, DIM = 12_000, 32


def _fill(col, rng, prefix: str) -> None:
    for i in range(0, N, 2_000):
        col.add(
            ids=[f"{prefix}{j}" for j in range(i, i + 2_000)],
            embeddings=rng.standard_normal((2_000, DIM)).astype(np.float32),
            documents=[f"document {j}" for j in range(i, i + 2_000)],
            metadatas=[{"j": j} for j in range(i, i + 2_000)],
        )


def test_delete_collection_removes_its_files(tmp_path):
    path = str(tmp_path / "db")
    client = chromadb.PersistentClient(path=path)
    col = client.create_collection("gone", embedding_function=None)
    _fill(col, np.random.default_rng(0), "a")
    col._wait_for_index()
    client.close()
    client = chromadb.PersistentClient(path=path)
    assert os.path.isdir(os.path.join(path, str(col.id)))
    client.delete_collection("gone")
    assert not os.path.exists(os.path.join(path, str(col.id)))


def test_space_comes_back_after_delete_all_and_refill(tmp_path):
    rng = np.random.default_rng(1)
    fresh_path = str(tmp_path / "fresh")
    fresh = chromadb.PersistentClient(path=fresh_path)
    _fill(fresh.create_collection("churned", embedding_function=None), rng, "a")
    fresh.get_collection("churned", embedding_function=None)._wait_for_index()
    fresh.close()

    path = str(tmp_path / "churn")
    client = chromadb.PersistentClient(path=path)
    col = client.create_collection("churned", embedding_function=None)
    _fill(col, rng, "a")
    col._wait_for_index()
    col.delete(ids=[f"a{j}" for j in range(N)])
    assert col.count() == 0
    _fill(col, rng, "b")
    col._wait_for_index()
    client.close()
    assert maintenance.directory_size(path) <= 1.3 * maintenance.directory_size(fresh_path)
    assert maintenance.check(path)["ok"]


def test_check_repair_vacuum(tmp_path):
    path = str(tmp_path / "db")
    client = chromadb.PersistentClient(path=path)
    col = client.create_collection("keep", embedding_function=None)
    rng = np.random.default_rng(2)
    _fill(col, rng, "a")
    col._wait_for_index()
    col.delete(ids=[f"a{j}" for j in range(0, N, 3)])
    client.close()
    report = maintenance.check(path)
    assert report["ok"], report
    assert report["collections"][0]["records"] == N - len(range(0, N, 3))

    removed = maintenance.repair(path)
    assert removed == [str(col.id)]
    before, after = maintenance.vacuum(path)
    assert after <= before
    client = chromadb.PersistentClient(path=path)
    col = client.get_collection("keep", embedding_function=None)
    assert col.count() == N - len(range(0, N, 3))
    probe = col.get(ids=["a1"], include=["embeddings"])["embeddings"][0]
    assert col.query(query_embeddings=[probe], n_results=1)["ids"] == [["a1"]]


def test_cli_check_repair_vacuum(tmp_path, capsys):
    from chromadb.cli import main

    path = str(tmp_path / "db")
    client = chromadb.PersistentClient(path=path)
    client.create_collection("clicheck", embedding_function=None).add(ids=["a", "b"], embeddings=[[1.0, 2.0], [3.0, 4.0]])
    client.close()
    assert main(["check", "--path", path]) == 0
    assert "clicheck: 2 records" in capsys.readouterr().out
    assert main(["repair", "--path", path]) == 0
    assert main(["vacuum", "--path", path]) == 0
    assert "MB ->" in capsys.readouterr().out
    assert main(["check", "--path", str(tmp_path / "missing")]) == 1
