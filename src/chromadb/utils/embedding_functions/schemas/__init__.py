"""Upstream's `chromadb.utils.embedding_functions.schemas`: embedding-function config schemas.

Custom embedding functions written in upstream's style call
`validate_config_schema(config, name)` from their `validate_config`, and BM25 users import
the tokenizer from `.bm25_tokenizer`. The schemas themselves are chromadb 1.5.9's
(`upstream_schemas.json`, written by scripts/ef_config_schemas.py from a real install).

Validation is our embedding functions' own: a built-in function's name is checked by its
class's `validate_config`; a schema without one (e.g. `default`, `transformers`) by its
flat field list. Both raise ValueError (upstream raises jsonschema's ValidationError; the
jsonschema package is not a dependency here). An unknown name raises FileNotFoundError,
as upstream, which looks for a schema file of that name.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from chromadb.utils.embedding_functions._config import check_config

__all__ = [
    "get_available_schemas",
    "get_embedding_function_names",
    "get_schema_info",
    "get_schema_version",
    "load_schema",
    "validate_config_schema",
]

_DATA = Path(__file__).with_name("upstream_schemas.json")
_BASE_SCHEMA = "base_schema"  # loadable by name, but not an embedding function's schema

_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,),
    "object": (dict,), "array": (list,), "null": (type(None),),
}


@lru_cache(maxsize=1)
def _schemas() -> dict[str, dict[str, Any]]:
    return json.loads(_DATA.read_text(encoding="utf-8"))["schemas"]  # type: ignore[no-any-return]


def load_schema(schema_name: str) -> dict[str, Any]:
    """The JSON schema (draft-07) of `schema_name`'s config; FileNotFoundError if there is none."""
    try:
        return copy.deepcopy(_schemas()[schema_name])
    except KeyError:
        raise FileNotFoundError(f"No embedding function schema named {schema_name!r}") from None


def get_schema_version(schema_name: str) -> str:
    return str(load_schema(schema_name).get("version", "1.0.0"))


def get_available_schemas() -> list[str]:
    """The embedding-function names that have a schema."""
    return [name for name in _schemas() if name != _BASE_SCHEMA]


def get_schema_info() -> dict[str, dict[str, str]]:
    """`{name: {"version", "title", "description"}}` for every available schema."""
    return {
        name: {
            "version": schema.get("version", "1.0.0"),
            "title": schema.get("title", ""),
            "description": schema.get("description", ""),
        }
        for name, schema in ((name, _schemas()[name]) for name in get_available_schemas())
    }


def get_embedding_function_names() -> set[str]:
    return set(get_available_schemas())


def validate_config_schema(config: dict[str, Any], schema_name: str) -> None:
    """Raise ValueError unless `config` is a valid config of the embedding function `schema_name`."""
    schema = load_schema(schema_name)
    own_check = _builtin_validate_config(schema_name)
    if own_check is not None:
        own_check(config)
        return
    fields = {key: _python_types(spec) for key, spec in schema.get("properties", {}).items()}
    check_config(
        config, schema_name, fields, tuple(schema.get("required", ())),
        extra_allowed=schema.get("additionalProperties", True) is not False,
    )
    for key, spec in schema.get("properties", {}).items():
        if "enum" in spec and config.get(key) is not None and config[key] not in spec["enum"]:
            raise ValueError(f"Config validation failed for {schema_name!r}: {key!r} must be one of {spec['enum']}")


def _python_types(spec: dict[str, Any]) -> tuple[type, ...]:
    names = spec.get("type", [])
    names = [names] if isinstance(names, str) else names
    return tuple(t for name in names for t in _JSON_TYPES[name]) or (object,)


def _builtin_validate_config(name: str) -> Any | None:
    """The `validate_config` of our built-in function registered as `name`, if it has its own.

    Only our classes count: a user's class may itself call validate_config_schema, and the
    base classes' accept-anything default says nothing about the schema.
    """
    from chromadb.utils.embedding_functions import known_embedding_functions, sparse_known_embedding_functions

    cls = known_embedding_functions.get(name) or sparse_known_embedding_functions.get(name)
    if cls is None or not cls.__module__.startswith("chromadb.utils.embedding_functions."):
        return None
    owner = next(base for base in cls.__mro__ if "validate_config" in base.__dict__)
    if owner.__module__ in ("chromadb.embedding_functions.base", "chromadb.api.types"):
        return None
    return cast(Any, cls).validate_config  # the registries type their classes as plain `type`
