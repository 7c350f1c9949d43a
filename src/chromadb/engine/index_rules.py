"""Filters on an index the collection's schema turned off are refused, as upstream refuses them.

A metadata clause needs the inverted index of its operand's type for its key (the key's
entry in `schema["keys"]`, else `schema["defaults"]`); a document clause needs the
full-text index of `#document`. The messages are the real 1.5.9 server's (400
InvalidArgumentError), e.g. "Cannot filter using metadata key 'cat' with type 'Str'
because indexing is disabled".

Discovering a new key copies the defaults of its type, so the answer for a key never
changes after the collection is created: checking the stored schema at each read is
enough.
"""
from __future__ import annotations

from typing import Any

from chromadb.engine.collection_schema import DOCUMENT_KEY, SCALAR_INDEXES
from chromadb.errors import InvalidArgumentError
from chromadb.model.where import And, ArrayContains, Comparison, DocumentContains, DocumentRegex, Membership, Or

# the operand's Python type (the tree's `kind`) -> (schema value type, upstream's type name)
_KINDS = {"str": ("string", "Str"), "int": ("int", "Int"), "float": ("float", "Float"), "bool": ("bool", "Bool")}


def _index_enabled(schema: dict[str, Any], key: str, value_type: str) -> bool:
    index_name = SCALAR_INDEXES[value_type]
    for value_types in (schema["keys"].get(key), schema["defaults"]):
        entry = ((value_types or {}).get(value_type) or {}).get(index_name)
        if entry is not None:
            return bool(entry.get("enabled", True))
    return True


def fts_enabled(schema: dict[str, Any]) -> bool:
    for value_types in (schema["keys"].get(DOCUMENT_KEY), schema["defaults"]):
        entry = ((value_types or {}).get("string") or {}).get("fts_index")
        if entry is not None:
            return bool(entry.get("enabled", True))
    return True


def check_filters(schema: dict[str, Any] | None, *clauses: Any) -> None:
    """Raise InvalidArgumentError for the first clause (depth first) that needs a disabled index."""
    if schema is None:
        return
    for clause in clauses:
        if clause is not None:
            _check(schema, clause)


def _check(schema: dict[str, Any], clause: Any) -> None:
    if isinstance(clause, (And, Or)):
        for child in clause.clauses:
            _check(schema, child)
    elif isinstance(clause, (DocumentContains, DocumentRegex)):
        if not fts_enabled(schema):
            raise InvalidArgumentError("Cannot filter using full-text search because FTS indexing is disabled")
    elif isinstance(clause, (Comparison, Membership, ArrayContains)):
        value_type, type_name = _KINDS[clause.kind]
        if not _index_enabled(schema, clause.key, value_type):
            raise InvalidArgumentError(
                f"Cannot filter using metadata key '{clause.key}' with type '{type_name}' because indexing is disabled"
            )


def sparse_index(schema: dict[str, Any] | None, key: str) -> dict[str, Any] | None:
    """The enabled sparse vector index of `key` (`{"enabled": True, "config": {...}}`), else None.

    For a sparse `Knn` on `key`: its config says whether the query gets BM25 IDF (`bm25`)."""
    if schema is None:
        return None
    for value_types in (schema["keys"].get(key), schema["defaults"]):
        entry = ((value_types or {}).get("sparse_vector") or {}).get("sparse_vector_index")
        if entry is not None:
            return entry if entry.get("enabled") else None
    return None


def check_sparse_key(schema: dict[str, Any] | None, key: str) -> dict[str, Any]:
    """The sparse index a sparse `Knn` on `key` searches; upstream's 400 when there is none."""
    index = sparse_index(schema, key)
    if index is None:
        raise InvalidArgumentError(
            f"Cannot filter using metadata key '{key}' with type 'SparseVector' because indexing is disabled"
        )
    return index
