#!/usr/bin/env bash
# Regenerate tests/fixtures/chroma_bm25_upstream.json from real chromadb.
#   scripts/chroma_bm25_capture.sh /path/to/venv-with-chromadb-1.5.9
# snowballstemmer (which chromadb's BM25 imports but does not depend on) goes into a
# throwaway directory on PYTHONPATH, so the given venv is left as it was.
set -euo pipefail
real_venv=${1:?usage: $0 VENV_WITH_RELEASED_CHROMADB}
here=$(cd "$(dirname "$0")/.." && pwd)
extra=$(mktemp -d)
trap 'rm -rf "$extra"' EXIT
version=$(sed -n 's/.*"snowballstemmer==\([^"]*\)".*/\1/p' "$here/pyproject.toml")
"$real_venv/bin/python" -m pip install -q --target "$extra" "snowballstemmer==${version}"
PYTHONPATH="$extra" "$real_venv/bin/python" "$here/scripts/chroma_bm25_capture.py" \
    > "$here/tests/fixtures/chroma_bm25_upstream.json"
echo "wrote tests/fixtures/chroma_bm25_upstream.json"
