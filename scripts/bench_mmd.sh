#!/usr/bin/env bash
# MMD² permutation test benchmark: Vigil against the vectorised numpy implementation (kernel
# matrix once, all permutations in one matrix product), side by side on the same files.
#
#   scripts/bench_mmd.sh          # VIGIL=path BENCH_RUNS=2 BENCH_VENV=dir BENCH_PERMUTATIONS=200 to override
#
# Data as peerbench's embeddings generator: seeded numpy normals, n = m = 5,000, d = 128, the
# current sample shifted by +0.15 on 8 dimensions, rounded to 6 decimals; written as .npy for
# numpy and as raw little-endian float64 (.f64) for `vigil debug mmd`. Both sides time the
# computation only (not the loading). Agreement: bandwidth h and observed MMD² to 1e-9 relative
# (the p-values come from different random generators and agree only in distribution).
# Vigil's stages: Gram matrix (dsyrk, double), distances + median + kernel, permutations (one
# strmm on the centred single-precision triangle); GEMM rates are set against OpenBLAS's
# dgemm/sgemm peak measured here by `vigil debug gemm-peak`.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${BENCH_RUNS:-2}
P=${BENCH_PERMUTATIONS:-200}
VENV=${BENCH_VENV:-/tmp/vigil-peers}
DATA=bench-data/mmd
VIGIL=${VIGIL:-.build/release/vigil}
[ -x "$VIGIL" ] || swift build -c release --product vigil
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -c "import numpy" 2>/dev/null || "$VENV/bin/pip" install -q numpy

if [ ! -f "$DATA/current_mean.f64" ]; then
  mkdir -p "$DATA"
  "$VENV/bin/python" - "$DATA" <<'PY'
import os, sys
import numpy as np
out, n, dim = sys.argv[1], 5000, 128
rng = np.random.default_rng(13)
ref = rng.normal(0, 1, (n, dim))
none = rng.normal(0, 1, (n, dim))
mean = rng.normal(0, 1, (n, dim))
mean[:, :8] += 0.15
for name, arr in [("reference", ref), ("current_none", none), ("current_mean", mean)]:
    arr = np.round(arr, 6)
    np.save(os.path.join(out, f"{name}.npy"), arr)
    arr.astype("<f8").tofile(os.path.join(out, f"{name}.f64"))
PY
fi


peak=$("$VIGIL" debug gemm-peak --size 2048)
: > "$DATA/runs.ndjson"
for r in $(seq 1 "$RUNS"); do
  for cur in current_mean current_none; do
    echo "run $r/$RUNS: $cur" >&2
    v=$(/usr/bin/time -f "%U %S" -o "$DATA/vigil.cpu" \
      "$VIGIL" debug mmd --reference "$DATA/reference.f64" --current "$DATA/$cur.f64" --dim 128 --permutations "$P" --seed 1)
    np=$(/usr/bin/time -f "%U %S" -o "$DATA/numpy.cpu" \
      "$VENV/bin/python" scripts/mmd_numpy.py "$DATA/reference.npy" "$DATA/$cur.npy" "$P")
    vc=$(awk '{print $1 + $2}' "$DATA/vigil.cpu"); nc=$(awk '{print $1 + $2}' "$DATA/numpy.cpu")
    echo "{\"data\":\"$cur\",\"vigil\":$v,\"numpy\":$np,\"vigil_cpu_s\":$vc,\"numpy_cpu_s\":$nc}" >> "$DATA/runs.ndjson"
  done
done

"$VENV/bin/python" - "$DATA" "$peak" <<'PY'
import json, os, statistics, sys
data, peak = sys.argv[1], json.loads(sys.argv[2])
runs = [json.loads(l) for l in open(f"{data}/runs.ndjson")]
rel = lambda a, b: abs(a - b) / max(abs(a), abs(b))
print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end (other work slows both sides); OpenBLAS {peak['threads']} threads; n = m = {int(runs[0]['vigil']['n'])}, d = 128, "
      f"{int(runs[0]['vigil']['permutations'])} permutations; {len(runs)} runs (alternating Vigil, numpy)")
for name in sorted({r["data"] for r in runs}):
    rs = [r for r in runs if r["data"] == name]
    v = [r["vigil"]["seconds"] for r in rs]; n = [r["numpy"]["seconds"] for r in rs]
    last = rs[-1]
    vc = [r["vigil_cpu_s"] for r in rs]; nc = [r["numpy_cpu_s"] for r in rs]
    print(f"{name:13s} vigil median {statistics.median(v):.2f} s | numpy {last['numpy']['numpy']} median {statistics.median(n):.2f} s | "
          f"ratio numpy/vigil {statistics.median([b / a for a, b in zip(v, n)]):.1f}x (target >= 5)")
    print(f"              CPU seconds (whole process, user+sys, all threads): vigil {statistics.median(vc):.2f} | numpy {statistics.median(nc):.2f} | "
          f"ratio {statistics.median([b / a for a, b in zip(vc, nc)]):.1f}x")
    print(f"              h {last['vigil']['h']:.12g} vs {last['numpy']['h']:.12g} (rel {rel(last['vigil']['h'], last['numpy']['h']):.1e}); "
          f"MMD² {last['vigil']['mmd2']:.12g} vs {last['numpy']['mmd2']:.12g} (rel {rel(last['vigil']['mmd2'], last['numpy']['mmd2']):.1e}); "
          f"p {last['vigil']['p']:.4f} vs {last['numpy']['p']:.4f}")
    print(f"              vigil stages: Gram (dsyrk) {last['vigil']['gram_seconds']:.2f} s at {last['vigil']['gram_gflops']:.1f} GFLOP/s, "
          f"distances+median+exp {last['vigil']['kernel_seconds']:.2f} s, permutations (strmm) {last['vigil']['permutation_seconds']:.2f} s "
          f"at {last['vigil']['permutation_gflops']:.1f} GFLOP/s")
    ok = all(rel(r["vigil"]["h"], r["numpy"]["h"]) <= 1e-9 and rel(r["vigil"]["mmd2"], r["numpy"]["mmd2"]) <= 1e-9 for r in rs)
    print(f"              agreement h and MMD² to 1e-9 relative: {'yes' if ok else 'NO'}")
g = statistics.median([r["vigil"]["gram_gflops"] for r in runs]); s = statistics.median([r["vigil"]["permutation_gflops"] for r in runs])
print(f"GEMM rate     Gram dsyrk {g:.1f} GFLOP/s = {100 * g / peak['dgemm_gflops']:.0f}% of dgemm peak {peak['dgemm_gflops']:.1f}; "
      f"permutation strmm {s:.1f} GFLOP/s = {100 * s / peak['sgemm_gflops']:.0f}% of sgemm peak {peak['sgemm_gflops']:.1f} "
      f"(OpenBLAS {peak['size']}³ on this machine, medians over the runs)")
PY
