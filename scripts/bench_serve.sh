#!/usr/bin/env bash
# Load benchmark of `vigil serve` on loopback (release build):
#   - wrk posts batches of 1,000 predictions (NDJSON) for DURATION seconds on CONNECTIONS connections;
#   - at the same time a second client GETs /v1/models/shelf-classifier/evaluations every 20 ms
#     and records its latency;
#   - prints predictions/s, errors, p50/p99 of both, the server's RSS at start, middle and end, nproc.
# Targets (issue 10): ≥ 100k predictions/s for 60 s with zero errors; evaluations p99 ≤ 20 ms; RSS stable.
#   scripts/bench_serve.sh [DURATION=60] [CONNECTIONS=4]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-60}"
CONNECTIONS="${2:-4}"
command -v wrk >/dev/null || { SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"; $SUDO apt-get install -y -qq wrk >/dev/null; }
# VIGIL_BIN: an already built vigil (skips the release build).
if [ -z "${VIGIL_BIN:-}" ]; then swift build -c release --product vigil >/dev/null; fi
VIGIL="${VIGIL_BIN:-$(swift build -c release --show-bin-path)/vigil}"
DIR="$(mktemp -d)"
WS="$DIR/ws"
"$VIGIL" init --dir "$WS" >/dev/null
export VIGIL_TOKEN="$("$VIGIL" tokens create --scope ingest --name bench --workspace "$WS" 2>/dev/null)"
READ_TOKEN="$("$VIGIL" tokens create --scope read --name bench-reader --workspace "$WS" 2>/dev/null)"
# A stored evaluation to read: a week of reviewed example data, evaluated once.
python3 - "$DIR" <<'PY'
import json, sys
d = sys.argv[1]
classes = ["bottle", "can", "box", "bag", "jar", "carton", "tube", "pouch", "tray", "cup"]
with open(f"{d}/p.ndjson", "w") as p, open(f"{d}/l.ndjson", "w") as l:
    for i in range(20000):
        truth = classes[i % 10]; pred = classes[(i + (1 if i % 7 == 0 else 0)) % 10]
        ts = f"2026-10-0{1 + i % 7}T{(i // 7) % 24:02d}:{i % 60:02d}:00Z"
        p.write(json.dumps({"id": f"e-{i}", "ts": ts, "model": "shelf-classifier", "label": pred, "score": 0.8}) + "\n")
        l.write(json.dumps({"prediction_id": f"e-{i}", "label": truth}) + "\n")
PY
"$VIGIL" ingest predictions "$DIR/p.ndjson" --workspace "$WS" >/dev/null
"$VIGIL" ingest labels "$DIR/l.ndjson" --workspace "$WS" >/dev/null
VIGIL_NOW=2026-10-08T00:00:00Z "$VIGIL" evaluate --model shelf-classifier --window 7d --workspace "$WS" >/dev/null || true
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$VIGIL" serve --port "$PORT" --workspace "$WS" --no-scheduler --no-deliverer >"$DIR/serve.log" 2>&1 &
SERVER=$!
trap 'kill -TERM $SERVER 2>/dev/null; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
rss() { awk '/VmRSS/ {printf "%.0f MiB", $2/1024}' /proc/$SERVER/status; }
echo "machine: nproc $(nproc), load $(cut -d' ' -f1-3 /proc/loadavg), $(uname -sr)"
echo "server RSS at start: $(rss)"
python3 - "$PORT" "$READ_TOKEN" "$DURATION" >"$DIR/latency.txt" <<'PY' &
import http.client, sys, time
port, token, duration = sys.argv[1], sys.argv[2], float(sys.argv[3])
conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=10)
lat, errors, end = [], 0, time.time() + duration
while time.time() < end:
    t = time.perf_counter()
    try:
        conn.request("GET", "/v1/models/shelf-classifier/evaluations?limit=1", headers={"Authorization": f"Bearer {token}"})
        r = conn.getresponse(); body = r.read()
        if r.status != 200 or b'"latest":{' not in body: errors += 1
    except Exception:
        errors += 1; conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=10)
    lat.append((time.perf_counter() - t) * 1000)
    time.sleep(max(0, 0.02 - (time.perf_counter() - t)))
lat.sort()
q = lambda p: lat[min(len(lat) - 1, int(p / 100 * len(lat)))]
print(f"evaluations: {len(lat)} requests, {errors} errors, p50 {q(50):.1f} ms, p99 {q(99):.1f} ms, max {lat[-1]:.1f} ms")
PY
READER=$!
( sleep $((DURATION / 2)); echo "server RSS at $((DURATION / 2)) s: $(rss)" ) &
wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s -s scripts/bench_ingest.lua "http://127.0.0.1:$PORT" | grep -E "^bench:|Requests/sec|Non-2xx|Socket errors"
wait $READER
cat "$DIR/latency.txt"
echo "server RSS at end: $(rss)"
echo "stored predictions: $(sqlite3 "$WS/.vigil/vigil.db" 'SELECT COUNT(*) FROM predictions')"
