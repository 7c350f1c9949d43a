"""Print the embedding-function config schemas of a released chromadb, as one JSON document.

    /path/to/venv-with-chromadb-1.5.9/bin/python scripts/ef_config_schemas.py \
        > src/chromadb/utils/embedding_functions/schemas/upstream_schemas.json

Upstream ships one JSON schema file per embedding function (draft-07: field types, which
are required, no others allowed). They are facts of the release, like the public names:
`chromadb.utils.embedding_functions.schemas.load_schema(name)` and its registry helpers
return them; validation itself is done by our embedding functions' own checks.
"""

from __future__ import annotations

import json
import sys

EXPECTED_VERSION = "1.5.9"
BASE_SCHEMA = "base_schema"  # upstream loads it by name but leaves it out of the available list


def main() -> None:
    import chromadb
    from chromadb.utils.embedding_functions.schemas import get_available_schemas, load_schema

    if chromadb.__version__ != EXPECTED_VERSION:
        raise SystemExit(f"expected chromadb {EXPECTED_VERSION}, found {chromadb.__version__} at {chromadb.__file__}")
    names = sorted(get_available_schemas()) + [BASE_SCHEMA]
    schemas = {name: load_schema(name) for name in names}
    json.dump({"chromadb_version": EXPECTED_VERSION, "schemas": schemas}, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
