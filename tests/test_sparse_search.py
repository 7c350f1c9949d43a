"""Sparse Knn inside the engine: query-time IDF when the stored schema says `bm25: true`,
the schema's sparse-index check, and the inverted index across its rebuilds. Expected
rankings are computed with numpy from the vectors themselves."""
from __future__ import annotations

import numpy as np
import pytest

from chromadb.engine import sparse_index
from chromadb.engine.engine import Engine
from chromadb.engine.search_exec import run_payload
from chromadb.errors import InvalidArgumentError
from chromadb.model.records import RecordBatch
from chromadb.model.search import parse_search_body

N, VOCAB = 300, 25


def sparse_schema(bm25: bool | None, enabled: bool = True, on_key: bool = True) -> dict:
    index = {"sparse_vector": {"sparse_vector_index": {"enabled": enabled, "config": {} if bm25 is None else {"bm25": bm25}}}}
    disabled = {"sparse_vector": {"sparse_vector_index": {"enabled": False, "config": {}}}}
    if on_key:
        return {"defaults": disabled, "keys": {"sv": index}}
    return {"defaults": index, "keys": {}}


@pytest.fixture
def engine_with_vectors():
    rng = np.random.default_rng(3)
    engine = Engine(None)
    coll = engine.create_collection("sparse-engine", None, None, False, "default_tenant", "default_database")
    vectors = []
    for _ in range(N):
        terms = np.sort(rng.choice(VOCAB, size=rng.integers(1, 8), replace=False))
        vectors.append((terms, rng.uniform(0.2, 1.8, len(terms)).astype(np.float32)))
    metas = [
        {"sv": {"#type": "sparse_vector", "indices": t.tolist(), "values": v.tolist()}, "odd": i % 2} for i, (t, v) in enumerate(vectors)
    ]
    metas[7] = {"odd": 1}  # a record without the key: never a candidate, still counted in N
    embeddings = np.stack([np.arange(N), np.zeros(N)], axis=1).astype(np.float32)  # r0 nearest the origin, then r1...
    engine.add(coll["id"], RecordBatch.build("add", [f"r{i}" for i in range(N)], embeddings, metas))
    yield engine, coll["id"], vectors
    engine.close()


def run(engine: Engine, cid: str, body: dict, schema: dict | None) -> dict:
    request = parse_search_body({"searches": [body]})
    with engine._reading(cid, None, None) as runtime:
        return run_payload(runtime.view, request.searches[0], schema, engine.options.exact_search_max)


def expected_ranking(vectors, q_terms, q_vals, idf: bool, allowed=None) -> tuple[list[str], np.ndarray]:
    present = [i for i in range(N) if i != 7 and (allowed is None or allowed[i])]
    weights = np.asarray(q_vals, np.float64)
    if idf:
        df = np.array([sum(1 for i in range(N) if i != 7 and t in vectors[i][0]) for t in q_terms], np.float64)
        weights = weights * np.log(1 + (N - df + 0.5) / (df + 0.5))
    qmap = dict(zip(q_terms, weights))
    scored = []
    for i in present:
        shared = [(t, v) for t, v in zip(vectors[i][0].tolist(), vectors[i][1].tolist()) if t in qmap]
        if shared:
            scored.append((1 - sum(qmap[t] * v for t, v in shared), i))
    scored.sort()
    return [f"r{i}" for _, i in scored], np.array([s for s, _ in scored])


@pytest.mark.parametrize("bm25", [True, False, None])
def test_idf_only_when_the_schema_says_bm25(engine_with_vectors, bm25):
    engine, cid, vectors = engine_with_vectors
    q_terms, q_vals = [0, 4, 9, 24], [1.0, 1.0, 0.5, 1.0]
    body = {"rank": {"$knn": {"query": {"indices": q_terms, "values": q_vals}, "key": "sv", "limit": 1000}}, "select": {"keys": ["#score"]}}
    got = run(engine, cid, body, sparse_schema(bm25))
    ids, scores = expected_ranking(vectors, q_terms, q_vals, idf=bm25 is True)
    assert np.allclose(got["scores"], scores, atol=1e-4)
    assert got["ids"] == ids


def test_idf_counts_every_live_record_not_the_filtered_ones(engine_with_vectors):
    engine, cid, vectors = engine_with_vectors
    q_terms, q_vals = [3, 11], [1.0, 2.0]
    body = {
        "filter": {"odd": 0},
        "rank": {"$knn": {"query": {"indices": q_terms, "values": q_vals}, "key": "sv", "limit": 5}},
        "select": {"keys": ["#score"]},
    }
    got = run(engine, cid, body, sparse_schema(True, on_key=False))  # the flag from the defaults
    allowed = np.arange(N) % 2 == 0
    ids, scores = expected_ranking(vectors, q_terms, q_vals, idf=True, allowed=allowed)
    assert got["ids"] == ids[:5]
    assert np.allclose(got["scores"], scores[:5], atol=1e-4)


def test_a_key_without_a_sparse_index_is_refused(engine_with_vectors):
    engine, cid, _ = engine_with_vectors
    body = {"rank": {"$knn": {"query": {"indices": [1], "values": [1.0]}, "key": "sv"}}}
    for schema in (sparse_schema(True, enabled=False), {"defaults": {}, "keys": {}}):
        with pytest.raises(InvalidArgumentError, match="Cannot filter using metadata key 'sv' with type 'SparseVector'"):
            run(engine, cid, body, schema)
    # a dense Knn's key is not checked: it always searches the collection's vectors
    dense = {"rank": {"$knn": {"query": [0.0, 0.0], "key": "anything", "limit": 3}}}
    assert run(engine, cid, dense, {"defaults": {}, "keys": {}})["ids"] == ["r0", "r1", "r2"]


def test_the_index_stays_exact_across_rebuilds(engine_with_vectors, monkeypatch):
    engine, cid, vectors = engine_with_vectors
    monkeypatch.setattr(sparse_index, "REBUILD_MIN", 5)  # every few writes rebuild the base
    q_terms, q_vals = [2, 6], [1.0, 1.0]
    body = {"rank": {"$knn": {"query": {"indices": q_terms, "values": q_vals}, "key": "sv", "limit": 1000}}}
    run(engine, cid, body, None)  # the index is built
    rng = np.random.default_rng(9)
    for step in range(30):
        i = int(rng.integers(0, N))
        if i == 7:
            continue
        terms = np.sort(rng.choice(VOCAB, size=3, replace=False))
        values = rng.uniform(0.2, 1.8, 3).astype(np.float32)
        vectors[i] = (terms, values)
        meta = {"sv": {"#type": "sparse_vector", "indices": terms.tolist(), "values": values.tolist()}, "odd": i % 2}
        engine.upsert(cid, RecordBatch.build("upsert", [f"r{i}"], np.array([[i, 0]], np.float32), [meta]))
        if step % 4 == 0:
            assert run(engine, cid, body, None)["ids"] == expected_ranking(vectors, q_terms, q_vals, idf=False)[0]
    assert run(engine, cid, body, None)["ids"] == expected_ranking(vectors, q_terms, q_vals, idf=False)[0]
