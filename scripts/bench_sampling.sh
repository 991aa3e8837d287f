#!/usr/bin/env bash
# Benchmarks `vigil sample`: a daily budget of 500 drawn from 1,000,000 predictions (30 days of
# the example data, all candidates: nothing labelled), with the mixed policy below (uniform,
# stratified, uncertainty from the `scores` margin). Also draws from 100,000 predictions to show
# that memory does not grow with the window.
#
# Usage: scripts/bench_sampling.sh      (or `make bench-sampling`)
# Environment:
#   VIGIL=path            the vigil binary (default: .build/release/vigil, built if missing)
#   BENCH_ROWS=1000000    predictions in the large store
#   BENCH_RUNS=3          measured runs (each on a fresh copy of the store, so every run has the full budget)
#   BENCH_DATA=dir        where data and stores go (default bench-data/sampling, gitignored)
# Output: one line per run (wall seconds, peak RSS) and the medians; exit 1 when the median
# wall time at 1M exceeds 2 s.
set -euo pipefail
export LC_ALL=C
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
ROWS=${BENCH_ROWS:-1000000}
RUNS=${BENCH_RUNS:-3}
DATA=${BENCH_DATA:-bench-data/sampling}
VIGIL=${VIGIL:-$ROOT/.build/release/vigil}
NOW=2026-10-31T00:00:00Z
[ -x "$VIGIL" ] || swift build -c release --product vigil
mkdir -p "$DATA"

policy() {
  cat <<'YAML'
sampling:
  daily_budget: 500
  window: 31d
  min_per_class: 12
  strategies:
    - {strategy: uniform, share: 0.4}
    - {strategy: stratified, share: 0.3}
    - {strategy: uncertainty, share: 0.3}
YAML
}

# A workspace with `rows` predictions ingested (kept between runs of the script).
prepare() {
  local rows=$1 ws=$DATA/ws-$1
  if [ ! -f "$ws/.ready" ]; then
    rm -rf "$ws"
    "$VIGIL" init --workspace "$ws" >/dev/null 2>&1 || { mkdir -p "$ws"; (cd "$ws" && "$VIGIL" init >/dev/null); }
    policy >> "$ws/policies/shelf-classifier.yaml"
    "$VIGIL" example-data --rows "$rows" --out "$DATA/data-$rows" >/dev/null
    VIGIL_NOW=$NOW "$VIGIL" ingest predictions "$DATA/data-$rows/predictions.ndjson" --workspace "$ws" >/dev/null
    touch "$ws/.ready"
  fi
  echo "$ws"
}

# One measured run on a fresh copy of the store; prints "seconds rss_kb queued".
measure() {
  local ws=$1 run=$DATA/run
  rm -rf "$run"; cp -r "$ws" "$run"
  /usr/bin/time -f "%e %M" -o "$DATA/time.txt" env VIGIL_NOW=$NOW "$VIGIL" sample --workspace "$run" --format json > "$DATA/out.json"
  local queued; queued=$(python3 -c "import json;print(json.load(open('$DATA/out.json'))[0]['queued'])")
  echo "$(cat "$DATA/time.txt") $queued"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

for rows in 100000 "$ROWS"; do
  ws=$(prepare "$rows")
  : > "$DATA/runs-$rows.txt"
  for i in $(seq "$RUNS"); do
    line=$(measure "$ws")
    echo "$line" >> "$DATA/runs-$rows.txt"
    set -- $line
    echo "rows $rows run $i: ${1} s wall, peak RSS $(( $2 / 1024 )) MiB, queued $3"
  done
done
T100=$(cut -d' ' -f1 "$DATA/runs-100000.txt" | median); M100=$(cut -d' ' -f2 "$DATA/runs-100000.txt" | median)
T=$(cut -d' ' -f1 "$DATA/runs-$ROWS.txt" | median); M=$(cut -d' ' -f2 "$DATA/runs-$ROWS.txt" | median)
echo "median: 100k predictions ${T100} s, $(( ${M100%.*} / 1024 )) MiB; $ROWS predictions ${T} s, $(( ${M%.*} / 1024 )) MiB (target < 2 s, memory flat)"
awk -v t="$T" 'BEGIN { exit !(t < 2) }' || { echo "FAIL: median ${T} s is not under 2 s"; exit 1; }
