#!/usr/bin/env bash
# Start our server on a free port (fresh data directory, resets allowed) and run the
# upstream Chroma test-suite against it (../shared/peer, see its README.md).
#
#   scripts/peer.sh                         full selection (sync + async clients)
#   PEER_CLIENTS=sync PEER_MAX_EXAMPLES=10 scripts/peer.sh     the cheaper CI setting
#   scripts/peer.sh -k test_filtering -x    extra arguments go to pytest
#   PEER_SELECTION="$(scripts/peer.sh --where)/extra_selection.txt" scripts/peer.sh   the Schema API
#
# Tests listed in scripts/peer_exclusions.txt (our deliberate differences) are deselected.
#
# Exits with the suite's status: 0 only when nothing failed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The harness lives in the team's shared folder beside the checkout (or above it).
if [ -z "${PEER_DIR:-}" ]; then
  for up in .. ../.. ../../..; do
    if [ -x "$ROOT/$up/shared/peer/run.sh" ]; then PEER_DIR="$ROOT/$up/shared/peer"; break; fi
  done
fi
PEER_DIR="${PEER_DIR:-$ROOT/../shared/peer}"
PY="${PY:-$ROOT/.venv/bin/python}"

if [ ! -x "$PEER_DIR/run.sh" ]; then
  echo "peer: $PEER_DIR/run.sh not found (set PEER_DIR)" >&2
  exit 2
fi
if [ "${1:-}" = "--where" ]; then  # only say where the harness is
  echo "$PEER_DIR"
  exit 0
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/peer-server.XXXXXX")"
port="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$PY" -c 'import sys; from chromadb.cli import main; sys.exit(main())' \
  run --path "$work/data" --host 127.0.0.1 --port "$port" --allow-reset > "$work/server.log" 2>&1 &
server_pid=$!
cleanup() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

url="http://127.0.0.1:$port"
for _ in $(seq 1 300); do
  if "$PY" -c "import httpx, sys; sys.exit(0 if httpx.get('$url/api/v2/heartbeat', timeout=1).status_code == 200 else 1)" 2>/dev/null; then
    break
  fi
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "peer: the server did not start:" >&2
    cat "$work/server.log" >&2
    exit 2
  fi
  sleep 0.2
done

# Our deliberate differences from upstream (scripts/peer_exclusions.txt: "node-id-prefix  # reason").
deselect=()
while IFS= read -r line; do
  line="${line%%#*}"; line="$(echo "$line" | xargs)"
  [ -n "$line" ] && deselect+=(--deselect "upstream_tests/$line")
done < "${PEER_OUR_EXCLUSIONS:-$ROOT/scripts/peer_exclusions.txt}"

set +e
"$PEER_DIR/run.sh" "$url" "${deselect[@]}" "$@" | tee "$work/peer.out"
status=${PIPESTATUS[0]}
set -e
if [ "$status" -ne 0 ]; then
  echo "peer: server log (last 40 lines):"
  tail -n 40 "$work/server.log"
  # the suite's 'N passed, M failed' stays the closing line
  tail -n 1 "$work/peer.out"
fi
exit "$status"
