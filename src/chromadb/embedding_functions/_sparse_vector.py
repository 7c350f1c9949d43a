"""`SparseVector`: `chromadb.base_types.SparseVector` when the package has it, else a stand-in.

The Search/Schema work defines the real type in `chromadb.base_types`; until both live on
one branch, sparse embedding functions use this small dataclass with the same fields
(`indices`, `values`, `labels`), the same checks and the same wire form. Once
`chromadb.base_types.SparseVector` exists it is the one used, so there is one class.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional

__all__ = ["SparseVector"]

try:
    from chromadb.base_types import SparseVector  # type: ignore[attr-defined]
except ImportError:
    _TYPE_KEY = "#type"
    _SPARSE_VECTOR_TYPE = "sparse_vector"

    @dataclass
    class SparseVector:  # type: ignore[no-redef]
        """Parallel lists of strictly ascending non-negative indices and their values.

        `labels` (optional) names the token behind each index; on the wire it is `tokens`.
        """

        indices: List[int]
        values: List[float]
        labels: Optional[List[str]] = None

        def __post_init__(self) -> None:
            for field in ("indices", "values"):
                if not isinstance(getattr(self, field), list):
                    raise ValueError(
                        f"Expected SparseVector {field} to be a list, got {type(getattr(self, field)).__name__}"
                    )
            if len(self.indices) != len(self.values):
                raise ValueError(
                    "SparseVector indices and values must have the same length, "
                    f"got {len(self.indices)} indices and {len(self.values)} values"
                )
            if self.labels is not None and (
                not isinstance(self.labels, list) or len(self.labels) != len(self.indices)
            ):
                raise ValueError("SparseVector labels must be a list as long as indices and values")
            previous = -1
            for i, (index, value) in enumerate(zip(self.indices, self.values)):
                if not isinstance(index, int) or isinstance(index, bool) or index < 0:
                    raise ValueError(
                        f"SparseVector indices must be non-negative integers, got {index!r} at position {i}"
                    )
                if index <= previous:
                    raise ValueError(
                        "SparseVector indices must be sorted in strictly ascending order, "
                        f"found indices[{i}]={index} <= indices[{i - 1}]={previous}"
                    )
                previous = index
                if not isinstance(value, (int, float)) or isinstance(value, bool):
                    raise ValueError(
                        f"SparseVector values must be numbers, got {type(value).__name__} at position {i}"
                    )

        def to_dict(self) -> Dict[str, Any]:
            """The tagged JSON form (`#type: sparse_vector`; labels travel as `tokens`)."""
            out: Dict[str, Any] = {_TYPE_KEY: _SPARSE_VECTOR_TYPE, "indices": self.indices, "values": self.values}
            if self.labels is not None:
                out["tokens"] = self.labels
            return out

        @classmethod
        def from_dict(cls, d: Dict[str, Any]) -> "SparseVector":
            if d.get(_TYPE_KEY) != _SPARSE_VECTOR_TYPE:
                raise ValueError(f"Expected {_TYPE_KEY}='{_SPARSE_VECTOR_TYPE}', got {d.get(_TYPE_KEY)}")
            return cls(indices=d["indices"], values=d["values"], labels=d.get("tokens"))
