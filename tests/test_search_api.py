"""`Collection.search` (spec/search-api.md) over both doors: the expected rankings are
computed here, independently, with numpy (distances, `1 - dot`, the RankDomain rules)."""
from __future__ import annotations

import asyncio

import numpy as np
import pytest

import chromadb
from chromadb import Schema, SparseVectorIndexConfig
from chromadb.base_types import SparseVector
from chromadb.errors import InvalidArgumentError, NotFoundError
from chromadb.execution.expression import (
    GroupBy,
    K,
    Knn,
    MaxK,
    MinK,
    Rrf,
    Search,
    Val,
)

N, DIM, VOCAB = 120, 6, 40
CATS = ["red", "green", "blue"]


def dataset(seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, DIM)).astype(np.float32)
    sparse = []
    for _ in range(N):
        terms = np.sort(rng.choice(VOCAB, size=rng.integers(1, 6), replace=False))
        sparse.append((terms, rng.uniform(0.1, 2.0, len(terms)).astype(np.float32)))
    metas = [
        {"cat": CATS[i % 3], "n": int(i % 7), "sv": SparseVector(indices=t.tolist(), values=v.tolist())}
        for i, (t, v) in enumerate(sparse)
    ]
    docs = [f"doc {i} {'even' if i % 2 == 0 else 'odd'}" for i in range(N)]
    return x, sparse, metas, docs


def make(client, space: str = "l2", seed: int = 0):
    """A collection of the dataset; an l2 one declares the sparse index its sparse Knns need
    (a space other than l2 goes in the configuration, which a schema may not accompany)."""
    x, sparse, metas, docs = dataset(seed)
    if space == "l2":
        schema = Schema().create_index(SparseVectorIndexConfig(), key="sv")
        col = client.create_collection(f"search-{space}", schema=schema)
    else:
        col = client.create_collection(f"search-{space}", configuration={"hnsw": {"space": space}})
    col.add(ids=[f"id{i}" for i in range(N)], embeddings=x, metadatas=metas, documents=docs)
    return col, x, sparse


def distances(space: str, x: np.ndarray, q: np.ndarray) -> np.ndarray:
    x64, q64 = x.astype(np.float64), q.astype(np.float64)
    if space == "l2":
        return ((x64 - q64) ** 2).sum(1)
    if space == "ip":
        return 1 - x64 @ q64
    return 1 - (x64 @ q64) / (np.linalg.norm(x64, axis=1) * np.linalg.norm(q64))


def sparse_dots(sparse, q_terms, q_vals) -> tuple[np.ndarray, np.ndarray]:
    """(dot with the query, shares a term) per record."""
    qmap = dict(zip(q_terms.tolist(), q_vals.tolist()))
    dots = np.array([sum(qmap.get(t, 0.0) * v for t, v in zip(ts.tolist(), vs.tolist())) for ts, vs in sparse])
    shares = np.array([bool(set(ts.tolist()) & set(qmap)) for ts, _ in sparse])
    return dots, shares


def top(scores: np.ndarray, allowed: np.ndarray, k: int) -> list[int]:
    """Record numbers of the k smallest scores among the allowed ones, ties by insertion order."""
    rows = np.flatnonzero(allowed)
    return rows[np.lexsort((rows, scores[rows]))][:k].tolist()


def ids(rows) -> list[str]:
    return [f"id{i}" for i in rows]


# -- dense Knn --------------------------------------------------------------------------------
@pytest.mark.parametrize("space", ["l2", "cosine", "ip"])
def test_dense_knn_matches_numpy(client, space):
    col, x, _ = make(client, space)
    q = np.random.default_rng(1).standard_normal(DIM).astype(np.float32)
    d = distances(space, x, q)
    # the default Knn limit (16) caps the answer, whatever the search's limit
    res = col.search(Search().rank(Knn(query=q.tolist())).limit(100).select(K.SCORE))
    expected = top(d, np.ones(N, bool), 16)
    assert res["ids"] == [ids(expected)]
    assert np.allclose(res["scores"][0], d[expected], atol=1e-4)
    res = col.search(Search().rank(Knn(query=q.tolist(), limit=50)).limit(30, offset=5))
    assert res["ids"][0] == ids(top(d, np.ones(N, bool), 35)[5:])
    assert res["scores"] == [None] and res["documents"] == [None] and res["select"] == [[]]


def test_knn_within_a_filter(client):
    col, x, _ = make(client)
    q = x[3] + 0.1
    d = distances("l2", x, q)
    n = np.arange(N) % 7
    cat = np.array([CATS[i % 3] for i in range(N)])
    search = Search().where((K("cat") == "red") & (K("n") >= 3)).rank(Knn(query=q.tolist(), limit=5))
    assert col.search(search)["ids"][0] == ids(top(d, (cat == "red") & (n >= 3), 5))
    # #id and #document clauses in a search filter
    search = Search().where(K.ID.is_in(["id1", "id2", "id4", "id9"]) & K.DOCUMENT.contains("even")).rank(Knn(query=q.tolist()))
    allowed = np.isin(np.arange(N), [2, 4])
    assert col.search(search)["ids"][0] == ids(top(d, allowed, 16))
    search = Search().where(K.ID != "id3").rank(Knn(query=q.tolist(), limit=3))
    assert col.search(search)["ids"][0] == ids(top(d, np.arange(N) != 3, 3))


def test_search_equals_query(client):
    col, x, _ = make(client, "cosine")
    q = x[10] * 0.5 + x[11]
    res = col.search(Search().rank(Knn(query=q.tolist(), limit=7)).limit(7).select_all())
    classic = col.query(query_embeddings=[q.tolist()], n_results=7, include=["documents", "metadatas", "embeddings", "distances"])
    assert res["ids"] == classic["ids"]
    assert res["documents"] == classic["documents"]
    assert np.allclose(res["scores"][0], classic["distances"][0], atol=1e-6)
    assert np.allclose(np.array(res["embeddings"][0]), np.array(classic["embeddings"][0]))
    assert res["metadatas"] == classic["metadatas"]


# -- sparse Knn ------------------------------------------------------------------------------
def test_sparse_knn_is_one_minus_dot(client):
    col, _, sparse = make(client)
    q_terms, q_vals = np.array([2, 7, 11, 30]), np.array([1.0, 0.5, 2.0, 0.25], dtype=np.float32)
    dots, shares = sparse_dots(sparse, q_terms, q_vals)
    query = SparseVector(indices=q_terms.tolist(), values=q_vals.tolist())
    res = col.search(Search().rank(Knn(query=query, key="sv", limit=200)).limit(200).select(K.SCORE))
    expected = top(1 - dots, shares, 200)  # only records sharing a term with the query
    assert res["ids"][0] == ids(expected)
    assert np.allclose(res["scores"][0], 1 - dots[expected], atol=1e-5)
    cat = np.array([CATS[i % 3] for i in range(N)])
    res = col.search(Search().where(K("cat") != "blue").rank(Knn(query=query, key="sv", limit=4)))
    assert res["ids"][0] == ids(top(1 - dots, shares & (cat != "blue"), 4))


def test_sparse_index_follows_writes(client):
    col, _, sparse = make(client)
    query = SparseVector(indices=[5], values=[1.0])
    col.delete(ids=["id0", "id1"])
    col.update(ids=["id2"], metadatas=[{"sv": SparseVector(indices=[5], values=[100.0])}])
    col.add(ids=["new"], embeddings=[[0.0] * DIM], metadatas=[{"sv": SparseVector(indices=[4, 5], values=[1.0, 50.0])}])
    col.update(ids=["id3"], metadatas=[{"sv": None, "cat": "red"}])  # the key removed
    res = col.search(Search().rank(Knn(query=query, key="sv", limit=500)).limit(500).select(K.SCORE))
    dots, shares = sparse_dots(sparse, np.array([5]), np.array([1.0]))
    dots[2], shares[2] = 100.0, True
    shares[[0, 1, 3]] = False
    expected = top(1 - dots, shares, 500)
    ranked = sorted([("new", -49.0)] + [(f"id{i}", 1 - dots[i]) for i in expected], key=lambda t: t[1])
    assert res["ids"][0] == [i for i, _ in ranked]


def test_sparse_vectors_round_trip(client):
    col = client.create_collection("sv-round-trip")
    vec = SparseVector(indices=[1, 9, 4_000_000_000], values=[0.5, -2.25, 3.0], labels=["a", "b", "c"])
    col.add(ids=["a", "b"], embeddings=[[1.0, 0.0], [0.0, 1.0]], metadatas=[{"sv": vec, "k": 1}, {"k": 2}])
    assert col.get(ids=["a"])["metadatas"] == [{"sv": vec, "k": 1}]
    assert col.query(query_embeddings=[[1.0, 0.0]], n_results=1)["metadatas"] == [[{"sv": vec, "k": 1}]]
    found = col.search(Search().rank(Knn(query=[1.0, 0.0], limit=1)).select(K.METADATA, "sv"))
    assert found["metadatas"] == [[{"sv": vec, "k": 1}]]
    # a filter on a sparse key compares a scalar with a vector: never equal
    assert col.get(where={"sv": {"$eq": 1}})["ids"] == []
    assert col.get(where={"sv": {"$ne": 1}})["ids"] == ["a", "b"]
    with pytest.raises(ValueError, match="strictly ascending"):
        col.add(ids=["c"], embeddings=[[1.0, 1.0]], metadatas=[{"sv": {"#type": "sparse_vector", "indices": [3, 1], "values": [1.0, 1.0]}}])


# -- rank expressions ----------------------------------------------------------------------------
def test_rrf_with_defaults_is_a_union(client):
    col, x, sparse = make(client)
    q = x[20]
    d = distances("l2", x, q)
    q_terms, q_vals = np.array([1, 3, 5]), np.array([1.0, 1.0, 1.0], dtype=np.float32)
    dots, shares = sparse_dots(sparse, q_terms, q_vals)
    dense_rank = {r: i for i, r in enumerate(top(d, np.ones(N, bool), 10))}
    sparse_rank = {r: i for i, r in enumerate(top(1 - dots, shares, 10))}
    rrf = Rrf(
        [
            Knn(query=q.tolist(), return_rank=True, limit=10, default=1000),
            Knn(query=SparseVector(indices=q_terms.tolist(), values=q_vals.tolist()), key="sv", return_rank=True, limit=10, default=1000),
        ],
        k=60,
        weights=[0.7, 0.3],
    )
    res = col.search(Search().rank(rrf).limit(50).select(K.SCORE))
    support = sorted(set(dense_rank) | set(sparse_rank))
    scores = {r: -(0.7 / (60 + dense_rank.get(r, 1000)) + 0.3 / (60 + sparse_rank.get(r, 1000))) for r in support}
    expected = sorted(support, key=lambda r: (np.float32(scores[r]), r))
    assert res["ids"][0] == ids(expected)
    assert np.allclose(res["scores"][0], [scores[r] for r in expected], atol=1e-6)


def test_knns_without_default_intersect(client):
    col, x, _ = make(client)
    a, b = x[0], x[1]
    near_a = set(top(distances("l2", x, a), np.ones(N, bool), 30))
    near_b = set(top(distances("l2", x, b), np.ones(N, bool), 30))
    res = col.search(Search().rank(Knn(query=a.tolist(), limit=30) + Knn(query=b.tolist(), limit=30)).limit(100))
    assert set(res["ids"][0]) == {f"id{i}" for i in near_a & near_b}
    # constants alone select nothing
    assert col.search(Search().rank(Val(1.0) + Val(2.0)))["ids"] == [[]]


def test_arithmetic_operators(client):
    col, x, _ = make(client)
    q1, q2 = x[5], x[6]
    d1, d2 = distances("l2", x, q1), distances("l2", x, q2)
    k1, k2 = Knn(query=q1.tolist(), limit=40, default=50.0), Knn(query=q2.tolist(), limit=40, default=60.0)
    in1 = np.isin(np.arange(N), top(d1, np.ones(N, bool), 40))
    in2 = np.isin(np.arange(N), top(d2, np.ones(N, bool), 40))
    v1, v2 = np.where(in1, d1, 50.0), np.where(in2, d2, 60.0)
    support = in1 | in2
    cases = [
        (k1 * 0.25 - k2.abs() / 2, 0.25 * v1 - np.abs(v2) / 2),
        ((k1 + 1).log() + (-k2 / 10).exp(), np.log(v1 + 1) + np.exp(-v2 / 10)),
        (k1.max(k2) - k1.min(k2), np.maximum(v1, v2) - np.minimum(v1, v2)),
    ]
    for expr, values in cases:
        res = col.search(Search().rank(expr).limit(N).select(K.SCORE))
        expected = top(values.astype(np.float32), support, N)
        got = dict(zip(res["ids"][0], res["scores"][0]))
        assert set(got) == set(ids(expected))
        assert np.allclose([got[i] for i in ids(expected)], values[expected], rtol=1e-4, atol=1e-4)
        assert np.all(np.diff(res["scores"][0]) >= 0)


# -- group_by, select, paging ----------------------------------------------------------------------
def test_group_by_min_k_and_max_k(client):
    col, x, _ = make(client)
    q = x[7]
    d = distances("l2", x, q)
    ranked = top(d, np.ones(N, bool), 60)
    cats = [CATS[i % 3] for i in range(N)]
    res = col.search(
        Search().rank(Knn(query=q.tolist(), limit=60)).group_by(GroupBy(keys=[K("cat")], aggregate=MinK(keys=[K.SCORE], k=2))).limit(100).select(K.SCORE, "cat")
    )
    expected = [r for r in ranked if sum(1 for s in ranked[: ranked.index(r)] if cats[s] == cats[r]) < 2]
    assert res["ids"][0] == ids(expected)
    assert [m["cat"] for m in res["metadatas"][0]] == [cats[r] for r in expected]
    # the largest n per category, ties broken by rank order; re-ranked by score
    res = col.search(
        Search().rank(Knn(query=q.tolist(), limit=60)).group_by(GroupBy(keys=[K("cat")], aggregate=MaxK(keys=[K("n"), K.SCORE], k=1))).select("n")
    )
    expected = []
    for cat in CATS:
        members = [r for r in ranked if cats[r] == cat]
        expected.append(max(members, key=lambda r: (r % 7, d[r])))
    assert res["ids"][0] == ids(sorted(expected, key=lambda r: (d[r], r)))


def test_select_and_shape(client):
    col, x, _ = make(client)
    q = x[0]
    res = col.search(
        [
            Search().rank(Knn(query=q.tolist(), limit=3)).select(K.DOCUMENT, "cat", "missing"),
            Search().where(K("n") == 1).limit(4, offset=1).select(K.SCORE, K.METADATA),
            Search().rank(Knn(query=q.tolist(), limit=2)).select(K.EMBEDDING),
        ]
    )
    near = top(distances("l2", x, q), np.ones(N, bool), 3)
    assert res["ids"][0] == ids(near)
    assert res["documents"][0] == [f"doc {i} {'even' if i % 2 == 0 else 'odd'}" for i in near]
    assert res["metadatas"][0] == [{"cat": CATS[i % 3]} for i in near]
    assert res["select"] == [["#document", "cat", "missing"], ["#metadata", "#score"], ["#embedding"]]
    # no rank: insertion order, the score is the position in the page
    ones = [i for i in range(N) if i % 7 == 1][1:5]
    assert res["ids"][1] == ids(ones) and res["scores"][1] == [0.0, 1.0, 2.0, 3.0]
    assert [m["n"] for m in res["metadatas"][1]] == [1] * 4
    assert np.allclose(np.array(res["embeddings"][2]), x[near[:2]])
    assert res["scores"][0] is None and res["embeddings"][0] is None and res["documents"][2] is None
    rows = res.rows()
    assert rows[0][0] == {"id": f"id{near[0]}", "document": res["documents"][0][0], "metadata": {"cat": CATS[near[0] % 3]}}


def test_empty_collection_and_empty_batch(client):
    col = client.create_collection("empty-search")
    assert col.search(Search().rank(Knn(query=[1.0, 2.0])).select_all())["ids"] == [[]]
    assert col.search([]) == {"ids": [], "documents": [], "embeddings": [], "metadatas": [], "scores": [], "select": []}


@pytest.mark.parametrize("level", ["index_and_wal", "index_only", "index_and_bounded_wal"])
def test_every_read_level_sees_every_write(client, level):
    col = client.create_collection("levels")
    col.add(ids=["a"], embeddings=[[1.0, 0.0]])
    assert col.search(Search().rank(Knn(query=[1.0, 0.0])), read_level=level)["ids"] == [["a"]]


# -- errors ---------------------------------------------------------------------------------------------
def test_bad_searches_are_refused(client):
    col, _, _ = make(client)
    with pytest.raises(ValueError, match="unknown variant `\\$bogus`"):
        col.search({"rank": {"$bogus": 1}})
    with pytest.raises(ValueError, match="group_by keys and aggregate must both be specified"):
        col.search({"rank": {"$knn": {"query": [0.0] * DIM}}, "group_by": {"keys": ["cat"]}})
    with pytest.raises(ValueError, match="group_by requires rank expression"):
        col.search({"group_by": {"keys": ["cat"], "aggregate": {"$min_k": {"keys": ["#score"], "k": 1}}}})
    with pytest.raises(ValueError, match="strictly ascending"):
        col.search({"rank": {"$knn": {"query": {"indices": [3, 1], "values": [1, 1]}, "key": "sv"}}})
    with pytest.raises(InvalidArgumentError, match="dimension of 6, got 2"):
        col.search(Search().rank(Knn(query=[1.0, 2.0])))
    client.delete_collection(col.name)
    with pytest.raises(NotFoundError):
        col.search(Search())


def test_async_collection_search(make_async_client):
    async def run():
        client = await make_async_client()
        col = await client.get_or_create_collection("async-search")
        await col.add(ids=["a", "b"], embeddings=[[1.0, 0.0], [0.0, 1.0]])
        return await col.search(Search().rank(Knn(query=[0.0, 1.0])).select(K.SCORE))

    res = asyncio.run(run())
    assert res["ids"] == [["b", "a"]] and res["scores"] == [[0.0, 2.0]]


# -- the wire ------------------------------------------------------------------------------------------
def test_wire_statuses_and_shape(http_server):
    import httpx

    client = chromadb.HttpClient(host=http_server.host, port=http_server.port)
    col = client.get_or_create_collection("wire-search")
    col.upsert(ids=["a", "b"], embeddings=[[1.0, 0.0], [0.0, 1.0]], documents=["x", None], metadatas=[{"k": 1}, None])
    base = f"http://{http_server.host}:{http_server.port}/api/v2/tenants/default_tenant/databases/default_database/collections"
    url = f"{base}/{col.id}/search"
    unknown = f"{base}/00000000-0000-4000-8000-000000000000/search"
    knn = {"$knn": {"query": [1, 0], "limit": 2}}
    deep: dict = knn
    for _ in range(500):
        deep = {"$abs": deep}

    def post(target: str, body: object) -> httpx.Response:
        return httpx.post(target, json=body)

    ok = post(url, {"searches": [{"rank": {"$log": knn}, "select": {"keys": ["#score", "#document", "k", "#metadata"]}}]})
    assert ok.status_code == 200
    # log(0) = -inf and log(2) as f32; JSON has no infinity: null, as serde_json writes it
    assert ok.json() == {
        "ids": [["a", "b"]],
        "documents": [["x", None]],
        "embeddings": [None],
        "metadatas": [[{"k": 1}, None]],
        "scores": [[None, 0.6931472]],
        "select": [["#document", "#metadata", "#score", "k"]],
    }
    cases = [
        (url, {}, 422, "missing field `searches`"),
        (url, {"searches": [], "read_level": "fast"}, 422, "read_level: unknown variant"),
        (url, {"searches": [{"rank": {"$bogus": 1}}]}, 422, "unknown variant `$bogus`"),
        (url, {"searches": [{"filter": {"k": {"$near": 1}}}]}, 422, "searches[0].filter: Invalid where clause"),
        (url, {"searches": [{"limit": {"limit": -1}}]}, 422, "expected u32"),
        (url, {"searches": [{"rank": deep}]}, 422, "nested more than 200 levels"),
        (unknown, {"searches": [{"rank": {"$bogus": 1}}]}, 422, "unknown variant"),  # the body is read first
        (url, {"searches": [{"rank": knn, "group_by": {"keys": ["#score"], "aggregate": {"$min_k": {"keys": ["#score"], "k": 1}}}}]}, 400, "group_by keys must be metadata fields"),
        (url, {"searches": [{"rank": knn, "group_by": {"keys": ["k"], "aggregate": {"$max_k": {"keys": ["#score"], "k": 0}}}}]}, 400, "aggregate k must be greater than 0"),
        (url, {"searches": [{"rank": {"$knn": {"query": {"indices": [2, 2], "values": [1, 1]}, "key": "s"}}}]}, 400, "Validation error: searches[0].rank: Invalid sparse vector"),
        (f"{base}/not-a-uuid/search", {"searches": []}, 400, "Collection ID is not a valid UUIDv4"),
        (unknown, {"searches": []}, 404, "does not exist"),
    ]
    for target, body, status, fragment in cases:
        r = post(target, body)
        assert r.status_code == status, (body, r.text)
        assert fragment in r.json()["message"], (body, r.text)
    r = httpx.post(url, content=b"{not json")
    assert r.status_code == 400 and r.json()["error"] == "InvalidArgumentError"
    # read_level absent (the JS client's default) and an empty list of searches
    assert post(url, {"searches": []}).json() == {k: [] for k in ("ids", "documents", "embeddings", "metadatas", "scores", "select")}


def test_a_string_query_is_embedded_by_the_collection(client, emb_fn):
    col = client.create_collection("text-search", embedding_function=emb_fn)
    docs = ["apples and pears", "a red car", "pear tart", "fast cars", "orchard fruit"]
    col.add(ids=[f"t{i}" for i in range(len(docs))], documents=docs)
    found = col.search(Search().rank(Knn(query="pears", limit=3)).select(K.SCORE))
    classic = col.query(query_texts=["pears"], n_results=3)
    assert found["ids"] == classic["ids"]
    assert np.allclose(found["scores"][0], classic["distances"][0], atol=1e-6)
    with pytest.raises(ValueError, match="key 'nope': key not found in schema"):
        col.search(Search().rank(Knn(query="pears", key="nope")))
