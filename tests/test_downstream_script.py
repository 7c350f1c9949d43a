"""scripts/downstream.sh: finds the team's downstream harness and hands it this checkout
(the harness itself, with its venvs and the integrations' suites, is not run here)."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "downstream.sh"


def _run(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(SCRIPT), *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=60
    )


def test_hands_the_checkout_and_arguments_to_the_harness(tmp_path):
    harness = tmp_path / "downstream"
    harness.mkdir()
    run = harness / "run.sh"
    run.write_text('#!/usr/bin/env bash\necho "args: $*"\necho "ours venv: $DS_OURS_VENV"\nexit 3\n')
    run.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "DS_OURS_VENV"}
    result = subprocess.run(
        [str(SCRIPT), "--no-real", "--suite", "langchain_chroma"],
        env={**env, "DOWNSTREAM_DIR": str(harness)}, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 3  # the harness's own status
    assert f"args: {ROOT} --no-real --suite langchain_chroma" in result.stdout
    assert f"ours venv: {ROOT}/.venv-downstream" in result.stdout  # one venv per checkout

    where = _run("--where", DOWNSTREAM_DIR=str(harness))
    assert where.returncode == 0 and where.stdout.strip() == str(harness)


def test_says_so_when_the_harness_is_missing(tmp_path):
    result = _run("--where", DOWNSTREAM_DIR=str(tmp_path / "nowhere"))
    assert result.returncode == 2
    assert "run.sh not found" in result.stderr
