"""The engine's writes go through the store port: the store decides, the view follows."""
from __future__ import annotations

import numpy as np
import pytest

from chromadb.engine.engine import Engine
from chromadb.errors import InvalidArgumentError
from chromadb.model.records import RecordBatch
from chromadb.model.requests import SERVER, DeleteRequest, GetRequest

DIM = 4


def _vectors(n: int, start: float = 0.0) -> np.ndarray:
    return (np.arange(n * DIM, dtype=np.float32).reshape(n, DIM) + start) / 10


def test_a_filtered_delete_selects_again_when_another_writer_came_in_between(tmp_path):
    path = str(tmp_path / "db")
    engine, other = Engine(path), Engine(path)
    try:
        coll = engine.create_collection("c", None, None, False, "default_tenant", "default_database")
        cid = coll["id"]
        engine.add(cid, RecordBatch.build("add", ["a", "b", "keep"], _vectors(3), [{"k": 1}, {"k": 1}, {"k": 2}]))
        original = engine.store.write
        calls = []

        def write_after_another_writer(cid_, change, *, expect_seq=None):
            calls.append(expect_seq)
            if len(calls) == 1:  # another process adds a matching record after the selection
                other.add(cid, RecordBatch.build("add", ["late"], _vectors(1, 5.0), [{"k": 1}]))
            return original(cid_, change, expect_seq=expect_seq)

        engine.store.write = write_after_another_writer
        deleted = engine.delete(cid, DeleteRequest.build(SERVER, where={"k": 1}))
        engine.store.write = original
        assert deleted == 3 and len(calls) == 2 and calls[1] == calls[0] + 1
        assert engine.count(cid) == 1 and other.count(cid) == 1
        got = engine.get(cid, _get_all())
        assert got.ids == ["keep"]
    finally:
        other.close()
        engine.close()


def test_a_view_behind_another_writer_catches_up_after_its_own_write(tmp_path):
    path = str(tmp_path / "db")
    engine, other = Engine(path), Engine(path)
    try:
        cid = engine.create_collection("c", None, None, False, "default_tenant", "default_database")["id"]
        engine.add(cid, RecordBatch.build("add", ["a"], _vectors(1), [{"v": 1}], ["A"]))
        assert engine.count(cid) == 1  # the view is at seq 1
        other.upsert(cid, RecordBatch.build("upsert", ["a", "b"], _vectors(2, 1.0), [{"w": 2}, None]))  # seq 2, elsewhere
        engine.update(cid, RecordBatch.build("update", ["a", "b"], None, [{"x": 3}, {"x": 4}]))  # seq 3, merged in the store
        got = engine.get(cid, _get_all())
        assert got.ids == ["a", "b"]
        assert got.metadatas == [{"v": 1, "w": 2, "x": 3}, {"x": 4}]
        assert got.documents == ["A", None]
        np.testing.assert_array_equal(got.embeddings, _vectors(2, 1.0))
    finally:
        other.close()
        engine.close()


def _get_all() -> GetRequest:
    return GetRequest.build(SERVER, include=["metadatas", "documents", "embeddings"])


def test_a_write_takes_a_batch_of_its_own_kind():
    engine = Engine(None)
    try:
        cid = engine.create_collection("c", None, None, False, "default_tenant", "default_database")["id"]
        upsert = RecordBatch.build("upsert", ["a"], _vectors(1))
        with pytest.raises(InvalidArgumentError, match="Expected a batch for add, got one for upsert"):
            engine.add(cid, upsert)
        assert engine.count(cid) == 0
        engine.upsert(cid, upsert)
        assert engine.count(cid) == 1
    finally:
        engine.close()
