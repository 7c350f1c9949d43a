"""Checks a local embedding function's persisted config against upstream's JSON schema for it.

Upstream validates with jsonschema files; the schemas of the local functions are small
(typed fields, some required, no others allowed, a `task` enum, a `query_config` object,
a `kwargs` object of JSON values), so a table of fields says the same. As in upstream's
own `get_config()` output, an optional field may be null.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["KWARGS", "QUERY_CONFIG", "TASK", "Field", "check_config"]

_JSON_TYPE_NAMES = {
    str: "string", int: "integer", float: "number", bool: "boolean", list: "array", dict: "object", type(None): "null",
}


@dataclass(frozen=True)
class Field:
    types: tuple[type, ...]
    required: bool = False
    choices: tuple[str, ...] | None = None


def _is(value: Any, types: tuple[type, ...]) -> bool:
    # JSON has no bool-as-int; a JSON number may be an int.
    if isinstance(value, bool):
        return bool in types
    if isinstance(value, int) and float in types:
        return True
    return isinstance(value, types)


TASK = Field((str,), choices=("document", "query"))
QUERY_CONFIG = Field((dict,))
KWARGS = Field((dict,))


def check_config(config: Any, name: str, fields: Mapping[str, Field]) -> None:
    """Raise ValueError unless `config` fits the fields (types, required, no unknown keys)."""

    def fail(message: str) -> None:
        raise ValueError(f"Config validation failed for schema '{name}': {message}")

    if not isinstance(config, dict):
        fail(f"expected an object, got {type(config).__name__}")
    for key, field in fields.items():
        if field.required and key not in config:
            fail(f"'{key}' is a required property")
    unknown = sorted(set(config) - set(fields))
    if unknown:
        fail(f"Additional properties are not allowed ({', '.join(map(repr, unknown))} unexpected)")
    for key, value in config.items():
        field = fields[key]
        if value is None and not field.required:
            continue
        if not _is(value, field.types):
            wanted = " or ".join(_JSON_TYPE_NAMES[t] for t in field.types)
            fail(f"{value!r} is not of type {wanted} at path '{key}'")
        if field.choices is not None and value not in field.choices:
            fail(f"{value!r} is not one of {list(field.choices)} at path '{key}'")
        if field is QUERY_CONFIG:
            check_config(value, name, {"task": TASK})
        if field is KWARGS:
            for kw, kw_value in value.items():
                if kw_value is None:
                    fail(f"None is not allowed at path 'kwargs/{kw}'")
