"""Every public name of chromadb 1.5.9 imports from ours (as httpx's `test_exported_members`).

The list is tests/fixtures/chromadb_1_5_9_public_names.json, written by
scripts/chromadb_public_names.py from a real 1.5.9 install. What each name does is
tested elsewhere (tests/test_public_*.py and the API tests).
"""
from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

FIXTURE = Path(__file__).parent / "fixtures" / "chromadb_1_5_9_public_names.json"
PUBLIC_NAMES: dict[str, list[str]] = json.loads(FIXTURE.read_text())["modules"]

_EXPRESSIONS = [
    "Search", "Key", "K", "SearchWhere", "Where", "And", "Or", "Eq", "Ne", "Gt", "Gte", "Lt", "Lte", "In", "Nin",
    "Regex", "NotRegex", "Contains", "NotContains", "Limit", "Select", "Rank", "Abs", "Div", "Exp", "Log", "Max",
    "Min", "Mul", "Knn", "Rrf", "Sub", "Sum", "Val", "Aggregate", "MinK", "MaxK", "GroupBy",
]
_SCHEMA = [
    "Schema", "VectorIndexConfig", "HnswIndexConfig", "SpannIndexConfig", "FtsIndexConfig",
    "SparseVectorIndexConfig", "StringInvertedIndexConfig", "IntInvertedIndexConfig", "FloatInvertedIndexConfig",
    "BoolInvertedIndexConfig", "Cmek", "CmekProvider", "IndexConfig", "ValueTypes", "StringValueType",
    "FloatListValueType", "SparseVectorValueType", "IntValueType", "FloatValueType", "BoolValueType",
    "FtsIndexType", "VectorIndexType", "SparseVectorIndexType", "StringInvertedIndexType", "IntInvertedIndexType",
    "FloatInvertedIndexType", "BoolInvertedIndexType", "STRING_VALUE_NAME", "INT_VALUE_NAME", "BOOL_VALUE_NAME",
    "FLOAT_VALUE_NAME", "FLOAT_LIST_VALUE_NAME", "SPARSE_VECTOR_VALUE_NAME", "FTS_INDEX_NAME", "VECTOR_INDEX_NAME",
    "SPARSE_VECTOR_INDEX_NAME", "STRING_INVERTED_INDEX_NAME", "INT_INVERTED_INDEX_NAME", "FLOAT_INVERTED_INDEX_NAME",
    "BOOL_INVERTED_INDEX_NAME", "HNSW_INDEX_NAME", "SPANN_INDEX_NAME", "DOCUMENT_KEY", "EMBEDDING_KEY",
]
_SPARSE_VECTOR = ["SparseVector", "SparseVectors", "validate_sparse_vectors", "TYPE_KEY", "SPARSE_VECTOR_TYPE_VALUE"]
_LOCAL_EMBEDDING_FUNCTIONS = [
    "ChromaCloudSpladeEmbeddingFunction",  # a remote (Chroma Cloud) sparse function, not built yet
]

# Names other branches build at the same time ("expr": the Search API expressions,
# SparseVector and the Schema/index-config classes; "efs"/"localefs": the embedding
# functions, the remote and local ones are merged). Emptied when those branches are merged: from then on they are checked too.
PROVIDED_BY_PARALLEL_WORK: set[tuple[str, str]] = {
    *{(m, n) for m in ("chromadb", "chromadb.api.types", "chromadb.base_types") for n in _SCHEMA + _SPARSE_VECTOR},
    *{(m, n) for m in ("chromadb", "chromadb.execution.expression", "chromadb.execution.expression.operator",
                       "chromadb.execution.expression.plan") for n in _EXPRESSIONS},
    *{("chromadb.utils.embedding_functions", n) for n in _LOCAL_EMBEDDING_FUNCTIONS},
}

CASES = [
    (module, name)
    for module, names in sorted(PUBLIC_NAMES.items())
    for name in names
    if (module, name) not in PROVIDED_BY_PARALLEL_WORK
]


def test_the_list_covers_the_modules_integrations_import() -> None:
    for module in ("chromadb", "chromadb.api", "chromadb.api.types", "chromadb.api.client",
                   "chromadb.api.models.Collection", "chromadb.utils.batch_utils", "chromadb.errors"):
        assert PUBLIC_NAMES[module], module
    assert len(CASES) > 200


@pytest.mark.parametrize(("module", "name"), CASES, ids=[f"{m}.{n}" for m, n in CASES])
def test_public_name_is_importable(module: str, name: str) -> None:
    imported = importlib.import_module(module)
    assert hasattr(imported, name), f"{module} has no {name}"
    exec(f"from {module} import {name}", {})  # the `from ... import` form user code uses
