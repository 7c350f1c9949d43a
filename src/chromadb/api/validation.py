"""Name checks, and the import path of the checks that now live with the types they
build (`chromadb.model`: where.py for the filter grammar, records.py for ids,
embeddings, metadata and documents, requests.py for include and paging).

Each check raises ValueError or TypeError with a message that says what was wrong,
as upstream's client does; a door that answers over HTTP turns them into
`InvalidArgumentError`.
"""
from __future__ import annotations

import ipaddress
import re
from typing import Any

# the id, embedding, include and paging checks live with the record and request types;
# these names stay importable here
from chromadb.model.records import (  # noqa: F401
    SCALAR_TYPES,
    check_documents,
    check_filter_ids,
    check_ids,
    check_lengths,
    check_metadata,
    check_metadata_value,
    check_metadatas,
    to_embedding_matrix,
    to_update_embeddings,
)
from chromadb.model.requests import (  # noqa: F401
    INCLUDE_VALUES,
    check_include,
    check_limit_offset,
    check_n_results,
)

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
