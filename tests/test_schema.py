"""chromadb.api.schema: the Schema builder, its index configs and its JSON, beyond the
cases captured from real chromadb 1.5.9 (tests/test_expression_fixtures.py)."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import chromadb
import chromadb.api.types
import chromadb.utils.embedding_functions
from chromadb.api.schema import (
    Cmek,
    FloatInvertedIndexConfig,
    FtsIndexConfig,
    HnswIndexConfig,
    IntInvertedIndexConfig,
    Schema,
    SpannIndexConfig,
    SparseVectorIndexConfig,
    StringInvertedIndexConfig,
    VectorIndexConfig,
)
from chromadb.base_types import SparseVector
from chromadb.embedding_functions import DefaultEmbeddingFunction, EmbeddingFunction, known_embedding_functions
from chromadb.execution.expression import K


class ScaledEF(EmbeddingFunction):
    """A known embedding function with a config, registered for the test's duration."""

    def __init__(self, scale: float = 1.0) -> None:
        self.scale = scale

    def __call__(self, input: list[str]) -> list[np.ndarray]:
        return [np.full(3, self.scale, dtype=np.float32) for _ in input]

    @staticmethod
    def name() -> str:
        return "test_scaled_ef"

    def get_config(self) -> dict[str, Any]:
        return {"scale": self.scale}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> ScaledEF:
        return ScaledEF(config["scale"])

    def default_space(self) -> str:
        return "ip"

    def supported_spaces(self) -> list[str]:
        return ["ip", "cosine"]


class LengthSparseEF:
    """A sparse embedding function: one dimension per text, its length."""

    def __call__(self, input: list[str]) -> list[SparseVector]:
        return [SparseVector(indices=[len(t)], values=[1.0]) for t in input]

    @staticmethod
    def name() -> str:
        return "test_length_sparse"

    def get_config(self) -> dict[str, Any]:
        return {}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> LengthSparseEF:
        return LengthSparseEF()


@pytest.fixture
def registered_ef() -> Iterator[type[ScaledEF]]:
    known_embedding_functions[ScaledEF.name()] = ScaledEF
    yield ScaledEF
    known_embedding_functions.pop(ScaledEF.name(), None)


def test_exported_where_upstream_exports_them() -> None:
    for name in ("Schema", "Cmek", "VectorIndexConfig", "HnswIndexConfig", "SpannIndexConfig", "FtsIndexConfig",
                 "SparseVectorIndexConfig", "StringInvertedIndexConfig", "IntInvertedIndexConfig",
                 "FloatInvertedIndexConfig", "BoolInvertedIndexConfig"):
        assert getattr(chromadb, name) is getattr(chromadb.api.schema, name)
        assert getattr(chromadb.api.types, name) is getattr(chromadb.api.schema, name)
        assert name in chromadb.__all__


def test_builders_change_the_schema_in_place_and_chain() -> None:
    schema = Schema()
    same = schema.delete_index(StringInvertedIndexConfig(), key=K("body")).create_index(IntInvertedIndexConfig(), key="n")
    assert same is schema
    assert schema.keys["body"].string.string_inverted_index.enabled is False
    assert schema.keys["n"].int_value.int_inverted_index.enabled is True
    assert schema.keys["body"].int_value is None  # only the named index is described


def test_vector_config_keeps_the_embedding_source_and_states() -> None:
    schema = Schema().create_index(VectorIndexConfig(space="cosine", hnsw={"ef_search": 40}))
    defaults = schema.defaults.float_list.vector_index
    embedding = schema.keys["#embedding"].float_list.vector_index
    assert defaults.enabled is False and embedding.enabled is True
    assert embedding.config.source_key == "#document" and defaults.config.source_key is None
    assert embedding.config.hnsw == HnswIndexConfig(ef_search=40)
    assert embedding.config.space == "cosine"


def test_vector_config_on_a_schema_read_from_partial_json() -> None:
    schema = Schema.deserialize_from_json({"defaults": {}, "keys": {}})
    schema.create_index(VectorIndexConfig(space="l2", embedding_function=None))
    out = schema.serialize_to_json()
    assert out["defaults"]["float_list"]["vector_index"]["enabled"] is False
    assert out["keys"]["#embedding"]["float_list"]["vector_index"] == {
        "enabled": True, "config": {"space": "l2", "embedding_function": {"type": "legacy"}}
    }


def test_only_index_configs_are_accepted() -> None:
    with pytest.raises(TypeError, match="index configs"):
        Schema().create_index({"string_inverted_index": {}}, key="a")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="string or a Key"):
        Schema().create_index(IntInvertedIndexConfig(), key=3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Cmek"):
        Schema().set_cmek("projects/p")  # type: ignore[arg-type]


def test_known_embedding_function_round_trips(registered_ef: type[ScaledEF]) -> None:
    schema = Schema().create_index(VectorIndexConfig(embedding_function=registered_ef(2.5)))
    wire = schema.serialize_to_json()
    config = wire["keys"]["#embedding"]["float_list"]["vector_index"]["config"]
    assert config["embedding_function"] == {"name": "test_scaled_ef", "type": "known", "config": {"scale": 2.5}}
    assert config["space"] == "ip"  # the function's default space, as upstream fills it in
    back = Schema.deserialize_from_json(json.loads(json.dumps(wire)))
    ef = back.keys["#embedding"].float_list.vector_index.config.embedding_function
    assert isinstance(ef, ScaledEF) and ef.scale == 2.5
    assert back.serialize_to_json() == wire


def test_default_embedding_function_is_rebuilt() -> None:
    wire = {"defaults": {}, "keys": {"#embedding": {"float_list": {"vector_index": {"config": {
        "embedding_function": {"type": "known", "name": "default", "config": {}}}}}}}}
    config = Schema.deserialize_from_json(wire).keys["#embedding"].float_list.vector_index
    assert config.enabled is True  # absent "enabled" means on
    assert isinstance(config.config.embedding_function, DefaultEmbeddingFunction)
    assert config.config.space == "l2"


def test_unknown_embedding_function_warns_and_becomes_legacy() -> None:
    wire = {"keys": {"#embedding": {"float_list": {"vector_index": {"enabled": True, "config": {
        "embedding_function": {"type": "known", "name": "nobody_registered_this", "config": {}}}}}}}}
    with pytest.warns(UserWarning, match="nobody_registered_this"):
        schema = Schema.deserialize_from_json(wire)
    assert schema.keys["#embedding"].float_list.vector_index.config.embedding_function is None
    assert schema.serialize_to_json()["keys"]["#embedding"]["float_list"]["vector_index"]["config"] == {
        "embedding_function": {"type": "legacy"}
    }


def test_space_outside_the_functions_supported_spaces_warns(registered_ef: type[ScaledEF]) -> None:
    schema = Schema().create_index(VectorIndexConfig(embedding_function=registered_ef(), space="l2"))
    with pytest.warns(UserWarning, match="space l2 is not supported by test_scaled_ef"):
        schema.serialize_to_json()


def test_a_function_that_cannot_describe_itself_is_legacy() -> None:
    class Bare:
        def __call__(self, input: list[str]) -> list[list[float]]:
            return [[1.0] for _ in input]

    config = Schema().create_index(VectorIndexConfig(embedding_function=Bare())).serialize_to_json()
    assert config["defaults"]["float_list"]["vector_index"]["config"] == {"embedding_function": {"type": "legacy"}}


def test_embedding_function_signature_is_checked() -> None:
    class WrongSignature:
        def __call__(self, texts: list[str]) -> list[list[float]]:
            return []

    with pytest.raises(ValueError, match="signature"):
        VectorIndexConfig(embedding_function=WrongSignature())
    with pytest.raises(ValueError, match="signature"):
        SparseVectorIndexConfig(embedding_function=WrongSignature())


def test_sparse_function_round_trips_through_the_sparse_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        chromadb.utils.embedding_functions, "sparse_known_embedding_functions",
        {LengthSparseEF.name(): LengthSparseEF}, raising=False,
    )
    schema = Schema().create_index(
        SparseVectorIndexConfig(embedding_function=LengthSparseEF(), source_key=K.DOCUMENT, bm25=True), key="sv"
    )
    wire = schema.serialize_to_json()
    assert wire["keys"]["sv"] == {"sparse_vector": {"sparse_vector_index": {"enabled": True, "config": {
        "embedding_function": {"name": "test_length_sparse", "type": "known", "config": {}},
        "source_key": "#document", "bm25": True}}}}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        back = Schema.deserialize_from_json(wire)
    assert isinstance(back.keys["sv"].sparse_vector.sparse_vector_index.config.embedding_function, LengthSparseEF)


def test_unregistered_sparse_function_warns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chromadb.utils.embedding_functions, "sparse_known_embedding_functions", {}, raising=False)
    wire = {"keys": {"sv": {"sparse_vector": {"sparse_vector_index": {"enabled": True, "config": {
        "embedding_function": {"type": "known", "name": "splade_x", "config": {}}}}}}}}
    with pytest.warns(UserWarning, match="splade_x"):
        schema = Schema.deserialize_from_json(wire)
    assert schema.keys["sv"].sparse_vector.sparse_vector_index.config.embedding_function is None


def test_one_sparse_index_per_collection_but_the_same_key_may_be_reset() -> None:
    schema = Schema().create_index(SparseVectorIndexConfig(), key="sv")
    schema.create_index(SparseVectorIndexConfig(bm25=True), key="sv")
    assert schema.keys["sv"].sparse_vector.sparse_vector_index.config.bm25 is True
    with pytest.raises(ValueError, match="already enabled on key 'sv'"):
        schema.create_index(SparseVectorIndexConfig(), key="other")


# -- the config models -----------------------------------------------------------------


def test_config_models_dump_compare_and_coerce() -> None:
    hnsw = HnswIndexConfig(ef_construction=100, resize_factor=2)
    assert hnsw.model_dump() == {"ef_construction": 100, "max_neighbors": None, "ef_search": None, "num_threads": None,
                                 "batch_size": None, "sync_threshold": None, "resize_factor": 2.0}
    assert hnsw == HnswIndexConfig(ef_construction=100, resize_factor=2.0)
    assert hnsw != HnswIndexConfig(ef_construction=101)
    assert VectorIndexConfig(hnsw={"ef_search": 5}, embedding_function=None).hnsw == HnswIndexConfig(ef_search=5)
    assert FtsIndexConfig() == FtsIndexConfig() and FtsIndexConfig() != StringInvertedIndexConfig()
    assert "ef_construction=100" in repr(hnsw)


def test_server_side_fields_are_accepted_and_dropped() -> None:
    # What a server echoes for SPANN has more fields than the client models.
    spann = SpannIndexConfig(search_nprobe=8, search_rng_factor=1.0, quantize=False)
    assert spann.model_dump(exclude_none=True) == {"search_nprobe": 8}
    assert SparseVectorIndexConfig(algorithm="wand").model_dump(exclude_none=True) == {}


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: HnswIndexConfig(ef_search=True), "integer"),
        (lambda: HnswIndexConfig(resize_factor="big"), "number"),
        (lambda: SpannIndexConfig(search_nprobe=1.5), "integer"),
        (lambda: VectorIndexConfig(hnsw=[1]), "HnswIndexConfig or a dict"),
        (lambda: VectorIndexConfig(hnsw={"m": 3}), "'m' is not a valid field for HnswIndexConfig"),
        (lambda: FloatInvertedIndexConfig(a=1, b=2), "Invalid fields for FloatInvertedIndexConfig: 'a', 'b'"),
        (lambda: SparseVectorIndexConfig(bm25="yes"), "bool"),
        (lambda: VectorIndexConfig(space="L2"), "one of 'cosine', 'l2' or 'ip'"),
    ],
)
def test_config_models_refuse_bad_values(build: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        build()


def test_cmek() -> None:
    key = Cmek.gcp("projects/p/locations/l/keyRings/r/cryptoKeys/k")
    schema = Schema().set_cmek(key)
    wire = schema.serialize_to_json()
    assert wire["cmek"] == {"gcp": key.resource}
    assert Schema.deserialize_from_json(wire).cmek == key
    assert Schema().serialize_to_json().get("cmek") is None
