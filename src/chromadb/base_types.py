"""Value types shared by the API and the Search expressions: sparse vectors and the filter grammar.

    from chromadb.base_types import SparseVector
    vec = SparseVector(indices=[3, 17], values=[0.5, 1.25])
    vec.to_dict()   # {"#type": "sparse_vector", "indices": [3, 17], "values": [0.5, 1.25]}

A sparse vector travels as a tagged JSON object (`#type: sparse_vector`), as a metadata
value and as a `Knn` query (spec/search-api.md §1.2).
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np

__all__ = [
    "SPARSE_VECTOR_TYPE_VALUE",
    "TYPE_KEY",
    "ArrayContainsOperator",
    "InclusionExclusionOperator",
    "LiteralValue",
    "LogicalOperator",
    "Metadata",
    "MetadataListValue",
    "OperatorExpression",
    "PyVector",
    "SparseVector",
    "SparseVectors",
    "UpdateMetadata",
    "Vector",
    "Where",
    "WhereDocument",
    "WhereDocumentOperator",
    "WhereOperator",
]

TYPE_KEY: Final[str] = "#type"
SPARSE_VECTOR_TYPE_VALUE: Final[str] = "sparse_vector"


@dataclass
class SparseVector:
    """A sparse vector: parallel lists of dimension indices and their values.

    Args:
        indices: non-negative integer dimensions, strictly ascending (no duplicates).
        values: one number per index.
        labels: optional, one string per index (the token behind each dimension); sent as
            `tokens` on the wire.

    Raises:
        ValueError: when the lists differ in length, an index is negative, not an integer
            or out of order, or a value is not a number.
    """

    indices: list[int]
    values: list[float]
    labels: list[str] | None = None

    def __post_init__(self) -> None:
        self.indices = _as_list(self.indices, "indices")
        self.values = _as_list(self.values, "values")
        if len(self.indices) != len(self.values):
            raise ValueError(
                "SparseVector indices and values must have the same length, "
                f"got {len(self.indices)} indices and {len(self.values)} values"
            )
        if self.labels is not None:
            self.labels = _as_list(self.labels, "labels")
            if len(self.labels) != len(self.indices):
                raise ValueError(
                    "SparseVector labels must have the same length as indices and values, "
                    f"got {len(self.labels)} labels, {len(self.indices)} indices"
                )
            for i, label in enumerate(self.labels):
                if not isinstance(label, str):
                    raise ValueError(
                        f"SparseVector labels must be strings, got {type(label).__name__} at position {i}"
                    )
        # The usual case (plain ints and floats, as an embedding function makes them) is
        # checked by type sets; anything else goes element by element, to say where it fails.
        index_types, value_types = set(map(type, self.indices)), set(map(type, self.values))
        if not (index_types <= {int} and (not self.indices or min(self.indices) >= 0)):
            self.indices = [_index_at(idx, i) for i, idx in enumerate(self.indices)]
        if not value_types <= {float, int}:
            self.values = [_value_at(val, i) for i, val in enumerate(self.values)]
        if all(a < b for a, b in zip(self.indices, self.indices[1:])):
            return
        for i in range(1, len(self.indices)):
            if self.indices[i] <= self.indices[i - 1]:
                raise ValueError(
                    "SparseVector indices must be sorted in strictly ascending order, "
                    f"found indices[{i}]={self.indices[i]} <= indices[{i - 1}]={self.indices[i - 1]}"
                )

    def to_dict(self) -> dict[str, Any]:
        """The wire form; labels go out as `tokens`, the name the server uses."""
        out: dict[str, Any] = {
            TYPE_KEY: SPARSE_VECTOR_TYPE_VALUE,
            "indices": self.indices,
            "values": self.values,
        }
        if self.labels is not None:
            out["tokens"] = self.labels
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SparseVector:
        """Read the wire form; the `#type` tag is required, as upstream's client requires it."""
        if not isinstance(data, Mapping):
            raise ValueError(f"Expected a dict for SparseVector, got {type(data).__name__}")
        if data.get(TYPE_KEY) != SPARSE_VECTOR_TYPE_VALUE:
            raise ValueError(
                f"Expected {TYPE_KEY}='{SPARSE_VECTOR_TYPE_VALUE}', got {data.get(TYPE_KEY)}"
            )
        for field in ("indices", "values"):
            if field not in data:
                raise ValueError(f"SparseVector dict is missing {field!r}")
        return cls(indices=data["indices"], values=data["values"], labels=data.get("tokens"))


def _as_list(value: Any, field: str) -> list[Any]:
    # Lists as upstream; tuples and 1-D numpy arrays are accepted too and copied to lists.
    if isinstance(value, list):
        return list(value)
    if isinstance(value, tuple) or (isinstance(value, np.ndarray) and value.ndim == 1):
        return list(value)
    raise ValueError(f"Expected SparseVector {field} to be a list, got {type(value).__name__}")


def _index_at(idx: Any, position: int) -> int:
    if isinstance(idx, bool) or not isinstance(idx, (int, np.integer)):
        raise ValueError(
            f"SparseVector indices must be integers, got {type(idx).__name__} at position {position}"
        )
    if idx < 0:
        raise ValueError(f"SparseVector indices must be non-negative, got {idx} at position {position}")
    return int(idx)


def _value_at(val: Any, position: int) -> float:
    if isinstance(val, bool) or not isinstance(val, numbers.Real):
        raise ValueError(
            f"SparseVector values must be numbers, got {type(val).__name__} at position {position}"
        )
    # Plain Python numbers, so the vector serialises as JSON whatever the caller passed.
    return val.item() if isinstance(val, np.generic) else val  # type: ignore[return-value]


SparseVectors = list[SparseVector]

MetadataListValue = list[str | int | float | bool]
Metadata = Mapping[str, str | int | float | bool | SparseVector | MetadataListValue | None]
UpdateMetadata = Mapping[str, int | float | str | bool | SparseVector | MetadataListValue | None]
PyVector = Sequence[float] | Sequence[int]
Vector = np.ndarray  # at run time plain np.ndarray (numpy.typing costs ~25 ms at import)

# The classic filter grammar (`where` / `where_document`), as upstream names its parts.
LiteralValue = str | int | float | bool
LogicalOperator = Literal["$and", "$or"]
WhereOperator = Literal["$gt", "$gte", "$lt", "$lte", "$ne", "$eq"]
InclusionExclusionOperator = Literal["$in", "$nin"]
ArrayContainsOperator = Literal["$contains", "$not_contains"]
OperatorExpression = (
    dict[WhereOperator | LogicalOperator, LiteralValue]
    | dict[InclusionExclusionOperator, list[LiteralValue]]
    | dict[ArrayContainsOperator, LiteralValue]
)
Where = dict[str | LogicalOperator, LiteralValue | OperatorExpression | list["Where"]]
WhereDocumentOperator = Literal["$contains", "$not_contains", "$regex", "$not_regex"] | LogicalOperator
WhereDocument = dict[WhereDocumentOperator, str | list["WhereDocument"]]
