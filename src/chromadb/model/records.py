"""Records as every layer takes them: ids and a float32 embedding matrix, checked once.

The checks raise ValueError or TypeError with upstream's client messages; a door that
answers over HTTP turns them into 400 InvalidArgumentError.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from chromadb.errors import DuplicateIDError, InvalidArgumentError

__all__ = [
    "SCALAR_TYPES",
    "RecordBatch",
    "WriteKind",
    "batch_size_message",
    "check_documents",
    "check_filter_ids",
    "check_ids",
    "check_lengths",
    "check_metadata",
    "check_metadata_value",
    "check_metadatas",
    "check_sparse_vector",
    "to_embedding_matrix",
    "to_update_embeddings",
]

SCALAR_TYPES = (str, int, float, bool)
INCONSISTENT_DIMENSIONS = "Inconsistent dimensions in provided embeddings"
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


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
        raise ValueError(INCONSISTENT_DIMENSIONS)
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
            raise ValueError(INCONSISTENT_DIMENSIONS)
        dim = len(e)
    raise ValueError(f"Expected {what} to be a list of equally long lists of numbers")


def to_update_embeddings(embeddings: Any) -> np.ndarray | list[np.ndarray | None] | None:
    """update() may carry None entries (keep the stored vector)."""
    if embeddings is None or isinstance(embeddings, np.ndarray):
        return None if embeddings is None else to_embedding_matrix(embeddings)
    if isinstance(embeddings, (list, tuple)) and any(e is None for e in embeddings):
        rows = [None if e is None else to_embedding_matrix([e])[0] for e in embeddings]
        if len({len(r) for r in rows if r is not None}) > 1:
            raise ValueError(INCONSISTENT_DIMENSIONS)
        return rows
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
        check_sparse_vector(key, value)
        return
    raise ValueError(
        f"Expected metadata value for key {key!r} to be a str, int, float, bool or list, "
        f"got {value!r} which is a {type(value).__name__}"
    )


def check_sparse_vector(key: str, value: dict[str, Any]) -> None:
    """A sparse vector metadata value in its tagged form: `indices` strictly ascending u32,
    one number per index in `values`, and `tokens` (if any) one string per index."""
    indices, values, tokens = value.get("indices"), value.get("values"), value.get("tokens")
    if not isinstance(indices, list) or not set(map(type, indices)) <= {int} or (indices and not 0 <= min(indices) <= max(indices) < 2**32):
        raise ValueError(f"Expected sparse vector indices for key {key!r} to be a list of non-negative 32-bit integers")
    if not isinstance(values, list) or not set(map(type, values)) <= {int, float} or not math.isfinite(sum(values)):
        raise ValueError(f"Expected sparse vector values for key {key!r} to be a list of finite numbers")
    if len(values) != len(indices) or (tokens is not None and (not isinstance(tokens, list) or len(tokens) != len(indices))):
        raise ValueError(f"Expected sparse vector indices, values and tokens for key {key!r} to have the same length")
    if any(b <= a for a, b in zip(indices, indices[1:])):
        raise ValueError(
            f"Sparse vector indices for key {key!r} must be sorted in strictly ascending order (no duplicates)"
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


# -- one write's records ----------------------------------------------------------------------
WriteKind = Literal["add", "upsert", "update"]


def batch_size_message(limit: int) -> str:
    """What every door says about a write over its cap (its error class is the door's)."""
    return (
        f"Cannot submit more than {limit:,} embeddings at once. Please submit your embeddings "
        f"in batches of size {limit:,} or less."
    )


@dataclass(frozen=True, slots=True)
class RecordBatch:
    """The records of one add / upsert / update, checked once by the door that built it.

    `embeddings`: a finite float32 (n, dim) matrix; for an update also None (keep every
    stored vector) or a list whose None entries keep that record's vector.
    """

    kind: WriteKind
    ids: list[str]
    embeddings: np.ndarray | list[np.ndarray | None] | None
    metadatas: list[dict[str, Any] | None] | None
    documents: list[str | None] | None
    uris: list[str | None] | None

    @classmethod
    def build(
        cls,
        kind: WriteKind,
        ids: Any,
        embeddings: Any = None,
        metadatas: Any = None,
        documents: Any = None,
        uris: Any = None,
    ) -> RecordBatch:
        ids = check_ids(ids)
        if kind == "update":
            embeddings = to_update_embeddings(embeddings)
        elif embeddings is None:
            raise ValueError("You must provide embeddings, or documents with an embedding function")
        else:
            embeddings = to_embedding_matrix(embeddings)
        # an add stores what it is given; None deletes a key, which only upsert/update can mean
        metadatas = None if metadatas is None else check_metadatas(metadatas, allow_none_values=kind != "add")
        documents = None if documents is None else check_documents(documents)
        uris = None if uris is None else check_documents(uris, "uris")
        check_lengths(ids, embeddings=embeddings, metadatas=metadatas, documents=documents, uris=uris)
        return cls(kind, ids, embeddings, metadatas, documents, uris)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def matrix(self) -> np.ndarray:
        """The embeddings of an add or upsert: always one full matrix."""
        if not isinstance(self.embeddings, np.ndarray):
            raise TypeError(f"an {self.kind} batch has no embedding matrix")
        return self.embeddings


def check_dimension(expected: int | None, given: int | None) -> None:
    """A collection's vectors all have its dimension: the one rule (and message) every
    write and every query checks against (spec's error table)."""
    if expected is not None and given is not None and expected != given:
        raise InvalidArgumentError(f"Collection expecting embedding with dimension of {expected}, got {given}")
