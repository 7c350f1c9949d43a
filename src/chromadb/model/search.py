"""A `search` request (spec/search-api.md §1.2), parsed once at each door.

Both doors share one parser: the server's decoder reads the JSON body, the in-process
`Collection.search` reads the `to_dict()` of the client's builder objects. Parsing runs
in two passes, in the order upstream's server checks a request:

* `parse_search_body` checks the shape, as a typed deserialiser does (unknown operator,
  wrong type, missing field): `SearchShapeError`, which the server answers with 422;
* `check_search_request` checks the meaning (group_by rules, sparse vector order):
  `ValueError` with upstream's `Validation error: searches[i].<field>: ...` text (400).

The rank expression becomes a small frozen tree (`Knn`, `Val`, `Unary`, `Binary`,
`Nary`) that the engine evaluates (engine/search_exec.py); `to_dict()` of every part
gives the wire form back (the HTTP client sends it).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from chromadb.model.where import SERVER_MIN_CLAUSES, Where, parse_where, with_id_filters

__all__ = [
    "DEFAULT_KNN_LIMIT",
    "DOCUMENT",
    "EMBEDDING",
    "METADATA",
    "READ_LEVELS",
    "SCORE",
    "Binary",
    "GroupBy",
    "Knn",
    "Nary",
    "RankNode",
    "SearchPayload",
    "SearchRequest",
    "SearchShapeError",
    "SparseQuery",
    "Unary",
    "Val",
    "check_search_request",
    "json_kind",
    "parse_search_body",
]

DOCUMENT, EMBEDDING, METADATA, SCORE = "#document", "#embedding", "#metadata", "#score"
RESERVED_SELECT = (DOCUMENT, EMBEDDING, METADATA, SCORE)  # in upstream's Key order
READ_LEVELS = ("index_and_wal", "index_only", "index_and_bounded_wal")
DEFAULT_KNN_LIMIT = 16
MAX_RANK_DEPTH = 200
U32_MAX = 2**32 - 1
RANK_OPS = ("$abs", "$div", "$exp", "$knn", "$log", "$max", "$min", "$mul", "$sub", "$sum", "$val")
UNARY_OPS = ("$abs", "$exp", "$log")
BINARY_OPS = ("$sub", "$div")
NARY_OPS = ("$sum", "$mul", "$max", "$min")


class SearchShapeError(ValueError):
    """The body does not have the request's shape (a deserialisation error: 422 at the server)."""


# -- the rank tree -------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class SparseQuery:
    """A sparse query vector: strictly ascending uint32 indices and float32 values."""

    indices: np.ndarray
    values: np.ndarray
    tokens: tuple[str, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"#type": "sparse_vector", "indices": self.indices.tolist(), "values": self.values.tolist()}
        if self.tokens is not None:
            out["tokens"] = list(self.tokens)
        return out


@dataclass(frozen=True, eq=False)
class Knn:
    """The `limit` nearest records to `query` (dense: float32 vector; sparse: SparseQuery)."""

    query: np.ndarray | SparseQuery
    key: str
    limit: int
    default: float | None
    return_rank: bool

    @property
    def sparse(self) -> bool:
        return isinstance(self.query, SparseQuery)

    def to_dict(self) -> dict[str, Any]:
        query = self.query.to_dict() if isinstance(self.query, SparseQuery) else self.query.tolist()
        body: dict[str, Any] = {"query": query, "key": self.key, "limit": self.limit, "return_rank": self.return_rank}
        if self.default is not None:
            body["default"] = self.default
        return {"$knn": body}


@dataclass(frozen=True)
class Val:
    value: float

    def to_dict(self) -> dict[str, Any]:
        return {"$val": self.value}


@dataclass(frozen=True, eq=False)
class Unary:
    op: str  # "$abs" | "$exp" | "$log"
    child: RankNode

    def to_dict(self) -> dict[str, Any]:
        return {self.op: self.child.to_dict()}


@dataclass(frozen=True, eq=False)
class Binary:
    op: str  # "$sub" | "$div"
    left: RankNode
    right: RankNode

    def to_dict(self) -> dict[str, Any]:
        return {self.op: {"left": self.left.to_dict(), "right": self.right.to_dict()}}


@dataclass(frozen=True, eq=False)
class Nary:
    op: str  # "$sum" | "$mul" | "$max" | "$min"
    children: tuple[RankNode, ...]

    def to_dict(self) -> dict[str, Any]:
        return {self.op: [c.to_dict() for c in self.children]}


RankNode = Knn | Val | Unary | Binary | Nary


# -- the request ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class GroupBy:
    """Group the ranked records by `keys`; keep per group the first `k` by `order_keys`,
    ascending (`$min_k`) or descending (`$max_k`)."""

    keys: tuple[str, ...]
    aggregate: str  # "$min_k" | "$max_k"
    order_keys: tuple[str, ...]
    k: int

    def to_dict(self) -> dict[str, Any]:
        return {"keys": list(self.keys), "aggregate": {self.aggregate: {"keys": list(self.order_keys), "k": self.k}}}


@dataclass(frozen=True, eq=False)
class SearchPayload:
    filter: Where | None
    rank: RankNode | None
    group_by: GroupBy | None
    offset: int
    limit: int | None
    select: tuple[str, ...]  # deduplicated, in upstream's Key order (what the answer echoes)
    # what the meaning check (400) has to say about a well-shaped payload, raised by check_search_request
    problems: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        limit: dict[str, Any] = {"offset": self.offset}
        if self.limit is not None:
            limit["limit"] = self.limit
        return {
            "filter": None if self.filter is None else self.filter.to_dict(),
            "rank": None if self.rank is None else self.rank.to_dict(),
            "group_by": {} if self.group_by is None else self.group_by.to_dict(),
            "limit": limit,
            "select": {"keys": list(self.select)},
        }

    def knns(self) -> list[Knn]:
        """The Knn leaves of the rank, depth-first in the order written."""
        found: list[Knn] = []
        stack: list[Any] = [] if self.rank is None else [self.rank]
        while stack:
            node = stack.pop()
            if isinstance(node, Knn):
                found.append(node)
            elif isinstance(node, Unary):
                stack.append(node.child)
            elif isinstance(node, Binary):
                stack.extend((node.right, node.left))
            elif isinstance(node, Nary):
                stack.extend(reversed(node.children))
        return found


@dataclass(frozen=True, eq=False)
class SearchRequest:
    searches: tuple[SearchPayload, ...]
    read_level: str | None  # accepted and echoed; a single node reads every committed write

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"searches": [s.to_dict() for s in self.searches]}
        if self.read_level is not None:
            body["read_level"] = self.read_level
        return body


# -- pass 1: the shape --------------------------------------------------------------------------
def parse_search_body(body: Any) -> SearchRequest:
    """The request from the JSON body; a shape error raises SearchShapeError (422)."""
    if not isinstance(body, dict):
        raise SearchShapeError(f"expected a JSON object, got {json_kind(body)}")
    searches = body.get("searches")
    if searches is None:
        raise SearchShapeError("missing field `searches`")
    if not isinstance(searches, list):
        raise SearchShapeError(f"searches: invalid type: {json_kind(searches)}, expected a sequence")
    read_level = body.get("read_level")
    if read_level is not None and read_level not in READ_LEVELS:
        raise SearchShapeError(
            f"read_level: unknown variant `{read_level}`, expected one of {', '.join(f'`{r}`' for r in READ_LEVELS)}"
        )
    return SearchRequest(tuple(_payload(p, f"searches[{i}]") for i, p in enumerate(searches)), read_level)


def _payload(body: Any, at: str) -> SearchPayload:
    if not isinstance(body, dict):
        raise SearchShapeError(f"{at}: invalid type: {json_kind(body)}, expected a search payload")
    problems: list[str] = []
    filter_ = _filter(body.get("filter"), f"{at}.filter")
    rank = None if body.get("rank") is None else _rank(body["rank"], f"{at}.rank", problems)
    group_by = _group_by(body.get("group_by"), f"{at}.group_by", problems)
    if group_by is not None and rank is None:
        problems.append(f"Validation error: {at}.__all__: group_by requires rank expression to be specified")
    offset, limit = _limit(body.get("limit"), f"{at}.limit")
    select = _select(body.get("select"), f"{at}.select")
    return SearchPayload(filter_, rank, group_by, offset, limit, select, tuple(problems))


def _filter(where: Any, at: str) -> Where | None:
    if where is None or where == {}:
        return None
    try:
        return with_id_filters(parse_where(where, min_clauses=SERVER_MIN_CLAUSES))
    except ValueError as e:
        raise SearchShapeError(f"{at}: Invalid where clause: {e}") from None
    except RecursionError:
        raise SearchShapeError(f"{at}: Invalid where clause: nested too deeply") from None


def _rank(body: Any, at: str, problems: list[str], depth: int = 0) -> RankNode:
    if depth > MAX_RANK_DEPTH:  # evaluation recurses as deep: refuse before Python's stack does
        raise SearchShapeError(f"{at}: rank expression nested more than {MAX_RANK_DEPTH} levels deep")
    if not isinstance(body, dict) or len(body) != 1:
        raise SearchShapeError(f"{at}: invalid type: {json_kind(body)}, expected a map with exactly one rank operator")
    ((op, arg),) = body.items()
    if op not in RANK_OPS:
        raise SearchShapeError(f"{at}: unknown variant `{op}`, expected one of {', '.join(f'`{o}`' for o in RANK_OPS)}")
    if op == "$val":
        return Val(_f32(arg, f"{at}.$val"))
    if op == "$knn":
        return _knn(arg, f"{at}.$knn", problems)
    if op in UNARY_OPS:
        return Unary(op, _rank(arg, at, problems, depth + 1))
    if op in BINARY_OPS:
        if not isinstance(arg, dict) or "left" not in arg or "right" not in arg:
            raise SearchShapeError(f"{at}: {op} expects a map with `left` and `right`")
        return Binary(op, _rank(arg["left"], at, problems, depth + 1), _rank(arg["right"], at, problems, depth + 1))
    if not isinstance(arg, list):
        raise SearchShapeError(f"{at}: {op}: invalid type: {json_kind(arg)}, expected a sequence")
    return Nary(op, tuple(_rank(child, at, problems, depth + 1) for child in arg))


def _knn(body: Any, at: str, problems: list[str]) -> Knn:
    if not isinstance(body, dict):
        raise SearchShapeError(f"{at}: invalid type: {json_kind(body)}, expected a map")
    if "query" not in body:
        raise SearchShapeError(f"{at}: missing field `query`")
    key = body.get("key", EMBEDDING)
    if not isinstance(key, str):
        raise SearchShapeError(f"{at}.key: invalid type: {json_kind(key)}, expected a string")
    limit = body.get("limit", DEFAULT_KNN_LIMIT)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 0 <= limit <= U32_MAX:
        raise SearchShapeError(f"{at}.limit: invalid value: {limit!r}, expected u32")
    default = body.get("default")
    default = None if default is None else _f32(default, f"{at}.default")
    return_rank = body.get("return_rank", False)
    if not isinstance(return_rank, bool):
        raise SearchShapeError(f"{at}.return_rank: invalid type: {json_kind(return_rank)}, expected a boolean")
    query = body["query"]
    parsed: np.ndarray | SparseQuery
    if isinstance(query, dict):
        parsed = _sparse_query(query, at, problems)
    elif isinstance(query, list) and query and all(_is_number(x) for x in query):
        with np.errstate(over="ignore"):
            parsed = np.asarray(query, dtype=np.float32)
        if not np.isfinite(parsed).all():
            problems.append(f"Validation error: {at.split('.$knn')[0]}: Knn query must hold finite float32 numbers")
    else:
        raise SearchShapeError(f"{at}.query: expected a non-empty sequence of numbers or a sparse vector")
    return Knn(parsed, key, limit, default, return_rank)


def _sparse_query(body: dict[str, Any], at: str, problems: list[str]) -> SparseQuery:
    indices, values, tokens = body.get("indices"), body.get("values"), body.get("tokens")
    if not isinstance(indices, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) and 0 <= i <= U32_MAX for i in indices
    ):
        raise SearchShapeError(f"{at}.query: sparse vector `indices` must be a sequence of u32")
    if not isinstance(values, list) or not all(_is_number(v) for v in values):
        raise SearchShapeError(f"{at}.query: sparse vector `values` must be a sequence of numbers")
    if tokens is not None and (not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens)):
        raise SearchShapeError(f"{at}.query: sparse vector `tokens` must be a sequence of strings")
    rank_at = at.split(".$knn")[0]
    if len(indices) != len(values):
        problems.append(
            f"Validation error: {rank_at}: Invalid sparse vector in KNN query: "
            "Sparse vector indices and values must have the same length"
        )
    elif tokens is not None and len(tokens) != len(indices):
        problems.append(
            f"Validation error: {rank_at}: Invalid sparse vector in KNN query: "
            "Sparse vector tokens must have the same length as indices"
        )
    elif any(b <= a for a, b in zip(indices, indices[1:])):
        problems.append(
            f"Validation error: {rank_at}: Invalid sparse vector in KNN query: "
            "Sparse vector indices must be sorted in strictly ascending order (no duplicates)"
        )
    with np.errstate(over="ignore"):
        vals = np.asarray(values, dtype=np.float32)
    return SparseQuery(np.asarray(indices, dtype=np.int64), vals, None if tokens is None else tuple(tokens))


def _group_by(body: Any, at: str, problems: list[str]) -> GroupBy | None:
    if body is None:
        return None
    if not isinstance(body, dict):
        raise SearchShapeError(f"{at}: invalid type: {json_kind(body)}, expected a map")
    keys, aggregate = body.get("keys"), body.get("aggregate")
    if keys is not None and (not isinstance(keys, list) or not all(isinstance(k, str) for k in keys)):
        raise SearchShapeError(f"{at}.keys: expected a sequence of strings")
    agg_name: str | None = None
    order_keys: Any = []
    k: Any = 0
    if aggregate is not None:
        if not isinstance(aggregate, dict) or len(aggregate) != 1:
            raise SearchShapeError(f"{at}.aggregate: expected a map with one of `$min_k`, `$max_k`")
        ((agg_name, agg_body),) = aggregate.items()
        if agg_name not in ("$min_k", "$max_k"):
            raise SearchShapeError(f"{at}.aggregate: unknown variant `{agg_name}`, expected one of `$min_k`, `$max_k`")
        if not isinstance(agg_body, dict):
            raise SearchShapeError(f"{at}.aggregate.{agg_name}: invalid type: {json_kind(agg_body)}, expected a map")
        order_keys, k = agg_body.get("keys"), agg_body.get("k")
        if not isinstance(order_keys, list) or not all(isinstance(x, str) for x in order_keys):
            raise SearchShapeError(f"{at}.aggregate.{agg_name}.keys: expected a sequence of strings")
        if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k <= U32_MAX:
            raise SearchShapeError(f"{at}.aggregate.{agg_name}.k: invalid value: {k!r}, expected u32")
    has_keys = bool(keys)
    if not has_keys and agg_name is None:
        return None
    if has_keys != (agg_name is not None):
        problems.append(f"Validation error: {at}: group_by keys and aggregate must both be specified or both be omitted")
        return None
    if any(key.startswith("#") for key in keys):  # type: ignore[union-attr]
        problems.append(
            f"Validation error: {at}: group_by keys must be metadata fields "
            "(cannot use #score, #document, #embedding, or #metadata)"
        )
    if not order_keys:
        problems.append(f"Validation error: {at}: aggregate keys must not be empty")
    elif any(key.startswith("#") and key != SCORE for key in order_keys):
        problems.append(f"Validation error: {at}: aggregate keys must be metadata fields or #score")
    if k == 0:
        problems.append(f"Validation error: {at}: aggregate k must be greater than 0")
    return GroupBy(tuple(keys), agg_name, tuple(order_keys), k)  # type: ignore[arg-type]


def _limit(body: Any, at: str) -> tuple[int, int | None]:
    if body is None:
        return 0, None
    if not isinstance(body, dict):
        raise SearchShapeError(f"{at}: invalid type: {json_kind(body)}, expected a map")
    values = []
    for name in ("offset", "limit"):
        value = body.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= U32_MAX):
            raise SearchShapeError(f"{at}.{name}: invalid value: {value!r}, expected u32")
        values.append(value)
    return values[0] or 0, values[1]


def _select(body: Any, at: str) -> tuple[str, ...]:
    if body is None:
        return ()
    if not isinstance(body, dict):
        raise SearchShapeError(f"{at}: invalid type: {json_kind(body)}, expected a map")
    keys = body.get("keys") or []
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise SearchShapeError(f"{at}.keys: expected a sequence of strings")
    reserved = [k for k in RESERVED_SELECT if k in keys]
    fields = sorted({k for k in keys if k not in RESERVED_SELECT})
    return (*reserved, *fields)


# -- pass 2: the meaning --------------------------------------------------------------------------
def check_search_request(request: SearchRequest) -> SearchRequest:
    """The request as it is, or ValueError with the first payload problem (400)."""
    for payload in request.searches:
        if payload.problems:
            raise ValueError(payload.problems[0])
    return request


# -- helpers ------------------------------------------------------------------------------------------
def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _f32(value: Any, at: str) -> float:
    if not _is_number(value):
        raise SearchShapeError(f"{at}: invalid type: {json_kind(value)}, expected f32")
    value = float(value)
    if math.isfinite(value) and abs(value) > float(np.finfo(np.float32).max):
        raise SearchShapeError(f"{at}: invalid value: {value}, expected f32")
    return float(np.float32(value))


def json_kind(value: Any) -> str:
    """How serde names a JSON value's kind in its messages (\"invalid type: a map, expected ...\")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a sequence"
    return "a map"

