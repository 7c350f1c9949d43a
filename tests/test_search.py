"""Search quality: collections big enough that queries go through the HNSW index, compared
with numpy brute force; filtered queries; reads during writes, updates and deletes.

The data are clustered random vectors (random centres plus gaussian noise), a rough model
of real embeddings. The collections are larger than `search.EXACT_SEARCH_MAX`, the number
of candidates above which the engine answers from its HNSW index instead of exactly.
"""
from __future__ import annotations

import numpy as np
import pytest

import chromadb
import chromadb.errors
from chromadb.config import Settings
from chromadb.engine import search

DIM = 32
K = 10
# above the exact-search threshold even for a 50%-selective filter, but bounded
N = min(2 * search.EXACT_SEARCH_MAX + 5_000, 60_000)
BATCH = 5_000
N_QUERIES = 100


def centres(rng: np.random.Generator, n: int = 100, dim: int = DIM) -> np.ndarray:
    return rng.standard_normal((n, dim)).astype(np.float32)


def clustered(rng: np.random.Generator, n: int, c: np.ndarray) -> np.ndarray:
    """n points around the given cluster centres."""
    return (c[rng.integers(0, len(c), n)] + 0.5 * rng.standard_normal((n, c.shape[1]))).astype(np.float32)


def distances(space: str, queries: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Exact distances (float64) of every query to every row of x, as spec 8.10 defines them."""
    q = queries.astype(np.float64)
    xx = x.astype(np.float64)
    if space == "l2":
        return (q**2).sum(1)[:, None] - 2 * q @ xx.T + (xx**2).sum(1)[None, :]
    if space == "ip":
        return 1 - q @ xx.T
    qn = q / np.linalg.norm(q, axis=1, keepdims=True)
    xn = xx / np.linalg.norm(xx, axis=1, keepdims=True)
    return 1 - qn @ xn.T


def truth(space: str, queries: np.ndarray, x: np.ndarray, rows: np.ndarray, k: int = K) -> list[np.ndarray]:
    """Row numbers (from `rows`) of the k nearest, per query."""
    d = distances(space, queries, x[rows])
    k = min(k, len(rows))
    part = np.argpartition(d, k - 1, axis=1)[:, :k] if len(rows) > k else np.tile(np.arange(len(rows)), (len(d), 1))
    order = np.take_along_axis(d, part, axis=1).argsort(axis=1)
    return [rows[p] for p in np.take_along_axis(part, order, axis=1)]


def recall(got: list[list[str]], expected: list[np.ndarray]) -> float:
    hits = total = 0
    for g, e in zip(got, expected):
        want = {f"r{i}" for i in e.tolist()}
        hits += len(want & set(g))
        total += len(want)
    return hits / max(total, 1)


def wait_indexed(client) -> None:
    """Let the background indexer catch up, so that queries really use the HNSW graph."""
    engine = getattr(client._backend, "engine", None)
    if engine is not None and hasattr(engine, "wait_for_index"):
        assert engine.wait_for_index(120)


def check_distances(space: str, res, queries: np.ndarray, vectors_of) -> None:
    """Returned distances are the exact distances to the returned records, ascending."""
    for qi, (ids, dists) in enumerate(zip(res["ids"], res["distances"])):
        if not ids:
            continue
        vecs = np.stack([vectors_of(i) for i in ids])
        exact = distances(space, queries[qi : qi + 1], vecs)[0]
        np.testing.assert_allclose(dists, exact, rtol=1e-3, atol=1e-3)
        assert all(a <= b + 1e-6 for a, b in zip(dists, dists[1:]))


# -- the large collections, one per space (built once) ----------------------------------------------------
@pytest.fixture(scope="module")
def big_client(tmp_path_factory):
    c = chromadb.PersistentClient(path=str(tmp_path_factory.mktemp("search") / "db"), settings=Settings(allow_reset=True))
    yield c
    c.close()


class Data:
    def __init__(self, space: str, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.space = space
        self.x = clustered(rng, N, centres(rng))
        if space == "ip":
            # inner product is meant for normalised embeddings (on raw clustered vectors hnswlib's
            # ip graph reaches a recall@10 of about 0.98 only, as upstream's would)
            self.x /= np.linalg.norm(self.x, axis=1, keepdims=True)
        self.bucket = rng.integers(0, 1000, N)
        self.queries = self.x[rng.integers(0, N, N_QUERIES)] + 0.2 * rng.standard_normal((N_QUERIES, DIM)).astype(np.float32)


@pytest.fixture(scope="module")
def big(big_client):
    made: dict[str, tuple] = {}

    def get(space: str):
        if space not in made:
            data = Data(space, seed={"l2": 1, "ip": 2, "cosine": 3}[space])
            coll = big_client.create_collection(f"big-{space}", metadata={"hnsw:space": space}, embedding_function=None)
            for start in range(0, N, BATCH):
                end = min(N, start + BATCH)
                coll.add(
                    ids=[f"r{i}" for i in range(start, end)],
                    embeddings=data.x[start:end],
                    metadatas=[{"bucket": int(b)} for b in data.bucket[start:end]],
                )
            wait_indexed(big_client)
            made[space] = (coll, data)
        return made[space]

    return get


def test_premise_index_is_used():
    assert N > search.EXACT_SEARCH_MAX


@pytest.mark.parametrize("space", ["l2", "ip", "cosine"])
def test_recall_unfiltered(big, space):
    coll, data = big(space)
    assert coll.count() == N
    res = coll.query(query_embeddings=data.queries, n_results=K, include=["distances"])
    assert all(len(ids) == K for ids in res["ids"])
    expected = truth(space, data.queries, data.x, np.arange(N))
    assert recall(res["ids"], expected) >= 0.99
    check_distances(space, res, data.queries, lambda i: data.x[int(i[1:])])


SELECTIVITY = {
    "50%": {"bucket": {"$lt": 500}},
    "10%": {"bucket": {"$gte": 900}},
    "0.5%": {"$and": [{"bucket": {"$gte": 100}}, {"bucket": {"$lt": 105}}]},
}


def _matches(where: dict, bucket: np.ndarray) -> np.ndarray:
    if "$and" in where:
        lo, hi = where["$and"][0]["bucket"]["$gte"], where["$and"][1]["bucket"]["$lt"]
        return (bucket >= lo) & (bucket < hi)
    ((op, v),) = where["bucket"].items()
    return bucket < v if op == "$lt" else bucket >= v


@pytest.mark.parametrize("selectivity", list(SELECTIVITY))
@pytest.mark.parametrize("space", ["l2", "ip", "cosine"])
def test_recall_filtered(big, space, selectivity):
    coll, data = big(space)
    where = SELECTIVITY[selectivity]
    rows = np.flatnonzero(_matches(where, data.bucket))
    res = coll.query(query_embeddings=data.queries, n_results=K, where=where, include=["distances", "metadatas"])
    # every result passes the filter, and there are as many as asked for
    for ids, metas in zip(res["ids"], res["metadatas"]):
        assert len(ids) == min(K, len(rows))
        assert np.all(_matches(where, np.array([m["bucket"] for m in metas])))
    expected = truth(space, data.queries, data.x, rows)
    got_recall = recall(res["ids"], expected)
    assert got_recall >= 0.99, f"{space} {selectivity}: recall {got_recall}"
    check_distances(space, res, data.queries, lambda i: data.x[int(i[1:])])


def test_filtered_with_ids_and_document_free(big):
    coll, data = big("l2")
    # ids restriction: 300 random ids, the answer must come from them only
    rng = np.random.default_rng(5)
    rows = np.sort(rng.choice(N, 300, replace=False))
    res = coll.query(query_embeddings=data.queries[:20], n_results=K, ids=[f"r{i}" for i in rows], include=[])
    expected = truth("l2", data.queries[:20], data.x, rows)
    assert [list(r) for r in res["ids"]] == [[f"r{i}" for i in e] for e in expected]


# -- reads during writes ---------------------------------------------------------------------------------------
class Mirror:
    """A collection and a plain numpy copy of what it should contain."""

    def __init__(self, client, space: str, n: int, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.space = space
        self.centres = centres(self.rng)
        self.x = self.points(n)
        self.live = np.ones(n, dtype=bool)
        self.coll = client.create_collection(f"mirror-{space}-{seed}", metadata={"hnsw:space": space}, embedding_function=None)
        for start in range(0, n, BATCH):
            end = min(n, start + BATCH)
            self.coll.add(ids=[f"r{i}" for i in range(start, end)], embeddings=self.x[start:end])

    def points(self, n: int) -> np.ndarray:
        """n new points from the collection's distribution."""
        return clustered(self.rng, n, self.centres)

    def add(self, vectors: np.ndarray) -> list[int]:
        first = len(self.x)
        rows = list(range(first, first + len(vectors)))
        self.coll.add(ids=[f"r{i}" for i in rows], embeddings=vectors)
        self.x = np.concatenate([self.x, vectors])
        self.live = np.concatenate([self.live, np.ones(len(vectors), dtype=bool)])
        return rows

    def update(self, rows: list[int], vectors: np.ndarray) -> None:
        self.coll.update(ids=[f"r{i}" for i in rows], embeddings=vectors)
        self.x[rows] = vectors

    def delete(self, rows: list[int]) -> None:
        self.coll.delete(ids=[f"r{i}" for i in rows])
        self.live[rows] = False

    def check(self, queries: np.ndarray, k: int = K, min_recall: float = 0.99) -> dict:
        res = self.coll.query(query_embeddings=queries, n_results=k, include=["distances"])
        dead = {f"r{i}" for i in np.flatnonzero(~self.live)}
        for ids in res["ids"]:
            assert not dead & set(ids), "a deleted record was returned"
            assert len(ids) == min(k, int(self.live.sum()))
        expected = truth(self.space, queries, self.x, np.flatnonzero(self.live), k)
        assert recall(res["ids"], expected) >= min_recall
        check_distances(self.space, res, queries, lambda i: self.x[int(i[1:])])
        return res


@pytest.fixture(scope="module")
def mirror(big_client):
    m = Mirror(big_client, "l2", search.EXACT_SEARCH_MAX + 5_000, seed=11)
    wait_indexed(big_client)
    return m


def test_added_records_found_immediately(mirror):
    for _ in range(4):
        fresh = mirror.points(500)
        rows = mirror.add(fresh)
        # no waiting for the indexer: a query at each new vector finds it first
        res = mirror.coll.query(query_embeddings=fresh[:100], n_results=1, include=["distances"])
        assert [r[0] for r in res["ids"]] == [f"r{i}" for i in rows[:100]]
        np.testing.assert_allclose([d[0] for d in res["distances"]], 0.0, atol=1e-3)
        mirror.check(fresh[100:150] + 0.1)


def test_updated_vectors_visible_immediately(mirror):
    rows = np.flatnonzero(mirror.live)[:300].tolist()
    old = mirror.x[rows].copy()
    # move the records far away, out of the region where the data lie
    new = mirror.points(len(rows)) * 2.0
    mirror.update(rows, new)

    def each_found_at_its_new_vector():
        res = mirror.coll.query(query_embeddings=new, n_results=1, include=["distances"])
        missing = [f"r{i}" for i, r in zip(rows, res["ids"]) if r[0] != f"r{i}"]
        assert not missing, f"{len(missing)} of {len(rows)} updated records not found at their new vector: {missing[:10]}"
        np.testing.assert_allclose([d[0] for d in res["distances"]], 0.0, atol=1e-3)

    each_found_at_its_new_vector()  # before the indexer has seen the updates
    mirror.check(old[:100])  # at the old positions, only the new vectors count (distances checked)
    wait_indexed(mirror.coll._client)
    each_found_at_its_new_vector()  # and once the index holds them
    mirror.check(old[:100])


def test_deleted_never_returned(mirror):
    rows = np.flatnonzero(mirror.live)[1_000:3_000].tolist()
    queries = mirror.x[rows[:150]].copy()
    mirror.delete(rows)
    mirror.check(queries, k=50)
    wait_indexed(mirror.coll._client)
    mirror.check(queries, k=50)
    # nor through an ids restriction: upstream refuses to query a deleted id
    keep = f"r{np.flatnonzero(mirror.live)[-1]}"
    with pytest.raises(chromadb.errors.InvalidArgumentError, match="Error finding id"):
        mirror.coll.query(query_embeddings=queries[:10], n_results=5, ids=[f"r{rows[0]}", keep])
    assert mirror.coll.query(query_embeddings=queries[:10], n_results=5, ids=[keep])["ids"] == [[keep]] * 10
    assert mirror.coll.get(ids=[f"r{i}" for i in rows[:50]])["ids"] == []


def test_interleaved_writes_and_queries(mirror):
    for _ in range(6):
        fresh = mirror.points(400)
        mirror.add(fresh)
        live = np.flatnonzero(mirror.live)
        victims = mirror.rng.choice(live, 200, replace=False).tolist()
        mirror.delete(victims)
        movers = mirror.rng.choice(np.flatnonzero(mirror.live), 100, replace=False).tolist()
        mirror.update(movers, mirror.points(100))
        queries = np.concatenate([fresh[:20], mirror.x[movers[:20]], mirror.x[victims[:20]]])
        mirror.check(queries)


# -- a smaller case through both backends ---------------------------------------------------------------------
@pytest.mark.parametrize("space", ["l2", "cosine"])
def test_exact_results_both_backends(client, space):
    rng = np.random.default_rng(21)
    n, dim = 3_000, 16
    x = clustered(rng, n, centres(rng, dim=dim))
    tags = rng.integers(0, 20, n)
    coll = client.create_collection(f"small-{space}", metadata={"hnsw:space": space}, embedding_function=None)
    coll.add(ids=[f"r{i}" for i in range(n)], embeddings=x, metadatas=[{"tag": int(t)} for t in tags])
    queries = x[rng.integers(0, n, 30)] + 0.1 * rng.standard_normal((30, dim)).astype(np.float32)

    res = coll.query(query_embeddings=queries, n_results=K, include=["distances"])
    assert [list(r) for r in res["ids"]] == [[f"r{i}" for i in e] for e in truth(space, queries, x, np.arange(n))]
    check_distances(space, res, queries, lambda i: x[int(i[1:])])

    res = coll.query(query_embeddings=queries, n_results=K, where={"tag": 3}, include=[])
    rows = np.flatnonzero(tags == 3)
    assert [list(r) for r in res["ids"]] == [[f"r{i}" for i in e] for e in truth(space, queries, x, rows)]

    # writes are visible to the next query
    coll.delete(ids=[f"r{i}" for i in range(0, n, 2)])
    coll.update(ids=["r1"], embeddings=[queries[0]])
    live = np.arange(1, n, 2)
    x[1] = queries[0]
    res = coll.query(query_embeddings=queries, n_results=K, include=[])
    assert [list(r) for r in res["ids"]] == [[f"r{i}" for i in e] for e in truth(space, queries, x, live)]
    assert res["ids"][0][0] == "r1"


def test_n_results_larger_than_collection(big):
    # spec 8.3: never an error for n_results > count, also when the HNSW index answers
    coll, data = big("cosine")
    q = data.queries[:2]
    res = coll.query(query_embeddings=q, n_results=N + 100, include=["distances"])
    for qi in range(2):
        assert len(res["ids"][qi]) == N
        assert len(set(res["ids"][qi])) == N
        d = np.asarray(res["distances"][qi])
        assert np.all(np.diff(d) >= -1e-5)
        exact = distances("cosine", q[qi : qi + 1], data.x)[0]
        np.testing.assert_allclose(np.sort(d), np.sort(exact), rtol=1e-3, atol=1e-4)


def test_large_k_recall(big):
    # recall@10 is the bar (>= 0.99); for k = 500 the graph search (ef = k) is a bit coarser
    # (about 0.98 here), so this only guards against gross losses
    coll, data = big("l2")
    k = 500
    res = coll.query(query_embeddings=data.queries[:20], n_results=k, include=[])
    assert all(len(r) == k for r in res["ids"])
    expected = truth("l2", data.queries[:20], data.x, np.arange(N), k)
    assert recall(res["ids"], expected) >= 0.95


def test_repeated_filter_sees_every_write(client):
    """The engine remembers the allowed set (and its vectors) of recent filters: any write
    that changes metadata, documents, vectors or membership must be seen by the next query."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2000, 8)).astype(np.float32)
    col = client.create_collection("filter_cache", embedding_function=None)
    col.add(
        ids=[f"r{i}" for i in range(2000)],
        embeddings=x,
        metadatas=[{"group": i % 10} for i in range(2000)],
        documents=[f"doc {i % 7}" for i in range(2000)],
    )
    where, doc = {"group": 3}, {"$contains": "doc 2"}

    def top(q, **kw):
        return col.query(query_embeddings=q[None, :], n_results=1, **kw)["ids"][0]

    q = np.full(8, 4.0, dtype=np.float32)
    assert top(q, where=where) != ["r0"] and top(q, where_document=doc) != ["r0"]  # r0 is group 0, doc 0
    col.update(ids=["r0"], embeddings=q[None, :], metadatas=[{"group": 3}], documents=["doc 2"])
    assert top(q, where=where) == ["r0"] and top(q, where_document=doc) == ["r0"]
    col.update(ids=["r0"], metadatas=[{"group": 4}])
    assert top(q, where=where) != ["r0"] and top(q, where={"group": 4}) == ["r0"]
    col.delete(ids=["r0"])
    assert top(q, where={"group": 4}) != ["r0"]
    col.add(ids=["new"], embeddings=q[None, :], metadatas=[{"group": 4}])
    assert top(q, where={"group": 4}) == ["new"]
    col.upsert(ids=["new"], embeddings=-q[None, :])
    assert top(q, where={"group": 4}) != ["new"] and top(-q, where={"group": 4}) == ["new"]


def test_scan_blocks_are_views_of_a_contiguous_run_and_copies_otherwise(tmp_path):
    """Scans of the not-yet-indexed tail read the matrix in place (a copy of 50k rows costs
    more than the scan); every other caller of gather gets a copy it may keep or change."""
    client = chromadb.PersistentClient(path=str(tmp_path / "db"))
    x = np.random.default_rng(3).standard_normal((300, 4)).astype(np.float32)
    col = client.create_collection("blocks", embedding_function=None)
    col.add(ids=[f"r{i}" for i in range(300)], embeddings=x)
    view = client._backend.engine.runtimes[str(col.id)].view
    for slots in (np.arange(100, 200), np.array([3, 5, 6, 250]), np.arange(0, 300)):
        block, norms = view.block(slots)
        np.testing.assert_array_equal(block, x[slots])
        np.testing.assert_allclose(norms, (x[slots] ** 2).sum(axis=1), rtol=1e-5)
        gathered = view.gather(slots)[0]
        assert not np.shares_memory(gathered, view.vectors)
        contiguous = slots[-1] - slots[0] == len(slots) - 1
        assert np.shares_memory(block, view.vectors) == contiguous
    got = col.get(ids=["r7"], include=["embeddings"])["embeddings"]
    got[0, 0] = 1e9  # the caller's copy: the collection is unchanged
    assert col.get(ids=["r7"], include=["embeddings"])["embeddings"][0, 0] == x[7, 0]
    client.close()


def _graph_collection(tmp_path, name: str, x: np.ndarray):
    """A persistent collection of x (big enough for an HNSW index), fully indexed."""
    c = chromadb.PersistentClient(path=str(tmp_path / "db"))
    coll = c.create_collection(name, embedding_function=None)
    coll.add(ids=[f"r{i}" for i in range(len(x))], embeddings=x)
    wait_indexed(c)
    return c, coll, c._backend.engine.runtimes[str(coll.id)].view


def test_modified_ef_search_applies_to_the_next_query(tmp_path):
    x = np.random.default_rng(5).standard_normal((6_000, 8)).astype(np.float32)
    c, coll, view = _graph_collection(tmp_path, "ef-search", x)
    coll.query(query_embeddings=x[:1], n_results=5)
    assert view.index.graphs[0].hnsw.ef == 100
    coll.modify(configuration={"hnsw": {"ef_search": 37}})
    res = coll.query(query_embeddings=x[:1], n_results=5)
    assert view.index.graphs[0].hnsw.ef == 37 and res["ids"][0][0] == "r0"
    c.close()


def test_graph_hits_at_equal_distance_come_in_insertion_order(tmp_path):
    x = np.random.default_rng(6).standard_normal((6_000, 8)).astype(np.float32)
    twins = [17, 3_000, 5_999]  # the same vector three times, far apart in insertion order
    x[twins] = x[17]
    c, coll, view = _graph_collection(tmp_path, "ties", x)
    assert view.pending_slots().size == 0  # answered by the graph
    res = coll.query(query_embeddings=x[17:18], n_results=3, include=["distances"])
    assert res["ids"][0] == ["r17", "r3000", "r5999"]
    assert res["distances"][0] == [0.0, 0.0, 0.0]
    c.close()


def test_graph_lock_shares_searches_and_lets_waiting_writers_first():
    import threading

    from chromadb.engine.vector_index import GraphLock

    lock = GraphLock()
    assert lock.acquire_shared() and lock.acquire_shared(blocking=False)  # two readers at once
    assert not lock.acquire_exclusive(blocking=False)
    got = threading.Event()

    def writer():
        lock.acquire_exclusive()
        got.set()
        lock.release_exclusive()

    t = threading.Thread(target=writer)
    t.start()
    assert not got.wait(0.2)  # waits for both readers
    assert not lock.acquire_shared(blocking=False)  # a waiting writer goes first
    lock.release_shared()
    lock.release_shared()
    assert got.wait(10)
    t.join()
    lock.acquire_exclusive()
    lock.downgrade()
    assert lock.acquire_shared(blocking=False) and not lock.acquire_exclusive(blocking=False)


def test_searches_go_on_while_the_graph_is_saved(tmp_path):
    import threading

    from chromadb.engine.vector_index import VectorIndex

    x = np.random.default_rng(10).standard_normal((2_000, 8)).astype(np.float32)
    index = VectorIndex("l2", 8, {}, capacity=2_000)
    index.add(x, np.arange(2_000, dtype=np.int64))
    saving, release = threading.Event(), threading.Event()

    class SlowSave:  # hnswlib's index, with a save that waits for the test
        def __init__(self, inner):
            self.inner = inner

        def __getattr__(self, name):
            return getattr(self.inner, name)

        def save_index(self, path):
            saving.set()
            assert release.wait(30)
            self.inner.save_index(path)

    index.graphs[0].hnsw = SlowSave(index.graphs[0].hnsw)
    saver = threading.Thread(target=index.save, args=(str(tmp_path), 1))
    saver.start()
    assert saving.wait(10)
    found = index.knn(x[:3], 1, wait=False)  # not refused: a save only reads the graph
    release.set()
    saver.join()
    assert found is not None and found[0][:, 0].tolist() == [0, 1, 2]
    assert VectorIndex.load(str(tmp_path), "l2", 8, {}) is not None
