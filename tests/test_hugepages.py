"""Huge pages for hnswlib's memory: which mappings a call allocated, and that moving a
loaded graph into huge pages leaves every search answer as it was."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from chromadb.engine import hugepages
from chromadb.engine.vector_index import VectorIndex

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/maps")


def test_new_ranges_are_the_parts_not_mapped_before():
    before = [(0, 10), (20, 30), (40, 50)]
    after = [(0, 12), (18, 30), (35, 55), (60, 70)]
    assert hugepages.new_ranges(before, after) == [(10, 12), (18, 20), (35, 40), (50, 55), (60, 70)]
    assert hugepages.new_ranges([], after) == after
    assert hugepages.new_ranges(after, after) == []
    # one mapping after the call spanning several that were there before
    assert hugepages.new_ranges([(5, 6), (8, 9)], [(0, 10)]) == [(0, 5), (6, 8), (9, 10)]


def test_ranges_are_trimmed_to_whole_huge_pages_and_small_ones_dropped():
    mb = 1 << 20
    assert hugepages._aligned([(1 * mb, 13 * mb)]) == [(2 * mb, 12 * mb)]
    assert hugepages._aligned([(0, 6 * mb)]) == []  # below MIN_BYTES


# Run in a fresh interpreter: after thousands of tests, this process's allocator may hand
# the block out of memory it mapped earlier, which is then not new to /proc/self/maps.
ADVISED_BLOCK = """
import numpy as np
from chromadb.engine import hugepages
with hugepages.Advised() as advised:
    block = np.ones(64 << 20, dtype=np.uint8)
address = block.ctypes.data
# the block's interior (its ends may share a huge page with a neighbour) is reported
inside = [lo <= address + (32 << 20) < hi for lo, hi in advised.ranges]
assert any(inside), (hex(address), [(hex(lo), hex(hi)) for lo, hi in advised.ranges])
for lo, hi in advised.ranges:
    assert lo % hugepages.HUGE_PAGE == 0 and hi % hugepages.HUGE_PAGE == 0
print("ok")
"""


@linux_only
def test_advised_finds_the_allocation_made_inside_it():
    out = subprocess.run([sys.executable, "-c", ADVISED_BLOCK], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


def test_advised_does_nothing_when_turned_off():
    with hugepages.Advised(enabled=False) as advised:
        block = np.ones(16 << 20, dtype=np.uint8)
    assert advised.ranges == []
    del block


@linux_only
def test_a_loaded_index_answers_the_same_once_settled(tmp_path):
    rng = np.random.default_rng(3)
    # room for 30k elements: ~50 MB, so malloc maps it afresh (smaller blocks may reuse the
    # heap's free memory, which is not new to /proc/self/maps)
    n, dim, capacity = 2_000, 384, 30_000
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    built = VectorIndex("l2", dim, {}, capacity=capacity)
    built.add(vectors, np.arange(n, dtype=np.int64))
    built.save(str(tmp_path), seq=1)

    loaded = VectorIndex.load(str(tmp_path), "l2", dim, {})
    assert loaded is not None
    index = loaded[0]
    queries = rng.standard_normal((50, dim)).astype(np.float32)
    before = index.knn(queries, 10)
    index.settle_pages()
    assert index.unsettled == []
    after = index.knn(queries, 10)
    np.testing.assert_array_equal(before[0], after[0])
    np.testing.assert_array_equal(before[1], after[1])
    np.testing.assert_array_equal(before[0], built.knn(queries, 10)[0])


def test_chroma_huge_pages_0_turns_it_off_for_engines():
    code = "import chromadb; c = chromadb.EphemeralClient(); print(c._backend.engine.options.huge_pages)"
    env = dict(os.environ, CHROMA_HUGE_PAGES="0")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_collapse_hands_back_what_is_left_when_told_to_stop():
    mb = 1 << 20
    ranges = [(0, 64 * mb), (128 * mb, 160 * mb)]
    assert hugepages.collapse(ranges, stop=lambda: True) == ranges
    # a refused step (no such memory at these addresses) skips its range, nothing is left
    assert hugepages.collapse(ranges) == []


@linux_only
def test_a_graph_grown_by_a_resize_answers_the_same_once_settled():
    dim = 384
    # a coarse graph (cheap to build): only the memory matters here
    index = VectorIndex("l2", dim, {"ef_construction": 10, "max_neighbors": 4}, capacity=1_024)
    rng = np.random.default_rng(4)
    index.add(rng.standard_normal((1_000, dim)).astype(np.float32), np.arange(1_000, dtype=np.int64))
    # 1k -> 25k elements: ~40 MB, which the resize copies into a fresh mapping
    index.add(rng.standard_normal((24_000, dim)).astype(np.float32), np.arange(1_000, 25_000, dtype=np.int64))
    queries = rng.standard_normal((20, dim)).astype(np.float32)
    before = index.knn(queries, 5)
    index.settle_pages()
    assert index.unsettled == []
    np.testing.assert_array_equal(before[0], index.knn(queries, 5)[0])


def test_one_resize_makes_room_for_the_whole_backlog():
    # every resize copies the graph: the indexer says how big the backlog makes it
    index = VectorIndex("l2", 8, {}, capacity=1_024)
    x = np.random.default_rng(9).standard_normal((2_000, 8)).astype(np.float32)
    index.add(x[:1_000], np.arange(1_000, dtype=np.int64))
    index.add(x[1_000:1_600], np.arange(1_000, 1_600, dtype=np.int64), expected=50_000)
    assert index.graphs[0].hnsw.get_max_elements() >= 50_000
    # without a hint it still grows by at least the configured factor
    small = VectorIndex("l2", 8, {"resize_factor": 3.0}, capacity=1_024)
    small.add(x[:1_500], np.arange(1_500, dtype=np.int64))
    assert small.graphs[0].hnsw.get_max_elements() >= 3 * 1_024


FRESH_GRAPHS = """
import sys, numpy as np
from chromadb.engine.vector_index import VectorIndex
rng = np.random.default_rng(4)
huge_pages = sys.argv[2] == "on"
grown = VectorIndex("l2", 384, {"ef_construction": 10, "max_neighbors": 4}, capacity=1_024, huge_pages=huge_pages)
grown.add(rng.standard_normal((1_000, 384)).astype(np.float32), np.arange(1_000))
grown.add(rng.standard_normal((24_000, 384)).astype(np.float32), np.arange(1_000, 25_000))
grown.save(sys.argv[1], seq=1)
loaded = VectorIndex.load(sys.argv[1], "l2", 384, {}, huge_pages=huge_pages)[0]
print(bool(grown.unsettled), bool(loaded.unsettled))
"""


@linux_only
@pytest.mark.parametrize("switch", ["on", "off"])
def test_graphs_grown_or_read_from_disk_are_reported_for_settling(tmp_path, switch):
    # In a fresh process, as in a fresh server or script: a ~40 MB allocation is a new
    # mapping. (In a long-lived process malloc may carve it out of heap memory it already
    # has; /proc/self/maps then shows nothing new and the graph keeps small pages.)
    # Turned off (EngineOptions.huge_pages), nothing is advised, so nothing waits to settle.
    out = subprocess.run([sys.executable, "-c", FRESH_GRAPHS, str(tmp_path), switch], capture_output=True,
                         text=True, check=True, timeout=300)
    assert out.stdout.split() == (["True", "True"] if switch == "on" else ["False", "False"])
