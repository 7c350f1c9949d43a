"""Our Search expressions, sparse vectors and Schema builders against real chromadb 1.5.9.

tests/fixtures/expressions_159.json holds, per case, an expression and what the real
1.5.9 package made of it: the JSON of its `to_dict()` / `serialize_to_json()`, or the
builtin class (and message) of the error it raised. scripts/capture_expression_fixtures.py
regenerates it from a real chromadb install. Here each expression runs against ours.

Where we deliberately check earlier than upstream (e.g. `Rrf([])` fails when built, not
when sent), the expression covers both steps, so the outcome compared is the same.
"""

from __future__ import annotations

import builtins
import json
import warnings
from pathlib import Path
from typing import Any

import pytest

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "expressions_159.json").read_text())

OUR_IMPORTS = """
import numpy as np
from chromadb.base_types import SparseVector
from chromadb.execution.expression import *
from chromadb.execution.expression import Search
from chromadb.api.types import (
    Schema, Cmek, VectorIndexConfig, HnswIndexConfig, SpannIndexConfig, FtsIndexConfig,
    SparseVectorIndexConfig, StringInvertedIndexConfig, IntInvertedIndexConfig,
    FloatInvertedIndexConfig, BoolInvertedIndexConfig,
)
from chromadb.embedding_functions import EmbeddingFunction
"""


def sort_select_keys(value: Any) -> Any:
    """As the capture script does: a Select's keys (a set upstream) compared sorted."""
    if isinstance(value, dict):
        out = {k: sort_select_keys(v) for k, v in value.items()}
        if list(out) == ["keys"] and isinstance(out["keys"], list):
            out["keys"] = sorted(out["keys"])
        return out
    if isinstance(value, list):
        return [sort_select_keys(v) for v in value]
    return value


def jsonable(value: Any) -> Any:
    if hasattr(value, "serialize_to_json"):
        value = value.serialize_to_json()
    elif hasattr(value, "to_dict"):
        value = value.to_dict()
    return sort_select_keys(value)


@pytest.fixture(scope="module")
def namespace() -> dict[str, Any]:
    ns: dict[str, Any] = {}
    exec(OUR_IMPORTS, ns)
    exec(FIXTURE["prelude"], ns)
    return ns


def test_fixture_comes_from_real_159() -> None:
    assert FIXTURE["chromadb"] == "1.5.9"
    assert len(FIXTURE["cases"]) > 200


@pytest.mark.parametrize("name", sorted(FIXTURE["cases"]))
def test_case_matches_real_chromadb(name: str, namespace: dict[str, Any]) -> None:
    case = FIXTURE["cases"][name]
    if "value" in case:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ours = jsonable(eval(case["expr"], namespace))
        # Compared as JSON text: key order aside, 1 and 1.0 must not pass for each other.
        assert json.dumps(ours, sort_keys=True) == json.dumps(case["value"], sort_keys=True)
        # Key order too, where upstream's output has one (JSON bodies are sent as built).
        assert json.dumps(ours) == json.dumps(case["value"])
    else:
        error = getattr(builtins, case["error"])
        with pytest.raises(error) as info:
            jsonable(eval(case["expr"], namespace))
        if "message" in case:
            assert str(info.value) == case["message"]
