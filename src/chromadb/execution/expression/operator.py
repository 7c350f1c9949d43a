"""The Search API's expression classes, at upstream's import path.

Filters (`Where`, `Key`/`K`) live in `_where`, rank expressions (`Knn`, `Rrf`, arithmetic)
in `_rank`, and result shaping (`Limit`, `Select`, `GroupBy`, `MinK`, `MaxK`) in
`_shaping`; this module gathers them as `chromadb.execution.expression.operator`.
"""

from __future__ import annotations

from chromadb.execution.expression._rank import (
    Abs,
    Div,
    Exp,
    Knn,
    Log,
    Max,
    Min,
    Mul,
    Rank,
    Rrf,
    Sub,
    Sum,
    Val,
)
from chromadb.execution.expression._shaping import Aggregate, GroupBy, Limit, MaxK, MinK, Select
from chromadb.execution.expression._where import (
    And,
    Contains,
    Eq,
    Gt,
    Gte,
    In,
    K,
    Key,
    Lt,
    Lte,
    Ne,
    Nin,
    NotContains,
    NotRegex,
    Or,
    Regex,
    Where,
)

__all__ = [
    "Abs",
    "Aggregate",
    "And",
    "Contains",
    "Div",
    "Eq",
    "Exp",
    "GroupBy",
    "Gt",
    "Gte",
    "In",
    "K",
    "Key",
    "Knn",
    "Limit",
    "Log",
    "Lt",
    "Lte",
    "Max",
    "MaxK",
    "Min",
    "MinK",
    "Mul",
    "Ne",
    "Nin",
    "NotContains",
    "NotRegex",
    "Or",
    "Rank",
    "Regex",
    "Rrf",
    "Select",
    "Sub",
    "Sum",
    "Val",
    "Where",
]
