"""Filter expressions of the Search API, and `Key` (alias `K`), the field proxy that builds them.

    (K("status") == "active") & (K("year") >= 2020) | K.DOCUMENT.contains("llama")

Each expression's `to_dict()` is the classic `where` grammar the server reads as a
payload's `filter`, plus `#document` (document search) and `#id` (record ids) as keys
(spec/search-api.md §1.2).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from chromadb.base_types import LiteralValue

__all__ = [
    "And",
    "Contains",
    "Eq",
    "Gt",
    "Gte",
    "In",
    "K",
    "Key",
    "Lt",
    "Lte",
    "Ne",
    "Nin",
    "NotContains",
    "NotRegex",
    "Or",
    "Regex",
    "Where",
]


class Where(ABC):
    """A filter expression; combine two with `&` (and) or `|` (or).

    Build them from a `Key` (`K("year") > 2020`) or from the dict grammar
    (`Where.from_dict({"year": {"$gt": 2020}})`).
    """

    @abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """The filter as the server reads it."""

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> Where:
        """Parse the dict grammar: `{"f": v}`, `{"f": {"$op": v}}`, `{"$and"|"$or": [...]}`."""
        if not isinstance(data, Mapping):
            raise TypeError(f"Expected dict for Where, got {type(data).__name__}")
        if not data:
            raise ValueError("Where dict cannot be empty")
        for logical in ("$and", "$or"):
            if logical in data:
                return _logical_from_dict(logical, data)
        if len(data) != 1:
            raise ValueError(f"Where dict must contain exactly one field, got {len(data)}")
        field, condition = next(iter(data.items()))
        if not isinstance(field, str):
            raise TypeError(f"Field name must be a string, got {type(field).__name__}")
        if not isinstance(condition, Mapping):
            return Key(field) == condition  # a bare value means equality
        if not condition:
            raise ValueError(f"Operator dict for field '{field}' cannot be empty")
        if len(condition) != 1:
            raise ValueError(f"Operator dict for field '{field}' must contain exactly one operator")
        op, value = next(iter(condition.items()))
        build = _OPERATORS.get(op)
        if build is None:
            raise ValueError(f"Unknown operator: {op}")
        return build(Key(field), value)

    def __and__(self, other: Where) -> And:
        if not isinstance(other, Where):
            return NotImplemented
        return And(_flatten(And, self) + _flatten(And, other))

    def __or__(self, other: Where) -> Or:
        if not isinstance(other, Where):
            return NotImplemented
        return Or(_flatten(Or, self) + _flatten(Or, other))


def _flatten(kind: type[And] | type[Or], where: Where) -> list[Where]:
    # a & b & c is one $and of three, not nested pairs, as upstream builds it.
    return list(where.conditions) if isinstance(where, kind) else [where]


def _logical_from_dict(op: str, data: Mapping[str, Any]) -> Where:
    items = data[op]
    if not isinstance(items, list):
        raise TypeError(f"{op} must be a list, got {type(items).__name__}")
    if not items:
        raise ValueError(f"{op} requires at least one condition")
    if len(data) > 1:
        raise ValueError(f"{op} cannot be combined with other fields in the same dict")
    conditions = [Where.from_dict(item) for item in items]
    if len(conditions) == 1:
        return conditions[0]
    return And(conditions) if op == "$and" else Or(conditions)


@dataclass(frozen=True)
class And(Where):
    """All of `conditions` hold."""

    conditions: list[Where]

    def to_dict(self) -> dict[str, Any]:
        return {"$and": [c.to_dict() for c in self.conditions]}


@dataclass(frozen=True)
class Or(Where):
    """At least one of `conditions` holds."""

    conditions: list[Where]

    def to_dict(self) -> dict[str, Any]:
        return {"$or": [c.to_dict() for c in self.conditions]}


@dataclass(frozen=True)
class _Comparison(Where):
    key: str
    value: Any
    operator: ClassVar[str]

    def to_dict(self) -> dict[str, Any]:
        return {self.key: {self.operator: self.value}}


@dataclass(frozen=True)
class Eq(_Comparison):
    """`key` equals `value` (on `#id`: the record id is `value`)."""

    operator: ClassVar[str] = "$eq"


@dataclass(frozen=True)
class Ne(_Comparison):
    """`key` differs from `value`."""

    operator: ClassVar[str] = "$ne"


@dataclass(frozen=True)
class Gt(_Comparison):
    """`key` is greater than `value`."""

    operator: ClassVar[str] = "$gt"


@dataclass(frozen=True)
class Gte(_Comparison):
    """`key` is greater than or equal to `value`."""

    operator: ClassVar[str] = "$gte"


@dataclass(frozen=True)
class Lt(_Comparison):
    """`key` is less than `value`."""

    operator: ClassVar[str] = "$lt"


@dataclass(frozen=True)
class Lte(_Comparison):
    """`key` is less than or equal to `value`."""

    operator: ClassVar[str] = "$lte"


@dataclass(frozen=True)
class In(Where):
    """`key` is one of `values` (on `#id`: the record id is in the list)."""

    key: str
    values: list[Any]

    def to_dict(self) -> dict[str, Any]:
        return {self.key: {"$in": self.values}}


@dataclass(frozen=True)
class Nin(Where):
    """`key` is none of `values`."""

    key: str
    values: list[Any]

    def to_dict(self) -> dict[str, Any]:
        return {self.key: {"$nin": self.values}}


@dataclass(frozen=True)
class Contains(Where):
    """On `#document`: the document contains the substring; elsewhere: the metadata array holds `value`."""

    key: str
    value: LiteralValue

    def to_dict(self) -> dict[str, Any]:
        return {self.key: {"$contains": self.value}}


@dataclass(frozen=True)
class NotContains(Where):
    """The negation of `Contains`."""

    key: str
    value: LiteralValue

    def to_dict(self) -> dict[str, Any]:
        return {self.key: {"$not_contains": self.value}}


@dataclass(frozen=True)
class Regex(Where):
    """The document matches the regular expression `pattern` (only valid on `#document`)."""

    key: str
    pattern: str

    def to_dict(self) -> dict[str, Any]:
        return {self.key: {"$regex": self.pattern}}


@dataclass(frozen=True)
class NotRegex(Where):
    """The document does not match `pattern`."""

    key: str
    pattern: str

    def to_dict(self) -> dict[str, Any]:
        return {self.key: {"$not_regex": self.pattern}}


class Key:
    """A field of a record, to compare (`K("year") > 2020`) or to name in Knn, Select, GroupBy.

    `Key.ID`, `Key.DOCUMENT`, `Key.EMBEDDING`, `Key.METADATA` and `Key.SCORE` are the
    reserved fields (`#id`, `#document`, ...); any other name is a metadata field.
    `K` is an alias: `K.DOCUMENT.contains("llama")`, `K("tag").is_in(["a", "b"])`.

    The comparison operators build filters, so `K("a") == 1` is an `Eq`, not a bool.
    """

    __slots__ = ("_name",)

    ID: ClassVar[Key]
    DOCUMENT: ClassVar[Key]
    EMBEDDING: ClassVar[Key]
    METADATA: ClassVar[Key]
    SCORE: ClassVar[Key]

    def __init__(self, name: str) -> None:
        if not isinstance(name, str):
            raise TypeError(f"Key name must be a string, got {type(name).__name__}")
        object.__setattr__(self, "_name", name)

    @property
    def name(self) -> str:
        return self._name

    def __setattr__(self, attr: str, value: Any) -> None:
        raise AttributeError("Key is immutable; make a new Key instead")

    def __repr__(self) -> str:
        return f"Key({self._name!r})"

    def __hash__(self) -> int:
        # The hash of the name, so a set of keys treats Key("a") and "a" as one entry.
        return hash(self._name)

    def __eq__(self, value: Any) -> Eq:  # type: ignore[override]
        return Eq(self._name, value)

    def __ne__(self, value: Any) -> Ne:  # type: ignore[override]
        return Ne(self._name, value)

    def __gt__(self, value: Any) -> Gt:
        return Gt(self._name, value)

    def __ge__(self, value: Any) -> Gte:
        return Gte(self._name, value)

    def __lt__(self, value: Any) -> Lt:
        return Lt(self._name, value)

    def __le__(self, value: Any) -> Lte:
        return Lte(self._name, value)

    def is_in(self, values: list[Any]) -> In:
        """The field's value is one of `values`."""
        return In(self._name, _list_operand("$in", values))

    def not_in(self, values: list[Any]) -> Nin:
        """The field's value is none of `values`."""
        return Nin(self._name, _list_operand("$nin", values))

    def regex(self, pattern: str) -> Regex:
        """The field matches the regular expression `pattern` (the server allows it on `#document`)."""
        return Regex(self._name, _pattern_operand("$regex", pattern))

    def not_regex(self, pattern: str) -> NotRegex:
        """The field does not match `pattern`."""
        return NotRegex(self._name, _pattern_operand("$not_regex", pattern))

    def contains(self, value: LiteralValue) -> Contains:
        """On `#document`: substring search; on a metadata field: the array holds `value`."""
        return Contains(self._name, self._contains_operand("$contains", value))

    def not_contains(self, value: LiteralValue) -> NotContains:
        """On `#document`: the substring is absent; on a metadata field: the array lacks `value`."""
        return NotContains(self._name, self._contains_operand("$not_contains", value))

    def _contains_operand(self, op: str, value: Any) -> LiteralValue:
        if self._name == "#document" and not isinstance(value, str):
            raise TypeError(f"{op} on #document requires a string pattern")
        if not isinstance(value, (str, int, float, bool)):
            raise TypeError(f"{op} requires a str, int, float, or bool, got {type(value).__name__}")
        return value


def _list_operand(op: str, values: Any) -> list[Any]:
    if not isinstance(values, list):
        raise TypeError(f"{op} requires a list, got {type(values).__name__}")
    return values


def _pattern_operand(op: str, pattern: Any) -> str:
    if not isinstance(pattern, str):
        raise TypeError(f"{op} requires a string pattern, got {type(pattern).__name__}")
    return pattern


Key.ID = Key("#id")
Key.DOCUMENT = Key("#document")
Key.EMBEDDING = Key("#embedding")
Key.METADATA = Key("#metadata")
Key.SCORE = Key("#score")

K = Key

_OPERATORS: dict[str, Callable[[Key, Any], Where]] = {
    "$eq": lambda key, value: key == value,
    "$ne": lambda key, value: key != value,
    "$gt": lambda key, value: key > value,
    "$gte": lambda key, value: key >= value,
    "$lt": lambda key, value: key < value,
    "$lte": lambda key, value: key <= value,
    "$in": Key.is_in,
    "$nin": Key.not_in,
    "$contains": Key.contains,
    "$not_contains": Key.not_contains,
    "$regex": Key.regex,
    "$not_regex": Key.not_regex,
}
