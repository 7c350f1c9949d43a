"""`chromadb.utils.embedding_functions.schemas`: upstream's config schemas, checked by our functions.

Custom embedding functions written in upstream's style import `validate_config_schema`,
and BM25 users import the tokenizer from `schemas.bm25_tokenizer`. The schemas are
chromadb 1.5.9's (scripts/ef_config_schemas.py); the tests below check that our
functions' own validation agrees with each of them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chromadb.utils.embedding_functions import (
    ChromaBm25EmbeddingFunction,
    EmbeddingFunction,
    known_embedding_functions,
    register_embedding_function,
    sparse_known_embedding_functions,
)
from chromadb.utils.embedding_functions.schemas import (
    get_available_schemas,
    get_embedding_function_names,
    get_schema_info,
    get_schema_version,
    load_schema,
    validate_config_schema,
)
from chromadb.utils.embedding_functions.schemas.bm25_tokenizer import (
    DEFAULT_CHROMA_BM25_STOPWORDS,
    DEFAULT_ENGLISH_STOPWORDS,
    Bm25Tokenizer,
    Murmur3AbsHasher,
    get_english_stemmer,
)

FIXTURES = Path(__file__).parent / "fixtures"
SCHEMAS = sorted(get_available_schemas())
DUMMY = {"string": "dummy", "integer": 0, "number": 0.5, "boolean": False, "object": {}, "array": []}
# Where ours is deliberately stricter than upstream's schema (its schema requires nothing,
# but the function cannot be built without these).
STRICTER = {"nomic": {"model", "api_key_env_var", "task_type"}}


def dummy(spec: dict[str, Any]) -> Any:
    if "enum" in spec:
        return spec["enum"][0]
    kind = spec["type"][0] if isinstance(spec["type"], list) else spec["type"]
    return DUMMY[kind]


def minimal_config(name: str) -> dict[str, Any]:
    schema = load_schema(name)
    required = set(schema.get("required", [])) | STRICTER.get(name, set())
    return {field: dummy(schema["properties"][field]) for field in sorted(required)}


def test_every_builtin_function_has_its_schema() -> None:
    registered = {**known_embedding_functions, **sparse_known_embedding_functions}
    builtin = {name for name, cls in registered.items() if cls.__module__.startswith("chromadb.")}  # not other tests'
    assert len(builtin) > 30 and builtin <= set(SCHEMAS)
    assert get_embedding_function_names() == set(SCHEMAS)
    assert "base_schema" not in SCHEMAS and load_schema("base_schema")["required"] == ["version", "name", "config"]
    info = get_schema_info()["chroma-cloud-splade"]
    assert info["version"] == get_schema_version("chroma-cloud-splade") == "1.0.0"
    assert "Splade" in info["title"]
    assert load_schema("openai")["properties"]["model_name"]["type"] == "string"


def test_load_schema_gives_a_copy_and_unknown_names_are_missing_files() -> None:
    load_schema("openai")["properties"].clear()
    assert load_schema("openai")["properties"]
    with pytest.raises(FileNotFoundError, match="forge"):
        load_schema("forge")
    with pytest.raises(FileNotFoundError, match="forge"):
        validate_config_schema({}, "forge")


@pytest.mark.parametrize("name", SCHEMAS)
def test_validation_agrees_with_the_upstream_schema(name: str) -> None:
    schema = load_schema(name)
    properties = schema["properties"]
    validate_config_schema(minimal_config(name), name)
    full = {field: dummy(spec) for field, spec in properties.items()}
    validate_config_schema(full, name)
    for field in schema.get("required", []):
        with pytest.raises(ValueError):
            validate_config_schema({k: v for k, v in minimal_config(name).items() if k != field}, name)
    if schema.get("additionalProperties") is False:
        with pytest.raises(ValueError):
            validate_config_schema({**full, "not_a_field": 1}, name)
    for field, spec in properties.items():
        kinds = spec["type"] if isinstance(spec["type"], list) else [spec["type"]]
        wrong = 12345 if "string" in kinds else "text"
        with pytest.raises(ValueError):
            validate_config_schema({**full, field: wrong}, name)
        if "enum" in spec:
            with pytest.raises(ValueError):
                validate_config_schema({**full, field: "not-one-of-them"}, name)


def test_configs_upstream_persisted_are_valid() -> None:
    remote = json.loads((FIXTURES / "upstream_remote_ef_configs.json").read_text())
    for entry in remote.values():
        validate_config_schema(entry["config"], entry["name"])
    for case in json.loads((FIXTURES / "chroma_bm25_upstream.json").read_text())["cases"]:
        validate_config_schema(case["config"], "chroma_bm25")


def test_a_custom_function_in_upstreams_style_uses_it() -> None:
    @register_embedding_function
    class ShoutingOpenAI(EmbeddingFunction[Any]):
        def __call__(self, input: Any) -> Any:
            return [[1.0] for _ in input]

        @staticmethod
        def name() -> str:
            return "test_shouting_openai"

        def get_config(self) -> dict[str, Any]:
            return {"api_key_env_var": "K", "model_name": "m"}

        @staticmethod
        def build_from_config(config: dict[str, Any]) -> ShoutingOpenAI:
            return ShoutingOpenAI()

        @staticmethod
        def validate_config(config: dict[str, Any]) -> None:
            validate_config_schema(config, "openai")

    try:
        ShoutingOpenAI.validate_config(ShoutingOpenAI().get_config())
        with pytest.raises(ValueError, match="model_name"):
            ShoutingOpenAI.validate_config({"api_key_env_var": "K", "model_name": 7})
        # Registered under its own name, it has no schema there (as upstream), and no recursion.
        with pytest.raises(FileNotFoundError):
            validate_config_schema({}, "test_shouting_openai")
    finally:
        known_embedding_functions.pop("test_shouting_openai")


# --- schemas.bm25_tokenizer ---------------------------------------------------------------


def test_bm25_tokenizer_in_upstreams_form_matches_the_bm25_function() -> None:
    tokenizer = Bm25Tokenizer(get_english_stemmer(), DEFAULT_CHROMA_BM25_STOPWORDS, 40)
    text = "The cats were RUNNING, and the runner's cat ran!"
    tokens = tokenizer.tokenize(text)
    assert tokens == ["cat", "run", "runner", "cat", "ran"]
    hasher = Murmur3AbsHasher()
    [vector] = ChromaBm25EmbeddingFunction(include_tokens=True)([text])
    assert vector.labels is not None
    assert {hasher.hash(t) for t in tokens} == set(vector.indices)
    assert all(hasher.hash(label) == index for label, index in zip(vector.labels, vector.indices))


def test_bm25_tokenizer_parts() -> None:
    assert Murmur3AbsHasher().hash("foo") == 156908512  # |mmh3.hash("foo")|, the library's documented example
    assert Murmur3AbsHasher(seed=42).hash("foo") != Murmur3AbsHasher().hash("foo")
    assert get_english_stemmer().stem("running") == "run"
    assert DEFAULT_CHROMA_BM25_STOPWORDS == DEFAULT_ENGLISH_STOPWORDS and "the" in DEFAULT_ENGLISH_STOPWORDS

    class Upper:  # any object with a `stem` method will do, as upstream's SnowballStemmer protocol
        def stem(self, token: str) -> str:
            return token.upper()

    assert Bm25Tokenizer(Upper(), ["skip"], 5).tokenize("Skip these words, please") == ["THESE", "WORDS"]
    assert Bm25Tokenizer(str.upper, [], 40).tokenize("a-b") == ["A", "B"]  # a plain function works too
