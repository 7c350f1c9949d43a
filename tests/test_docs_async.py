"""docs/async.md: its example runs with AsyncEphemeralClient and AsyncPersistentClient and prints what the page says."""
from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from chromadb.api.shared_system_client import SharedSystemClient

DOC = (Path(__file__).parent.parent / "docs" / "async.md").read_text(encoding="utf-8")


def _example_and_output() -> tuple[str, list[str]]:
    section = DOC.split("## Example", 1)[1]
    code = section.split("```python", 1)[1].split("```", 1)[0]
    printed = section.split("prints", 1)[1].split("```", 2)[1]
    return code, printed.strip().splitlines()


@pytest.mark.parametrize("client", ["ephemeral", "persistent"])
def test_the_example_prints_what_the_page_says(client, tmp_path):
    code, expected = _example_and_output()
    if client == "persistent":
        code = code.replace("chromadb.AsyncEphemeralClient()", f"chromadb.AsyncPersistentClient({str(tmp_path)!r})")
    else:
        SharedSystemClient.clear_system_cache()  # the in-memory database is shared in-process: start empty
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        exec(code, {"__name__": "docs_async"})
    assert output.getvalue().splitlines() == expected
