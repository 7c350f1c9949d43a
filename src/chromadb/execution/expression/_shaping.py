"""What a Search returns: `Limit` (paging), `Select` (fields), `GroupBy` with `MinK` / `MaxK`.

    GroupBy(keys=K("category"), aggregate=MinK(keys=K.SCORE, k=2))   # best 2 per category
    Select(keys={K.DOCUMENT, K.SCORE, "title"})
    Limit(offset=20, limit=10)

The server applies them after ranking, in the order group, slice, select
(spec/search-api.md §4.1).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from chromadb.execution.expression._where import Key

__all__ = ["Aggregate", "GroupBy", "Limit", "MaxK", "MinK", "Select"]

KeyLike = Key | str

# Fields that are not metadata: the server refuses them as group keys (and, but for
# #score, as aggregate keys).
_RESERVED_FIELDS = ("#document", "#embedding", "#metadata", "#score")


def _key_name(key: Any) -> str:
    if isinstance(key, Key):
        return key.name
    if isinstance(key, str):
        return key
    raise TypeError(f"Expected a Key or a string, got {type(key).__name__}")


@dataclass(frozen=True)
class Limit:
    """Skip `offset` results, then return at most `limit` (None: all the rest)."""

    offset: int = 0
    limit: int | None = None

    def __post_init__(self) -> None:
        if isinstance(self.offset, bool) or not isinstance(self.offset, int):
            raise TypeError(f"Limit offset must be an integer, got {type(self.offset).__name__}")
        if self.offset < 0:
            raise ValueError(f"Limit offset must be non-negative, got {self.offset}")
        if self.limit is not None:
            if isinstance(self.limit, bool) or not isinstance(self.limit, int):
                raise TypeError(f"Limit limit must be an integer, got {type(self.limit).__name__}")
            if self.limit <= 0:
                raise ValueError(f"Limit limit must be positive, got {self.limit}")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"offset": self.offset}
        if self.limit is not None:
            out["limit"] = self.limit
        return out

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> Limit:
        """`{"offset": 10, "limit": 20}`; both are optional."""
        if not isinstance(data, Mapping):
            raise TypeError(f"Expected dict for Limit, got {type(data).__name__}")
        unexpected = set(data) - {"offset", "limit"}
        limit = Limit(offset=data.get("offset", 0), limit=data.get("limit"))
        if unexpected:
            raise ValueError(f"Unexpected keys in Limit dict: {unexpected}")
        return limit


# The order in which the server lists selected keys (Rust `Key` order, spec §1.4); we send
# them in that order too, so a request body does not depend on set iteration order.
_SELECT_ORDER = {"#document": 0, "#embedding": 1, "#metadata": 2, "#score": 3}


@dataclass(frozen=True)
class Select:
    """The fields each result carries besides its id.

    `K.DOCUMENT`, `K.EMBEDDING`, `K.METADATA` (the whole metadata), `K.SCORE`, or any
    metadata field name (that one field of the metadata). `keys` holds their names.
    """

    keys: frozenset[KeyLike] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if isinstance(self.keys, (str, Key)) or not isinstance(self.keys, Iterable):
            raise TypeError(f"Select keys must be a list/tuple/set, got {type(self.keys).__name__}")
        object.__setattr__(self, "keys", frozenset(_key_name(k) for k in self.keys))

    def to_dict(self) -> dict[str, Any]:
        return {"keys": sorted(self.keys, key=lambda n: (_SELECT_ORDER.get(n, 4), n))}

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> Select:
        """`{"keys": ["#document", "#score", "title"]}`."""
        if not isinstance(data, Mapping):
            raise TypeError(f"Expected dict for Select, got {type(data).__name__}")
        keys = data.get("keys", [])
        if not isinstance(keys, (list, tuple, set, frozenset)):
            raise TypeError(f"Select keys must be a list/tuple/set, got {type(keys).__name__}")
        for key in keys:
            if not isinstance(key, str):
                raise TypeError(f"Select key must be a string, got {type(key).__name__}")
        unexpected = set(data) - {"keys"}
        if unexpected:
            raise ValueError(f"Unexpected keys in Select dict: {unexpected}")
        return Select(keys=frozenset(keys))


def _key_list(keys: Any, what: str) -> list[str]:
    # One key or a list of them, as upstream's OneOrMany; kept as names (a Key's == builds
    # a filter, which would make equality of these objects meaningless).
    items = list(keys) if isinstance(keys, (list, tuple)) else [keys]
    for item in items:
        if not isinstance(item, (Key, str)):
            raise TypeError(f"{what} must be Keys or strings, got {type(item).__name__}")
    return [_key_name(item) for item in items]


class Aggregate(ABC):
    """Which records of each group to keep: `MinK` (smallest values) or `MaxK` (largest)."""

    @abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """The aggregate as the server reads it."""

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> Aggregate:
        """`{"$min_k": {"keys": [...], "k": n}}` or `{"$max_k": {...}}`."""
        if not isinstance(data, Mapping):
            raise TypeError(f"Expected dict for Aggregate, got {type(data).__name__}")
        if not data:
            raise ValueError("Aggregate dict cannot be empty")
        if len(data) != 1:
            raise ValueError(f"Aggregate dict must contain exactly one operator, got {len(data)}")
        op, body = next(iter(data.items()))
        kind = {"$min_k": MinK, "$max_k": MaxK}.get(op)
        if kind is None:
            raise ValueError(f"Unknown aggregate operator: {op}")
        if not isinstance(body, Mapping):
            raise TypeError(f"{op} requires a dict, got {type(body).__name__}")
        for required in ("keys", "k"):
            if required not in body:
                raise ValueError(f"{op} requires '{required}' field")
        if not isinstance(body["keys"], (list, tuple)):
            raise TypeError(f"{op} keys must be a list, got {type(body['keys']).__name__}")
        return kind(keys=list(body["keys"]), k=body["k"])


@dataclass(frozen=True)
class _KAggregate(Aggregate):
    keys: list[KeyLike]
    k: int
    operator = ""

    def __post_init__(self) -> None:
        keys = _key_list(self.keys, f"{self.operator} keys")
        if not keys:
            raise ValueError(f"{self.operator} keys cannot be empty")
        for name in keys:
            if name in _RESERVED_FIELDS and name != "#score":
                raise ValueError(
                    f"{self.operator} keys must be metadata fields or #score, got {name!r}"
                )
        object.__setattr__(self, "keys", keys)
        if isinstance(self.k, bool) or not isinstance(self.k, int):
            raise TypeError(f"{self.operator} k must be an integer, got {type(self.k).__name__}")
        if self.k <= 0:
            raise ValueError(f"{self.operator} k must be positive, got {self.k}")

    def to_dict(self) -> dict[str, Any]:
        return {self.operator: {"keys": list(self.keys), "k": self.k}}


@dataclass(frozen=True)
class MinK(_KAggregate):
    """Keep the `k` records with the smallest values of `keys` (compared in order) per group."""

    operator = "$min_k"


@dataclass(frozen=True)
class MaxK(_KAggregate):
    """Keep the `k` records with the largest values of `keys` (compared in order) per group."""

    operator = "$max_k"


@dataclass(frozen=True)
class GroupBy:
    """Group results by metadata `keys`, keep `aggregate`'s pick of each group.

    Both or neither must be given; `GroupBy()` means no grouping. The kept records
    come back flattened and sorted by score.
    """

    keys: list[KeyLike] = field(default_factory=list)
    aggregate: Aggregate | None = None

    def __post_init__(self) -> None:
        keys = _key_list(self.keys, "GroupBy keys")
        if bool(keys) != (self.aggregate is not None):
            # Upstream's client would drop such a GroupBy silently; say so instead.
            raise ValueError("GroupBy keys and aggregate must both be specified or both be omitted")
        if self.aggregate is not None and not isinstance(self.aggregate, Aggregate):
            raise TypeError(f"GroupBy aggregate must be MinK or MaxK, got {type(self.aggregate).__name__}")
        for name in keys:
            if name in _RESERVED_FIELDS:
                raise ValueError(
                    "GroupBy keys must be metadata fields (cannot use #score, #document, "
                    f"#embedding, or #metadata), got {name!r}"
                )
        object.__setattr__(self, "keys", keys)

    def to_dict(self) -> dict[str, Any]:
        if self.aggregate is None:
            return {}
        return {"keys": list(self.keys), "aggregate": self.aggregate.to_dict()}

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> GroupBy:
        """`{}` (no grouping) or `{"keys": [...], "aggregate": {"$min_k": ...}}`."""
        if not isinstance(data, Mapping):
            raise TypeError(f"Expected dict for GroupBy, got {type(data).__name__}")
        if not data:
            return GroupBy()
        for required in ("keys", "aggregate"):
            if required not in data:
                raise ValueError(f"GroupBy requires '{required}' field")
        keys = data["keys"]
        if not isinstance(keys, (list, tuple)):
            raise TypeError(f"GroupBy keys must be a list, got {type(keys).__name__}")
        if not keys:
            raise ValueError("GroupBy keys cannot be empty")
        aggregate = data["aggregate"]
        if not isinstance(aggregate, Mapping):
            raise TypeError(f"GroupBy aggregate must be a dict, got {type(aggregate).__name__}")
        return GroupBy(keys=list(keys), aggregate=Aggregate.from_dict(aggregate))
