#!/usr/bin/env bash
# Run the integrations' own test-suites (langchain-chroma, llama-index-vector-stores-chroma)
# in-process against this checkout, and against real chromadb 1.5.9 for the baseline
# (../shared/downstream, see its README.md; their tests stay there, not in this repo).
#
#   scripts/downstream.sh                          both suites, ours and real
#   scripts/downstream.sh --no-real --suite langchain_chroma
#   scripts/downstream.sh --where                  only say where the harness is
#
# "Ours" runs in a venv of this checkout (.venv-downstream, or DS_OURS_VENV), so two
# checkouts never reinstall one shared venv under each other; the real-Chroma venv is
# the harness's own (DS_REAL_VENV). Exits with the harness's status: 0 when no test
# fails on ours that passes on real Chroma, 1 when some does, 2 when a venv cannot be built.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The harness lives in the team's shared folder beside the checkout (or above it).
if [ -z "${DOWNSTREAM_DIR:-}" ]; then
  for up in .. ../.. ../../..; do
    if [ -x "$ROOT/$up/shared/downstream/run.sh" ]; then DOWNSTREAM_DIR="$ROOT/$up/shared/downstream"; break; fi
  done
fi
DOWNSTREAM_DIR="${DOWNSTREAM_DIR:-$ROOT/../shared/downstream}"

if [ ! -x "$DOWNSTREAM_DIR/run.sh" ]; then
  echo "downstream: $DOWNSTREAM_DIR/run.sh not found (set DOWNSTREAM_DIR)" >&2
  exit 2
fi
DOWNSTREAM_DIR="$(cd "$DOWNSTREAM_DIR" && pwd)"
if [ "${1:-}" = "--where" ]; then
  echo "$DOWNSTREAM_DIR"
  exit 0
fi

export DS_OURS_VENV="${DS_OURS_VENV:-$ROOT/.venv-downstream}"
exec "$DOWNSTREAM_DIR/run.sh" "$ROOT" "$@"
