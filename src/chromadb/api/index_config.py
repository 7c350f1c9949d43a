"""Index configurations of a collection `Schema`, and `Cmek`, its encryption key.

    VectorIndexConfig(space="cosine", hnsw=HnswIndexConfig(ef_construction=200))
    SparseVectorIndexConfig(source_key=K.DOCUMENT, embedding_function=bm25, bm25=True)

Upstream builds these on pydantic; ours are small keyword-only models with the same
fields, validation (a bad value or an unknown field raises ValueError, as pydantic's
ValidationError is one), `model_dump()` and equality.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from inspect import signature
from typing import Any, ClassVar, Literal

__all__ = [
    "BoolInvertedIndexConfig",
    "Cmek",
    "CmekProvider",
    "FloatInvertedIndexConfig",
    "FtsIndexConfig",
    "HnswIndexConfig",
    "IndexConfig",
    "IntInvertedIndexConfig",
    "Space",
    "SpannIndexConfig",
    "SparseVectorIndexConfig",
    "StringInvertedIndexConfig",
    "VectorIndexConfig",
]

Space = Literal["cosine", "l2", "ip"]
_SPACES = ("cosine", "l2", "ip")

_UNSET: Any = object()
"""A field not passed to a model's constructor (distinct from an explicit None)."""


class _ConfigModel:
    """Keyword-only fields, checked on construction; `_IGNORED` names are accepted and dropped."""

    _FIELDS: ClassVar[dict[str, Any]] = {}  # name -> default
    _IGNORED: ClassVar[tuple[str, ...]] = ()

    def __init__(self, **data: Any) -> None:
        invalid = [k for k in data if k not in self._FIELDS and k not in self._IGNORED]
        if len(invalid) == 1:
            raise ValueError(f"'{invalid[0]}' is not a valid field for {type(self).__name__}. ")
        if invalid:
            names = ", ".join(f"'{k}'" for k in invalid)
            raise ValueError(f"Invalid fields for {type(self).__name__}: {names}. ")
        for name, default in self._FIELDS.items():
            value = data.get(name, _UNSET)
            if value is _UNSET:
                value = default() if callable(default) else default
            else:
                value = self._check(name, value)
            object.__setattr__(self, name, value)

    def _check(self, name: str, value: Any) -> Any:
        return value

    def model_dump(self, exclude_none: bool = False) -> dict[str, Any]:
        """The fields as a dict, nested configs included (pydantic's method of the same name)."""
        out: dict[str, Any] = {}
        for name in self._FIELDS:
            value = getattr(self, name)
            if isinstance(value, _ConfigModel):
                value = value.model_dump(exclude_none=exclude_none)
            if value is None and exclude_none:
                continue
            out[name] = value
        return out

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in self._FIELDS)

    __hash__ = None  # type: ignore[assignment]

    def __str__(self) -> str:
        return " ".join(f"{n}={getattr(self, n)!r}" for n in self._FIELDS)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{n}={getattr(self, n)!r}' for n in self._FIELDS)})"


def _optional_int(owner: str, name: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{owner}.{name} must be an integer, got {value!r}")
    return value


def _optional_float(owner: str, name: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{owner}.{name} must be a number, got {value!r}")
    return float(value)


def _nested(owner: str, name: str, kind: type[_ConfigModel], value: Any) -> Any:
    # A dict is read as the nested config, as pydantic does (that is how JSON comes back).
    if value is None or isinstance(value, kind):
        return value
    if isinstance(value, dict):
        return kind(**value)
    raise ValueError(f"{owner}.{name} must be a {kind.__name__} or a dict, got {type(value).__name__}")


def _source_key(value: Any) -> str | None:
    from chromadb.execution.expression._where import Key

    if value is None:
        return None
    if isinstance(value, Key):
        value = value.name
    elif not isinstance(value, str):
        raise ValueError(f"source_key must be str or Key, got {type(value).__name__}")
    if value.startswith("#") and value != "#document":
        raise ValueError(
            "source_key cannot begin with '#'. "
            "The only valid key starting with '#' is Key.DOCUMENT or '#document'."
        )
    return value


def _embedding_function(value: Any, kind: str) -> Any:
    # Upstream's check: any callable whose class's __call__ is `(self, input)`.
    if value is None:
        return None
    if not callable(value):
        raise ValueError(f"embedding_function must be a callable {kind} or None")
    params = list(signature(type(value).__call__).parameters)
    if params != ["self", "input"]:
        raise ValueError(
            f"Expected {kind}.__call__ to have the following signature: ['self', 'input'], got {params}. "
            "See https://docs.trychroma.com/guides/embeddings for the interface."
        )
    return value


class _EmptyConfig(_ConfigModel):
    pass


class FtsIndexConfig(_EmptyConfig):
    """Full-text (and regex) search over documents; only valid on `#document`. No parameters."""


class StringInvertedIndexConfig(_EmptyConfig):
    """The index behind `where` filters on string metadata. No parameters."""


class IntInvertedIndexConfig(_EmptyConfig):
    """The index behind `where` filters on integer metadata. No parameters."""


class FloatInvertedIndexConfig(_EmptyConfig):
    """The index behind `where` filters on float metadata. No parameters."""


class BoolInvertedIndexConfig(_EmptyConfig):
    """The index behind `where` filters on boolean metadata. No parameters."""


class HnswIndexConfig(_ConfigModel):
    """HNSW parameters of the vector index (None: the server's default)."""

    _FIELDS: ClassVar[dict[str, Any]] = {
        "ef_construction": None,
        "max_neighbors": None,
        "ef_search": None,
        "num_threads": None,
        "batch_size": None,
        "sync_threshold": None,
        "resize_factor": None,
    }

    ef_construction: int | None
    max_neighbors: int | None
    ef_search: int | None
    num_threads: int | None
    batch_size: int | None
    sync_threshold: int | None
    resize_factor: float | None

    def _check(self, name: str, value: Any) -> Any:
        if name == "resize_factor":
            return _optional_float("HnswIndexConfig", name, value)
        return _optional_int("HnswIndexConfig", name, value)


class SpannIndexConfig(_ConfigModel):
    """SPANN parameters of the vector index (Chroma Cloud's index; None: the default)."""

    _FIELDS: ClassVar[dict[str, Any]] = {
        "search_nprobe": None,
        "write_nprobe": None,
        "ef_construction": None,
        "ef_search": None,
        "max_neighbors": None,
        "reassign_neighbor_count": None,
        "split_threshold": None,
        "merge_threshold": None,
    }
    # The server's own SPANN fields: accepted when a schema comes back, not kept.
    _IGNORED: ClassVar[tuple[str, ...]] = (
        "search_rng_factor",
        "search_rng_epsilon",
        "nreplica_count",
        "write_rng_factor",
        "write_rng_epsilon",
        "num_samples_kmeans",
        "initial_lambda",
        "num_centers_to_merge_to",
        "center_drift_threshold",
        "quantize",
    )

    search_nprobe: int | None
    write_nprobe: int | None
    ef_construction: int | None
    ef_search: int | None
    max_neighbors: int | None
    reassign_neighbor_count: int | None
    split_threshold: int | None
    merge_threshold: int | None

    def _check(self, name: str, value: Any) -> Any:
        return _optional_int("SpannIndexConfig", name, value)


def _default_embedding_function() -> Any:
    # Imported on use: the embedding-function package is not needed to build expressions.
    from chromadb.embedding_functions.default import DefaultEmbeddingFunction

    return DefaultEmbeddingFunction()


class VectorIndexConfig(_ConfigModel):
    """The dense vector index: distance `space`, `embedding_function`, and hnsw or spann tuning.

    Args:
        space: "l2", "cosine" or "ip"; None lets the embedding function choose.
        embedding_function: embeds documents and string queries (default: the default
            embedding function; None: none, sent as "legacy").
        source_key: the field the vectors are computed from.
        hnsw: HnswIndexConfig (or its dict form).
        spann: SpannIndexConfig (or its dict form).
    """

    _FIELDS: ClassVar[dict[str, Any]] = {
        "space": None,
        "embedding_function": _default_embedding_function,
        "source_key": None,
        "hnsw": None,
        "spann": None,
    }

    space: Space | None
    embedding_function: Any | None
    source_key: str | None
    hnsw: HnswIndexConfig | None
    spann: SpannIndexConfig | None

    def _check(self, name: str, value: Any) -> Any:
        if name == "space":
            if value is not None and value not in _SPACES:
                raise ValueError(f"space must be one of 'cosine', 'l2' or 'ip', got {value!r}")
            return value
        if name == "embedding_function":
            return _embedding_function(value, "EmbeddingFunction")
        if name == "source_key":
            return _source_key(value)
        if name == "hnsw":
            return _nested("VectorIndexConfig", name, HnswIndexConfig, value)
        return _nested("VectorIndexConfig", name, SpannIndexConfig, value)


class SparseVectorIndexConfig(_ConfigModel):
    """A sparse vector index on one metadata key (BM25, SPLADE, ...).

    Args:
        embedding_function: a SparseEmbeddingFunction that fills the key from `source_key`.
        source_key: `#document` or a string metadata field to embed.
        bm25: weight the query by inverse document frequency (use with a BM25 function).
    """

    _FIELDS: ClassVar[dict[str, Any]] = {"embedding_function": None, "source_key": None, "bm25": None}
    _IGNORED: ClassVar[tuple[str, ...]] = ("algorithm",)

    embedding_function: Any | None
    source_key: str | None
    bm25: bool | None

    def _check(self, name: str, value: Any) -> Any:
        if name == "embedding_function":
            return _embedding_function(value, "SparseEmbeddingFunction")
        if name == "source_key":
            return _source_key(value)
        if value is not None and not isinstance(value, bool):
            raise ValueError(f"SparseVectorIndexConfig.bm25 must be a bool, got {value!r}")
        return value


IndexConfig = (
    FtsIndexConfig
    | VectorIndexConfig
    | SparseVectorIndexConfig
    | StringInvertedIndexConfig
    | IntInvertedIndexConfig
    | FloatInvertedIndexConfig
    | BoolInvertedIndexConfig
)


class CmekProvider(str, Enum):
    """Cloud providers of customer-managed encryption keys (only GCP so far)."""

    GCP = "gcp"


_CMEK_GCP_PATTERN = re.compile(r"^projects/.+/locations/.+/keyRings/.+/cryptoKeys/.+$")


@dataclass
class Cmek:
    """A customer-managed encryption key for a collection's data (Chroma Cloud).

    Example:
        Schema().set_cmek(Cmek.gcp("projects/p/locations/l/keyRings/r/cryptoKeys/k"))
    """

    provider: CmekProvider
    resource: str

    @classmethod
    def gcp(cls, resource: str) -> Cmek:
        """A GCP Cloud KMS key, `projects/*/locations/*/keyRings/*/cryptoKeys/*`."""
        return cls(provider=CmekProvider.GCP, resource=resource)

    def validate_pattern(self) -> bool:
        """True when the resource name has the provider's format (the key is not looked up)."""
        if self.provider == CmekProvider.GCP:
            return _CMEK_GCP_PATTERN.match(self.resource) is not None
        return False

    def to_dict(self) -> dict[str, Any]:
        """The wire form, `{"gcp": resource}`."""
        return {CmekProvider(self.provider).value: self.resource}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Cmek:
        """Read the wire form."""
        if "gcp" in data:
            resource = data["gcp"]
            if not isinstance(resource, str):
                raise ValueError(f"CMEK gcp resource must be a string, got: {type(resource)}")
            return cls.gcp(resource)
        raise ValueError(f"Unsupported or missing CMEK provider in data: {data}")
