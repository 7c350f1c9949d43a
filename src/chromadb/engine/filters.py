"""`where` and `where_document` evaluated as boolean masks over a collection's slots.

Input is already validated (api.validation). Negative operators are the complement of
their positive form, so they match records that lack the key, as upstream does.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from chromadb.api.validation import compile_document_regex

if TYPE_CHECKING:
    from chromadb.engine.view import CollectionView

DOCUMENT_KEY = "#document"


def _combine(view: CollectionView, op: str, clauses: list[Any], evaluate: Callable[..., np.ndarray]) -> np.ndarray:
    """$and / $or of sub-clauses; an empty $and matches everything, an empty $or nothing."""
    if op == "$and":
        mask = np.ones(view.n, dtype=bool)
        for sub in clauses:
            mask &= evaluate(view, sub)
    else:
        mask = np.zeros(view.n, dtype=bool)
        for sub in clauses:
            mask |= evaluate(view, sub)
    return mask


def where_mask(view: CollectionView, where: dict[str, Any]) -> np.ndarray:
    n = view.n
    ((key, value),) = where.items()
    if key in ("$and", "$or"):
        return _combine(view, key, value, where_mask)
    if not isinstance(value, dict):
        value = {"$eq": value}
    ((op, operand),) = value.items()
    if key == DOCUMENT_KEY:
        return document_mask(view, {op: operand})
    col = view.column(key)
    if op == "$eq":
        return col.equals(operand, n)
    if op == "$ne":
        return ~col.equals(operand, n)
    if op in ("$gt", "$gte", "$lt", "$lte"):
        return col.compare(op, operand, n)
    if op == "$in":
        return col.is_in(operand, n)
    if op == "$nin":
        return ~col.is_in(operand, n)
    if op == "$contains":
        return col.contains(operand, n)
    if op == "$not_contains":
        return ~col.contains(operand, n)
    raise ValueError(f"Invalid where clause: unknown operator {op}")


def document_mask(view: CollectionView, where_document: dict[str, Any]) -> np.ndarray:
    n = view.n
    ((op, operand),) = where_document.items()
    if op in ("$and", "$or"):
        return _combine(view, op, operand, document_mask)
    if op == "$contains":
        return view.documents_containing(operand)
    if op == "$not_contains":
        return ~view.documents_containing(operand)
    if op in ("$regex", "$not_regex"):
        pattern = compile_document_regex(operand)
        docs = view.documents
        found = np.fromiter((d is not None and pattern.search(d) is not None for d in docs[:n]), dtype=bool, count=n)
        return found if op == "$regex" else ~found
    raise ValueError(f"Invalid where document clause: unknown operator {op}")
