#!/usr/bin/env bash
# Detection evaluation benchmark: Vigil against pycocotools and faster-coco-eval, side by side
# (alternating runs) on the same generated 5,000-image COCO files, single process each.
#
#   scripts/bench_detection.sh          # VIGIL=path BENCH_RUNS=3 BENCH_VENV=dir to override
#
# Vigil's "load" is ingesting the COCO files into a fresh store (`vigil ingest … --coco…`);
# its compute is the whole `vigil evaluate` process (start-up, reading the store, parsing the
# stored boxes, COCO evaluation, the operating point and confusion table, storing the run;
# bootstrap and drift off, as the peers have neither). The peers' compute is
# evaluate()+accumulate() timed inside Python; their loading (COCO() + loadRes) apart.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${BENCH_RUNS:-3}
VENV=${BENCH_VENV:-/tmp/vigil-bench-venv}
DATA=bench-data/detection
VIGIL=${VIGIL:-.build/release/vigil}
[ -x "$VIGIL" ] || swift build -c release --product vigil
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -c "import numpy, pycocotools, faster_coco_eval" 2>/dev/null \
  || "$VENV/bin/pip" install -q numpy pycocotools faster-coco-eval
[ -f "$DATA/dt.json" ] || "$VENV/bin/python" scripts/make_detection_data.py --out "$DATA"

ws=$DATA/ws
rm -rf "$ws"
"$VIGIL" init --dir "$ws" >/dev/null
classes=$(seq -s, 1 20 | sed 's/\([0-9]\+\)/c\1/g; s/,/, /g')
cat > "$ws/policies/bench-detector.yaml" <<YAML
model: bench-detector
task: detection
classes: [$classes]
evaluation:
  window: 1d
  bootstrap_resamples: 0
YAML
t0=$(date +%s.%N)
"$VIGIL" ingest predictions --coco-results "$DATA/dt.json" --images "$DATA/gt.json" --model bench-detector \
  --ts 2026-10-01T00:00:00Z --workspace "$ws" >/dev/null
"$VIGIL" ingest labels --coco "$DATA/gt.json" --workspace "$ws" >/dev/null
t1=$(date +%s.%N)
load=$(awk "BEGIN{print $t1 - $t0}")

results=()
for r in $(seq 1 "$RUNS"); do
  echo "run $r/$RUNS" >&2
  s=$(date +%s.%N)
  /usr/bin/time -f "%M" -o /tmp/vigil-det-rss \
    env VIGIL_NOW=2026-10-01T12:00:00Z "$VIGIL" evaluate --workspace "$ws" --model bench-detector --no-drift --format json > "$DATA/vigil.json" || true
  e=$(date +%s.%N)
  vigil_s=$(awk "BEGIN{print $e - $s}")
  vigil_rss=$(( $(cat /tmp/vigil-det-rss) / 1024 ))
  py=$("$VENV/bin/python" scripts/bench_detection_peers.py "$DATA/gt.json" "$DATA/dt.json" pycocotools)
  fce=$("$VENV/bin/python" scripts/bench_detection_peers.py "$DATA/gt.json" "$DATA/dt.json" faster-coco-eval)
  results+=("{\"vigil_s\":$vigil_s,\"vigil_rss_mib\":$vigil_rss,\"pycocotools\":$py,\"faster_coco_eval\":$fce}")
done
printf '%s\n' "${results[@]}" > "$DATA/runs.ndjson"
"$VENV/bin/python" - "$DATA" "$load" <<'PY'
import json, statistics, sys
data, load = sys.argv[1], float(sys.argv[2])
runs = [json.loads(l) for l in open(f"{data}/runs.ndjson")]
vigil = json.load(open(f"{data}/vigil.json"))
names = ["AP", "AP50", "AP75", "AP_small", "AP_medium", "AP_large", "AR1", "AR10", "AR100", "AR_small", "AR_medium", "AR_large"]
diff = max(abs(vigil["detection"]["coco"][n] - s) for n, s in zip(names, runs[0]["pycocotools"]["stats"]))
med = lambda xs: statistics.median(xs)
v = [r["vigil_s"] for r in runs]; p = [r["pycocotools"]["compute_s"] for r in runs]; f = [r["faster_coco_eval"]["compute_s"] for r in runs]
print(f"machine: {__import__('os').cpu_count()} cores; {len(runs)} alternating runs; {vigil['detection']['images']} images")
print(f"load        vigil ingest (both COCO files) {load:.2f} s | pycocotools {med([r['pycocotools']['load_s'] for r in runs]):.2f} s | faster-coco-eval {med([r['faster_coco_eval']['load_s'] for r in runs]):.2f} s")
print(f"compute     vigil evaluate (whole process) median {med(v):.3f} s (min {min(v):.3f}, max {max(v):.3f})")
print(f"            pycocotools evaluate+accumulate median {med(p):.3f} s; faster-coco-eval median {med(f):.3f} s")
print(f"ratios      pycocotools/vigil {med([b / a for a, b in zip(v, p)]):.1f}x (target >= 20)   faster-coco-eval/vigil {med([b / a for a, b in zip(v, f)]):.2f}x (target >= 3)")
print(f"peak RSS    vigil {med([r['vigil_rss_mib'] for r in runs]):.0f} MiB | pycocotools {med([r['pycocotools']['peak_rss_mib'] for r in runs]):.0f} MiB | faster-coco-eval {med([r['faster_coco_eval']['peak_rss_mib'] for r in runs]):.0f} MiB")
print(f"agreement   max |vigil - pycocotools| over the 12 stats: {diff:.2e}")
PY
