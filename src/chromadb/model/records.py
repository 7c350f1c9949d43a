"""Records as every layer takes them: ids and a float32 embedding matrix, checked once.

The checks raise ValueError or TypeError with upstream's client messages; a door that
answers over HTTP turns them into 400 InvalidArgumentError.
"""
from __future__ import annotations

import math
from collections import Counter
from typing import Any

import numpy as np

from chromadb.errors import DuplicateIDError

__all__ = ["check_filter_ids", "check_ids", "to_embedding_matrix", "to_update_embeddings"]


# -- ids ------------------------------------------------------------------------
def check_ids(ids: Any) -> list[str]:
    if isinstance(ids, str):
        ids = [ids]
    if not isinstance(ids, (list, tuple)):
        raise TypeError(f"Expected IDs to be a list, got {type(ids).__name__} as IDs")
    if len(ids) == 0:
        raise ValueError(f"Expected IDs to be a non-empty list, got {len(ids)} IDs")
    for id_ in ids:
        if not isinstance(id_, str):
            raise ValueError(f"Expected ID to be a str, got {id_!r}")
        if id_ == "":
            raise ValueError("Expected ID to be a non-empty str, got empty string")
    if len(set(ids)) != len(ids):
        dups = [i for i, c in Counter(ids).items() if c > 1]
        shown = ", ".join(dups[:10]) + (f", ...({len(dups)} total)" if len(dups) > 10 else "")
        raise DuplicateIDError(f"Expected IDs to be unique, found duplicates of: {shown}")
    return list(ids)


def check_filter_ids(ids: Any) -> list[str] | None:
    """ids used as a filter (get/query/delete): may be empty, duplicates harmless."""
    if ids is None:
        return None
    if isinstance(ids, str):
        return [ids]
    if not isinstance(ids, (list, tuple)):
        raise TypeError(f"Expected IDs to be a list, got {type(ids).__name__} as IDs")
    for id_ in ids:
        if not isinstance(id_, str):
            raise ValueError(f"Expected ID to be a str, got {id_!r}")
    return list(ids)


# -- embeddings -----------------------------------------------------------------
def to_embedding_matrix(embeddings: Any, what: str = "embeddings") -> np.ndarray:
    """A list of vectors (or a 2-D array) as a finite float32 (n, dim) array."""
    if isinstance(embeddings, np.ndarray):
        arr = embeddings
        if arr.ndim == 1:
            arr = arr.reshape(1, -1)
    else:
        if not isinstance(embeddings, (list, tuple)):
            raise ValueError(f"Expected {what} to be a list, got {type(embeddings).__name__}")
        if len(embeddings) == 0:
            raise ValueError(f"Expected {what} to be a non-empty list")
        first = embeddings[0]
        if isinstance(first, (int, float, np.number)) and not isinstance(first, bool):
            embeddings = [embeddings]  # a single vector
        arr = _numeric_matrix(embeddings, what)
    if arr.ndim != 2:
        raise ValueError("Inconsistent dimensions in provided embeddings")
    if arr.dtype.kind not in "fiu" or arr.dtype == np.bool_:
        raise ValueError(f"Expected {what} to contain numbers, got dtype {arr.dtype}")
    if arr.shape[1] == 0:
        raise ValueError(f"Expected each embedding in {what} to be a non-empty list")
    arr = np.ascontiguousarray(arr, dtype=np.float32)
    if not _all_finite(arr):
        raise ValueError(f"Expected {what} to contain only finite numbers (no NaN or infinity)")
    return arr


def _all_finite(arr: np.ndarray) -> bool:
    # One reduction instead of isfinite + all (a query is validated on every call): a NaN
    # or an infinity makes the sum non-finite, and float32 values summed in float64
    # cannot overflow.
    return math.isfinite(arr.sum(dtype=np.float64))


def _numeric_matrix(rows: Any, what: str) -> np.ndarray:
    """numpy does the type and shape checks in C; only a failure walks the rows to explain it."""
    try:
        arr = np.array(rows)
    except (ValueError, TypeError):
        arr = None
    if arr is not None and arr.ndim == 2 and arr.dtype.kind in "fiu":
        return arr
    dim = None
    for e in rows:
        if e is None or not isinstance(e, (list, tuple, np.ndarray)):
            raise ValueError(f"Expected each value in {what} to be a list of numbers, got {e!r}")
        for x in e:
            if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, float, np.number)):
                raise ValueError(f"Expected each value in the embedding to be a int or float, got {x!r}")
        if dim is not None and len(e) != dim:
            raise ValueError("Inconsistent dimensions in provided embeddings")
        dim = len(e)
    raise ValueError(f"Expected {what} to be a list of equally long lists of numbers")


def to_update_embeddings(embeddings: Any) -> np.ndarray | list[np.ndarray | None] | None:
    """update() may carry None entries (keep the stored vector)."""
    if embeddings is None or isinstance(embeddings, np.ndarray):
        return None if embeddings is None else to_embedding_matrix(embeddings)
    if isinstance(embeddings, (list, tuple)) and any(e is None for e in embeddings):
        return [None if e is None else to_embedding_matrix([e])[0] for e in embeddings]
    return to_embedding_matrix(embeddings)
