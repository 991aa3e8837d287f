#!/usr/bin/env bash
# Drift benchmark:
#   1. calibration: `vigil debug drift-calibration` — every drift test over 1,000 seeded
#      simulations without drift (false-positive rate at α = 0.01; target ≤ 1.5%) and 1,000
#      with a known shift (power);
#   2. cost: `vigil evaluate --window 30d` with and without the drift tests on generated example
#      data (1M predictions over 30 days, 2% reviewed), alternating, so the drift tests' own time
#      over a month of predictions is visible (class counts come from per-hour aggregates).
#
#   scripts/bench_drift.sh            (or `make bench-drift`)
# Environment: VIGIL=path (default .build/release/vigil, built if missing), BENCH_RUNS=3,
#   BENCH_SIMULATIONS=1000, BENCH_ROWS=1000000, BENCH_DATA=dir (default bench-data/drift).
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
VIGIL=${VIGIL:-.build/release/vigil}
RUNS=${BENCH_RUNS:-3}
SIMS=${BENCH_SIMULATIONS:-1000}
ROWS=${BENCH_ROWS:-1000000}
DATA=${BENCH_DATA:-bench-data/drift}
NOW=2026-10-31T00:00:00Z
[ -x "$VIGIL" ] || swift build -c release --product vigil

echo "== machine: $(nproc) cores, $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), load $(cut -d' ' -f1-3 /proc/loadavg)"
mkdir -p "$DATA"
echo "== 1. calibration ($SIMS simulations per test and condition)"
"$VIGIL" debug drift-calibration --simulations "$SIMS" --alpha 0.01 2>/dev/null | tee "$DATA-calibration.txt"

echo "== 2. cost of the drift tests in vigil evaluate (30 days, $ROWS predictions)"
mkdir -p "$DATA"
if [ ! -f "$DATA/ws/.vigil/vigil.db" ]; then
  rm -rf "$DATA/ws" "$DATA/example"
  "$VIGIL" example-data --rows "$ROWS" --out "$DATA/example" --labeled-fraction 0.02 > /dev/null
  "$VIGIL" init --dir "$DATA/ws" > /dev/null
  "$VIGIL" ingest predictions "$DATA/example/predictions.ndjson" --workspace "$DATA/ws" > /dev/null
  "$VIGIL" ingest labels "$DATA/example/labels.ndjson" --workspace "$DATA/ws" > /dev/null
fi
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
: > "$DATA/with.txt"; : > "$DATA/without.txt"
for i in $(seq 1 "$RUNS"); do
  for mode in with without; do
    flag=""; [ "$mode" = without ] && flag="--no-drift"
    t0=$EPOCHREALTIME
    VIGIL_NOW=$NOW "$VIGIL" evaluate --workspace "$DATA/ws" --model shelf-classifier --window 30d --format json $flag \
      > "$DATA/report-$mode.json" || [ $? -le 3 ]
    t1=$EPOCHREALTIME
    python3 -c "print($t1 - $t0)" >> "$DATA/$mode.txt"
  done
done
with=$(median < "$DATA/with.txt"); without=$(median < "$DATA/without.txt")
printf 'evaluate 30d with drift: median %.3f s; without: median %.3f s; drift tests add %.3f s (%d runs each)\n' \
  "$with" "$without" "$(python3 -c "print($with - $without)")" "$RUNS"
python3 - "$DATA/report-with.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for t in r["drift"]["tests"]:
    if t.get("class") is None:
        p = t.get("adjusted_p_value")
        print(f'  {t["target"]:<20} {t["test"]:<14} statistic {t["statistic"]:<12.5g} adj. p {"" if p is None else f"{p:.3g}":<10} {t["severity"]}')
PY
