"""Known embedding functions by name, and the config persisted with a collection.

A collection's configuration stores its embedding function as JSON, as Chroma does:
`{"type": "known", "name": "default", "config": {}}` for a function that can describe
itself, `{"type": "legacy"}` for a custom one that cannot. `get_collection` rebuilds
known functions from that, and refuses an explicitly passed function of another name.
"""

from __future__ import annotations

import json
import logging
from typing import Any, TypeVar

from chromadb.embedding_functions.base import EmbeddingFunction

__all__ = [
    "check_ef_matches",
    "config_for",
    "ef_from_config",
    "known_embedding_functions",
    "register_embedding_function",
]

logger = logging.getLogger("chromadb.embedding_functions")

T = TypeVar("T", bound="type[EmbeddingFunction[Any]]")

known_embedding_functions: dict[str, type[EmbeddingFunction[Any]]] = {}


def register_embedding_function(cls: T) -> T:
    """Class decorator: make `cls` rebuildable from a persisted config by its `name()`."""
    name = cls.name()
    existing = known_embedding_functions.get(name)
    if existing is not None and existing is not cls:
        raise ValueError(
            f"An embedding function named {name!r} is already registered ({existing.__name__})."
        )
    known_embedding_functions[name] = cls
    return cls


def config_for(ef: EmbeddingFunction[Any] | None) -> dict[str, Any] | None:
    """The JSON object to persist for `ef` in a collection's configuration."""
    if ef is None:
        return None
    if not hasattr(ef, "is_legacy") or ef.is_legacy():
        return {"type": "legacy"}
    name = ef.name()
    config = ef.get_config()
    try:
        json.dumps(config)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"get_config() of embedding function {name!r} must return JSON-serialisable "
            f"values: {exc}"
        ) from None
    return {"type": "known", "name": name, "config": config}


def ef_from_config(cfg: dict[str, Any] | None) -> EmbeddingFunction[Any] | None:
    """Rebuild a known embedding function; None for legacy, unknown or missing configs."""
    if not cfg or cfg.get("type") != "known":
        return None
    _load_builtins()
    name = cfg.get("name")
    cls = known_embedding_functions.get(name) if isinstance(name, str) else None
    if cls is None:
        logger.warning("embedding function %r is not registered; pass it explicitly", name)
        return None
    return cls.build_from_config(cfg.get("config") or {})


def check_ef_matches(ef: EmbeddingFunction[Any] | None, persisted_cfg: dict[str, Any] | None) -> None:
    """Raise ValueError when `ef` is a known function other than the persisted one.

    As upstream, only two known functions can conflict, and the default function never
    does (it is what `get_collection` passes when the caller passed nothing).
    """
    if ef is None or not persisted_cfg or persisted_cfg.get("type") != "known":
        return
    if not hasattr(ef, "is_legacy") or ef.is_legacy():
        return
    new_name = ef.name()
    persisted_name = persisted_cfg.get("name")
    if new_name == "default" or new_name == persisted_name:
        return
    # Wording follows Chroma's, which user code matches on ("Embedding function conflict").
    raise ValueError(
        "An embedding function already exists in the collection configuration, and a new "
        "one is provided. If this is intentional, please embed documents separately. "
        f"Embedding function conflict: new: {new_name} vs persisted: {persisted_name}"
    )


def _load_builtins() -> None:
    # The built-in functions register themselves when their module is imported.
    import chromadb.embedding_functions.default
    import chromadb.utils.embedding_functions  # noqa: F401  (the remote and local ones upstream ships)
