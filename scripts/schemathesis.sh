#!/usr/bin/env bash
# Property-based API tests of `vigil serve` against docs/openapi.yaml with schemathesis.
# Creates a venv in .venv-schemathesis (once), starts `vigil serve` (debug build) on a free
# loopback port with a fresh workspace and an admin token, runs schemathesis with a bounded
# number of examples per operation, prints its report, stops the server with SIGTERM.
#   scripts/schemathesis.sh [MAX_EXAMPLES]   (default 30)
set -euo pipefail
cd "$(dirname "$0")/.."
MAX_EXAMPLES="${1:-30}"
VENV=.venv-schemathesis
if [ ! -x "$VENV/bin/schemathesis" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q schemathesis
fi
# VIGIL_BIN: an already built vigil (skips the build).
if [ -z "${VIGIL_BIN:-}" ]; then swift build --product vigil >/dev/null; fi
VIGIL="${VIGIL_BIN:-$(swift build --show-bin-path)/vigil}"
WS="$(mktemp -d)/ws"
"$VIGIL" init --dir "$WS" >/dev/null
TOKEN="$("$VIGIL" tokens create --scope admin --name schemathesis --workspace "$WS" 2>/dev/null)"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$VIGIL" serve --port "$PORT" --workspace "$WS" --no-deliverer >"$WS/serve.log" 2>&1 &
SERVER=$!
trap 'kill -TERM $SERVER 2>/dev/null; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
# Some predictions so that label, review and read operations have data to work on.
python3 - "$PORT" "$TOKEN" <<'PY'
import json, sys, urllib.request
port, token = sys.argv[1], sys.argv[2]
classes = ["bottle", "can", "box", "bag", "jar", "carton", "tube", "pouch", "tray", "cup"]
body = "\n".join(json.dumps({"id": f"s-{i}", "ts": f"2026-10-01T{i % 24:02d}:00:00Z", "model": "shelf-classifier",
                             "label": classes[i % 10], "score": 0.9}) for i in range(200))
req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/predictions", data=body.encode(), method="POST",
                             headers={"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"})
print("seeded:", urllib.request.urlopen(req).read().decode())
PY
set +e
"$VENV/bin/schemathesis" run docs/openapi.yaml --url "http://127.0.0.1:$PORT" \
  -H "Authorization: Bearer $TOKEN" --max-examples "$MAX_EXAMPLES" --checks all --no-color
status=$?
set -e
echo "schemathesis exit status: $status (server log: $WS/serve.log)"
grep -c '"error"\|request failed' "$WS/serve.log" | sed 's/^/server log error lines: /' || true
exit $status
