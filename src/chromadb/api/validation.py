"""Argument checks shared by every door (in-process client, HTTP server).

Each check raises ValueError or TypeError with a message that says what was wrong,
as upstream's client does; `LocalBackend` turns them into `InvalidArgumentError` for
requests that arrive over HTTP. Checks run before any write starts, so a bad batch
writes nothing.
"""
from __future__ import annotations

import ipaddress
import math
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from chromadb.errors import DuplicateIDError

INCLUDE_VALUES = ("documents", "embeddings", "metadatas", "distances", "uris", "data")
SCALAR_TYPES = (str, int, float, bool)
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_NAME_CHARS = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._-]*[a-zA-Z0-9]$")
_COMPARISON_OPS = ("$gt", "$gte", "$lt", "$lte")
_WHERE_OPS = ("$eq", "$ne", "$in", "$nin", "$contains", "$not_contains", "$regex", "$not_regex") + _COMPARISON_OPS
_DOC_OPS = ("$contains", "$not_contains", "$regex", "$not_regex")


# -- names --------------------------------------------------------------------
def check_name(name: Any) -> str:
    """Collection and database names, upstream 1.5.9 rules."""
    if not isinstance(name, str):
        raise TypeError(f"Expected a name of type str, got {type(name).__name__}")
    if not (3 <= len(name) <= 512) or not _NAME_CHARS.match(name):
        raise ValueError(
            "Expected a name containing 3-512 characters from [a-zA-Z0-9._-], "
            f"starting and ending with a character in [a-zA-Z0-9]. Got: {name}"
        )
    if ".." in name:
        raise ValueError(f"Expected a name that does not contain two consecutive periods. Got: {name}")
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return name
    raise ValueError(f"Expected a name that is not a valid ip address. Got: {name}")


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


# -- metadata -----------------------------------------------------------------
def check_metadata_value(key: str, value: Any, allow_none: bool) -> None:
    if value is None:
        if allow_none:
            return
        raise ValueError(f"Expected metadata value for key {key!r} to be a str, int, float, bool or list, got None")
    if isinstance(value, bool) or isinstance(value, str):
        return
    if isinstance(value, int):
        if not (_INT64_MIN <= value <= _INT64_MAX):
            raise ValueError(f"Metadata value for key {key!r} does not fit in a 64-bit integer: {value}")
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"Expected metadata value for key {key!r} to be a finite float, got {value}")
        return
    if isinstance(value, list):
        if not value:
            raise ValueError(f"Expected metadata list value for key {key!r} to be non-empty")
        first = type(value[0])
        if first not in SCALAR_TYPES or any(type(v) is not first for v in value):
            raise ValueError(
                f"Expected metadata list value for key {key!r} to contain only values of one type "
                f"(str, int, float or bool), got {value!r}"
            )
        for v in value:
            check_metadata_value(key, v, False)
        return
    if isinstance(value, dict) and value.get("#type") == "sparse_vector":
        return
    raise ValueError(
        f"Expected metadata value for key {key!r} to be a str, int, float, bool or list, "
        f"got {value!r} which is a {type(value).__name__}"
    )


def check_metadata(metadata: Any, allow_none_values: bool = False, what: str = "metadata") -> dict[str, Any]:
    if not isinstance(metadata, dict):
        raise ValueError(f"Expected {what} to be a dict, got {metadata!r} as {what}")
    if len(metadata) == 0:
        raise ValueError(f"Expected {what} to be a non-empty dict, got 0 metadata attributes")
    for key, value in metadata.items():
        if type(key) is not str or not key or key[0] in "#$" or key == "chroma:document":
            _bad_metadata_key(key, what)
        # the common scalar cases inline: this loop runs once per key of every record written
        t = type(value)
        if t is str or t is bool or (t is float and math.isfinite(value)) or (t is int and _INT64_MIN <= value <= _INT64_MAX):
            continue
        check_metadata_value(key, value, allow_none_values)
    return metadata


def _bad_metadata_key(key: Any, what: str) -> None:
    if not isinstance(key, str):
        raise TypeError(f"Expected {what} key to be a str, got {key!r} which is a {type(key).__name__}")
    if key == "chroma:document":
        raise ValueError(f"Expected {what} to not contain the reserved key chroma:document")
    raise ValueError(f"Expected {what} key to be a non-empty str not starting with '#' or '$', got {key!r}")


def check_metadatas(metadatas: Any, allow_none_values: bool) -> list[dict[str, Any] | None]:
    if not isinstance(metadatas, (list, tuple)):
        raise ValueError(f"Expected metadatas to be a list, got {metadatas!r}")
    return [None if m is None else check_metadata(m, allow_none_values) for m in metadatas]


def check_documents(documents: Any, what: str = "documents") -> list[str | None]:
    if isinstance(documents, str):
        documents = [documents]
    if not isinstance(documents, (list, tuple)):
        raise ValueError(f"Expected {what} to be a list, got {type(documents).__name__}")
    for d in documents:
        if d is not None and not isinstance(d, str):
            raise ValueError(f"Expected {what} to be a list of str, got {d!r}")
    return list(documents)


def check_lengths(ids: Sequence[str], **fields: Sequence[Any] | None) -> None:
    for name, values in fields.items():
        if values is not None and len(values) != len(ids):
            raise ValueError(
                "Inconsistent number of IDs, embeddings, documents, URIs and metadatas: "
                f"{len(ids)} ids but {len(values)} {name}"
            )


# -- include ----------------------------------------------------------------------
def check_include(include: Any, allow_distances: bool) -> list[str]:
    if not isinstance(include, (list, tuple)):
        raise ValueError(f"Expected include to be a list, got {include!r}")
    for item in include:
        if item not in INCLUDE_VALUES:
            raise ValueError(f"Expected include item to be one of {', '.join(INCLUDE_VALUES)}, got {item!r}")
        if item == "distances" and not allow_distances:
            raise ValueError("Include 'distances' is only valid for query, not get")
    return list(include)


# -- where / where_document ---------------------------------------------------------
def check_where(where: Any, min_clauses: int = 0) -> dict[str, Any]:
    """`min_clauses`: the clients insist on at least 2 under $and/$or; the server takes any number."""
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
        for sub in value:
            check_where(sub, min_clauses)
        return where
    if key.startswith("$"):
        raise ValueError(f"Invalid where clause: unknown operator {key!r}")
    _check_where_field(key, value)
    return where


def _check_where_field(key: str, value: Any) -> None:
    if isinstance(value, SCALAR_TYPES):
        return
    if not isinstance(value, dict):
        raise ValueError(f"Expected where value to be a str, int, float, or operator expression, got {value!r}")
    if len(value) != 1:
        raise ValueError(f"Expected operator expression to have exactly one operator, got {value}")
    ((op, operand),) = value.items()
    if op not in _WHERE_OPS:
        raise ValueError(f"Expected where operator to be one of {', '.join(_WHERE_OPS)}, got {op}")
    if op in ("$regex", "$not_regex"):
        if key != "#document":
            raise ValueError(f"Operator {op} is only supported on the #document key")
        compile_document_regex(operand)
        return
    if key == "#document" and op not in ("$contains", "$not_contains"):
        raise ValueError(f"Operator {op} is not supported on the #document key")
    if op in _COMPARISON_OPS:
        if isinstance(operand, bool) or not isinstance(operand, (int, float)):
            raise ValueError(f"Expected operand value to be an int or a float for operator {op}, got {operand!r}")
        return
    if op in ("$in", "$nin"):
        if not isinstance(operand, list) or not operand:
            raise ValueError(f"Expected where operand value to be a non-empty list, and all values to be of the same type got {operand!r}")
        first = type(operand[0])
        if first not in SCALAR_TYPES or any(type(v) is not first for v in operand):
            raise ValueError(f"Expected where operand value to be a non-empty list, and all values to be of the same type got {operand!r}")
        return
    if not isinstance(operand, SCALAR_TYPES):
        raise ValueError(f"Expected where operand value to be a str, int, float or bool for operator {op}, got {operand!r}")


def check_where_document(where_document: Any, min_clauses: int = 0, compile_regex: bool = True) -> dict[str, Any]:
    """`compile_regex=False`: a pattern is only checked to be a non-empty str (upstream's client-side check)."""
    if not isinstance(where_document, dict):
        raise ValueError(f"Expected where document to be a dict, got {where_document!r}")
    if len(where_document) != 1:
        raise ValueError(f"Expected where document to have exactly one operator, got {where_document}")
    ((op, operand),) = where_document.items()
    if op in ("$and", "$or"):
        if not isinstance(operand, list):
            raise ValueError(f"Expected document value for {op} to be a list of where document expressions, got {operand!r}")
        if len(operand) < min_clauses:
            raise ValueError(
                f"Expected document value for $and or $or to be a list with at least two where document "
                f"expressions, got {operand}"
            )
        for sub in operand:
            check_where_document(sub, min_clauses, compile_regex)
        return where_document
    if op not in _DOC_OPS:
        raise ValueError(f"Expected where document operator to be one of {', '.join(_DOC_OPS + ('$and', '$or'))}, got {op}")
    if not isinstance(operand, str):
        raise ValueError(f"Expected where document operand value for operator {op} to be a str")
    if len(operand) == 0:
        raise ValueError("Expected where document operand value to be a non-empty str")
    if op in ("$regex", "$not_regex") and compile_regex:
        compile_document_regex(operand)
    return where_document


def compile_document_regex(pattern: Any):  # -> regex.Pattern
    """Rust `regex`-crate syntax is closer to the `regex` package in V1 mode than to `re`."""
    import regex

    if not isinstance(pattern, str) or pattern == "":
        raise ValueError("Expected a non-empty regular expression string")
    try:
        return regex.compile(pattern, flags=regex.V1)
    except regex.error as e:
        raise ValueError(f"Invalid regular expression {pattern!r}: {e}") from None


def check_n_results(n_results: Any) -> int:
    if isinstance(n_results, bool) or not isinstance(n_results, (int, np.integer)):
        raise TypeError(f"Expected requested number of results to be an int, got {n_results!r}")
    if n_results <= 0:
        raise TypeError(f"Number of requested results {n_results}, cannot be negative, or zero.")
    return int(n_results)


def check_limit_offset(limit: Any, offset: Any) -> tuple[int | None, int]:
    for name, v in (("limit", limit), ("offset", offset)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0):
            raise TypeError(f"Expected {name} to be a non-negative int, got {v!r}")
    return (None if limit is None else int(limit)), (0 if offset is None else int(offset))
