"""The embedding function protocol, shaped like Chroma's `EmbeddingFunction`.

An embedding function turns a list of inputs (usually documents) into one float32
vector per input. Subclasses only have to define `__call__`; whatever they return
(lists of floats, numpy rows, a 2-D array) is normalised to a list of 1-D float32
numpy arrays, as Chroma does. A class without `name()` / `get_config()` is "legacy":
it works, but its configuration cannot be persisted with a collection.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar, runtime_checkable

import numpy as np

__all__ = ["EmbeddingFunction", "normalize_embeddings"]

D = TypeVar("D", contravariant=True)

_NORMALISED = "_chromadb_normalised"


def normalize_embeddings(result: Any, *, source: str = "embedding function") -> list[np.ndarray]:
    """Return `result` as a list of 1-D float32 arrays, or raise ValueError."""
    if result is None:
        raise ValueError(f"{source} returned None; expected a list of embeddings.")
    if isinstance(result, np.ndarray):
        if result.ndim == 1:
            rows: Sequence[Any] = [result]
        elif result.ndim == 2:
            rows = list(result)
        else:
            raise ValueError(
                f"{source} returned an array of shape {result.shape}; expected 1-D or 2-D."
            )
    elif isinstance(result, (list, tuple)):
        # A flat list of numbers is one embedding, as in Chroma.
        if result and all(isinstance(x, (int, float, np.number)) for x in result):
            rows = [result]
        else:
            rows = result
    else:
        raise ValueError(
            f"{source} returned {type(result).__name__}; expected a list of embeddings."
        )
    return [_as_vector(row, i, source) for i, row in enumerate(rows)]


def _as_vector(row: Any, index: int, source: str) -> np.ndarray:
    if isinstance(row, (str, bytes)):
        raise ValueError(f"{source} returned a string at position {index}, not a vector.")
    try:
        vec = np.asarray(row, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{source} returned a non-numeric embedding at position {index}: {exc}"
        ) from None
    if vec.ndim != 1 or vec.size == 0:
        raise ValueError(
            f"{source} returned an embedding of shape {vec.shape} at position {index}; "
            "expected a non-empty 1-D vector."
        )
    return vec


def _normalising(method: Callable[..., Any], cls_name: str) -> Callable[..., Any]:
    # No functools.wraps: like upstream, the wrapped signature stays `(self, input)`,
    # so signature checks accept subclasses whatever their parameter is called.
    def wrapper(self: Any, input: Any) -> list[np.ndarray]:
        result = method(self, input)
        vectors = normalize_embeddings(result, source=f"{cls_name}.{method.__name__}")
        if not vectors and _has_items(input):
            raise ValueError(f"{cls_name}.{method.__name__} returned no embeddings.")
        return vectors

    wrapper.__name__ = method.__name__
    wrapper.__qualname__ = getattr(method, "__qualname__", method.__name__)
    wrapper.__doc__ = method.__doc__
    setattr(wrapper, _NORMALISED, True)
    return wrapper


def _has_items(value: Any) -> bool:
    try:
        return len(value) > 0
    except TypeError:
        return True


@runtime_checkable
class EmbeddingFunction(Protocol[D]):
    """Turns inputs into vectors; subclass it and define `__call__`.

    Example:
        class MyEF(EmbeddingFunction):
            def __call__(self, input):
                return [[1.0, 2.0, 3.0] for _ in input]

    Known (persistable) functions also define `name()`, `get_config()` and
    `build_from_config()`, and register themselves with
    `chromadb.embedding_functions.registry.register_embedding_function`.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for attr in ("__call__", "embed_query"):
            method = cls.__dict__.get(attr)
            if callable(method) and not getattr(method, _NORMALISED, False):
                setattr(cls, attr, _normalising(method, cls.__name__))

    @abstractmethod
    def __call__(self, input: D) -> list[np.ndarray]:
        """Embed each item of `input`; returns one float32 vector per item."""
        ...

    def embed_query(self, input: D) -> list[np.ndarray]:
        """Embed query texts; the same as `__call__` unless a model needs otherwise."""
        return self.__call__(input)

    @staticmethod
    def name() -> str:
        """The registry name persisted with a collection; legacy functions have none."""
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        """The JSON-serialisable arguments that `build_from_config` accepts."""
        raise NotImplementedError

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> EmbeddingFunction[Any]:
        """Rebuild an instance from `get_config()` output."""
        raise NotImplementedError

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        """Raise ValueError if `config` cannot build this function; accepts all by default."""
        return None

    def default_space(self) -> str:
        """The distance space a new collection gets with this function (Chroma: "l2")."""
        return "l2"

    def supported_spaces(self) -> list[str]:
        return ["cosine", "l2", "ip"]

    def is_legacy(self) -> bool:
        """True when the function cannot describe itself (no `name()` or `get_config()`)."""
        try:
            self.name()
            self.get_config()
        except NotImplementedError:
            return True
        return False
