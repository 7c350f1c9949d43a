"""Sparse embedding functions: the protocol, their registry, and the vector helper.

A sparse embedding function (BM25, SPLADE, ...) turns each input into a `SparseVector`
(sorted token ids and weights) instead of a dense float vector. As upstream, its result
must be a non-empty list of `SparseVector`; subclasses define `__call__`, `name()`,
`get_config()` and `build_from_config()`, and a class registered with
`register_sparse_embedding_function` is rebuilt by name from a persisted config
(`{"type": "known", "name": "chroma_bm25", "config": {...}}`).
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from typing import Any, Dict, List, Optional, Protocol, TypeVar, runtime_checkable

from chromadb.embedding_functions._sparse_vector import SparseVector

__all__ = [
    "SparseEmbeddingFunction",
    "SparseVector",
    "SparseVectors",
    "normalize_sparse_vector",
    "register_sparse_embedding_function",
    "sparse_ef_from_config",
    "sparse_known_embedding_functions",
    "validate_sparse_vectors",
]

D = TypeVar("D", contravariant=True)
SparseVectors = List[SparseVector]

_VALIDATED = "_chromadb_sparse_validated"


def validate_sparse_vectors(vectors: Any) -> SparseVectors:
    """Return `vectors` if it is a non-empty list of SparseVector, else raise ValueError."""
    if not isinstance(vectors, list):
        raise ValueError(f"Expected sparse vectors to be a list, got {type(vectors).__name__}")
    if not vectors:
        raise ValueError("Expected sparse vectors to be a non-empty list, got 0 sparse vectors")
    for i, vector in enumerate(vectors):
        if not isinstance(vector, SparseVector):
            raise ValueError(f"Expected SparseVector instance at position {i}, got {type(vector).__name__}")
    return vectors


def normalize_sparse_vector(
    indices: List[int], values: List[float], labels: Optional[List[str]] = None
) -> SparseVector:
    """A SparseVector from unsorted indices (values and labels follow their index)."""
    if not indices:
        return SparseVector(indices=[], values=[], labels=None)
    order = sorted(range(len(indices)), key=indices.__getitem__)
    return SparseVector(
        indices=[indices[i] for i in order],
        values=[values[i] for i in order],
        labels=None if labels is None else [labels[i] for i in order],
    )


def _validating(method: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(self: Any, input: Any) -> SparseVectors:
        return validate_sparse_vectors(method(self, input))

    wrapper.__name__ = method.__name__
    wrapper.__qualname__ = getattr(method, "__qualname__", method.__name__)
    wrapper.__doc__ = method.__doc__
    setattr(wrapper, _VALIDATED, True)
    return wrapper


@runtime_checkable
class SparseEmbeddingFunction(Protocol[D]):
    """Turns inputs into sparse vectors; subclass it and define the abstract methods."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        method = cls.__dict__.get("__call__")
        if callable(method) and not getattr(method, _VALIDATED, False):
            setattr(cls, "__call__", _validating(method))

    @abstractmethod
    def __call__(self, input: D) -> SparseVectors:
        """One SparseVector per item of `input`."""

    def embed_query(self, input: D) -> SparseVectors:
        """Embed query texts; the same as `__call__` unless the model encodes queries apart."""
        return self.__call__(input)

    @staticmethod
    @abstractmethod
    def name() -> str:
        """The registry name persisted with a collection's schema."""

    @abstractmethod
    def get_config(self) -> Dict[str, Any]:
        """The JSON-serialisable arguments that `build_from_config` accepts."""

    @staticmethod
    @abstractmethod
    def build_from_config(config: Dict[str, Any]) -> "SparseEmbeddingFunction[Any]":
        """Rebuild an instance from `get_config()` output."""

    def validate_config_update(self, old_config: Dict[str, Any], new_config: Dict[str, Any]) -> None:
        return None

    @staticmethod
    def validate_config(config: Dict[str, Any]) -> None:
        return None


sparse_known_embedding_functions: Dict[str, type] = {}

_S = TypeVar("_S", bound=type)


def register_sparse_embedding_function(ef_class: Optional[_S] = None) -> Any:
    """Register a sparse embedding function class by its `name()`; usable as a decorator."""

    def register(cls: _S) -> _S:
        try:
            name = cls.name()  # type: ignore[attr-defined]
        except Exception as exc:  # noqa: BLE001 - any failure means the class cannot be named
            raise ValueError(f"Failed to register sparse embedding function: {exc}") from None
        sparse_known_embedding_functions[name] = cls
        return cls

    return register(ef_class) if ef_class is not None else register


def sparse_ef_from_config(cfg: Optional[Dict[str, Any]]) -> Optional[SparseEmbeddingFunction[Any]]:
    """Rebuild a registered sparse function from `{"type": "known", "name", "config"}`; None otherwise."""
    if not cfg or cfg.get("type") != "known":
        return None
    import chromadb.utils.embedding_functions  # noqa: F401  (the built-in ones register on import)

    cls = sparse_known_embedding_functions.get(cfg.get("name"))  # type: ignore[arg-type]
    if cls is None:
        return None
    return cls.build_from_config(cfg.get("config") or {})  # type: ignore[attr-defined, no-any-return]
