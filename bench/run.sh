#!/usr/bin/env bash
# Side-by-side benchmark: real Chroma 1.5.9 vs ours, same data, same run.
#   bench/run.sh                    # full: N=100,000 in-process, N=20,000 over HTTP
#   bench/run.sh --quick            # N=20,000 everywhere
#   bench/run.sh --write-results    # also write bench/RESULTS.md
#   bench/run.sh --targets chroma,ours,qdrant --modes inproc
# Ours runs from the repository's .venv (make install); Chroma from bench/.venvs/.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=python3
command -v "$PY" >/dev/null 2>&1 || PY=python
exec "$PY" bench/side_by_side.py "$@"
