#!/usr/bin/env bash
# Scale-out benchmark (issue 11), release build, on this machine, PostgreSQL beside SQLite:
#   1. batched HTTP ingest (1,000 predictions per request, wrk) for DURATION seconds against 1, 2
#      and 4 `vigil serve` processes sharing one PostgreSQL database, and against SQLite (the
#      same process counts sharing one SQLite file);
#   2. `vigil ingest predictions` of one CLI_ROWS-line file into an empty store, REPS times each,
#      on both stores, alternating (the median is reported);
#   3. `vigil evaluate` (drift tests on) over 15 days against the 15 before them, 30 days holding SMALL and LARGE
#      predictions, REVIEWED of them labelled in both cases (reviews are the scarce part), on
#      both stores, REPS times each (median): with SMALL = 1M both windows hold 500k predictions
#      and the score tests read every one of them (the raw-value limit); with LARGE they read
#      the stored drift sample.
#   scripts/bench_postgres.sh [DURATION=20] [SMALL=1000000] [LARGE=10000000] [REVIEWED=100000] [DAYS=30] [CLI_ROWS=200000] [REPS=3]
# The rows are spread over DAYS days ending 2026-10-31; the evaluated window is the last DAYS/2
# days, the reference the DAYS/2 before (DAYS=60 with 2×SMALL and 2×LARGE rows puts SMALL and
# LARGE predictions in the evaluated window itself).
# DURATION=0 skips the HTTP ingest part, CLI_ROWS=0 the CLI ingest, SMALL=0 and LARGE=0 the evaluations.
# VIGIL_BIN: an already built vigil; VIGIL_BEFORE_BIN: a second build (say, of the main branch)
# measured in the same run on PostgreSQL beside VIGIL_BIN ("before" and "after" side by side;
# it evaluates the very databases VIGIL_BIN loaded); VIGIL_BENCH_POSTGRES_URL: a server to use
# (else a throwaway cluster from scripts/postgres-test-server.sh, stopped at the end).
# Ends with a summary: every figure as a ratio to SQLite's in this run.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-20}"
SMALL="${2:-1000000}"
LARGE="${3:-10000000}"
REVIEWED="${4:-100000}"
DAYS="${5:-30}"
CLI_ROWS="${6:-200000}"
REPS="${7:-3}"
HALF=$((DAYS / 2))
command -v wrk >/dev/null || { SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"; $SUDO apt-get install -y -qq wrk >/dev/null; }
if [ -z "${VIGIL_BIN:-}" ]; then swift build -c release --product vigil >/dev/null; fi
VIGIL="${VIGIL_BIN:-$(swift build -c release --show-bin-path)/vigil}"
BEFORE="${VIGIL_BEFORE_BIN:-}"
ADMIN="${VIGIL_BENCH_POSTGRES_URL:-}"
STARTED=""
if [ -z "$ADMIN" ]; then ADMIN="$(scripts/postgres-test-server.sh)"; STARTED=1; fi
DIR="$(mktemp -d)"
PIDS=()
DATABASES=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for d in "${DATABASES[@]:-}"; do [ -n "$d" ] && psql -qAt "$ADMIN" -c "DROP DATABASE IF EXISTS $d WITH (FORCE)" >/dev/null 2>&1 || true; done
  [ -n "$STARTED" ] && scripts/postgres-test-server.sh --stop
  rm -rf "$DIR"
}
trap cleanup EXIT
psql_admin() { psql -qAt "$ADMIN" -c "$1"; }
SCRATCH=""
scratch() {  # a fresh database on the server, dropped at the end: sets SCRATCH to its URL
  local name="vigil_bench_$RANDOM$RANDOM"
  psql_admin "CREATE DATABASE $name" >/dev/null
  DATABASES+=("$name")
  SCRATCH="${ADMIN%/*}/$name"
}
workspace() {  # workspace BIN DIR STORE
  mkdir -p "$2"
  "$1" init --dir "$2" >/dev/null
  sed -i "s#^store: .*#store: $3#" "$2/vigil.yaml"
  "$1" init --dir "$2" >/dev/null
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.3f}')" "$1" "$2"; }
median() { python3 -c "import sys, statistics; print(f'{statistics.median(float(x) for x in sys.argv[1:]):.3f}')" "$@"; }
RESULTS="$DIR/results.txt"  # KIND KEY VARIANT VALUE lines for the summary
: >"$RESULTS"
# The variants measured: "after" (VIGIL_BIN) on both stores, "before" (VIGIL_BEFORE_BIN) on PostgreSQL.
PG_VARIANTS=(postgres)
[ -n "$BEFORE" ] && PG_VARIANTS+=(postgres-before)
VARIANTS=("${PG_VARIANTS[@]}" sqlite)
bin_of() { if [ "$1" = postgres-before ]; then echo "$BEFORE"; else echo "$VIGIL"; fi; }
echo "machine: nproc $(nproc), load $(cut -d' ' -f1-3 /proc/loadavg), $(uname -sr), $(psql -qAt "$ADMIN" -c 'SHOW server_version')"
echo "after: $VIGIL${BEFORE:+; before: $BEFORE}"

ingest_run() {  # ingest_run VARIANT N
  local label=$1 n=$2 ws="$DIR/ws-$1-$2" bin store
  bin=$(bin_of "$label")
  if [ "$label" = sqlite ]; then store="sqlite:.vigil/vigil.db"; else scratch; store=$SCRATCH; fi
  workspace "$bin" "$ws" "$store"
  export VIGIL_TOKEN="$("$bin" tokens create --scope ingest --name bench --workspace "$ws" 2>/dev/null)"
  local ports=() wrks=()
  for i in $(seq 1 "$n"); do
    local port; port=$(free_port)
    "$bin" serve --port "$port" --workspace "$ws" --no-scheduler --no-deliverer >"$DIR/serve-$label-$n-$i.log" 2>&1 &
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
  echo "http $n $label $total" >>"$RESULTS"
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait "${PIDS[@]}" 2>/dev/null || true
  PIDS=()
}
if [ "$DURATION" != 0 ]; then
  for n in 1 2 4; do
    for v in "${VARIANTS[@]}"; do ingest_run "$v" "$n"; done
  done
fi

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

# `vigil ingest predictions` of one file into an empty store: the whole process, start-up included.
if [ "$CLI_ROWS" != 0 ]; then
  gen "$CLI_ROWS" "$DIR/cli"
  declare -A CLI_TIMES=()
  for r in $(seq 1 "$REPS"); do
    for v in "${VARIANTS[@]}"; do
      bin=$(bin_of "$v")
      if [ "$v" = sqlite ]; then store="sqlite:.vigil/vigil.db"; else scratch; store=$SCRATCH; fi
      ws="$DIR/cli-$v-$r"
      workspace "$bin" "$ws" "$store"
      s=$(now)
      "$bin" ingest predictions "$DIR/cli.p.ndjson" --workspace "$ws" >/dev/null
      t=$(elapsed "$s" "$(now)")
      CLI_TIMES[$v]="${CLI_TIMES[$v]:-} $t"
      rm -rf "$ws"
    done
  done
  for v in "${VARIANTS[@]}"; do
    # shellcheck disable=SC2086
    m=$(median ${CLI_TIMES[$v]})
    echo "cli ingest $v, $CLI_ROWS predictions into an empty store: median $m s of$(printf ' %s' ${CLI_TIMES[$v]}) s"
    echo "cli $CLI_ROWS $v $m" >>"$RESULTS"
  done
  rm -f "$DIR"/cli.*.ndjson
fi

# Evaluation over 30 days of SMALL and LARGE predictions, REVIEWED of them labelled.
evaluate() {  # evaluate WS ROWS VARIANT...: REPS runs of each variant, taking turns; prints each one's median
  local ws=$1 rows=$2 v r
  shift 2
  declare -A walls=() last=()
  for r in $(seq 1 "$REPS"); do
    for v in "$@"; do
      # The last DAYS/2 days against the DAYS/2 before them: both windows hold half the rows, so the
      # score tests read them all (up to drift.max_raw_values) or the stored sample.
      /usr/bin/time -f "%e %U %M" -o "$DIR/time.txt" env VIGIL_NOW=2026-10-31T00:00:00Z \
        "$(bin_of "$v")" evaluate --model shelf-classifier --window ${HALF}d --workspace "$ws" --format json >"$DIR/eval-$v.json" || true
      read -r wall user kib <"$DIR/time.txt"
      walls[$v]="${walls[$v]:-} $wall"
      last[$v]="$user s user, $kib KiB"
    done
  done
  for v in "$@"; do
    local m scores
    # shellcheck disable=SC2086
    m=$(median ${walls[$v]})
    scores=$(python3 -c "import json, sys; t = [t for t in json.load(open(sys.argv[1]))['drift']['tests'] if t['target'] == 'score_distribution' and t['test'] == 'ks'][0]; print('scores KS on %d + %d values, sample level %s' % (t['data']['n_current'], t['data']['n_reference'], t['data'].get('sample_level_current', 'none (every row)')))" "$DIR/eval-$v.json")
    echo "evaluate $v, $rows predictions over $DAYS days ($REVIEWED reviewed), window ${HALF}d vs the ${HALF}d before: median $m s wall of${walls[$v]} (last: ${last[$v]}); $scores"
    echo "evaluate $rows $v $m" >>"$RESULTS"
  done
}
for rows in "$SMALL" "$LARGE"; do
  [ "$rows" = 0 ] && continue
  gen "$rows" "$DIR/e$rows"
  for store_kind in postgres sqlite; do
    store="sqlite:.vigil/vigil.db"
    if [ $store_kind = postgres ]; then scratch; store=$SCRATCH; fi
    ws="$DIR/eval-$store_kind-$rows"
    workspace "$VIGIL" "$ws" "$store"
    s=$(now)
    "$VIGIL" ingest predictions "$DIR/e$rows.p.ndjson" --workspace "$ws" >/dev/null
    p=$(now)
    "$VIGIL" ingest labels "$DIR/e$rows.l.ndjson" --workspace "$ws" >/dev/null
    echo "load $store_kind, $rows predictions: $(elapsed "$s" "$p") s, then labels: $(elapsed "$p" "$(now)") s"
    if [ $store_kind = postgres ]; then
      evaluate "$ws" "$rows" "${PG_VARIANTS[@]}"
    else
      evaluate "$ws" "$rows" sqlite
    fi
    [ $store_kind = sqlite ] && rm -rf "$ws"
  done
  rm -f "$DIR/e$rows".*.ndjson
done

echo
echo "summary, as ratios to SQLite in this run (HTTP ingest: rate / SQLite's rate, higher is better; CLI ingest and evaluate: time / SQLite's time, lower is better):"
python3 - "$RESULTS" <<'PY'
import sys, collections
rows = collections.OrderedDict()
for line in open(sys.argv[1]):
    kind, key, variant, value = line.split()
    rows.setdefault((kind, key), {})[variant] = float(value)
names = {"http": "HTTP ingest, %s server(s)", "cli": "CLI ingest of %s lines", "evaluate": "evaluate, %s predictions"}
for (kind, key), by in rows.items():
    base = by.get("sqlite")
    unit = "/s" if kind == "http" else " s"
    parts = []
    for v in ("postgres", "postgres-before"):
        if v in by:
            ratio = f" ({by[v] / base:.2f}x)" if base else ""
            parts.append(f"{v} {by[v]:g}{unit}{ratio}")
    if base is not None:
        parts.append(f"sqlite {base:g}{unit}")
    print(f"  {names[kind] % key}: " + ", ".join(parts))
PY
