"""The Python examples of docs/usage.md and docs/schema.md run as written (in a scratch
directory), and usage.md's prints what the page says, in-process and over HTTP."""
from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

DOCS = Path(__file__).parent.parent / "docs"


def _python_blocks(page: str) -> list[str]:
    text = (DOCS / page).read_text(encoding="utf-8")
    return [part.split("```", 1)[0] for part in text.split("```python")[1:]]


def _printed(page: str) -> list[str]:
    text = (DOCS / page).read_text(encoding="utf-8")
    return text.split("prints", 1)[1].split("```", 2)[1].strip().splitlines()


@pytest.mark.parametrize("door", ["in-process", "http"])
def test_the_usage_example_prints_what_the_page_says(door, request):
    (code,) = _python_blocks("usage.md")
    name = f"usage-demo-{door}"
    code = code.replace('"usage-demo"', repr(name))
    if door == "http":
        server = request.getfixturevalue("http_server")
        code = code.replace("chromadb.EphemeralClient()", f"chromadb.HttpClient(host={server.host!r}, port={server.port})")
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        exec(code, {})
    assert output.getvalue().splitlines() == _printed("usage.md")


def test_the_schema_example_runs_and_gets_its_space(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (code,) = _python_blocks("schema.md")
    scope: dict = {}
    exec(code, scope)
    collection = scope["collection"]
    assert collection.configuration_json["hnsw"]["space"] == "cosine"
    keys = collection.schema.serialize_to_json()["keys"]
    assert keys["bm25"]["sparse_vector"]["sparse_vector_index"]["config"]["bm25"] is True
