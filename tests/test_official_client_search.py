"""The official Python client (`chromadb-client==1.5.9`, upstream's HTTP-only package) runs
`collection.search()` against our server: dense and sparse Knn, Rrf, filters, group_by,
select and paging; its answers must equal what our own in-process client answers for the
same data (whose rankings tests/test_search_api.py checks against numpy).

The client is installed once into the git-ignored `.cache/official-client-1.5.9/`.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import chromadb
from chromadb import K, Knn, Rrf, Search
from chromadb.api.types import SparseVectorIndexConfig
from chromadb.base_types import SparseVector
from chromadb.execution.expression import GroupBy, MinK

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".cache" / "official-client-1.5.9"
PIN = "chromadb-client==1.5.9"

# Each search, built with the client's own classes (the same names as ours).
SEARCHES = {
    "dense": "Search().rank(Knn(query=Q, limit=8)).limit(5).select(K.DOCUMENT, K.SCORE, 'group')",
    "filtered": "Search().where((K('group') == 'a') & (K('n') >= 3)).rank(Knn(query=Q, limit=50)).limit(4)",
    "sparse": "Search().rank(Knn(query=SQ, key='sparse', limit=10)).limit(5).select(K.SCORE)",
    "rrf": "Search().rank(Rrf([Knn(query=Q, return_rank=True, limit=20), Knn(query=SQ, key='sparse', return_rank=True, limit=20)])).limit(6)",
    "grouped": "Search().rank(Knn(query=Q, limit=30)).group_by(GroupBy(K('group'), MinK(K.SCORE, 2))).limit(10).select(K.SCORE, 'group')",
    "paged": "Search().where(K('n') < 12).limit(3, offset=2).select(K.DOCUMENT, K.METADATA)",
}

CLIENT_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import chromadb
    from chromadb import K, Knn, Rrf, Search
    from chromadb.base_types import SparseVector
    from chromadb.execution.expression import GroupBy, MinK
    host, port, name, q, sq, searches = sys.argv[1], int(sys.argv[2]), sys.argv[3], *map(json.loads, sys.argv[4:7])
    Q, SQ = q, SparseVector(indices=sq[0], values=sq[1])
    col = chromadb.HttpClient(host=host, port=port).get_collection(name)
    out = {}
    for key, text in searches.items():
        r = col.search(eval(text))
        metas = [[None if m is None else {k: v for k, v in m.items() if k != "sparse"} for m in row] if row else row
                 for row in (r["metadatas"] or [])]
        out[key] = {"ids": r["ids"], "documents": r["documents"], "metadatas": metas, "scores": r["scores"]}
    print(json.dumps(out))
    """
)


@pytest.fixture(scope="module")
def official_python() -> str:
    python = VENV / "bin" / "python"
    marker = VENV / ".installed"
    if not marker.exists() or marker.read_text() != PIN:
        steps = [
            [sys.executable, "-m", "venv", "--clear", str(VENV)],
            [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", PIN],
        ]
        for step in steps:
            done = subprocess.run(step, capture_output=True, text=True, timeout=600, check=False)
            if done.returncode != 0:
                message = f"could not install {PIN}: {(done.stdout + done.stderr)[-1000:]}"
                if os.environ.get("CI"):
                    pytest.fail(message)
                pytest.skip(message)  # a machine without the package index
        marker.write_text(PIN)
    return str(python)


def _sparse(rng: np.random.Generator) -> SparseVector:
    indices = sorted(rng.choice(40, size=5, replace=False).tolist())
    return SparseVector(indices=indices, values=rng.random(5).round(3).tolist())


def test_the_official_client_searches_our_server(official_python, http_server) -> None:
    rng = np.random.default_rng(11)
    n = 40
    ours = chromadb.HttpClient(host=http_server.host, port=http_server.port)
    schema = chromadb.Schema().create_index(SparseVectorIndexConfig(), key="sparse")
    col = ours.create_collection("official-search", schema=schema, embedding_function=None)
    col.add(
        ids=[f"r{i}" for i in range(n)],
        embeddings=rng.standard_normal((n, 8)).astype(np.float32).tolist(),
        documents=[f"document {i}" for i in range(n)],
        metadatas=[{"group": "ab"[i % 2], "n": i, "sparse": _sparse(rng)} for i in range(n)],
    )
    q = rng.standard_normal(8).astype(np.float32).tolist()
    sq = _sparse(rng)
    done = subprocess.run(
        [official_python, "-c", CLIENT_SCRIPT, http_server.host, str(http_server.port), col.name,
         json.dumps(q), json.dumps([sq.indices, sq.values]), json.dumps(SEARCHES)],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    official = json.loads(done.stdout.strip().splitlines()[-1])

    # the same searches through our own in-process door, over the same directory's data
    namespace = {"Search": Search, "Knn": Knn, "K": K, "Rrf": Rrf, "GroupBy": GroupBy, "MinK": MinK, "Q": q, "SQ": sq}
    for key, text in SEARCHES.items():
        expected = col.search(eval(text, namespace))
        got = official[key]
        assert got["ids"] == expected["ids"], key
        assert len(got["ids"][0]) > 0, key
        assert got["documents"] == expected["documents"], key
        if expected["scores"] is not None and expected["scores"][0] is not None:
            np.testing.assert_allclose(np.array(got["scores"][0], dtype=float), np.array(expected["scores"][0], dtype=float), rtol=1e-6)
        for theirs, mine in zip(got["metadatas"][0] or [], (expected["metadatas"] or [[]])[0] or []):
            if mine is None:
                assert theirs is None, key
            else:
                assert {k: v for k, v in theirs.items() if k != "sparse"} == {k: v for k, v in mine.items() if k != "sparse"}, key
    assert official["filtered"]["ids"][0] and all(int(i[1:]) % 2 == 0 and int(i[1:]) >= 3 for i in official["filtered"]["ids"][0])
    assert official["paged"]["ids"] == [["r2", "r3", "r4"]]
    ours.delete_collection(col.name)
