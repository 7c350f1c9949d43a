"""docs/search.md: its example runs in-process and against our server, and prints what the page says."""
from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

DOC = (Path(__file__).parent.parent / "docs" / "search.md").read_text(encoding="utf-8")


def _example_and_output() -> tuple[str, list[str]]:
    section = DOC.split("## Example", 1)[1]
    code = section.split("```python", 1)[1].split("```", 1)[0]
    printed = section.split("prints", 1)[1].split("```", 2)[1]
    return code, printed.strip().splitlines()


@pytest.mark.parametrize("door", ["in-process", "http"])
def test_the_example_prints_what_the_page_says(door, request):
    code, expected = _example_and_output()
    if door == "http":
        server = request.getfixturevalue("http_server")
        code = code.replace("chromadb.EphemeralClient()", f"chromadb.HttpClient(host={server.host!r}, port={server.port})")
        code = code.replace('"hybrid-demo"', '"hybrid-demo-http"')
    else:
        code = code.replace('"hybrid-demo"', '"hybrid-demo-local"')  # the ephemeral engine is shared in-process
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        exec(code, {})
    assert output.getvalue().splitlines() == expected
