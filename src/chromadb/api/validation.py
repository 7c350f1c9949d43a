"""Argument checks shared by every door (in-process client, HTTP server).

The `where` / `where_document` grammar lives in `chromadb.model.where`.

Each check raises ValueError or TypeError with a message that says what was wrong,
as upstream's client does; `LocalBackend` turns them into `InvalidArgumentError` for
requests that arrive over HTTP. Checks run before any write starts, so a bad batch
writes nothing.
"""
from __future__ import annotations

import ipaddress
import math
import re
from typing import Any, Sequence

import numpy as np

# the id, embedding, include and paging checks live with the record and request types;
# these names stay importable here
from chromadb.model.records import (  # noqa: F401
    check_filter_ids,
    check_ids,
    to_embedding_matrix,
    to_update_embeddings,
)
from chromadb.model.requests import (  # noqa: F401
    INCLUDE_VALUES,
    check_include,
    check_limit_offset,
    check_n_results,
)

SCALAR_TYPES = (str, int, float, bool)
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_NAME_CHARS = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._-]*[a-zA-Z0-9]$")


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
