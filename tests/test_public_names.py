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

CASES = [
    (module, name)
    for module, names in sorted(PUBLIC_NAMES.items())
    for name in names
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
