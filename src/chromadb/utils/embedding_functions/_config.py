"""Checks a persisted embedding-function config against the fields upstream's JSON schema allows.

Upstream validates with jsonschema files; the schemas of the remote functions are flat
(a few typed fields, some required, no others allowed), so a field table says the same.
An optional field may be null: upstream's own `get_config()` writes nulls for unset ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["BOOL", "DICT", "INT", "NUMBER", "STR", "check_config"]

STR: tuple[type, ...] = (str,)
INT: tuple[type, ...] = (int,)
NUMBER: tuple[type, ...] = (int, float)
BOOL: tuple[type, ...] = (bool,)
DICT: tuple[type, ...] = (dict,)

_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "a boolean", dict: "an object"}


def check_config(
    config: Any,
    name: str,
    fields: Mapping[str, tuple[type, ...]],
    required: tuple[str, ...] = (),
    *,
    extra_allowed: bool = False,
) -> None:
    """Raise ValueError unless `config` has every `required` field and only `fields`, each of its type."""
    if not isinstance(config, dict):
        raise ValueError(f"Config validation failed for {name!r}: expected an object, got {type(config).__name__}")
    missing = [key for key in required if key not in config]
    if missing:
        raise ValueError(f"Config validation failed for {name!r}: missing required field(s) {missing}")
    if not extra_allowed:
        unknown = sorted(set(config) - set(fields))
        if unknown:
            raise ValueError(f"Config validation failed for {name!r}: unknown field(s) {unknown}")
    for key, types in fields.items():
        value = config.get(key)
        if value is None and key not in required:
            continue
        # bool is an int in Python, not in JSON schema.
        if isinstance(value, bool) and bool not in types:
            ok = False
        else:
            ok = isinstance(value, types)
        if not ok:
            wanted = " or ".join(_TYPE_NAMES.get(t, t.__name__) for t in types)
            raise ValueError(
                f"Config validation failed for {name!r}: {key!r} must be {wanted}, got {value!r}"
            )
