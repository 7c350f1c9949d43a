"""A parsed `where` / `where_document` (model/where.py) evaluated as a boolean mask over
a collection's slots.

The tree is already checked and its regexes compiled. Negative operators are the
complement of their positive form, so they match records that lack the key, as
upstream does.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from chromadb.model.where import (
    And,
    ArrayContains,
    Comparison,
    DocumentContains,
    DocumentRegex,
    IdIn,
    Membership,
    Or,
    Where,
)

if TYPE_CHECKING:
    from chromadb.engine.view import CollectionView


def filter_mask(view: CollectionView, node: Where) -> np.ndarray:
    """The slots (of view.n) that `node` holds for; a where_document tree is a Where too."""
    n = view.n
    if isinstance(node, Comparison):
        col = view.column(node.key)
        if node.op == "$eq":
            return col.equals(node.value, n)
        if node.op == "$ne":
            return ~col.equals(node.value, n)
        return col.compare(node.op, node.value, n)  # type: ignore[arg-type]  # parse admits numbers only
    if isinstance(node, And):
        mask = np.ones(n, dtype=bool)  # an empty $and: every record
        for clause in node.clauses:
            mask &= filter_mask(view, clause)
        return mask
    if isinstance(node, Or):
        mask = np.zeros(n, dtype=bool)  # an empty $or: none
        for clause in node.clauses:
            mask |= filter_mask(view, clause)
        return mask
    if isinstance(node, Membership):
        found = view.column(node.key).is_in(list(node.values), n)
        return ~found if node.negate else found
    if isinstance(node, ArrayContains):
        found = view.column(node.key).contains(node.value, n)
        return ~found if node.negate else found
    if isinstance(node, DocumentContains):
        found = view.documents_containing(node.text)
        return ~found if node.negate else found
    if isinstance(node, DocumentRegex):
        search = node.regex().search
        docs = view.documents
        found = np.fromiter((d is not None and search(d) is not None for d in docs[:n]), dtype=bool, count=n)
        return ~found if node.negate else found
    if isinstance(node, IdIn):
        found = np.zeros(n, dtype=bool)
        found[list(view.slots_of_ids(list(node.ids)).values())] = True
        return ~found if node.negate else found
    raise TypeError(f"not a parsed filter: {node!r}")
