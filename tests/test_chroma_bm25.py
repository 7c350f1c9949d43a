"""ChromaBm25EmbeddingFunction against real chromadb 1.5.9's output, and the sparse protocol.

The fixture is made by scripts/chroma_bm25_capture.sh from a released chromadb install.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chromadb.embedding_functions.sparse import (
    SparseEmbeddingFunction,
    SparseVector,
    normalize_sparse_vector,
    register_sparse_embedding_function,
    sparse_ef_from_config,
    sparse_known_embedding_functions,
)
from chromadb.utils.embedding_functions import ChromaBm25EmbeddingFunction
from chromadb.utils.embedding_functions._bm25_tokenizer import murmur3_abs_hash

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "chroma_bm25_upstream.json").read_text())
CASES = FIXTURE["cases"]


def as_json(vector: SparseVector) -> dict[str, Any]:
    return {"indices": vector.indices, "values": vector.values, "labels": vector.labels}


@pytest.mark.parametrize("case", CASES, ids=[json.dumps(c["params"], ensure_ascii=False) for c in CASES])
def test_vectors_equal_upstream_exactly(case: dict[str, Any]) -> None:
    ef = ChromaBm25EmbeddingFunction(**case["params"])
    assert ef.get_config() == case["config"]
    documents = [as_json(v) for v in ef(FIXTURE["texts"])]
    queries = [as_json(v) for v in ef.embed_query(FIXTURE["texts"])]
    for text, got, want in zip(FIXTURE["texts"], documents, case["documents"]):
        assert got == want, text  # exact floats: same formula, same operation order
    assert queries == case["queries"]


def test_fixture_covers_the_interesting_inputs() -> None:
    default = CASES[0]["documents"]
    empty = [i for i, t in enumerate(FIXTURE["texts"]) if not t.strip()]
    assert empty and all(default[i]["indices"] == [] for i in empty)
    # Somewhere a term repeats (tf > 1 gives a larger weight than a single occurrence).
    assert any(len(set(v["values"])) > 1 for v in default)
    assert FIXTURE["chromadb"] == "1.5.9"


def test_weights_follow_the_bm25_formula() -> None:
    ef = ChromaBm25EmbeddingFunction(k=1.5, b=0.5, avg_doc_length=4, include_tokens=True)
    [vector] = ef(["apples apples pears"])
    weights = dict(zip(vector.labels or [], vector.values))
    norm = 1 - 0.5 + 0.5 * 3 / 4
    assert weights["appl"] == pytest.approx(2 * 2.5 / (2 + 1.5 * norm))
    assert weights["pear"] == pytest.approx(1 * 2.5 / (1 + 1.5 * norm))
    assert vector.indices == sorted(murmur3_abs_hash(t) for t in ("appl", "pear"))


def test_stopwords_are_matched_case_insensitively_before_stemming() -> None:
    ef = ChromaBm25EmbeddingFunction(stopwords=["Running"], include_tokens=True)
    [vector] = ef(["running runs RUNNING"])
    # Only "runs" is left: the same vector as the text "runs" alone.
    assert vector == ChromaBm25EmbeddingFunction(include_tokens=True)(["runs"])[0]


def test_empty_batch_is_refused_as_upstream() -> None:
    with pytest.raises(ValueError, match="non-empty list"):
        ChromaBm25EmbeddingFunction()([])


def test_config_round_trip_and_registry() -> None:
    ef = ChromaBm25EmbeddingFunction(k=1.1, b=0.6, avg_doc_length=100, token_max_length=12, stopwords=["x"])
    persisted = {"type": "known", "name": "chroma_bm25", "config": ef.get_config()}
    rebuilt = sparse_ef_from_config(json.loads(json.dumps(persisted)))
    assert isinstance(rebuilt, ChromaBm25EmbeddingFunction)
    assert rebuilt.get_config() == ef.get_config()
    assert sparse_known_embedding_functions["chroma_bm25"] is ChromaBm25EmbeddingFunction
    # A config real Chroma persisted with only some keys gets upstream's defaults.
    assert ChromaBm25EmbeddingFunction.build_from_config({"k": 2}).get_config() == {
        "k": 2.0, "b": 0.75, "avg_doc_length": 256.0, "token_max_length": 40, "include_tokens": False,
    }
    assert sparse_ef_from_config({"type": "legacy"}) is None
    assert sparse_ef_from_config({"type": "known", "name": "no-such-function", "config": {}}) is None


@pytest.mark.parametrize(
    "config, message",
    [
        ({"k": "1.2"}, "'k'"),
        ({"include_tokens": 1}, "'include_tokens'"),
        ({"stopwords": "the"}, "'stopwords'"),
        ({"stopwords": ["the", 3]}, "stopwords"),
        ({"alpha": 1}, "alpha"),
    ],
)
def test_validate_config_rejects(config: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ChromaBm25EmbeddingFunction.validate_config(config)


def test_validate_config_accepts_persisted_configs() -> None:
    for case in CASES:
        ChromaBm25EmbeddingFunction.validate_config(case["config"])


def test_only_bm25_parameters_may_be_updated() -> None:
    ef = ChromaBm25EmbeddingFunction()
    ef.validate_config_update(ef.get_config(), {"k": 1.0, "stopwords": []})
    with pytest.raises(ValueError, match="Updating 'model' is not supported for chroma_bm25"):
        ef.validate_config_update(ef.get_config(), {"model": "x"})


def test_sparse_protocol_checks_what_call_returns() -> None:
    @register_sparse_embedding_function
    class Broken(SparseEmbeddingFunction[list]):
        def __init__(self, result: Any) -> None:
            self.result = result

        def __call__(self, input: list) -> Any:
            return self.result

        @staticmethod
        def name() -> str:
            return "test-broken-sparse"

        def get_config(self) -> dict[str, Any]:
            return {}

        @staticmethod
        def build_from_config(config: dict[str, Any]) -> Broken:
            return Broken([])

    try:
        assert sparse_known_embedding_functions["test-broken-sparse"] is Broken
        with pytest.raises(ValueError, match="to be a list"):
            Broken({"indices": [1]})(["a"])
        with pytest.raises(ValueError, match="SparseVector instance at position 1"):
            Broken([SparseVector([1], [1.0]), {"indices": [], "values": []}])(["a", "b"])
        good = [SparseVector([1, 5], [0.5, 2.0])]
        assert Broken(good)(["a"]) is good
        assert Broken(good).embed_query(["a"]) is good
    finally:
        del sparse_known_embedding_functions["test-broken-sparse"]


def test_normalize_sparse_vector_sorts_together() -> None:
    v = normalize_sparse_vector([9, 2, 5], [0.9, 0.2, 0.5], ["i", "b", "e"])
    assert (v.indices, v.values, v.labels) == ([2, 5, 9], [0.2, 0.5, 0.9], ["b", "e", "i"])
    assert normalize_sparse_vector([], []) == SparseVector([], [], None)
    with pytest.raises(ValueError, match="ascending"):
        normalize_sparse_vector([3, 3], [1.0, 2.0])
    with pytest.raises(ValueError, match="non-negative"):
        normalize_sparse_vector([-1], [1.0])


def test_sparse_vector_wire_form() -> None:
    v = SparseVector([1, 4], [0.5, 1.0], labels=["a", "b"])
    wire = v.to_dict()
    assert wire == {"#type": "sparse_vector", "indices": [1, 4], "values": [0.5, 1.0], "tokens": ["a", "b"]}
    assert SparseVector.from_dict(wire) == v
    with pytest.raises(ValueError, match="same length"):
        SparseVector([1, 2], [1.0])


def test_a_schema_persists_and_rebuilds_the_bm25_function() -> None:
    from chromadb import Schema, SparseVectorIndexConfig

    ef = ChromaBm25EmbeddingFunction(k=1.0, stopwords=["kiwi"])
    schema = Schema().create_index(
        config=SparseVectorIndexConfig(embedding_function=ef, source_key="#document", bm25=True), key="bm25_vec"
    )
    wire = json.loads(json.dumps(schema.serialize_to_json()))
    stored = wire["keys"]["bm25_vec"]["sparse_vector"]["sparse_vector_index"]["config"]["embedding_function"]
    assert stored == {"type": "known", "name": "chroma_bm25", "config": ef.get_config()}
    rebuilt = Schema.deserialize_from_json(wire).keys["bm25_vec"].sparse_vector.sparse_vector_index.config.embedding_function
    assert isinstance(rebuilt, ChromaBm25EmbeddingFunction) and rebuilt.get_config() == ef.get_config()
    assert rebuilt(["kiwi pears"]) == ef(["kiwi pears"])
