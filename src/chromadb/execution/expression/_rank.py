"""Rank expressions of the Search API: `Knn`, constants, arithmetic over them, and `Rrf`.

    rank = Knn(query=[0.1, 0.2]) * 0.8 + Knn(query=sparse, key="bm25") * 0.2
    rank = Rrf([Knn(query=q, return_rank=True, default=1000), ...])

Lower scores rank first. Each expression's `to_dict()` is the server's rank grammar
(`$knn`, `$val`, `$sum`, `$sub`, `$mul`, `$div`, `$abs`, `$exp`, `$log`, `$max`, `$min`);
`Rrf` has no operator of its own and compiles into that arithmetic, as both official
clients do (spec/search-api.md §1.2, §4.3).
"""

from __future__ import annotations

import numbers
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Union

import numpy as np

from chromadb.base_types import SPARSE_VECTOR_TYPE_VALUE, TYPE_KEY, SparseVector
from chromadb.execution.expression._where import Key

__all__ = ["Abs", "Div", "Exp", "Knn", "Log", "Max", "Min", "Mul", "Rank", "Rrf", "Sub", "Sum", "Val"]

RankOperand = Union["Rank", int, float]

DEFAULT_KNN_LIMIT = 16


class Rank(ABC):
    """A ranking expression; combine with `+ - * /`, unary `-`, `abs()`, `.exp()`, `.log()`,
    `.max()`, `.min()`. Plain numbers become `Val` constants."""

    @abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """The expression as the server reads it."""

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> Rank:
        """Parse the server grammar, e.g. `{"$sum": [{"$knn": {"query": [...]}}, {"$val": 1}]}`."""
        if not isinstance(data, Mapping):
            raise TypeError(f"Expected dict for Rank, got {type(data).__name__}")
        if not data:
            raise ValueError("Rank dict cannot be empty")
        if len(data) != 1:
            raise ValueError(f"Rank dict must contain exactly one operator, got {len(data)}")
        op, body = next(iter(data.items()))
        if op == "$val":
            if isinstance(body, bool) or not isinstance(body, (int, float)):
                raise TypeError(f"$val requires a number, got {type(body).__name__}")
            return Val(body)
        if op == "$knn":
            return _knn_from_dict(body)
        if op in _NARY:
            return _nary_from_dict(op, body)
        if op in ("$sub", "$div"):
            if not isinstance(body, Mapping):
                raise TypeError(f"{op} requires a dict with 'left' and 'right', got {type(body).__name__}")
            if "left" not in body or "right" not in body:
                raise ValueError(f"{op} requires 'left' and 'right' fields")
            left, right = Rank.from_dict(body["left"]), Rank.from_dict(body["right"])
            return Sub(left, right) if op == "$sub" else Div(left, right)
        if op in _UNARY:
            if not isinstance(body, Mapping):
                raise TypeError(f"{op} requires a rank dict, got {type(body).__name__}")
            return _UNARY[op](Rank.from_dict(body))
        raise ValueError(f"Unknown rank operator: {op}")

    def __add__(self, other: RankOperand) -> Sum:
        return Sum(_flatten(Sum, self) + _flatten(Sum, _operand(other)))

    def __radd__(self, other: RankOperand) -> Sum:
        return _operand(other) + self

    def __sub__(self, other: RankOperand) -> Sub:
        return Sub(self, _operand(other))

    def __rsub__(self, other: RankOperand) -> Sub:
        return Sub(_operand(other), self)

    def __mul__(self, other: RankOperand) -> Mul:
        return Mul(_flatten(Mul, self) + _flatten(Mul, _operand(other)))

    def __rmul__(self, other: RankOperand) -> Mul:
        return _operand(other) * self

    def __truediv__(self, other: RankOperand) -> Div:
        return Div(self, _operand(other))

    def __rtruediv__(self, other: RankOperand) -> Div:
        return Div(_operand(other), self)

    def __neg__(self) -> Mul:
        # The wire has no negation: -r is (-1) * r.
        return Mul([Val(-1), self])

    def __abs__(self) -> Abs:
        return Abs(self)

    def abs(self) -> Abs:
        """|rank|."""
        return Abs(self)

    def exp(self) -> Exp:
        """e ** rank."""
        return Exp(self)

    def log(self) -> Log:
        """The natural logarithm of rank."""
        return Log(self)

    def max(self, other: RankOperand) -> Max:
        """The larger of rank and `other`, per record."""
        return Max(_flatten(Max, self) + _flatten(Max, _operand(other)))

    def min(self, other: RankOperand) -> Min:
        """The smaller of rank and `other`, per record."""
        return Min(_flatten(Min, self) + _flatten(Min, _operand(other)))


def _operand(value: Any) -> Rank:
    if isinstance(value, Rank):
        return value
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return Val(value)
    raise TypeError(f"A rank expression combines with ranks and numbers, not {type(value).__name__}")


def _flatten(kind: type[_NaryRank], rank: Rank) -> list[Rank]:
    # a + b + c is one $sum of three (and the same for $mul, $max, $min), as upstream builds it.
    return list(rank.ranks) if type(rank) is kind else [rank]


@dataclass(frozen=True)
class Val(Rank):
    """A constant score."""

    value: float

    def __post_init__(self) -> None:
        if isinstance(self.value, bool) or not isinstance(self.value, numbers.Real):
            raise TypeError(f"Val requires a number, got {type(self.value).__name__}")
        if isinstance(self.value, np.generic):
            object.__setattr__(self, "value", self.value.item())

    def to_dict(self) -> dict[str, Any]:
        return {"$val": self.value}


@dataclass(frozen=True)
class _UnaryRank(Rank):
    rank: Rank
    operator = ""

    def __post_init__(self) -> None:
        _require_rank(self.operator, self.rank)

    def to_dict(self) -> dict[str, Any]:
        return {self.operator: self.rank.to_dict()}


@dataclass(frozen=True)
class Abs(_UnaryRank):
    """The absolute value of a rank."""

    operator = "$abs"


@dataclass(frozen=True)
class Exp(_UnaryRank):
    """e raised to a rank."""

    operator = "$exp"


@dataclass(frozen=True)
class Log(_UnaryRank):
    """The natural logarithm of a rank."""

    operator = "$log"


@dataclass(frozen=True)
class _BinaryRank(Rank):
    left: Rank
    right: Rank
    operator = ""

    def __post_init__(self) -> None:
        _require_rank(self.operator, self.left)
        _require_rank(self.operator, self.right)

    def to_dict(self) -> dict[str, Any]:
        return {self.operator: {"left": self.left.to_dict(), "right": self.right.to_dict()}}


@dataclass(frozen=True)
class Sub(_BinaryRank):
    """left - right."""

    operator = "$sub"


@dataclass(frozen=True)
class Div(_BinaryRank):
    """left / right."""

    operator = "$div"


@dataclass(frozen=True)
class _NaryRank(Rank):
    ranks: list[Rank]
    operator = ""

    def __post_init__(self) -> None:
        if not isinstance(self.ranks, (list, tuple)):
            raise TypeError(f"{self.operator} requires a list of ranks, got {type(self.ranks).__name__}")
        object.__setattr__(self, "ranks", list(self.ranks))
        for rank in self.ranks:
            _require_rank(self.operator, rank)

    def to_dict(self) -> dict[str, Any]:
        return {self.operator: [r.to_dict() for r in self.ranks]}


@dataclass(frozen=True)
class Sum(_NaryRank):
    """The sum of ranks."""

    operator = "$sum"


@dataclass(frozen=True)
class Mul(_NaryRank):
    """The product of ranks."""

    operator = "$mul"


@dataclass(frozen=True)
class Max(_NaryRank):
    """The largest of ranks, per record."""

    operator = "$max"


@dataclass(frozen=True)
class Min(_NaryRank):
    """The smallest of ranks, per record."""

    operator = "$min"


def _require_rank(op: str, value: Any) -> None:
    if not isinstance(value, Rank):
        raise TypeError(f"{op} operands must be rank expressions, got {type(value).__name__}")


_NARY: dict[str, type[_NaryRank]] = {"$sum": Sum, "$mul": Mul, "$max": Max, "$min": Min}
_UNARY: dict[str, type[_UnaryRank]] = {"$abs": Abs, "$exp": Exp, "$log": Log}


def _nary_from_dict(op: str, body: Any) -> Rank:
    if not isinstance(body, (list, tuple)):
        raise TypeError(f"{op} requires a list, got {type(body).__name__}")
    if len(body) < 2:
        raise ValueError(f"{op} requires at least 2 ranks, got {len(body)}")
    return _NARY[op]([Rank.from_dict(r) for r in body])


@dataclass(frozen=True)
class Knn(Rank):
    """The distance of each record to `query` among its `limit` nearest neighbours.

    Args:
        query: a dense vector (list or numpy array), a `SparseVector`, or a string the
            collection embeds before sending.
        key: `K.EMBEDDING` (the collection's vectors, the default) or the metadata key
            that holds sparse vectors.
        limit: how many neighbours take part (default 16).
        default: the score of records outside those neighbours; None (the default)
            leaves them out of the result.
        return_rank: score by position (0, 1, 2, ...) instead of distance.
    """

    query: str | list[float] | SparseVector
    key: Key | str = Key.EMBEDDING.name
    limit: int = DEFAULT_KNN_LIMIT
    default: float | None = None
    return_rank: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "query", _knn_query(self.query))
        if not isinstance(self.key, (Key, str)):
            raise TypeError(f"$knn key must be a string, got {type(self.key).__name__}")
        # Kept as its name: a Key's == builds a filter, which would make Knn equality meaningless.
        object.__setattr__(self, "key", self.key.name if isinstance(self.key, Key) else self.key)
        if isinstance(self.limit, bool) or not isinstance(self.limit, int):
            raise TypeError(f"$knn limit must be an integer, got {type(self.limit).__name__}")
        if self.limit <= 0:
            raise ValueError(f"$knn limit must be positive, got {self.limit}")
        if self.default is not None and (
            isinstance(self.default, bool) or not isinstance(self.default, numbers.Real)
        ):
            raise TypeError(f"$knn default must be a number, got {type(self.default).__name__}")
        if not isinstance(self.return_rank, bool):
            raise TypeError(f"$knn return_rank must be a boolean, got {type(self.return_rank).__name__}")

    def to_dict(self) -> dict[str, Any]:
        query = self.query
        if isinstance(query, SparseVector):
            query = query.to_dict()
        body: dict[str, Any] = {"query": query, "key": self.key, "limit": self.limit}
        # Optional fields go out only when set, as upstream sends them.
        if self.default is not None:
            body["default"] = self.default
        if self.return_rank:
            body["return_rank"] = True
        return {"$knn": body}


def _knn_query(query: Any) -> str | list[float] | SparseVector:
    # Dense queries are kept as plain lists (a numpy array is converted), ready for JSON.
    if isinstance(query, (str, SparseVector)):
        return query
    if isinstance(query, Mapping):
        if query.get(TYPE_KEY) != SPARSE_VECTOR_TYPE_VALUE:
            raise ValueError(f"Expected dict with {TYPE_KEY}='{SPARSE_VECTOR_TYPE_VALUE}', got {query}")
        return SparseVector.from_dict(query)
    if isinstance(query, np.ndarray):
        if query.ndim == 2 and query.shape[0] == 1:
            query = query[0]
        if query.ndim != 1:
            raise ValueError(f"$knn requires exactly one query embedding, got an array of shape {query.shape}")
        query = query.tolist()
    if isinstance(query, Sequence):
        rows = list(query)
        # One embedding wrapped in a list is accepted, as upstream's normalisation does.
        if len(rows) == 1 and isinstance(rows[0], (list, tuple, np.ndarray)):
            rows = list(rows[0])
        _check_dense(rows)
        return [v.item() if isinstance(v, np.generic) else v for v in rows]
    raise TypeError(
        f"$knn query must be a list, numpy array, or SparseVector dict, got {type(query).__name__}"
    )


def _check_dense(values: list[Any]) -> None:
    if not values:
        raise ValueError("$knn requires exactly one query embedding, got an empty vector")
    for i, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise ValueError(
                f"$knn query embedding must contain only numbers, got {type(v).__name__} at position {i}"
            )


def _knn_from_dict(body: Any) -> Knn:
    if not isinstance(body, Mapping):
        raise TypeError(f"$knn requires a dict, got {type(body).__name__}")
    if "query" not in body:
        raise ValueError("$knn requires 'query' field")
    query = _knn_query(body["query"])
    if isinstance(query, list):
        # Parsed dense queries come back as float32 values, as upstream normalises them.
        query = np.asarray(query, dtype=np.float32).tolist()
    return Knn(
        query=query,
        key=body.get("key", Key.EMBEDDING.name),
        limit=body.get("limit", DEFAULT_KNN_LIMIT),
        default=body.get("default"),
        return_rank=body.get("return_rank", False),
    )


@dataclass(frozen=True)
class Rrf(Rank):
    """Reciprocal rank fusion: `-(sum_i w_i / (k + rank_i))`, lower is better.

    Args:
        ranks: the rankings to fuse, usually `Knn(..., return_rank=True, default=...)`
            (without a `default`, a record must appear in every ranking).
        k: the smoothing constant (default 60).
        weights: one non-negative weight per ranking (default 1.0 each).
        normalize: scale the weights to sum to 1.

    It compiles into `$sum`/`$div`/`$mul`/`$val` arithmetic; there is no RRF operator.
    """

    ranks: list[Rank]
    k: float = 60
    weights: list[float] | None = None
    normalize: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.ranks, (list, tuple)):
            raise TypeError(f"RRF ranks must be a list, got {type(self.ranks).__name__}")
        object.__setattr__(self, "ranks", list(self.ranks))
        for rank in self.ranks:
            _require_rank("RRF", rank)
        if isinstance(self.k, np.generic):
            object.__setattr__(self, "k", self.k.item())
        if self.weights is not None:
            weights = [w.item() if isinstance(w, np.generic) else w for w in self.weights]
            object.__setattr__(self, "weights", weights)
        self._weights()  # validates now, not only when sent

    def _weights(self) -> list[float]:
        if not self.ranks:
            raise ValueError("RRF requires at least one rank")
        if isinstance(self.k, bool) or not isinstance(self.k, numbers.Real):
            raise TypeError(f"k must be a number, got {type(self.k).__name__}")
        if self.k <= 0:
            raise ValueError(f"k must be positive, got {self.k}")
        weights = self.weights
        if weights is not None:
            if len(weights) != len(self.ranks):
                raise ValueError(
                    f"Number of weights ({len(weights)}) must match number of ranks ({len(self.ranks)})"
                )
            if any(isinstance(w, bool) or not isinstance(w, numbers.Real) for w in weights):
                raise TypeError("RRF weights must be numbers")
            if any(w < 0.0 for w in weights):
                raise ValueError("All weights must be non-negative")
        weights = list(weights) if weights else [1.0] * len(self.ranks)
        if self.normalize:
            total = sum(weights)
            if total == 0:
                raise ValueError("Sum of weights must be positive when normalize=True")
            weights = [w / total for w in weights]
        return weights

    def to_expression(self) -> Rank:
        """The arithmetic this fusion stands for."""
        terms = [w / (self.k + rank) for w, rank in zip(self._weights(), self.ranks)]
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        return -total

    def to_dict(self) -> dict[str, Any]:
        return self.to_expression().to_dict()

