#!/usr/bin/env bash
# Scale-out benchmark (issue 11), release build, on this machine:
#   1. batched HTTP ingest (1,000 predictions per request, wrk) for DURATION seconds against 1, 2
#      and 4 `vigil serve` processes sharing one PostgreSQL database, and against SQLite (the
#      same process counts sharing one SQLite file);
#   2. `vigil evaluate` (drift tests on) over 15 days against the 15 before them, 30 days holding SMALL and LARGE
#      predictions, REVIEWED of them labelled in both cases (reviews are the scarce part), on
#      both stores: aggregates and the stored drift sample make its time and memory independent
#      of the row count.
#   scripts/bench_postgres.sh [DURATION=20] [SMALL=1000000] [LARGE=10000000] [REVIEWED=100000] [DAYS=30]
# The rows are spread over DAYS days ending 2026-10-31; the evaluated window is the last DAYS/2
# days, the reference the DAYS/2 before (DAYS=60 with 2×SMALL and 2×LARGE rows puts SMALL and
# LARGE predictions in the evaluated window itself).
# DURATION=0 skips the HTTP ingest part.
# VIGIL_BIN: an already built vigil; VIGIL_BENCH_POSTGRES_URL: a server to use (else a throwaway
# cluster from scripts/postgres-test-server.sh, stopped at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-20}"
SMALL="${2:-1000000}"
LARGE="${3:-10000000}"
REVIEWED="${4:-100000}"
DAYS="${5:-30}"
HALF=$((DAYS / 2))
command -v wrk >/dev/null || { SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"; $SUDO apt-get install -y -qq wrk >/dev/null; }
if [ -z "${VIGIL_BIN:-}" ]; then swift build -c release --product vigil >/dev/null; fi
VIGIL="${VIGIL_BIN:-$(swift build -c release --show-bin-path)/vigil}"
ADMIN="${VIGIL_BENCH_POSTGRES_URL:-}"
STARTED=""
if [ -z "$ADMIN" ]; then ADMIN="$(scripts/postgres-test-server.sh)"; STARTED=1; fi
DIR="$(mktemp -d)"
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "$STARTED" ] && scripts/postgres-test-server.sh --stop
  rm -rf "$DIR"
}
trap cleanup EXIT
psql_admin() { psql -qAt "$ADMIN" -c "$1"; }
scratch() {  # a fresh database on the server; prints its URL
  local name="vigil_bench_$RANDOM$RANDOM"
  psql_admin "CREATE DATABASE $name" >/dev/null
  echo "${ADMIN%/*}/$name"
}
workspace() {  # workspace DIR STORE
  mkdir -p "$1"
  "$VIGIL" init --dir "$1" >/dev/null
  sed -i "s#^store: .*#store: $2#" "$1/vigil.yaml"
  "$VIGIL" init --dir "$1" >/dev/null
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
echo "machine: nproc $(nproc), load $(cut -d' ' -f1-3 /proc/loadavg), $(uname -sr), $(psql -qAt "$ADMIN" -c 'SHOW server_version')"

ingest_run() {  # ingest_run LABEL STORE N
  local label=$1 store=$2 n=$3 ws="$DIR/ws-$1-$3"
  workspace "$ws" "$store"
  export VIGIL_TOKEN="$("$VIGIL" tokens create --scope ingest --name bench --workspace "$ws" 2>/dev/null)"
  local ports=() wrks=()
  for i in $(seq 1 "$n"); do
    local port; port=$(free_port)
    "$VIGIL" serve --port "$port" --workspace "$ws" --no-scheduler --no-deliverer >"$DIR/serve-$label-$n-$i.log" 2>&1 &
    PIDS+=($!)
    ports+=("$port")
  done
  for port in "${ports[@]}"; do for _ in $(seq 300); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done; done
  local i=0
  for port in "${ports[@]}"; do
    i=$((i + 1))
    VIGIL_ID_PREFIX="s$i-" VIGIL_ID_BASE=$((i * 10)) wrk -t1 -c2 -d"${DURATION}s" --timeout 30s -s scripts/bench_postgres_ingest.lua \
      "http://127.0.0.1:$port" >"$DIR/wrk-$label-$n-$i.txt" 2>&1 &
    wrks+=($!)
  done
  for w in "${wrks[@]}"; do wait "$w"; done
  local total; total=$(cat "$DIR"/wrk-"$label"-"$n"-*.txt | awk '/predictions\/s/ {s += $3} END {printf "%.0f", s}')
  local refused; refused=$(cat "$DIR"/wrk-"$label"-"$n"-*.txt | awk -F'refused-item responses ' '/refused-item/ {s += $2} END {print s + 0}')
  echo "ingest $label, $n server process(es): $total predictions/s (sum over servers), $refused refused responses, load $(cut -d' ' -f1 /proc/loadavg)"
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait "${PIDS[@]}" 2>/dev/null || true
  PIDS=()
}
if [ "$DURATION" != 0 ]; then
  for n in 1 2 4; do
    ingest_run postgres "$(scratch)" "$n"
    ingest_run sqlite "sqlite:.vigil/vigil.db" "$n"
  done
fi

# Evaluation over 30 days of SMALL and LARGE predictions, REVIEWED of them labelled.
gen() {  # gen N FILE-PREFIX: predictions spread over DAYS days ending 2026-10-31, every (N/REVIEWED)-th labelled
  python3 - "$1" "$2" "$REVIEWED" "$DAYS" <<'PY'
import sys, datetime
n, prefix, reviewed, days = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
every = max(1, n // reviewed)
classes = ["bottle", "can", "box", "bag", "jar", "carton", "tube", "pouch", "tray", "cup"]
start = 1793404800000 - days * 86400000  # DAYS days ending 2026-10-31T00:00:00Z
step = days * 86400000 // n
with open(prefix + ".p.ndjson", "w") as p, open(prefix + ".l.ndjson", "w") as l:
    for i in range(n):
        ms = start + i * step
        truth = classes[i % 10]; pred = classes[(i + (1 if i % 7 == 0 else 0)) % 10]
        ts = datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ms % 1000)
        p.write('{"id":"e%d","ts":"%s","model":"shelf-classifier","label":"%s","score":0.%02d}\n' % (i, ts, pred, 10 + i % 89))
        if i % every == 0:
            l.write('{"prediction_id":"e%d","label":"%s"}\n' % (i, truth))
PY
}
for rows in "$SMALL" "$LARGE"; do
  gen "$rows" "$DIR/e$rows"
  for label in postgres sqlite; do
    store="sqlite:.vigil/vigil.db"; [ $label = postgres ] && store="$(scratch)"
    ws="$DIR/eval-$label-$rows"
    workspace "$ws" "$store"
    s=$(date +%s.%N)
    "$VIGIL" ingest predictions "$DIR/e$rows.p.ndjson" --workspace "$ws" >/dev/null
    "$VIGIL" ingest labels "$DIR/e$rows.l.ndjson" --workspace "$ws" >/dev/null
    loaded=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.0f}')" "$s" "$(date +%s.%N)")
    # The last DAYS/2 days against the DAYS/2 before them: both windows hold half the rows, so the
    # score tests read them all (up to drift.max_raw_values) or the stored sample.
    /usr/bin/time -f "%e s wall, %U s user, %M KiB" -o "$DIR/time.txt" env VIGIL_NOW=2026-10-31T00:00:00Z \
      "$VIGIL" evaluate --model shelf-classifier --window ${HALF}d --workspace "$ws" --format json >"$DIR/eval.json" || true
    scores=$(python3 -c "import json, sys; t = [t for t in json.load(open(sys.argv[1]))['drift']['tests'] if t['target'] == 'score_distribution' and t['test'] == 'ks'][0]; print('scores KS on %d + %d values, sample level %s' % (t['data']['n_current'], t['data']['n_reference'], t['data'].get('sample_level_current', 'none (every row)')))" "$DIR/eval.json")
    echo "evaluate $label, $rows predictions over $DAYS days ($REVIEWED reviewed), window ${HALF}d vs the ${HALF}d before: $(cat "$DIR/time.txt"); $scores (load took ${loaded} s)"
  done
  rm -f "$DIR/e$rows".*.ndjson
done
