"""Several processes on one directory: every acknowledged write lands exactly once, each
process reads its own writes at once, and all of them (and a fresh one) agree."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np

import chromadb

WORKER = textwrap.dedent(
    """
    import json, sys, numpy as np, chromadb
    path, worker, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    col = chromadb.PersistentClient(path=path).get_collection("shared", embedding_function=None)
    rng = np.random.default_rng(worker)
    acked = []
    for r in range(rounds):
        ids = [f"w{worker}-r{r}-{i}" for i in range(50)]
        vecs = rng.standard_normal((50, 16)).astype(np.float32)
        col.add(ids=ids, embeddings=vecs, metadatas=[{"worker": worker, "round": r}] * 50)
        # read-your-writes, at once, by id and by vector
        assert col.get(ids=ids[:5])["ids"] == ids[:5]
        assert col.query(query_embeddings=vecs[:1], n_results=1)["ids"][0][0] == ids[0]
        if r % 3 == 2:
            col.upsert(ids=ids[:10], embeddings=vecs[:10], metadatas=[{"worker": worker, "round": r, "up": True}] * 10)
            assert col.get(ids=ids[:1])["metadatas"][0]["up"] is True
        acked.append(r)
    got = col.query(query_embeddings=rng.standard_normal((20, 16)).astype(np.float32), n_results=10)["ids"]
    print(json.dumps({"acked": acked, "final": got}))
    """
)


def test_four_processes_share_one_directory(tmp_path):
    path = str(tmp_path / "db")
    client = chromadb.PersistentClient(path=path)
    col = client.create_collection("shared", embedding_function=None)
    rounds = 40
    procs = [
        subprocess.Popen([sys.executable, "-c", WORKER, path, str(w), str(rounds)], stdout=subprocess.PIPE, text=True)
        for w in range(4)
    ]
    outputs = []
    for p in procs:
        out, _ = p.communicate(timeout=300)
        assert p.returncode == 0
        outputs.append(json.loads(out.strip().splitlines()[-1]))
    # every acknowledged write is present exactly once, here and in a fresh process
    expected = {f"w{w}-r{r}-{i}" for w, o in enumerate(outputs) for r in o["acked"] for i in range(50)}
    got = col.get(include=["metadatas", "embeddings"])
    assert len(got["ids"]) == len(set(got["ids"])) == len(expected)
    assert set(got["ids"]) == expected
    assert col.count() == 4 * rounds * 50
    upserted = [m for m in got["metadatas"] if m.get("up")]
    assert len(upserted) == 4 * len([r for r in range(rounds) if r % 3 == 2]) * 10
    # queries agree with an exact oracle (8,000 records: past INDEX_MIN, so through HNSW)
    x = np.asarray(got["embeddings"])
    ids = np.asarray(got["ids"])
    queries = np.random.default_rng(99).standard_normal((30, 16)).astype(np.float32)
    d = ((queries[:, None, :] - x[None, :, :]) ** 2).sum(-1)
    want = [list(ids[np.argsort(row, kind="stable")[:10]]) for row in d]
    assert recall(col.query(query_embeddings=queries, n_results=10)["ids"], want) >= 0.99
    fresh = subprocess.run(
        [sys.executable, "-c", textwrap.dedent("""
            import json, sys, numpy as np, chromadb
            col = chromadb.PersistentClient(path=sys.argv[1]).get_collection("shared", embedding_function=None)
            q = np.random.default_rng(99).standard_normal((30, 16)).astype(np.float32)
            print(json.dumps([col.count(), col.query(query_embeddings=q, n_results=10)["ids"]]))
        """), path],
        capture_output=True, text=True, check=True, timeout=120,
    )
    count, fresh_ids = json.loads(fresh.stdout.strip().splitlines()[-1])
    assert count == 4 * rounds * 50
    assert recall(fresh_ids, want) >= 0.99


def recall(got: list[list[str]], want: list[list[str]]) -> float:
    return sum(len(set(g) & set(w)) for g, w in zip(got, want)) / sum(len(w) for w in want)
