"""A collection held in several HNSW graphs of bounded size (vector_index.GRAPH_SIZE):
inserts fill the last graph and open a new one, searches merge every graph's nearest,
labels are updated and marked deleted in the graph that holds them, and a save rewrites
only the graphs that changed. Sizes are scaled down so the suite can afford several graphs."""
from __future__ import annotations

import json
import os
import threading

import numpy as np
import pytest

import chromadb
from chromadb.engine import fork as fork_module
from chromadb.engine import maintenance, vector_index
from chromadb.engine.graph_file import MappedGraph
from chromadb.engine.spread import CORES, spread
from chromadb.engine.vector_index import META_FILE, VectorIndex
from chromadb.transfer.backup import backup

DIM = 8
EXACT = {"ef_search": 200}  # a beam wide enough that graphs this small answer exactly


def _vectors(n: int, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)


def _nearest(x: np.ndarray, labels: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    d = ((queries[:, None, :] - x[None, :, :]) ** 2).sum(-1)
    return labels[np.argsort(d, axis=1, kind="stable")[:, :k]]


def _index(n: int, graph_size: int = 300, params: dict | None = None) -> tuple[VectorIndex, np.ndarray]:
    x = _vectors(n)
    index = VectorIndex("l2", DIM, params or dict(EXACT), capacity=n, huge_pages=False, graph_size=graph_size)
    index.add(x[: n // 2], np.arange(n // 2, dtype=np.int64))  # two batches: one straddles a graph boundary
    index.add(x[n // 2 :], np.arange(n // 2, n, dtype=np.int64))
    return index, x


def test_inserts_fill_graphs_of_bounded_size():
    index, _ = _index(1_000)
    assert [graph.count for graph in index.graphs] == [300, 300, 300, 100]
    assert [graph.full for graph in index.graphs] == [True, True, True, False]
    assert index.element_count == index.live_count == 1_000
    assert sorted(index.labels().tolist()) == list(range(1_000))  # each label in one graph only


@pytest.mark.parametrize("queries", [1, 7])  # one query: graphs side by side; several: one graph at a time
def test_a_search_merges_the_nearest_of_every_graph(queries):
    index, x = _index(1_000)
    q = _vectors(queries, seed=2)
    labels, distances = index.knn(q, k=10)
    np.testing.assert_array_equal(labels.astype(np.int64), _nearest(x, np.arange(1_000), q, 10))
    assert (np.diff(distances, axis=1) >= 0).all()


def test_a_label_a_full_graph_holds_is_updated_there():
    index, _ = _index(1_000)
    moved = _vectors(1, seed=9)[0] * 10
    index.add(moved[None, :], np.array([5], dtype=np.int64))  # label 5 lives in the first graph
    assert [graph.count for graph in index.graphs] == [300, 300, 300, 100]
    labels, distances = index.knn(moved[None, :], k=1)
    assert labels[0, 0] == 5 and distances[0, 0] == pytest.approx(0, abs=1e-4)


def test_deletion_marks_reach_the_graph_that_holds_the_label():
    index, x = _index(1_000)
    gone = [3, 350, 650, 950, 5_000]  # one in each graph, and one the index never held
    index.mark_deleted(gone)
    assert index.deleted == {3, 350, 650, 950}
    assert [graph.n_deleted for graph in index.graphs] == [1, 1, 1, 1]
    assert index.live_count == 996
    labels, _ = index.knn(x[gone[:4]], k=5)
    assert not set(labels.ravel().tolist()) & set(gone)
    # every live element can be asked for: each graph gives what it has left
    everything, _ = index.knn(x[:1], k=996)
    assert sorted(everything[0].tolist()) == sorted(set(range(1_000)) - set(gone))
    # re-adding a deleted label revives it in its graph
    index.add(x[[350]], np.array([350], dtype=np.int64))
    assert 350 not in index.deleted and index.graphs[1].n_deleted == 0
    assert index.knn(x[[350]], k=1)[0][0, 0] == 350


def test_a_save_rewrites_only_the_graphs_that_changed(tmp_path):
    index, _ = _index(1_000)
    folder = str(tmp_path)
    index.save(folder, seq=10)
    meta = json.loads((tmp_path / META_FILE).read_text())
    assert meta["files"] == [f"hnsw.10.{i}.bin" for i in range(4)]
    index.add(_vectors(50, seed=3), np.arange(1_000, 1_050, dtype=np.int64))  # into the last graph only
    index.mark_deleted([7])  # and one mark in the first
    index.save(folder, seq=20)
    meta = json.loads((tmp_path / META_FILE).read_text())
    assert meta["files"] == ["hnsw.20.0.bin", "hnsw.10.1.bin", "hnsw.10.2.bin", "hnsw.20.3.bin"]
    assert meta["deleted"] == [7]
    assert sorted(name for name in os.listdir(folder) if name.startswith("hnsw.")) == sorted(meta["files"])

    loaded, _ = VectorIndex.load(folder, "l2", DIM, dict(EXACT), huge_pages=False, graph_size=300)
    assert [graph.count for graph in loaded.graphs] == [300, 300, 300, 150]
    assert [graph.full for graph in loaded.graphs] == [True, True, True, False]
    assert loaded.deleted == {7} and loaded.graphs[0].n_deleted == 1 and loaded.live_count == 1_049
    q = _vectors(5, seed=4)
    np.testing.assert_array_equal(loaded.knn(q, k=10)[0], index.knn(q, k=10)[0])
    # a file replaced behind the index's back (another process saving) is written again
    os.replace(os.path.join(folder, "hnsw.10.1.bin"), os.path.join(folder, "moved.bin"))
    loaded.mark_deleted([8])
    loaded.save(folder, seq=30)
    assert json.loads((tmp_path / META_FILE).read_text())["files"][1] == "hnsw.30.1.bin"


def test_an_index_saved_as_one_graph_file_still_loads(tmp_path):
    """index.json from before graphs were split names one file under "file"."""
    index, x = _index(500, graph_size=vector_index.GRAPH_SIZE)
    index.save(str(tmp_path), seq=3)
    os.replace(tmp_path / "hnsw.3.0.bin", tmp_path / "hnsw.3.bin")
    meta = json.loads((tmp_path / META_FILE).read_text())
    meta["file"] = "hnsw.3.bin"
    del meta["files"]
    (tmp_path / META_FILE).write_text(json.dumps(meta))
    loaded, _ = VectorIndex.load(str(tmp_path), "l2", DIM, dict(EXACT), huge_pages=False)
    assert len(loaded.graphs) == 1 and loaded.element_count == 500
    assert loaded.knn(x[:3], k=1)[0][:, 0].tolist() == [0, 1, 2]


def test_a_fork_relabels_every_graph(tmp_path):
    index, x = _index(1_000)
    folder = str(tmp_path / "fork")
    assert fork_module.write_shifted_index(index, folder, 42, 10_000, lambda labels: [650])
    loaded, meta = VectorIndex.load(folder, "l2", DIM, dict(EXACT), huge_pages=False, graph_size=300)
    assert len(meta["files"]) == 4 and meta["deleted"] == [10_650]
    assert sorted(loaded.labels().tolist()) == list(range(10_000, 11_000))
    assert loaded.knn(x[[10, 400, 700]], k=1)[0][:, 0].tolist() == [10_010, 10_400, 10_700]
    assert index.deleted == {650}  # hidden in the source too
    assert not fork_module.write_shifted_index(index, str(tmp_path / "big"), 1, 1 << 40, lambda labels: [])
    assert [name for name in os.listdir(tmp_path / "big") if name.startswith("hnsw.")] == []


def test_spread_runs_tasks_beside_this_thread_and_keeps_their_order():
    names = spread([lambda i=i: (i, threading.current_thread().name) for i in range(5)])
    assert [i for i, _ in names] == list(range(5))
    if CORES > 1:
        assert {name for _, name in names} - {threading.current_thread().name}  # some ran elsewhere


def test_a_collection_of_several_graphs_end_to_end(tmp_path, monkeypatch):
    """Query, reopen, check and back up a collection the engine holds in several graphs."""
    monkeypatch.setattr(vector_index, "GRAPH_SIZE", 2_000)
    path = str(tmp_path / "db")
    x = _vectors(7_000, seed=5)
    ids = [f"r{i}" for i in range(len(x))]
    client = chromadb.PersistentClient(path=path)
    col = client.create_collection("many", embedding_function=None, configuration={"hnsw": {"ef_search": 200}})
    for start in range(0, len(x), 1_000):
        col.add(ids=ids[start : start + 1_000], embeddings=x[start : start + 1_000])
    assert col._wait_for_index()
    col.delete(ids=["r10", "r2500", "r6999"])
    q = _vectors(20, seed=6)
    live = np.array([i for i in range(len(x)) if i not in (10, 2_500, 6_999)])
    want = [[f"r{i}" for i in row] for row in _nearest(x[live], live, q, 5)]
    assert col.query(query_embeddings=q, n_results=5)["ids"] == want
    index = client._backend.engine.runtimes[str(col.id)].view.index
    assert [graph.count for graph in index.graphs] == [2_000, 2_000, 2_000, 1_000]
    client.close()

    report = maintenance.check(path)
    assert report["ok"] and report["collections"][0]["index_elements"] == 6_997
    copy = str(tmp_path / "copy")
    assert backup(path, copy).indexes_left_out == []
    for directory in (path, copy):
        client = chromadb.PersistentClient(path=directory)
        col = client.get_collection("many", embedding_function=None)
        assert col.query(query_embeddings=q, n_results=5)["ids"] == want
        view = client._backend.engine.runtimes[str(col.id)].view
        assert len(view.index.graphs) == 4 and len(view.pending_slots()) == 0  # loaded, not rebuilt
        client.close()


@pytest.mark.parametrize("space", ["l2", "ip", "cosine"])
def test_a_mapped_graph_file_answers_as_hnswlib_does(tmp_path, space):
    x = _vectors(2_000, seed=7)
    index = VectorIndex(space, DIM, {"ef_search": 500}, capacity=2_000, huge_pages=False)
    index.add(x, np.arange(100, 2_100, dtype=np.int64))
    index.save(str(tmp_path), seq=1)
    mapped = MappedGraph(str(tmp_path / "hnsw.1.0.bin"), space, DIM)
    assert mapped.count == 2_000 and np.array_equal(np.sort(mapped.labels()), np.arange(100, 2_100))
    q = _vectors(5, seed=8)
    want_labels, want_distances = index.knn(q, k=10)
    got_labels, got_distances = mapped.knn(q, 10, hidden=np.zeros(0, dtype=np.int64))
    np.testing.assert_array_equal(got_labels, want_labels)
    np.testing.assert_allclose(got_distances, want_distances, rtol=1e-4, atol=1e-4)
    hidden = np.sort(want_labels[:, 0].astype(np.int64))
    got_labels, _ = mapped.knn(q, 10, hidden=hidden)
    assert not set(got_labels.ravel().tolist()) & set(hidden.tolist())


@pytest.fixture
def mapped_when_opened(monkeypatch):
    """Indexes this small mapped when opened, as one of 64 MB or more is."""
    monkeypatch.setattr(vector_index, "MAP_MIN_BYTES", 0)


def test_a_small_saved_index_is_read_at_once_and_a_large_one_soon_without_a_query(tmp_path, monkeypatch):
    index, _ = _index(1_000)
    index.save(str(tmp_path), seq=5)
    small, _ = VectorIndex.load(str(tmp_path), "l2", DIM, dict(EXACT), huge_pages=False, background=True)
    assert small.loaded.is_set() and all(graph.mapped is None for graph in small.graphs)
    monkeypatch.setattr(vector_index, "MAP_MIN_BYTES", 0)
    monkeypatch.setattr(vector_index, "READ_BY_S", 0.2)
    large, _ = VectorIndex.load(str(tmp_path), "l2", DIM, dict(EXACT), huge_pages=False, background=True)
    assert not large.loaded.is_set() and all(graph.mapped is not None for graph in large.graphs)
    assert large.loaded.wait(30) and all(graph.mapped is None for graph in large.graphs)  # files not held open for long


def test_a_saved_index_answers_while_hnswlib_reads_its_files(tmp_path, monkeypatch, mapped_when_opened):
    index, x = _index(1_000)
    index.mark_deleted([3])
    index.save(str(tmp_path), seq=5)
    go = threading.Event()
    read = VectorIndex._read_graphs

    def held_read(self, sources):
        assert go.wait(30)
        read(self, sources)

    monkeypatch.setattr(VectorIndex, "_read_graphs", held_read)
    loaded, _ = VectorIndex.load(str(tmp_path), "l2", DIM, dict(EXACT), huge_pages=False, graph_size=300, background=True)
    assert not loaded.loaded.is_set() and all(graph.mapped is not None for graph in loaded.graphs)
    assert sorted(loaded.labels().tolist()) == list(range(1_000))
    assert [graph.count for graph in loaded.graphs] == [300, 300, 300, 100] and loaded.live_count == 999
    loaded.mark_deleted([400])  # waits for the graphs; searches leave it out meanwhile
    q = np.concatenate([x[[400, 3]], _vectors(3, seed=11)])
    live = np.array([i for i in range(1_000) if i not in (3, 400)])
    want = _nearest(x[live], live, q, 10)
    labels, _ = loaded.knn(q, k=10)  # an exact scan of the mapped files
    np.testing.assert_array_equal(labels.astype(np.int64), want)
    adder = threading.Thread(target=loaded.add, args=(x[:1] * 3, np.array([2_000], dtype=np.int64)))
    adder.start()
    adder.join(0.3)
    assert adder.is_alive()  # an insert waits for hnswlib
    go.set()
    adder.join(30)
    assert loaded.loaded.is_set() and all(graph.mapped is None for graph in loaded.graphs)
    assert loaded.deleted == {3, 400} and loaded.element_count == 1_001
    np.testing.assert_array_equal(loaded.knn(q, k=10)[0].astype(np.int64), want)


def test_a_graph_file_hnswlib_cannot_read_leaves_searches_exact(tmp_path, mapped_when_opened):
    index, x = _index(1_000)
    index.save(str(tmp_path), seq=5)
    with open(tmp_path / "hnsw.5.3.bin", "r+b") as f:  # the last graph loses its upper levels
        f.truncate(os.path.getsize(tmp_path / "hnsw.5.3.bin") - 16)
    loaded, _ = VectorIndex.load(str(tmp_path), "l2", DIM, dict(EXACT), huge_pages=False, graph_size=300, background=True)
    q = _vectors(3, seed=12)
    want = _nearest(x, np.arange(1_000), q, 5)
    np.testing.assert_array_equal(loaded.knn(q, k=5)[0].astype(np.int64), want)  # from the mappings
    assert loaded.loaded.wait(30) and loaded.load_failed  # hnswlib starts reading after that first answer
    np.testing.assert_array_equal(loaded.knn(q, k=5)[0].astype(np.int64), want)  # still from the mapping
    with pytest.raises(RuntimeError, match="could not be read"):
        loaded.add(x[:1], np.array([5_000], dtype=np.int64))


def test_an_index_whose_files_cannot_be_read_is_built_anew(tmp_path, mapped_when_opened):
    path = str(tmp_path / "db")
    x = _vectors(5_000, seed=13)
    client = chromadb.PersistentClient(path=path)
    col = client.create_collection("torn", embedding_function=None)
    col.add(ids=[f"r{i}" for i in range(len(x))], embeddings=x)
    assert col._wait_for_index()
    client.close()  # saves the index
    (graph_file,) = [p for p in (tmp_path / "db" / str(col.id)).iterdir() if p.name.startswith("hnsw.")]
    with open(graph_file, "r+b") as f:
        f.truncate(os.path.getsize(graph_file) - 16)

    client = chromadb.PersistentClient(path=path)
    col = client.get_collection("torn", embedding_function=None)
    q = _vectors(3, seed=14)
    want = [[f"r{i}" for i in row] for row in _nearest(x, np.arange(len(x)), q, 5)]
    assert col.query(query_embeddings=q, n_results=5)["ids"] == want
    view = client._backend.engine.runtimes[str(col.id)].view
    torn = view.index
    assert torn.loaded.wait(30) and torn.load_failed
    col.add(ids=["new"], embeddings=x[:1] + 0.5)  # the indexer's next step builds a new index
    assert col._wait_for_index()
    assert view.index is not torn and not view.index.load_failed and len(view.pending_slots()) == 0
    assert col.query(query_embeddings=q, n_results=5)["ids"] == want
    client.close()


def test_stored_vectors_come_from_the_saved_files_of_every_graph(tmp_path):
    index, x = _index(1_000)
    out = np.zeros((4, DIM), dtype=np.float32)
    assert not index.stored_vectors(np.array([5, 400, 999, 5_000]), out).any()  # never saved: no file
    index.save(str(tmp_path), seq=10)
    index.add(_vectors(10, seed=5), np.arange(1_000, 1_010, dtype=np.int64))  # after the save: in no file
    labels = np.array([999, 5, 1_003, 400, 650, 7_777])
    out = np.zeros((len(labels), DIM), dtype=np.float32)
    found = index.stored_vectors(labels, out)
    assert found.tolist() == [True, True, False, True, True, False]
    np.testing.assert_array_equal(out[found], x[labels[found]])
    assert not out[~found].any()
    # the same from a reopened index, each graph still mapped or read by hnswlib by now
    loaded, _ = VectorIndex.load(str(tmp_path), "l2", DIM, dict(EXACT), huge_pages=False, graph_size=300)
    out = np.zeros((len(labels), DIM), dtype=np.float32)
    assert loaded.stored_vectors(labels, out).tolist() == [True, True, False, True, True, False]
    np.testing.assert_array_equal(out[found], x[labels[found]])
