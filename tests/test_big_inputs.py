"""Big inputs: 100k ids in one read or delete, 1 MB documents, 1,000-key metadata, the
write batch cap, and the memory a large `get` costs. Each runs in-process and over HTTP
(the `client` fixture) unless noted; `scripts/big_get.py` is the 1,000,000-row variant."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from chromadb.errors import ChromaError

N_IDS = 100_000


def add_in_batches(client, col, n: int, dim: int = 4) -> None:
    step = client.get_max_batch_size()
    rng = np.random.default_rng(0)
    for start in range(0, n, step):
        stop = min(start + step, n)
        col.add(
            ids=[f"id{i}" for i in range(start, stop)],
            embeddings=rng.standard_normal((stop - start, dim)).astype(np.float32),
            metadatas=[{"i": i} for i in range(start, stop)],
        )


def test_get_and_delete_100k_ids(client):
    col = client.create_collection("hundred-k", embedding_function=None)
    add_in_batches(client, col, N_IDS)
    assert N_IDS > client.get_max_batch_size()  # reads and deletes are not capped like writes

    rng = np.random.default_rng(1)
    wanted = rng.permutation(N_IDS)[: N_IDS - 10]
    asked = [f"id{i}" for i in wanted] + [f"missing{i}" for i in range(10)]  # 100k ids, 10 unknown
    got = col.get(ids=asked, include=["metadatas"])
    assert len(got["ids"]) == N_IDS - 10
    assert set(got["ids"]) == {f"id{i}" for i in wanted}
    assert all(m == {"i": int(id_[2:])} for id_, m in zip(got["ids"], got["metadatas"]))

    doomed = [f"id{i}" for i in range(0, N_IDS, 2)] + [f"id{i}" for i in range(1, 1000, 2)]  # 50,500 ids
    doomed += [f"missing{i}" for i in range(N_IDS - len(doomed))]  # padded with unknown ids to 100k
    col.delete(ids=doomed)
    assert col.count() == N_IDS // 2 - 500
    left = col.get(ids=[f"id{i}" for i in range(N_IDS)])["ids"]
    assert left == [f"id{i}" for i in range(1001, N_IDS, 2)]


def test_one_megabyte_documents(client):
    col = client.create_collection("big-docs", embedding_function=None)
    rng = np.random.default_rng(2)
    words = np.array(["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "\u00e9t\u00e9", "\u6f22\u5b57"])
    docs = []
    for k in range(3):
        text = " ".join(words[rng.integers(len(words), size=200_000)])
        docs.append(text[: 500_000] + f" needle{k} " + text[500_000 : 1_000_000])
    assert all(len(d.encode()) >= 1_000_000 for d in docs)
    vectors = np.eye(3, 8, dtype=np.float32)
    col.add(ids=["d0", "d1", "d2"], embeddings=vectors, documents=docs)

    got = col.get(ids=["d1"], include=["documents"])
    assert got["documents"] == [docs[1]]
    assert col.get(where_document={"$contains": "needle2"})["ids"] == ["d2"]
    assert col.get(where_document={"$not_contains": "needle0"})["ids"] == ["d1", "d2"]
    res = col.query(query_embeddings=[vectors[1]], n_results=1, include=["documents", "distances"])
    assert res["ids"] == [["d1"]] and res["documents"][0][0] == docs[1]
    res = col.query(query_embeddings=[vectors[1]], n_results=3, where_document={"$contains": "needle0"}, include=["documents"])
    assert res["ids"] == [["d0"]] and res["documents"] == [[docs[0]]]


def test_metadata_with_1000_keys(client):
    col = client.create_collection("wide-meta", embedding_function=None)
    metas = []
    for r in range(3):
        meta: dict = {}
        for k in range(1000):
            meta[f"key{k:04d}"] = (k * r, f"v{k}-{r}", k + r / 8, (k + r) % 2 == 0)[k % 4]
        metas.append(meta)
    col.add(ids=["m0", "m1", "m2"], embeddings=np.eye(3, 4, dtype=np.float32), metadatas=metas)
    got = col.get(include=["metadatas"])
    assert got["metadatas"] == metas
    assert [type(v) for v in got["metadatas"][2].values()] == [type(v) for v in metas[2].values()]
    assert col.get(where={"key0997": "v997-1"})["ids"] == ["m1"]
    assert col.get(where={"key0400": {"$gte": 400}})["ids"] == ["m1", "m2"]
    assert col.get(where={"$and": [{"key0002": 2.25}, {"key0003": False}]})["ids"] == ["m2"]
    res = col.query(query_embeddings=[[0.0, 0.0, 1.0, 0.0]], n_results=3, where={"key0999": False}, include=["metadatas"])
    assert res["ids"] == [["m2", "m0"]] and res["metadatas"][0] == [metas[2], metas[0]]


@pytest.mark.parametrize("write", ["update", "upsert"])
def test_writes_above_the_batch_cap_are_refused(client, write):
    # `add` is covered by test_errors.py::test_batch_too_large
    col = client.create_collection("capped", embedding_function=None)
    col.add(ids=["a"], embeddings=[[1.0]])
    limit = client.get_max_batch_size()
    n = limit + 1
    with pytest.raises((ValueError, ChromaError), match=f"more than {limit:,} embeddings at once"):
        getattr(col, write)(ids=[f"i{i}" for i in range(n)], embeddings=np.zeros((n, 1), dtype=np.float32))
    assert col.count() == 1
    getattr(col, write)(ids=[f"i{i}" for i in range(limit)], embeddings=np.zeros((limit, 1), dtype=np.float32))
    assert col.count() == (1 if write == "update" else 1 + limit)


# The measurement runs in a fresh interpreter: tracemalloc sees every Python and numpy
# allocation, deterministically (RSS would depend on the allocator and on what ran before).
# The `get` is measured the second time it runs, so caches the view fills on first use
# are not counted as the cost of the call; what the result holds is what stays allocated.
MEMORY_PROBE = """
import gc, json, sys, tracemalloc
import numpy as np
import chromadb

n, dim = 20_000, 64
client = chromadb.PersistentClient(path=sys.argv[1])
col = client.create_collection("mem", embedding_function=None)
rng = np.random.default_rng(3)
for start in range(0, n, 5_000):
    col.add(
        ids=[f"record-{i:08d}" for i in range(start, start + 5_000)],
        embeddings=rng.standard_normal((5_000, dim)).astype(np.float32),
        documents=[f"document number {i} " + "lorem ipsum " * 8 for i in range(start, start + 5_000)],
        metadatas=[{"i": i, "group": f"g{i % 7}", "score": i / 3} for i in range(start, start + 5_000)],
    )
include = ["embeddings", "documents", "metadatas"]
tracemalloc.start()
col.get(include=include)  # warm the view
gc.collect()
before = tracemalloc.get_traced_memory()[0]
tracemalloc.reset_peak()
result = col.get(include=include)
held, peak = tracemalloc.get_traced_memory()
payload = result["embeddings"].nbytes + sum(len(d) for d in result["documents"]) + sum(len(i) for i in result["ids"])
print(json.dumps({"rows": len(result["ids"]), "held": held - before, "peak": peak - before, "payload": payload}))
client.close()
"""


def test_peak_memory_of_a_large_get(tmp_path):
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(MEMORY_PROBE), str(tmp_path / "db")],
        capture_output=True, text=True, timeout=180, check=True,
    ).stdout
    m = json.loads(out.strip().splitlines()[-1])
    assert m["rows"] == 20_000
    assert m["held"] >= m["payload"], m  # the measurement sees the result
    ratio = m["peak"] / m["held"]
    print(f"get of {m['rows']} rows: holds {m['held'] / 1e6:.1f} MB, peaks at {m['peak'] / 1e6:.1f} MB ({ratio:.2f}x)")
    assert ratio <= 2.0, m
