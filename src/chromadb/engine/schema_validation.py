"""The checks the real 1.5.9 server runs on a schema as the user sent it, with its messages.

Each failure is a 400 InvalidArgumentError "Validation error: schema: ..." (upstream's
`validate_schema`): reserved `#` keys, a vector index anywhere but `#embedding`,
full-text search anywhere but `#document`, sparse vector indexes in the defaults or on
more than one key, value types `#document` / `#embedding` cannot have.
"""
from __future__ import annotations

import re
from typing import Any

from chromadb.errors import InvalidArgumentError

DOCUMENT_KEY = "#document"
EMBEDDING_KEY = "#embedding"
_CMEK_GCP = re.compile(r"projects/.+/locations/.+/keyRings/.+/cryptoKeys/.+")


def _invalid(message: str) -> InvalidArgumentError:
    return InvalidArgumentError(f"Validation error: schema: {message}")


def index_enabled(value_types: dict[str, Any], value_type: str, index: str) -> bool:
    entry = (value_types.get(value_type) or {}).get(index)
    return bool(entry and entry.get("enabled"))


def validate_schema(schema: dict[str, Any]) -> None:
    """The checks the real server runs on a schema as the user sent it."""
    if schema.get("source_attached_function_id") is not None:
        raise _invalid("Cannot set source_attached_function_id. This field is reserved for system use.")
    defaults = schema["defaults"]
    if index_enabled(defaults, "float_list", "vector_index"):
        raise _invalid("Vector index cannot be enabled by default. It can only be enabled on #embedding field.")
    vector = (defaults.get("float_list") or {}).get("vector_index")
    if vector and vector["config"].get("hnsw") is not None and vector["config"].get("spann") is not None:
        raise _invalid("Both spann and hnsw config cannot be present at the same time.")
    if index_enabled(defaults, "sparse_vector", "sparse_vector_index"):
        raise _invalid(
            "Sparse vector index cannot be enabled by default. Please enable sparse vector index on specific keys. "
            "At most one sparse vector index is allowed for the collection."
        )
    if index_enabled(defaults, "string", "fts_index"):
        raise _invalid(
            "Full text search / regular expression index cannot be enabled by default. "
            "It can only be enabled on #document field."
        )
    sparse_keys: list[str] = []
    for key, value_types in schema["keys"].items():
        _validate_key(key, value_types, sparse_keys)
    cmek = schema.get("cmek")
    if cmek is not None and not _cmek_ok(cmek):
        raise _invalid(f"CMEK does not match expected pattern: {cmek!r}")


def _validate_key(key: str, value_types: dict[str, Any], sparse_keys: list[str]) -> None:
    if key.startswith("#") and key not in (DOCUMENT_KEY, EMBEDDING_KEY):
        raise _invalid(f"key cannot begin with '#'. Keys starting with '#' are reserved for system use: {key}")
    present = {t for t, v in value_types.items() if v is not None}
    if key == DOCUMENT_KEY and present - {"string"}:
        raise _invalid(f"Document field cannot have any value types other than string: {key}")
    if key == EMBEDDING_KEY and present - {"float_list"}:
        raise _invalid(f"Embedding field cannot have any value types other than float_list: {key}")
    vector = (value_types.get("float_list") or {}).get("vector_index")
    if vector:
        if vector["enabled"] and key != EMBEDDING_KEY:
            raise _invalid(f"Vector index can only be enabled on #embedding field: {key}")
        source = vector["config"].get("source_key")
        if source is not None and source != DOCUMENT_KEY:
            raise _invalid("Vector index can only source from #document")
    sparse = (value_types.get("sparse_vector") or {}).get("sparse_vector_index")
    if sparse:
        config = sparse["config"]
        if sparse["enabled"]:
            sparse_keys.append(key)
            if len(sparse_keys) > 1:
                raise _invalid(f"At most one sparse vector index is allowed for the collection: {sparse_keys!r}")
            if config.get("source_key") is not None and config.get("embedding_function") is None:
                raise _invalid(
                    "If source_key is provided then embedding_function must also be provided since there is no "
                    "default embedding function."
                )
        source = config.get("source_key")
        if source is not None and source.startswith("#") and source != DOCUMENT_KEY:
            raise _invalid(
                "source_key cannot begin with '#'. The only valid key starting with '#' is Key.DOCUMENT or '#document'."
            )
    if index_enabled(value_types, "string", "fts_index") and key != DOCUMENT_KEY:
        raise _invalid(f"Full text search / regular expression index can only be enabled on #document field: {key}")
    if index_enabled(value_types, "string", "string_inverted_index") and key == DOCUMENT_KEY:
        raise _invalid(f"String inverted index can not be enabled on #document key: {key}")


def _cmek_ok(cmek: dict[str, Any]) -> bool:
    gcp = cmek.get("gcp")
    return isinstance(gcp, str) and _CMEK_GCP.fullmatch(gcp) is not None
