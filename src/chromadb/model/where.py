"""`where` and `where_document` parsed once into a frozen tree (spec sections 8.4, 8.5).

`parse_where` / `parse_where_document` hold every grammar rule and message; the engine
evaluates the tree (engine/filters.py) and keys its filter cache on it, and the HTTP
client sends `to_dict()` of it. A bad filter raises ValueError, as upstream's client
does; the server answers it with 400 InvalidArgumentError.

One rule differs by door, as upstream's does: its Python client refuses `$and`/`$or`
with fewer than two clauses (`CLIENT_MIN_CLAUSES`), its server evaluates any number
(`SERVER_MIN_CLAUSES`: an empty `$and` is true, an empty `$or` false). `None` and `{}`
mean "no filter" at both doors (`parse_filters`).

Operands keep their type in the tree (`kind`): `True == 1` in Python, but a filter on
`True` must not share a cache entry with a filter on `1`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CLIENT_MIN_CLAUSES",
    "SERVER_MIN_CLAUSES",
    "And",
    "ArrayContains",
    "Comparison",
    "DocumentContains",
    "DocumentRegex",
    "IdIn",
    "Membership",
    "Or",
    "Where",
    "WhereDocument",
    "compile_document_regex",
    "parse_filters",
    "parse_where",
    "parse_where_document",
    "with_id_filters",
]

CLIENT_MIN_CLAUSES = 2
SERVER_MIN_CLAUSES = 0

DOCUMENT_KEY = "#document"
ID_KEY = "#id"
SCALAR_TYPES = (str, int, float, bool)
COMPARISON_OPS = ("$gt", "$gte", "$lt", "$lte")
WHERE_OPS = ("$eq", "$ne", "$in", "$nin", "$contains", "$not_contains", "$regex", "$not_regex") + COMPARISON_OPS
DOCUMENT_OPS = ("$contains", "$not_contains", "$regex", "$not_regex")

Scalar = str | int | float | bool


# -- the tree ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class And:
    """All clauses hold (an empty And: every record)."""

    clauses: tuple[Any, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"$and": [c.to_dict() for c in self.clauses]}


@dataclass(frozen=True, slots=True)
class Or:
    """Any clause holds (an empty Or: no record)."""

    clauses: tuple[Any, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"$or": [c.to_dict() for c in self.clauses]}


@dataclass(frozen=True, slots=True)
class Comparison:
    """A scalar metadata value compared: `$eq`, `$ne`, `$gt`, `$gte`, `$lt`, `$lte`."""

    key: str
    op: str
    value: Scalar
    kind: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", type(self.value).__name__)

    def to_dict(self) -> dict[str, Any]:
        return {self.key: {self.op: self.value}}


@dataclass(frozen=True, slots=True)
class Membership:
    """`$in` (or `$nin` when negated): the scalar value is one of `values` (one type)."""

    key: str
    values: tuple[Scalar, ...]
    negate: bool
    kind: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", type(self.values[0]).__name__)

    def to_dict(self) -> dict[str, Any]:
        return {self.key: {"$nin" if self.negate else "$in": list(self.values)}}


@dataclass(frozen=True, slots=True)
class ArrayContains:
    """`$contains` (or `$not_contains`): an array metadata value holds `value`."""

    key: str
    value: Scalar
    negate: bool
    kind: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", type(self.value).__name__)

    def to_dict(self) -> dict[str, Any]:
        return {self.key: {"$not_contains" if self.negate else "$contains": self.value}}


@dataclass(frozen=True, slots=True)
class DocumentContains:
    """The document holds `text` (case-sensitive substring), or does not when negated.

    `key` is "#document" when the clause came from a `where`, None from a `where_document`.
    """

    text: str
    negate: bool
    key: str | None = None

    def to_dict(self) -> dict[str, Any]:
        op = "$not_contains" if self.negate else "$contains"
        return {op: self.text} if self.key is None else {self.key: {op: self.text}}


@dataclass(frozen=True, slots=True)
class DocumentRegex:
    """The document matches `pattern` (Rust regex syntax, unanchored), or does not when negated."""

    pattern: str
    negate: bool
    key: str | None = None
    compiled: Any = field(default=None, compare=False, hash=False, repr=False)

    def regex(self) -> Any:
        """The compiled pattern; compiled at parse time, or once here when the parse only checked the tree."""
        if self.compiled is None:
            object.__setattr__(self, "compiled", compile_document_regex(self.pattern))
        return self.compiled

    def to_dict(self) -> dict[str, Any]:
        op = "$not_regex" if self.negate else "$regex"
        return {op: self.pattern} if self.key is None else {self.key: {op: self.pattern}}


@dataclass(frozen=True, slots=True)
class IdIn:
    """The record's id is one of `ids` (or is none of them when negated): `#id` in a search filter."""

    ids: tuple[str, ...]
    negate: bool
    op: str  # as written: $eq, $ne, $in or $nin

    def to_dict(self) -> dict[str, Any]:
        operand: Any = self.ids[0] if self.op in ("$eq", "$ne") else list(self.ids)
        return {ID_KEY: {self.op: operand}}


Where = And | Or | Comparison | Membership | ArrayContains | DocumentContains | DocumentRegex | IdIn
WhereDocument = And | Or | DocumentContains | DocumentRegex


# -- parsing ------------------------------------------------------------------------------------
def parse_filters(
    where: Any, where_document: Any, *, min_clauses: int
) -> tuple[Where | None, WhereDocument | None]:
    """Both filters of a get/query/delete; `None` and `{}` mean no filter."""
    parsed_where = None if where is None or where == {} else parse_where(where, min_clauses=min_clauses)
    parsed_document = (
        None
        if where_document is None or where_document == {}
        else parse_where_document(where_document, min_clauses=min_clauses)
    )
    return parsed_where, parsed_document


def parse_where(where: Any, *, min_clauses: int = SERVER_MIN_CLAUSES) -> Where:
    if not isinstance(where, dict):
        raise ValueError(f"Expected where to be a dict, got {where!r}")
    if len(where) != 1:
        raise ValueError(f"Expected where to have exactly one operator, got {where}")
    ((key, value),) = where.items()
    if not isinstance(key, str):
        raise ValueError(f"Expected where key to be a str, got {key!r}")
    if key in ("$and", "$or"):
        if not isinstance(value, list):
            raise ValueError(f"Expected where value for {key} to be a list of where expressions, got {value!r}")
        if len(value) < min_clauses:
            raise ValueError(
                f"Expected where value for $and or $or to be a list with at least two where expressions, got {value}"
            )
        clauses = tuple(parse_where(sub, min_clauses=min_clauses) for sub in value)
        return And(clauses) if key == "$and" else Or(clauses)
    if key.startswith("$"):
        raise ValueError(f"Invalid where clause: unknown operator {key!r}")
    return _field_clause(key, value)


def _field_clause(key: str, value: Any) -> Where:
    if isinstance(value, SCALAR_TYPES):
        if key == DOCUMENT_KEY:
            raise ValueError("Operator $eq is not supported on the #document key")
        return _scalar_clause(key, "$eq", value)
    if not isinstance(value, dict):
        raise ValueError(f"Expected where value to be a str, int, float, or operator expression, got {value!r}")
    if len(value) != 1:
        raise ValueError(f"Expected operator expression to have exactly one operator, got {value}")
    ((op, operand),) = value.items()
    if op not in WHERE_OPS:
        raise ValueError(f"Expected where operator to be one of {', '.join(WHERE_OPS)}, got {op}")
    if op in ("$regex", "$not_regex"):
        if key != DOCUMENT_KEY:
            raise ValueError(f"Operator {op} is only supported on the #document key")
        return DocumentRegex(operand, op == "$not_regex", DOCUMENT_KEY, compile_document_regex(operand))
    if key == DOCUMENT_KEY and op not in ("$contains", "$not_contains"):
        raise ValueError(f"Operator {op} is not supported on the #document key")
    if op in COMPARISON_OPS:
        if isinstance(operand, bool) or not isinstance(operand, (int, float)):
            raise ValueError(f"Expected operand value to be an int or a float for operator {op}, got {operand!r}")
        return Comparison(key, op, operand)
    if op in ("$in", "$nin"):
        if not isinstance(operand, list) or not operand:
            raise ValueError(
                f"Expected where operand value to be a non-empty list, and all values to be of the same type got {operand!r}"
            )
        first = type(operand[0])
        if first not in SCALAR_TYPES or any(type(v) is not first for v in operand):
            raise ValueError(
                f"Expected where operand value to be a non-empty list, and all values to be of the same type got {operand!r}"
            )
        return Membership(key, tuple(operand), op == "$nin")
    if not isinstance(operand, SCALAR_TYPES):
        raise ValueError(f"Expected where operand value to be a str, int, float or bool for operator {op}, got {operand!r}")
    return _scalar_clause(key, op, operand)


def _scalar_clause(key: str, op: str, operand: Scalar) -> Where:
    """$eq / $ne / $contains / $not_contains with a scalar operand."""
    if op in ("$eq", "$ne"):
        return Comparison(key, op, operand)
    if key == DOCUMENT_KEY:
        if not isinstance(operand, str):
            raise ValueError(f"Expected where operand value to be a str for operator {op} on the #document key, got {operand!r}")
        return DocumentContains(operand, op == "$not_contains", DOCUMENT_KEY)
    return ArrayContains(key, operand, op == "$not_contains")


def parse_where_document(
    where_document: Any, *, min_clauses: int = SERVER_MIN_CLAUSES, compile_regex: bool = True
) -> WhereDocument:
    """`compile_regex=False`: a pattern is only checked to be a non-empty str (upstream's
    client-side check); it is compiled when first evaluated."""
    if not isinstance(where_document, dict):
        raise ValueError(f"Expected where document to be a dict, got {where_document!r}")
    if len(where_document) != 1:
        raise ValueError(f"Expected where document to have exactly one operator, got {where_document}")
    ((op, operand),) = where_document.items()
    if op in ("$and", "$or"):
        if not isinstance(operand, list):
            raise ValueError(
                f"Expected document value for {op} to be a list of where document expressions, got {operand!r}"
            )
        if len(operand) < min_clauses:
            raise ValueError(
                f"Expected document value for $and or $or to be a list with at least two where document "
                f"expressions, got {operand}"
            )
        clauses = tuple(
            parse_where_document(sub, min_clauses=min_clauses, compile_regex=compile_regex) for sub in operand
        )
        return And(clauses) if op == "$and" else Or(clauses)
    if op not in DOCUMENT_OPS:
        raise ValueError(
            f"Expected where document operator to be one of {', '.join(DOCUMENT_OPS + ('$and', '$or'))}, got {op}"
        )
    if not isinstance(operand, str):
        raise ValueError(f"Expected where document operand value for operator {op} to be a str")
    if len(operand) == 0:
        raise ValueError("Expected where document operand value to be a non-empty str")
    if op in ("$regex", "$not_regex"):
        compiled = compile_document_regex(operand) if compile_regex else None
        return DocumentRegex(operand, op == "$not_regex", None, compiled)
    return DocumentContains(operand, op == "$not_contains")


def compile_document_regex(pattern: Any) -> Any:  # -> regex.Pattern
    """Rust `regex`-crate syntax is closer to the `regex` package in V1 mode than to `re`."""
    import regex  # a dependency of ours; imported late, only filters on patterns need it

    if not isinstance(pattern, str) or pattern == "":
        raise ValueError("Expected a non-empty regular expression string")
    try:
        return regex.compile(pattern, flags=regex.V1)
    except regex.error as e:
        raise ValueError(f"Invalid regular expression {pattern!r}: {e}") from None


def with_id_filters(where: Where) -> Where:
    """A search filter's tree with its `#id` clauses matching record ids (`IdIn`).

    Only the search API reads `#id` so; a classic get/query takes it for a metadata key,
    as upstream's local server does.
    """
    if isinstance(where, (And, Or)):
        return type(where)(tuple(with_id_filters(c) for c in where.clauses))
    if isinstance(where, Comparison) and where.key == ID_KEY:
        if where.op not in ("$eq", "$ne") or not isinstance(where.value, str):
            raise ValueError(f"#id supports $eq, $ne, $in and $nin with string ids, got {where.op} {where.value!r}")
        return IdIn((where.value,), where.op == "$ne", where.op)
    if isinstance(where, Membership) and where.key == ID_KEY:
        if not isinstance(where.values[0], str):
            raise ValueError(f"#id supports $eq, $ne, $in and $nin with string ids, got {list(where.values)!r}")
        return IdIn(tuple(where.values), where.negate, "$nin" if where.negate else "$in")  # type: ignore[arg-type]
    if isinstance(where, ArrayContains) and where.key == ID_KEY:
        raise ValueError("#id supports $eq, $ne, $in and $nin")
    return where
