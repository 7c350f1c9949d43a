"""docs/embedding-functions.md: its example runs (against a fake Ollama), and its table lists every remote function."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

from fake_http_service import FakeService, Request

from chromadb.utils import embedding_functions

DOC = (Path(__file__).parent.parent / "docs" / "embedding-functions.md").read_text(encoding="utf-8")


def fake_ollama(request: Request) -> tuple[int, object]:
    # Drinks point one way, everything else another: enough for a nearest neighbour.
    vectors = [[1.0, 0.0] if ("tea" in t or "drink" in t) else [0.0, 1.0] for t in request.json["input"]]
    return 200, {"model": request.json["model"], "embeddings": vectors}


def test_the_example_runs_and_prints_what_it_says() -> None:
    example = DOC.split("## Example", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    with FakeService() as fake:
        fake.answer(fake_ollama)
        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            exec(example.replace("http://localhost:11434", fake.url), {})
    assert output.getvalue().splitlines() == ["[['1']]", "ollama"]
    assert {r.path for r in fake.requests} == {"/api/embed"}
    assert fake.requests[0].json["model"] == "nomic-embed-text"


def test_the_table_lists_every_remote_function() -> None:
    remote_section = DOC.split("## Remote (", 1)[1].split("\n## ", 1)[0]  # the local section has its own table
    listed = set(re.findall(r"^\| `(\w+)`", remote_section, flags=re.M))
    remote = {
        name
        for name in embedding_functions._REMOTE
        if name.endswith(("EmbeddingFunction", "EmbeddingServer")) and name != "GoogleGenaiEmbeddingFunction"
    }
    assert remote == listed
