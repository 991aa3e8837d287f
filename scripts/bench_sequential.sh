#!/usr/bin/env bash
# Sequential detectors benchmark: Vigil's ADWIN and Page–Hinkley against river's, side by side
# (alternating runs) on the same seeded 1M-value correctness stream (1 correct, 0 wrong;
# accuracy 0.90, dropping to 0.80 two thirds of the way through), single thread each.
#
#   scripts/bench_sequential.sh     # VIGIL=path BENCH_RUNS=3 BENCH_VENV=dir BENCH_N=1000000 to override
#   scripts/bench_sequential.sh --stream FILE.f64   # also time a given stream (raw float64, little-endian)
#
# Only the update loop is timed on both sides: river's `for x in stream: d.update(x)` with
# drift_detected read after each value (as in river's documentation), Vigil's
# `vigil debug sequential` compute time (file loading excluded; fastest of 5 repetitions in
# one process, as the Python side is likewise the fastest of 3 in its process). Wall time
# and the thread's CPU time are both reported: on a busy machine the CPU-time ratio is the
# steadier one. The detection indices must be identical, or the script fails.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${BENCH_RUNS:-3}
VENV=${BENCH_VENV:-/tmp/vigil-peers}
N=${BENCH_N:-1000000}
DATA=bench-data/sequential
VIGIL=${VIGIL:-.build/release/vigil}
EXTRA=""
if [ "${1:-}" = "--stream" ]; then EXTRA=$2; fi
[ -x "$VIGIL" ] || swift build -c release --product vigil
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -c "import numpy, river" 2>/dev/null || "$VENV/bin/pip" install -q numpy river
mkdir -p "$DATA"
stream=$DATA/correctness_$N.f64
[ -f "$stream" ] || "$VENV/bin/python" - "$stream" "$N" <<'PY'
import sys
import numpy as np
path, n = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(20261125)
k = 2 * n // 3
correct = np.concatenate([rng.random(k) < 0.90, rng.random(n - k) < 0.80])
correct.astype("<f8").tofile(path)
PY

run_river() {  # file detector
  "$VENV/bin/python" - "$1" "$2" <<'PY'
import json, sys, time
import numpy as np
import river
from river import drift
stream = np.fromfile(sys.argv[1], dtype="<f8").tolist()
best = None
cpu = None
for _ in range(3):
    d = drift.ADWIN(delta=0.002) if sys.argv[2] == "adwin" else drift.PageHinkley()
    hits = []
    c0, t0 = time.thread_time(), time.perf_counter()
    for i, x in enumerate(stream):
        d.update(x)
        if d.drift_detected:
            hits.append(i)
    s, c = time.perf_counter() - t0, time.thread_time() - c0
    if best is None or s < best:
        best, cpu = s, c
print(json.dumps({"river": river.__version__, "compute_s": best, "cpu_s": cpu, "detections": hits}))
PY
}

compare() {  # file label
  local file=$1 label=$2
  : > "$DATA/runs.ndjson"
  for r in $(seq 1 "$RUNS"); do
    for det in adwin page-hinkley; do
      echo "$label run $r/$RUNS $det" >&2
      v=$("$VIGIL" debug sequential --detector "$det" --input "$file" --repeat 5)
      p=$(run_river "$file" "$det")
      echo "{\"detector\":\"$det\",\"vigil\":$v,\"river\":$p}" >> "$DATA/runs.ndjson"
    done
  done
  "$VENV/bin/python" - "$DATA/runs.ndjson" "$label" <<'PY'
import json, os, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
label = sys.argv[2]
ok = True
print(f"{label}: {runs[0]['vigil']['count']:,} values; river {runs[0]['river']['river']}; {os.cpu_count()} cores; {len(runs) // 2} alternating runs")
for det in ("adwin", "page-hinkley"):
    rs = [r for r in runs if r["detector"] == det]
    same = all(r["vigil"]["detections"] == r["river"]["detections"] for r in rs)
    ok = ok and same
    v = [r["vigil"]["compute_s"] for r in rs]; p = [r["river"]["compute_s"] for r in rs]
    vc = [r["vigil"]["cpu_s"] for r in rs]; pc = [r["river"]["cpu_s"] for r in rs]
    ratio = statistics.median(b / a for a, b in zip(v, p))
    cpu_ratio = statistics.median(b / a for a, b in zip(vc, pc))
    hits = rs[0]["river"]["detections"]
    print(f"  {det:13s} wall: vigil {statistics.median(v) * 1e3:6.2f} ms | river {statistics.median(p):6.3f} s | river/vigil {ratio:6.1f}x"
          f"   cpu: vigil {statistics.median(vc) * 1e3:6.2f} ms | river {statistics.median(pc):6.3f} s | river/vigil {cpu_ratio:6.1f}x")
    print(f"  {'':13s} detections {'identical' if same else 'DIFFERENT'} ({len(hits)}: {hits[:3]}{' …' if len(hits) > 3 else ''})")
sys.exit(0 if ok else 1)
PY
}

compare "$stream" "generated stream"
if [ -n "$EXTRA" ]; then compare "$EXTRA" "$EXTRA"; fi
