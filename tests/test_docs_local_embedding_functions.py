"""docs/embedding-functions.md, local section: its example runs, and its table lists every local function."""

from __future__ import annotations

import ast
import contextlib
import io
import re
from pathlib import Path

import pytest

from chromadb.utils import embedding_functions

DOC = (Path(__file__).parent.parent / "docs" / "embedding-functions.md").read_text(encoding="utf-8")
LOCAL = DOC.split("## Local (", 1)[1].split("\n## ", 1)[0]


def test_the_local_example_runs_and_prints_bm25_weights() -> None:
    example = DOC.split("## Local example", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        exec(example, {})
    weights_line, name_line = output.getvalue().splitlines()
    weights = dict(ast.literal_eval(weights_line))
    # "cats" and "cat's" stem to "cat" (twice); "the" and the "s" of "cat's" are stopwords.
    assert set(weights) == {"cat", "chase", "toy"}
    norm = 1 - 0.75 + 0.75 * 4 / 256
    assert weights["cat"] == pytest.approx(2 * 2.2 / (2 + 1.2 * norm))
    assert weights["toy"] == pytest.approx(1 * 2.2 / (1 + 1.2 * norm))
    assert name_line == "chroma_bm25 1.2"


def test_the_table_lists_every_local_function() -> None:
    listed = set(re.findall(r"^\| `(\w+)`", LOCAL, flags=re.M))
    local = {name for name in embedding_functions._LOCAL if name.endswith("EmbeddingFunction") and name != "SparseEmbeddingFunction"}
    assert local | {"ONNXMiniLM_L6_V2"} == listed
    for name in listed:
        cls = getattr(embedding_functions, name)
        registry_names = re.search(rf"^\| `{name}`[^|]*\| ([^|]*)\|", LOCAL, flags=re.M).group(1)  # type: ignore[union-attr]
        registered = set(embedding_functions.known_embedding_functions) | set(embedding_functions.sparse_known_embedding_functions)
        keys = {k for k in registered if embedding_functions.known_embedding_functions.get(k) is cls
                or embedding_functions.sparse_known_embedding_functions.get(k) is cls}
        assert keys and all(f"`{k}`" in registry_names for k in keys), (name, keys, registry_names)
