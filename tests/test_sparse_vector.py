"""chromadb.base_types.SparseVector: validation and the tagged wire form."""

from __future__ import annotations

import json
import typing

import numpy as np
import pytest

import chromadb.api.types
from chromadb.base_types import SPARSE_VECTOR_TYPE_VALUE, TYPE_KEY, SparseVector


def test_round_trip_through_the_wire_form() -> None:
    vec = SparseVector(indices=[2, 10, 4000], values=[0.5, 1.0, 2.25], labels=["a", "b", "c"])
    wire = vec.to_dict()
    assert wire[TYPE_KEY] == SPARSE_VECTOR_TYPE_VALUE and wire["tokens"] == ["a", "b", "c"]
    assert SparseVector.from_dict(json.loads(json.dumps(wire))) == vec
    assert "tokens" not in SparseVector(indices=[1], values=[1.0]).to_dict()


def test_numpy_inputs_become_plain_lists() -> None:
    vec = SparseVector(indices=np.array([1, 7], dtype=np.int64), values=np.array([0.5, 1.5], dtype=np.float32))
    assert vec.indices == [1, 7] and all(type(i) is int for i in vec.indices)
    assert vec.values == [0.5, 1.5] and all(type(v) is float for v in vec.values)
    json.dumps(vec.to_dict())


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"indices": [5, 2], "values": [1.0, 1.0]}, "strictly ascending"),
        ({"indices": [2, 2], "values": [1.0, 1.0]}, "strictly ascending"),
        ({"indices": [0, -3], "values": [1.0, 1.0]}, "non-negative"),
        ({"indices": [1, 2, 3], "values": [1.0]}, "same length"),
        ({"indices": [True], "values": [1.0]}, "integers"),
        ({"indices": ["1"], "values": [1.0]}, "integers"),
        ({"indices": [1], "values": [None]}, "numbers"),
        ({"indices": [1], "values": [False]}, "numbers"),
        ({"indices": [1], "values": [1.0], "labels": [3]}, "strings"),
        ({"indices": [1], "values": [1.0], "labels": "a"}, "labels to be a list"),
        ({"indices": {1: 2}, "values": [1.0]}, "indices to be a list"),
    ],
)
def test_invalid_vectors_are_refused(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        SparseVector(**kwargs)


def test_from_dict_needs_the_tag_and_both_lists() -> None:
    with pytest.raises(ValueError, match="#type"):
        SparseVector.from_dict({"#type": "dense", "indices": [1], "values": [1.0]})
    with pytest.raises(ValueError, match="missing 'values'"):
        SparseVector.from_dict({"#type": "sparse_vector", "indices": [1]})
    with pytest.raises(ValueError, match="dict"):
        SparseVector.from_dict([1, 2])  # type: ignore[arg-type]


def test_exported_where_upstream_exports_it() -> None:
    assert chromadb.api.types.SparseVector is SparseVector
    aliased = chromadb.api.types.SparseVectors
    assert typing.get_origin(aliased) is list and typing.get_args(aliased) == (SparseVector,)
