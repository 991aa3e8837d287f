#!/usr/bin/env bash
# Benchmarks Vigil on 1,000,000 generated predictions, in one run on the same files:
#   1. ingest:   `vigil ingest predictions` (NDJSON) vs the sqlite3 shell's `.import` (CSV of the same rows)
#   2. evaluate: `vigil evaluate --window 30d` vs scikit-learn's confusion_matrix + precision_recall_fscore_support
#   3. memory:   peak RSS of `vigil evaluate` over 1 day vs 30 days of the same store
#   4. agreement: vigil's --format json metrics vs scikit-learn's, max absolute difference
# Runs alternate side by side (A B A B ...) because the machine is shared and noisy; the report
# gives the median, min and max of each figure and the median of the pair-by-pair ratios.
#
# Usage: scripts/bench.sh            (or `make bench`)
# Environment:
#   VIGIL=path        the vigil binary (default: .build/release/vigil, built if missing)
#   BENCH_RUNS=3      measured runs of each side
#   BENCH_ROWS=1000000  predictions to generate (all labelled)
#   BENCH_DATA=dir    where the data, stores and results go (default bench-data/, gitignored)
#   BENCH_VENV=dir    Python venv with numpy + scikit-learn (default /tmp/vigil-bench-venv, created if needed)
# Output: the report on stdout, the same as JSON in bench-data/results.json.
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

RUNS=${BENCH_RUNS:-3}
ROWS=${BENCH_ROWS:-1000000}
VENV=${BENCH_VENV:-/tmp/vigil-bench-venv}
DATA=${BENCH_DATA:-bench-data}
PRED=$DATA/predictions.ndjson
LABELS=$DATA/labels.ndjson
CSV=$DATA/predictions.csv
WS=$DATA/ws                    # the evaluation workspace (kept)
WS_INGEST=$DATA/ws-ingest      # fresh for every measured vigil ingest
SQLDB=$DATA/sqlite-ingest.db   # fresh for every measured sqlite3 import
RAW=$DATA/raw                  # raw measurements of this run
MODEL=shelf-classifier
NOW=2026-10-31T00:00:00Z       # the example data spans 2026-10-01 .. 2026-10-31
TARGET_INGEST_RATE=250000
TARGET_INGEST_RATIO=0.5
TARGET_EVAL_RATIO=5
TARGET_RSS_RATIO=1.2           # "about equal": 30-day peak RSS at most 1.2 x the 1-day one

say() { printf '%s\n' "$*" >&2; }
die() { say "bench: $*"; exit 1; }

# Seconds between two $EPOCHREALTIME readings.
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", b - a }'; }

# ---------------------------------------------------------------------------------------------
# Tools
command -v sqlite3 >/dev/null || die "sqlite3 is missing (apt-get install sqlite3, or scripts/install-deps.sh)"
command -v python3 >/dev/null || die "python3 is missing (apt-get install python3 python3-venv)"
[ -x /usr/bin/time ] || die "/usr/bin/time is missing (apt-get install time)"

if [ -n "${VIGIL:-}" ]; then
  :
elif [ -x .build/release/vigil ]; then
  VIGIL=.build/release/vigil
else
  say "bench: building vigil (swift build -c release --product vigil)"
  swift build -c release --product vigil >&2
  VIGIL=.build/release/vigil
fi
[ -x "$VIGIL" ] || die "VIGIL=$VIGIL is not an executable"
VIGIL=$(cd "$(dirname "$VIGIL")" && pwd)/$(basename "$VIGIL")
STALE=""
if [ -d Sources ] && [ -n "$(find Sources -name '*.swift' -newer "$VIGIL" -print -quit)" ]; then
  STALE="yes"
  say "bench: warning: $VIGIL is older than some files in Sources/ (rebuild it for current figures)"
fi

if ! "$VENV/bin/python" -c 'import numpy, sklearn' 2>/dev/null; then
  say "bench: creating the Python venv $VENV with numpy and scikit-learn"
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip >&2
  "$VENV/bin/python" -m pip install --quiet numpy scikit-learn >&2
fi
PY="$VENV/bin/python"

# ---------------------------------------------------------------------------------------------
# Data: the project's own generator, only when missing (a stamp records what was generated).
mkdir -p "$DATA"
STAMP="rows=$ROWS labeled_fraction=1 csv=1 seed=default"
if [ ! -f "$DATA/data.stamp" ] || [ "$(cat "$DATA/data.stamp")" != "$STAMP" ] \
   || [ ! -f "$PRED" ] || [ ! -f "$LABELS" ] || [ ! -f "$CSV" ]; then
  say "bench: generating $ROWS predictions in $DATA/ (vigil example-data)"
  rm -f "$DATA/data.stamp" "$DATA/sklearn-arrays.npz"
  "$VIGIL" example-data --rows "$ROWS" --out "$DATA" --labeled-fraction 1 --csv >&2
  echo "$STAMP" > "$DATA/data.stamp"
fi
# Both tools read from the page cache, not the disk.
cat "$PRED" "$CSV" "$LABELS" > /dev/null

rm -rf "$RAW"; mkdir -p "$RAW"
: > "$RAW/measurements.jsonl"
record() { printf '%s\n' "$1" >> "$RAW/measurements.jsonl"; }

# ---------------------------------------------------------------------------------------------
# 1. Ingest, alternating vigil and sqlite3, each into a fresh store.
for i in $(seq 1 "$RUNS"); do
  say "bench: ingest run $i/$RUNS: vigil"
  rm -rf "$WS_INGEST"
  "$VIGIL" init --dir "$WS_INGEST" > /dev/null
  sync
  t0=$EPOCHREALTIME
  rc=0
  /usr/bin/time -f %M -o "$RAW/rss" "$VIGIL" ingest predictions "$PRED" --workspace "$WS_INGEST" --output json \
    > "$RAW/ingest-vigil-$i.json" || rc=$?
  t1=$EPOCHREALTIME
  [ "$rc" -eq 0 ] || die "vigil ingest predictions exited $rc: $(cat "$RAW/ingest-vigil-$i.json")"
  record "{\"kind\":\"ingest_vigil\",\"run\":$i,\"seconds\":$(elapsed "$t0" "$t1"),\"rss_kb\":$(tail -1 "$RAW/rss"),\"summary\":$(tr -d '\n' < "$RAW/ingest-vigil-$i.json")}"

  say "bench: ingest run $i/$RUNS: sqlite3"
  rm -f "$SQLDB" "$SQLDB-journal" "$SQLDB-wal" "$SQLDB-shm"
  sync
  t0=$EPOCHREALTIME
  /usr/bin/time -f %M -o "$RAW/rss" sqlite3 "$SQLDB" -cmd ".mode csv" ".import $CSV predictions"
  t1=$EPOCHREALTIME
  n=$(sqlite3 "$SQLDB" "SELECT COUNT(*) FROM predictions")
  record "{\"kind\":\"ingest_sqlite3\",\"run\":$i,\"seconds\":$(elapsed "$t0" "$t1"),\"rss_kb\":$(tail -1 "$RAW/rss"),\"rows\":$n}"
done
rm -f "$SQLDB"

# The last fresh vigil store becomes the evaluation store: add the ground truth.
rm -rf "$WS"
mv "$WS_INGEST" "$WS"
say "bench: ingest labels into $WS"
t0=$EPOCHREALTIME
rc=0
"$VIGIL" ingest labels "$LABELS" --workspace "$WS" --output json > "$RAW/ingest-labels.json" || rc=$?
t1=$EPOCHREALTIME
[ "$rc" -eq 0 ] || die "vigil ingest labels exited $rc: $(cat "$RAW/ingest-labels.json")"
record "{\"kind\":\"ingest_labels\",\"run\":1,\"seconds\":$(elapsed "$t0" "$t1"),\"summary\":$(tr -d '\n' < "$RAW/ingest-labels.json")}"

# ---------------------------------------------------------------------------------------------
# 2 and 3. Evaluate, alternating vigil (30 days) and scikit-learn; plus vigil over 1 day (memory)
# and over an empty window (start-up + fixed costs, to estimate the evaluation's own time).
# `vigil evaluate` exits 0/1/2/3 for ok/warning/critical/unknown: not an error here.
evaluate() {  # evaluate NAME RUN ARGS... -> $RAW/eval-NAME-RUN.json, one measurement line
  local name=$1 run=$2; shift 2
  local out="$RAW/eval-$name-$run.json" rc=0 t0 t1
  t0=$EPOCHREALTIME
  VIGIL_NOW=$NOW /usr/bin/time -f %M -o "$RAW/rss" "$VIGIL" evaluate --workspace "$WS" --model "$MODEL" --format json "$@" \
    > "$out" 2> "$RAW/eval-stderr" || rc=$?
  t1=$EPOCHREALTIME
  if [ "$rc" -gt 3 ] || ! python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$out" 2>/dev/null; then
    die "vigil evaluate $* exited $rc without a report: $(cat "$RAW/eval-stderr")"
  fi
  record "{\"kind\":\"evaluate_$name\",\"run\":$run,\"seconds\":$(elapsed "$t0" "$t1"),\"rss_kb\":$(tail -1 "$RAW/rss"),\"exit\":$rc}"
}

sync
for i in $(seq 1 "$RUNS"); do
  say "bench: evaluate run $i/$RUNS: vigil 30d"
  evaluate 30d "$i" --window 30d --no-drift   # like for like: the peer computes the metrics only
  say "bench: evaluate run $i/$RUNS: scikit-learn"
  "$PY" scripts/bench_sklearn.py --predictions "$PRED" --labels "$LABELS" --repeat 3 \
    --cache "$DATA/sklearn-arrays.npz" > "$RAW/sklearn-$i.json"
  record "{\"kind\":\"evaluate_sklearn\",\"run\":$i,\"result\":$(tr -d '\n' < "$RAW/sklearn-$i.json")}"
  say "bench: evaluate run $i/$RUNS: vigil 1d, vigil empty window"
  evaluate 1d "$i" --window 1d --no-drift
  evaluate empty "$i" --from 2020-01-01T00:00:00Z --to 2020-01-02T00:00:00Z --no-drift
done

# ---------------------------------------------------------------------------------------------
# Machine and versions
CPU=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || true)
MEM_KB=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
export BENCH_NPROC=$(nproc) BENCH_CPU="${CPU:-unknown}" BENCH_MEM_KB="$MEM_KB" BENCH_LOAD="$(cut -d' ' -f1-3 /proc/loadavg)"
export BENCH_SQLITE="$(sqlite3 --version | cut -d' ' -f1)" BENCH_VIGIL="$VIGIL" BENCH_STALE="$STALE"
export BENCH_GIT="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$( [ -n "$(git status --porcelain -- Sources 2>/dev/null)" ] && echo ' (Sources/ modified)')"
export BENCH_RUNS="$RUNS" BENCH_ROWS="$ROWS" BENCH_RAW="$RAW" BENCH_OUT="$DATA/results.json"
export BENCH_TARGET_INGEST_RATE=$TARGET_INGEST_RATE BENCH_TARGET_INGEST_RATIO=$TARGET_INGEST_RATIO
export BENCH_TARGET_EVAL_RATIO=$TARGET_EVAL_RATIO BENCH_TARGET_RSS_RATIO=$TARGET_RSS_RATIO

# ---------------------------------------------------------------------------------------------
# Report (standard-library Python): statistics, targets, agreement, results.json.
python3 - <<'EOF'
import json, os, statistics as st

env = os.environ
raw = env["BENCH_RAW"]
rows = [json.loads(l) for l in open(os.path.join(raw, "measurements.jsonl"))]
def of(kind): return sorted((r for r in rows if r["kind"] == kind), key=lambda r: r["run"])
def summary(xs): return {"median": st.median(xs), "min": min(xs), "max": max(xs), "runs": xs}

n_rows = int(env["BENCH_ROWS"])
out = {"machine": {"nproc": int(env["BENCH_NPROC"]), "cpu": env["BENCH_CPU"],
                   "memory_gib": round(int(env["BENCH_MEM_KB"]) / 1048576, 1),
                   "load_average_at_end": env["BENCH_LOAD"]},
       "versions": {"vigil": env["BENCH_VIGIL"], "git": env["BENCH_GIT"], "vigil_binary_older_than_sources": bool(env["BENCH_STALE"]),
                    "sqlite3": env["BENCH_SQLITE"]},
       "runs": int(env["BENCH_RUNS"]), "rows": n_rows}
problems = []

# 1. Ingest
iv, isq = of("ingest_vigil"), of("ingest_sqlite3")
for r in iv:
    s = r["summary"]
    if s["inserted"] != n_rows or s["rejected"] != 0:
        problems.append(f"vigil ingest run {r['run']}: inserted {s['inserted']}, rejected {s['rejected']} (expected {n_rows}, 0)")
for r in isq:
    if r["rows"] != n_rows:
        problems.append(f"sqlite3 import run {r['run']}: {r['rows']} rows (expected {n_rows})")
v_rate = [n_rows / r["seconds"] for r in iv]
s_rate = [n_rows / r["seconds"] for r in isq]
v_internal = [n_rows / r["summary"]["seconds"] for r in iv]
pair = [a / b for a, b in zip(v_rate, s_rate)]
lab = of("ingest_labels")[0]
out["ingest"] = {
    "vigil_rows_per_s": summary(v_rate),
    "vigil_rows_per_s_self_reported": summary(v_internal),
    "vigil_seconds": summary([r["seconds"] for r in iv]),
    "vigil_peak_rss_kb": summary([r["rss_kb"] for r in iv]),
    "sqlite3_rows_per_s": summary(s_rate),
    "sqlite3_seconds": summary([r["seconds"] for r in isq]),
    "sqlite3_peak_rss_kb": summary([r["rss_kb"] for r in isq]),
    "ratio_vigil_over_sqlite3": summary(pair),
    "labels_rows_per_s": lab["summary"]["inserted"] / lab["seconds"],
    "labels_seconds": lab["seconds"],
    "target_vigil_rows_per_s": int(env["BENCH_TARGET_INGEST_RATE"]),
    "target_ratio": float(env["BENCH_TARGET_INGEST_RATIO"]),
}
out["ingest"]["met_rate"] = st.median(v_rate) >= out["ingest"]["target_vigil_rows_per_s"]
out["ingest"]["met_ratio"] = st.median(pair) >= out["ingest"]["target_ratio"]

# 2. Evaluate
e30, e1, e0, sk = of("evaluate_30d"), of("evaluate_1d"), of("evaluate_empty"), of("evaluate_sklearn")
vig = [r["seconds"] for r in e30]
empty = [r["seconds"] for r in e0]
compute = [max(a - b, 0.0) for a, b in zip(vig, empty)]
skl_med = [r["result"]["median"] for r in sk]
skl_all = [t for r in sk for t in r["result"]["times"]]
ratio = [s / v for s, v in zip(skl_med, vig)]
ratio_c = [s / c for s, c in zip(skl_med, compute) if c > 0]
out["evaluate"] = {
    "vigil_wall_seconds": summary(vig),
    "vigil_empty_window_wall_seconds": summary(empty),
    "vigil_compute_seconds_estimate": summary(compute),
    "sklearn_seconds": summary(skl_med),
    "sklearn_best_seconds": min(skl_all),
    "sklearn_all_seconds": skl_all,
    "ratio_sklearn_over_vigil_wall": summary(ratio),
    "ratio_sklearn_over_vigil_compute_estimate": summary(ratio_c) if ratio_c else None,
    "vigil_exit_codes_30d": [r["exit"] for r in e30],
    "target_ratio": float(env["BENCH_TARGET_EVAL_RATIO"]),
    "sklearn_version": sk[0]["result"]["sklearn_version"], "numpy_version": sk[0]["result"]["numpy_version"],
}
out["evaluate"]["met"] = st.median(ratio) >= out["evaluate"]["target_ratio"]

# 3. Memory
v30 = json.load(open(os.path.join(raw, "eval-30d-1.json")))
v1 = json.load(open(os.path.join(raw, "eval-1d-1.json")))
rss30 = [r["rss_kb"] for r in e30]
rss1 = [r["rss_kb"] for r in e1]
out["memory"] = {
    "labeled_1d": v1["labeled"], "labeled_30d": v30["labeled"],
    "peak_rss_kb_1d": summary(rss1), "peak_rss_kb_30d": summary(rss30),
    "peak_rss_kb_empty_window": summary([r["rss_kb"] for r in e0]),
    "ratio_30d_over_1d": st.median(rss30) / st.median(rss1),
    "target_ratio_at_most": float(env["BENCH_TARGET_RSS_RATIO"]),
}
out["memory"]["met"] = out["memory"]["ratio_30d_over_1d"] <= out["memory"]["target_ratio_at_most"]

# 4. Agreement (vigil's first 30-day report vs scikit-learn's first run)
s = sk[0]["result"]
m = v30["metrics"]
diffs = {}
counts_v = v30["confusion_matrix"]["counts"]
diffs["confusion_matrix_counts"] = max(abs(a - b) for ra, rb in zip(counts_v, s["confusion_matrix"]) for a, b in zip(ra, rb))
if v30["classes"] != s["classes"]:
    problems.append(f"class order differs: vigil {v30['classes']} vs sklearn {s['classes']}")
pc_v = {c["class"]: c for c in m["per_class"]}
diffs["per_class_precision_recall_f1"] = max(abs(pc_v[c["class"]][k] - c[k]) for c in s["per_class"] for k in ("precision", "recall", "f1"))
diffs["per_class_support"] = max(abs(pc_v[c["class"]]["support"] - c["support"]) for c in s["per_class"])
for avg in ("macro", "micro", "weighted"):
    diffs[avg] = max(abs(m[avg][k] - s[avg][k]) for k in ("precision", "recall", "f1"))
diffs["accuracy"] = abs(m["accuracy"] - s["accuracy"])
metric_keys = [k for k in diffs if k not in ("confusion_matrix_counts", "per_class_support")]
out["agreement"] = {
    "rows_vigil": v30["labeled"], "rows_sklearn": s["n_labeled"],
    "max_abs_diff": diffs,
    "max_abs_diff_metrics": max(diffs[k] for k in metric_keys),
    "max_abs_diff_counts": max(diffs["confusion_matrix_counts"], diffs["per_class_support"]),
}
out["agreement"]["met"] = (v30["labeled"] == s["n_labeled"] and out["agreement"]["max_abs_diff_counts"] == 0
                           and out["agreement"]["max_abs_diff_metrics"] <= 1e-9)
out["problems"] = problems

with open(env["BENCH_OUT"], "w") as f:
    json.dump(out, f, indent=2)
    f.write("\n")

# ----- printed report
def yes(b): return "MET" if b else "NOT MET"
def rate(d): return f"median {d['median']:>11,.0f}   min {d['min']:>11,.0f}   max {d['max']:>11,.0f}"
def secs(d): return f"median {d['median']:8.3f} s   min {d['min']:8.3f} s   max {d['max']:8.3f} s"
def mb(d): return f"median {d['median']/1024:7.1f} MiB   min {d['min']/1024:7.1f} MiB   max {d['max']/1024:7.1f} MiB"
def x(d): return f"median {d['median']:6.3f}   min {d['min']:6.3f}   max {d['max']:6.3f}"
I, E, M, A = out["ingest"], out["evaluate"], out["memory"], out["agreement"]
M_lab30 = M["labeled_30d"]
print("=" * 96)
print(f"Vigil benchmark — {n_rows:,} predictions, {out['runs']} alternating runs per side")
print("=" * 96)
mc = out["machine"]
print(f"machine : {mc['nproc']} cores, {mc['cpu']}, {mc['memory_gib']} GiB RAM, load average at end {mc['load_average_at_end']}")
print(f"vigil   : {out['versions']['vigil']} (git {out['versions']['git']})"
      + ("  WARNING: binary older than Sources/" if out["versions"]["vigil_binary_older_than_sources"] else ""))
print(f"sqlite3 : {out['versions']['sqlite3']}   scikit-learn {E['sklearn_version']}, numpy {E['numpy_version']}")
print()
print("1. Ingest predictions (fresh store each run; rows/s over process wall time)")
print(f"   vigil ingest (NDJSON)        rows/s  {rate(I['vigil_rows_per_s'])}")
print(f"     self-reported 'seconds'    rows/s  {rate(I['vigil_rows_per_s_self_reported'])}")
print(f"     peak RSS                           {mb(I['vigil_peak_rss_kb'])}")
print(f"   sqlite3 .import (CSV)        rows/s  {rate(I['sqlite3_rows_per_s'])}")
print(f"     peak RSS                           {mb(I['sqlite3_peak_rss_kb'])}")
print(f"   ratio vigil/sqlite3 (pairs)          {x(I['ratio_vigil_over_sqlite3'])}")
print(f"   target vigil >= {I['target_vigil_rows_per_s']:,} rows/s: {yes(I['met_rate'])}"
      f"   target ratio >= {I['target_ratio']}: {yes(I['met_ratio'])}")
print(f"   (info) vigil ingest labels: {I['labels_rows_per_s']:,.0f} rows/s ({I['labels_seconds']:.2f} s, one run)")
print()
print(f"2. Evaluate {M_lab30:,} labelled predictions")
print(f"   vigil evaluate --window 30d, process wall (incl. start-up, DB read, storing the run)")
print(f"                                        {secs(E['vigil_wall_seconds'])}")
print(f"   vigil evaluate, empty window (start-up + fixed costs)")
print(f"                                        {secs(E['vigil_empty_window_wall_seconds'])}")
print(f"   vigil evaluation itself (estimate = 30d wall - empty-window wall, same round)")
print(f"                                        {secs(E['vigil_compute_seconds_estimate'])}")
print(f"   scikit-learn (median of 3 in-process, per run; perf_counter around the computation only)")
print(f"                                        {secs(E['sklearn_seconds'])}   best {E['sklearn_best_seconds']:.3f} s")
print(f"   ratio sklearn/vigil (wall, pairs)    {x(E['ratio_sklearn_over_vigil_wall'])}")
if E["ratio_sklearn_over_vigil_compute_estimate"]:
    print(f"   ratio sklearn/vigil (estimate)       {x(E['ratio_sklearn_over_vigil_compute_estimate'])}")
print(f"   target sklearn/vigil >= {E['target_ratio']:g} (wall): {yes(E['met'])}")
print(f"   (vigil exit codes, 30d: {E['vigil_exit_codes_30d']}; 0-3 is the monitoring status)")
print()
print("3. Peak RSS of vigil evaluate (/usr/bin/time %M), same store")
print(f"   1-day window  ({M['labeled_1d']:>9,} labelled)  {mb(M['peak_rss_kb_1d'])}")
print(f"   30-day window ({M['labeled_30d']:>9,} labelled)  {mb(M['peak_rss_kb_30d'])}")
print(f"   empty window  ({0:>9,} labelled)  {mb(M['peak_rss_kb_empty_window'])}")
print(f"   ratio 30d/1d {M['ratio_30d_over_1d']:.2f}; target about equal (<= {M['target_ratio_at_most']:g}): {yes(M['met'])}")
print()
print("4. Agreement, vigil --format json vs scikit-learn, same rows")
print(f"   rows: vigil {A['rows_vigil']:,}, scikit-learn {A['rows_sklearn']:,}")
for k, v in A["max_abs_diff"].items():
    print(f"   max |diff| {k:<32} {v:.3g}")
print(f"   overall: counts {A['max_abs_diff_counts']}, metrics {A['max_abs_diff_metrics']:.3g}; agree: {yes(A['met'])}")
if problems:
    print()
    print("PROBLEMS:")
    for p in problems:
        print("   " + p)
print()
print("targets: " + ", ".join([
    f"ingest rate {yes(I['met_rate'])}", f"ingest ratio {yes(I['met_ratio'])}",
    f"evaluate ratio {yes(E['met'])}", f"memory {yes(M['met'])}", f"agreement {yes(A['met'])}"]))
print(f"results: {env['BENCH_OUT']}")
EOF
