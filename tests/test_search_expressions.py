"""The Search API builders beyond the captured upstream cases: immutability, operators,
numpy inputs, and the checks we make earlier or more strictly than upstream's client."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

import chromadb
from chromadb.base_types import SparseVector
from chromadb.execution.expression import (
    And,
    Eq,
    GroupBy,
    K,
    Key,
    Knn,
    Limit,
    MaxK,
    MinK,
    Mul,
    Or,
    Rank,
    Rrf,
    Search,
    Select,
    Sum,
    Val,
    Where,
)


def test_top_level_names_are_the_expression_classes() -> None:
    assert chromadb.Search is Search and chromadb.K is Key and chromadb.Key is K
    assert chromadb.Knn is Knn and chromadb.Rrf is Rrf
    assert chromadb.SparseVector is SparseVector
    for name in ("Search", "Key", "K", "Knn", "Rrf", "SparseVector", "SparseVectors", "Schema"):
        assert name in chromadb.__all__


# -- immutability ----------------------------------------------------------------------


def test_builder_methods_return_new_searches() -> None:
    base = Search().where(K("lang") == "en").limit(5)
    ranked = base.rank(Knn(query=[1.0, 0.0]))
    selected = ranked.select(K.DOCUMENT)
    assert base.to_dict()["rank"] is None
    assert ranked.to_dict()["select"] == {"keys": []}
    assert selected.to_dict()["select"] == {"keys": ["#document"]}
    # The shared base keeps its filter and limit in every refinement.
    for s in (base, ranked, selected):
        assert s.to_dict()["filter"] == {"lang": {"$eq": "en"}}
        assert s.to_dict()["limit"] == {"offset": 0, "limit": 5}


def test_search_cannot_be_modified_in_place() -> None:
    search = Search()
    with pytest.raises(AttributeError, match="immutable"):
        search._rank = Knn(query=[1.0])  # type: ignore[misc]
    with pytest.raises(AttributeError):
        search.extra = 1  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("obj", "attr"),
    [
        (K("a") == 1, "value"),
        ((K("a") == 1) & (K("b") == 2), "conditions"),
        (Knn(query=[1.0]), "limit"),
        (Val(1), "value"),
        (Limit(limit=3), "limit"),
        (Select(keys={"a"}), "keys"),
        (GroupBy(keys="a", aggregate=MinK(keys=K.SCORE, k=1)), "keys"),
        (MinK(keys=K.SCORE, k=1), "k"),
        (Rrf([Knn(query=[1.0])]), "k"),
    ],
)
def test_expressions_are_frozen(obj: object, attr: str) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(obj, attr, None)


def test_key_is_immutable_and_hashes_like_its_name() -> None:
    key = K("genre")
    with pytest.raises(AttributeError):
        key.name = "other"  # type: ignore[misc]
    assert repr(key) == "Key('genre')"
    assert len({K("genre"), K("genre"), "genre"}) == 1
    assert K.DOCUMENT.name == "#document" and K.ID.name == "#id" and K.SCORE.name == "#score"


def test_replace_gives_a_new_knn() -> None:
    # How a string query gets its embedding before sending: a new Knn, the old one unchanged.
    text = Knn(query="a fox", key="bm25", limit=50)
    embedded = dataclasses.replace(text, query=SparseVector(indices=[7], values=[1.5]))
    assert text.query == "a fox"
    assert embedded.to_dict()["$knn"]["query"]["indices"] == [7]
    assert embedded.to_dict()["$knn"]["limit"] == 50


# -- operators -------------------------------------------------------------------------


def test_comparisons_build_filters() -> None:
    where = (K("a") == 1) & ((K("b") != 2) | (K("c") < 3))
    assert isinstance(where, And) and isinstance(where.conditions[1], Or)
    assert isinstance(K("a") == 1, Eq)
    assert Where.from_dict(where.to_dict()) == where


def test_filters_combine_only_with_filters() -> None:
    with pytest.raises(TypeError):
        (K("a") == 1) & {"b": 2}  # type: ignore[operator]
    with pytest.raises(TypeError):
        (K("a") == 1) | True  # type: ignore[operator]


def test_ranks_combine_only_with_ranks_and_numbers() -> None:
    knn = Knn(query=[1.0])
    for bad in ("0.5", None, [1.0], True):
        with pytest.raises(TypeError):
            knn + bad  # type: ignore[operator]
    with pytest.raises(TypeError):
        Sum([knn, 0.5])  # type: ignore[list-item]


def test_numpy_scalars_become_plain_numbers() -> None:
    rank = Knn(query=np.array([0.5, 0.25], dtype=np.float64)) * np.float32(0.5) + np.int64(2)
    body = rank.to_dict()
    assert body == {"$sum": [{"$mul": [{"$knn": {"query": [0.5, 0.25], "key": "#embedding", "limit": 16}}, {"$val": 0.5}]}, {"$val": 2}]}
    assert type(body["$sum"][1]["$val"]) is int
    assert (np.float32(2.0) * Knn(query=[1.0])).to_dict()["$mul"][0] == {"$val": 2.0}
    knn = Knn(query=[1.0], return_rank=True)
    rrf = Rrf([knn, knn], weights=np.array([1.0, 2.0]), k=np.int64(10)).to_dict()
    assert json.loads(json.dumps(rrf)) == rrf


def test_rank_dict_round_trip() -> None:
    rank = (-(Knn(query=[1.0, 2.0], limit=4, default=9.0, return_rank=True) * 0.5 + 1)).abs().log().max(0.0)
    assert Rank.from_dict(rank.to_dict()).to_dict() == rank.to_dict()
    assert isinstance(-Val(2), Mul)


# -- Knn queries -----------------------------------------------------------------------


def test_knn_query_forms() -> None:
    assert Knn(query=np.array([[0.5, 1.0]])).query == [0.5, 1.0]
    assert Knn(query=[[0.5, 1.0]]).query == [0.5, 1.0]
    assert Knn(query=(1, 2)).query == [1, 2]
    sparse = Knn(query={"#type": "sparse_vector", "indices": [1], "values": [2.0]}, key="sv")
    assert isinstance(sparse.query, SparseVector)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"query": []}, ValueError, "empty"),
        ({"query": np.zeros((2, 3))}, ValueError, "exactly one query embedding"),
        ({"query": [1.0, "x"]}, ValueError, "only numbers"),
        ({"query": [1.0, True]}, ValueError, "only numbers"),
        ({"query": 3}, TypeError, "must be a list"),
        ({"query": [1.0], "limit": 0}, ValueError, "positive"),
        ({"query": [1.0], "limit": True}, TypeError, "integer"),
        ({"query": [1.0], "default": "high"}, TypeError, "number"),
        ({"query": [1.0], "return_rank": "yes"}, TypeError, "boolean"),
        ({"query": [1.0], "key": 5}, TypeError, "string"),
    ],
)
def test_knn_refuses_bad_arguments(kwargs: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        Knn(**kwargs)


def test_rrf_is_checked_when_built() -> None:
    with pytest.raises(ValueError, match="at least one rank"):
        Rrf([])
    with pytest.raises(ValueError, match="k must be positive"):
        Rrf([Knn(query=[1.0])], k=-1)
    with pytest.raises(TypeError, match="rank expressions"):
        Rrf([[1.0, 2.0]])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="numbers"):
        Rrf([Knn(query=[1.0])], weights=["1"])  # type: ignore[list-item]


# -- shaping ---------------------------------------------------------------------------


def test_select_is_sent_in_the_servers_key_order() -> None:
    select = Select(keys={"title", K.SCORE, "author", K.METADATA, K.EMBEDDING, K.DOCUMENT})
    assert select.to_dict() == {"keys": ["#document", "#embedding", "#metadata", "#score", "author", "title"]}
    assert Search().select("b", K.SCORE, "a").to_dict()["select"] == {"keys": ["#score", "a", "b"]}
    assert Search(select=[K.DOCUMENT, "x"]).to_dict()["select"] == {"keys": ["#document", "x"]}


def test_limit_builder_is_checked() -> None:
    with pytest.raises(ValueError, match="positive"):
        Search().limit(0)
    with pytest.raises(ValueError, match="non-negative"):
        Search().limit(5, offset=-1)
    with pytest.raises(TypeError, match="integer"):
        Search().limit(2.5)  # type: ignore[arg-type]
    assert Search().limit(3, offset=6).to_dict()["limit"] == {"offset": 6, "limit": 3}


def test_group_by_needs_keys_and_aggregate_together() -> None:
    # Upstream's client drops such a GroupBy without a word; the server would refuse it.
    with pytest.raises(ValueError, match="both be specified"):
        GroupBy(keys=["cat"])
    with pytest.raises(ValueError, match="both be specified"):
        GroupBy(aggregate=MaxK(keys=K.SCORE, k=1))


@pytest.mark.parametrize("key", ["#score", K.DOCUMENT, "#embedding", K.METADATA])
def test_group_keys_must_be_metadata_fields(key: object) -> None:
    with pytest.raises(ValueError, match="metadata fields"):
        GroupBy(keys=key, aggregate=MinK(keys=K.SCORE, k=1))  # type: ignore[arg-type]


def test_aggregate_keys_are_metadata_fields_or_score() -> None:
    assert MinK(keys=[K("priority"), K.SCORE], k=2).to_dict() == {"$min_k": {"keys": ["priority", "#score"], "k": 2}}
    with pytest.raises(ValueError, match="metadata fields or #score"):
        MinK(keys=K.DOCUMENT, k=1)
    with pytest.raises(TypeError):
        MaxK(keys=[3], k=1)  # type: ignore[list-item]


def test_a_full_search_is_json() -> None:
    search = (
        Search(where=K.ID.is_in(["a", "b"]) | K.DOCUMENT.regex("^fox"))
        .rank(Rrf([Knn(query=np.ones(3, dtype=np.float32), return_rank=True, default=100),
                   Knn(query=SparseVector(indices=[np.int64(4)], values=[np.float32(0.5)]), key="sv",
                       return_rank=True, default=100)], weights=[0.7, 0.3]))
        .group_by(GroupBy(keys="source", aggregate=MinK(keys=K.SCORE, k=2)))
        .limit(10)
        .select_all()
    )
    body = json.loads(json.dumps(search.to_dict()))
    assert set(body) == {"filter", "rank", "group_by", "limit", "select"}
    assert body["select"]["keys"] == ["#document", "#embedding", "#metadata", "#score"]


def test_equality_compares_key_names() -> None:
    # A Key's == builds a filter (always truthy), so the objects keep names, not Keys.
    assert Knn(query=[1.0], key="a") != Knn(query=[1.0], key=K("b"))
    assert Knn(query=[1.0], key="a") == Knn(query=[1.0], key=K("a"))
    assert GroupBy(keys=K("a"), aggregate=MinK(keys=K.SCORE, k=1)) != GroupBy(keys="b", aggregate=MinK(keys="#score", k=1))
    assert Select(keys={K.DOCUMENT, "x"}) == Select(keys={"#document", K("x")})
    assert Select(keys={K.DOCUMENT}) != Select(keys={K.SCORE})
