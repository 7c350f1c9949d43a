"""docs/import-export-backup.md's Python example runs and prints what the page says; the
README's snippet loads an export into real chromadb 1.5.9, equal to what we hold.

The README test needs a Python with the real `chromadb==1.5.9` installed: the one in
REAL_CHROMA_PYTHON, else the benchmark's (`bench/.venvs/chroma-1.5.9`, made by `make bench`).
"""
from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import chromadb
from chromadb.transfer import export_collections

ROOT = Path(__file__).parent.parent
DOC = (ROOT / "docs" / "import-export-backup.md").read_text(encoding="utf-8")
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _code_blocks(text: str, language: str) -> list[str]:
    return [block.split("```", 1)[0] for block in text.split(f"```{language}\n")[1:]]


def test_the_python_example_runs_and_prints_what_the_page_says(tmp_path):
    section = DOC.split("## From Python", 1)[1]
    example = _code_blocks(section, "python")[0]
    expected = section.split("prints\n\n```\n", 1)[1].split("```", 1)[0]
    # its own process, in a folder of its own: the example's relative paths, its clients left open
    done = subprocess.run([sys.executable, "-c", example], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout == expected


def test_the_page_documents_every_command_option():
    from chromadb.cli import _parser

    commands = _parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for name in ("export", "import", "backup"):
        for action in commands[name]._actions:
            for flag in action.option_strings:
                if flag not in ("-h", "--help"):
                    assert flag in DOC, f"docs/import-export-backup.md does not mention chroma {name} {flag}"


def _real_chroma_python() -> str | None:
    for candidate in (os.environ.get("REAL_CHROMA_PYTHON"), str(ROOT / "bench" / ".venvs" / "chroma-1.5.9" / "bin" / "python")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


# after the README's snippet, in the same process: what real chromadb now holds
_DUMP = """
import base64, json
got = collection.get(include=["embeddings", "metadatas", "documents", "uris"])
print(json.dumps({
    "version": chromadb.__version__, "name": collection.name, "metadata": collection.metadata,
    "space": collection.configuration_json["hnsw"]["space"], "ids": got["ids"],
    "embeddings": [base64.b64encode(np.asarray(e, "<f4").tobytes()).decode() for e in got["embeddings"]],
    "metadatas": got["metadatas"], "documents": got["documents"], "uris": got["uris"],
}))
"""


def test_the_readme_snippet_loads_an_export_into_real_chroma(tmp_path):
    python = _real_chroma_python()
    if python is None:
        pytest.skip("no Python with the real chromadb 1.5.9: set REAL_CHROMA_PYTHON (or run `make bench` once)")
    snippet = README.split("### An export, loaded into real Chroma", 1)[1]
    snippet = _code_blocks(snippet, "python")[0]
    ours = chromadb.PersistentClient(path=str(tmp_path / "db"))
    # ip: real Chroma keeps the vectors of l2 and ip collections as given (a cosine one's it normalises)
    docs = ours.create_collection("docs", metadata={"hnsw:space": "ip", "team": "search", "weight": 1.0})
    n = 2345  # more than one batch of the snippet's
    vectors = np.random.default_rng(3).standard_normal((n, 24)).astype(np.float32)
    docs.add(
        ids=[f"doc-{i}" for i in range(n)],
        embeddings=vectors,
        metadatas=[None if i % 3 == 0 else {"n": i, "score": float(i), "ok": i % 2 == 0, "tags": ["a", "b"]} for i in range(n)],
        documents=[None if i % 4 == 0 else f"text {i}" for i in range(n)],
        uris=[f"file://{i}" if i % 5 == 0 else None for i in range(n)],
    )
    expected = docs.get(include=["embeddings", "metadatas", "documents", "uris"])
    ours.close()
    export_collections(str(tmp_path / "db"), str(tmp_path / "export"))

    done = subprocess.run(
        [python, "-c", snippet + _DUMP], cwd=tmp_path, capture_output=True, text=True, timeout=600,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    assert done.returncode == 0, done.stderr
    real = json.loads(done.stdout.splitlines()[-1])
    assert real["version"] == "1.5.9"
    assert (real["name"], real["metadata"], real["space"]) == ("docs", {"team": "search", "weight": 1.0}, "ip")
    assert real["ids"] == expected["ids"]
    assert real["embeddings"] == [base64.b64encode(np.asarray(e, "<f4").tobytes()).decode() for e in expected["embeddings"]]
    assert real["documents"] == expected["documents"] and real["uris"] == expected["uris"]
    # real Chroma answers {} where a record has a uri but no metadata (it keeps the uri among the metadata)
    assert [_typed(m or None) for m in real["metadatas"]] == [_typed(m) for m in expected["metadatas"]]


def _typed(metadata: dict | None) -> list | None:
    """A metadata with its value types spelled out (1.0 is not 1, True is not 1), keys in order."""
    return None if metadata is None else sorted((k, type(v).__name__, repr(v)) for k, v in metadata.items())
