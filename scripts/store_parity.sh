#!/usr/bin/env bash
# One store, two drivers, used as a user would: the same 30 simulated days (predictions every
# day, labels a day late, `vigil tick` four times a day under the shipped example policy) run
# on a SQLite workspace and on a PostgreSQL one, then everything a user reads is compared:
# every stored evaluation report, the alerts, the review queue (which items the seeded
# sampler picked), the job runs and the event log (times, hosts and durations left out).
#   scripts/store_parity.sh [ROWS=20000]
# VIGIL_BIN: a built vigil (default: the debug build); VIGIL_TEST_POSTGRES_URL: a server to use
# (else a throwaway cluster from scripts/postgres-test-server.sh, stopped at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS="${1:-20000}"
VIGIL="${VIGIL_BIN:-.build/debug/vigil}"
[ -x "$VIGIL" ] || swift build --product vigil >/dev/null
ADMIN="${VIGIL_TEST_POSTGRES_URL:-}"
STARTED=""
if [ -z "$ADMIN" ]; then ADMIN="$(scripts/postgres-test-server.sh)"; STARTED=1; fi
DIR="$(mktemp -d)"
cleanup() { [ -n "$STARTED" ] && scripts/postgres-test-server.sh --stop; rm -rf "$DIR"; }
trap cleanup EXIT
DB="vigil_parity_$RANDOM$RANDOM"
psql -qAt "$ADMIN" -c "CREATE DATABASE $DB" >/dev/null
PG_URL="${ADMIN%/*}/$DB"

"$VIGIL" example-data --rows "$ROWS" --days 30 --drift-day 20 --labeled-fraction 0.3 --out "$DIR/data" >/dev/null
python3 - "$DIR/data" <<'PY'
import json, sys, os, collections, random
d = sys.argv[1]
day_of = {}
by_day = collections.defaultdict(list)
for line in open(os.path.join(d, "predictions.ndjson")):
    p = json.loads(line); day = p["ts"][:10]; day_of[p["id"]] = day; by_day[day].append(line)
labels = collections.defaultdict(list)
for line in open(os.path.join(d, "labels.ndjson")):
    labels[day_of[json.loads(line)["prediction_id"]]].append(line)
rng = random.Random(1)
for day, lines in by_day.items():
    rng.shuffle(lines)  # a day's predictions arrive out of time order, as from several cameras
    open(os.path.join(d, f"p-{day}.ndjson"), "w").writelines(lines)
    open(os.path.join(d, f"l-{day}.ndjson"), "w").writelines(labels.get(day, []))
PY

run() {  # run NAME STORE
  local ws="$DIR/$1"
  "$VIGIL" init --dir "$ws" >/dev/null
  sed -i "s#^store: .*#store: $2#" "$ws/vigil.yaml"
  cat >> "$ws/policies/shelf-classifier.yaml" <<'YAML'
sampling:
  daily_budget: 60
  window: 1d
  min_per_class: 3
  seed: 1
  strategies:
    - {strategy: uniform, share: 0.5}
    - {strategy: stratified, share: 0.3}
    - {strategy: uncertainty, share: 0.2}
YAML
  "$VIGIL" init --dir "$ws" >/dev/null
  for day in $(seq -w 1 30); do
    local date="2026-10-$day" next
    next=$(date -u -d "$date + 1 day" +%F)
    VIGIL_NOW="${date}T23:59:00Z" "$VIGIL" ingest predictions "$DIR/data/p-$date.ndjson" --workspace "$ws" >/dev/null
    VIGIL_NOW="${next}T00:30:00Z" "$VIGIL" ingest labels "$DIR/data/l-$date.ndjson" --workspace "$ws" >/dev/null
    VIGIL_NOW="${next}T00:40:00Z" "$VIGIL" sample --workspace "$ws" >/dev/null
    for hour in 01:05 07:05 13:05 19:05; do
      VIGIL_NOW="${next}T${hour}:00Z" "$VIGIL" tick --workspace "$ws" >/dev/null || true
    done
  done
  local out="$DIR/$1.out"
  mkdir -p "$out"
  for week in 2026-10-08 2026-10-15 2026-10-22 2026-10-29; do
    VIGIL_NOW="${week}T12:00:00Z" "$VIGIL" evaluate --model shelf-classifier --window 7d --dry-run --format json --workspace "$ws" > "$out/evaluate-$week.json" || true
  done
  "$VIGIL" queue list --limit 100000 --format json --workspace "$ws" > "$out/queue.json"
  "$VIGIL" jobs --limit 100000 --format json --workspace "$ws" > "$out/jobs.json"
  "$VIGIL" alerts list --workspace "$ws" > "$out/alerts.txt"
  "$VIGIL" log --limit 100000 --workspace "$ws" > "$out/log.txt"
  "$VIGIL" check --workspace "$ws" > "$out/check.txt" || true
  if [ -n "${PARITY_KEEP:-}" ]; then cp -r "$out" "$PARITY_KEEP/$1.out"; fi
}
run sqlite "sqlite:.vigil/vigil.db"
run postgres "$PG_URL"

python3 - "$DIR/sqlite.out" "$DIR/postgres.out" <<'PY'
import json, re, sys, os
a, b = sys.argv[1], sys.argv[2]
def jobs(path):
    return [{k: v for k, v in j.items() if k not in ("owner", "started_at", "finished_at", "id")} for j in json.load(open(path))]
def log(path):
    # job events carry the job-run id (a PostgreSQL sequence also advances on a slot another
    # tick already holds), the host and pid of the tick and how long it took; the actor of
    # what a tick did is its host and pid
    keep = []
    for line in open(path):
        if " job." in line:
            continue
        keep.append(re.sub(r" by [^ ]+:[0-9]+ ", " by HOST:PID ", line))
    return keep
def text(path):
    return open(path).read()
checks = [(f, text) for f in sorted(os.listdir(a)) if f.startswith("evaluate-")]
checks += [("queue.json", lambda p: json.load(open(p))), ("jobs.json", jobs), ("alerts.txt", text), ("log.txt", log)]
failed = 0
for name, read in checks:
    x, y = read(os.path.join(a, name)), read(os.path.join(b, name))
    same = x == y
    size = len(x) if hasattr(x, "__len__") else 0
    print(f"{'same' if same else 'DIFFERENT'}  {name}  ({size} {'items' if isinstance(x, list) else 'chars'})")
    failed += not same
print(open(os.path.join(a, "check.txt")).read().strip().splitlines()[-1] if os.path.getsize(os.path.join(a, "check.txt")) else "")
print(open(os.path.join(b, "check.txt")).read().strip().splitlines()[-1] if os.path.getsize(os.path.join(b, "check.txt")) else "")
sys.exit(1 if failed else 0)
PY
