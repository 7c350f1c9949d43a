"""Packaging (issue 19 item 4): ranges in pyproject.toml, exact versions in constraints.txt,
the extras, a wheel that builds, and the two ways to start the command line."""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
SUBCOMMANDS = ("run", "check", "repair", "vacuum", "import", "export", "backup")


def _name(requirement: str) -> str:
    """The normalised distribution name of a requirement string (PEP 503)."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match.group(1)).lower()


def _constraints() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, sep, version = line.partition("==")
            assert sep, f"constraints.txt pins exact versions only: {line!r}"
            pins[_name(name)] = version
    return pins


def test_runtime_dependencies_are_ranges_each_pinned_by_the_constraints():
    runtime = PYPROJECT["project"]["dependencies"]
    pins = _constraints()
    for requirement in runtime:
        spec = requirement.split(";", 1)[0]
        assert "==" not in spec and "~=" not in spec, f"a library must not pin its users: {requirement}"
        assert ">=" in spec, f"give the oldest version that works: {requirement}"
        assert _name(requirement) in pins, f"{requirement} is not in constraints.txt"


def test_heavy_separable_parts_are_extras():
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert {_name(r) for r in extras["parquet"]} == {"pyarrow"}
    assert {_name(r) for r in extras["postgres"]} == {"psycopg", "psycopg-pool"}
    assert any("[binary]" in r for r in extras["postgres"])  # libpq comes with it
    runtime = {_name(r) for r in PYPROJECT["project"]["dependencies"]}
    assert not runtime & {"pyarrow", "psycopg", "psycopg-pool"}
    # what the server's operations and long jobs need is in a plain install
    assert {"prometheus-client", "tqdm"} <= runtime


def test_the_wheel_builds_with_the_package_data_and_the_command(tmp_path):
    source = tmp_path / "source"
    (source / "src").mkdir(parents=True)
    # a copy: a build writes build/ and *.egg-info into the tree it builds
    shutil.copy(ROOT / "pyproject.toml", source)
    shutil.copy(ROOT / "README.md", source)
    shutil.copytree(ROOT / "src" / "chromadb", source / "src" / "chromadb", ignore=shutil.ignore_patterns("__pycache__"))
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(source), "-w", str(tmp_path / "out")],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert time.monotonic() - started < 60
    (wheel,) = (tmp_path / "out").glob("quarrydb-*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        (entry_points,) = (n for n in names if n.endswith(".dist-info/entry_points.txt"))
        assert "chroma = chromadb.cli:console" in z.read(entry_points).decode()
        (metadata,) = (n for n in names if n.endswith(".dist-info/METADATA"))
        requires = [line for line in z.read(metadata).decode().splitlines() if line.startswith("Requires-Dist:")]
    for module in ("__main__.py", "py.typed", "cli.py", "progress.py", "server/metrics.py"):
        assert f"chromadb/{module}" in names
    assert "chromadb/utils/embedding_functions/schemas/upstream_schemas.json" in names
    assert any(r.startswith("Requires-Dist: psycopg[binary]") and 'extra == "postgres"' in r for r in requires)


@pytest.mark.parametrize("command", ["module", "script"])
def test_help_names_every_subcommand(command):
    argv = [sys.executable, "-m", "chromadb"] if command == "module" else [str(Path(sys.executable).parent / "chroma")]
    out = subprocess.run([*argv, "--help"], capture_output=True, text=True, timeout=60, check=True).stdout
    assert out.startswith("usage: chroma") and "examples:" in out
    for sub in SUBCOMMANDS:
        assert re.search(rf"^\s+{sub}\s+\S", out, re.MULTILINE), f"{sub} missing from:\n{out}"
    run_help = subprocess.run([*argv, "run", "--help"], capture_output=True, text=True, timeout=60, check=True).stdout
    for flag in ("--path", "--host", "--port", "--log-level", "--auth-token"):
        assert flag in run_help


def test_python_m_chromadb_runs_a_subcommand(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "chromadb", "check", "--path", str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "is not a data directory" in result.stderr


def test_the_cli_page_documents_every_command_and_option():
    from chromadb.cli import _parser

    page = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    (commands,) = (a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert set(commands.choices) == set(SUBCOMMANDS)
    for name, sub in commands.choices.items():
        assert f"chroma {name}" in page or f"| {name}" in page or f"`{name}`" in page, name
        for action in sub._actions:
            for flag in action.option_strings:
                if flag not in ("-h", "--help"):
                    assert flag in page, f"docs/cli.md does not mention {name} {flag}"
