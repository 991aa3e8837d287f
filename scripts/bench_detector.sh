#!/usr/bin/env bash
# The embedded detector, end to end on this machine (release build):
#   1. synthesize source-domain training and holdout scenes, a shifted ("new camera") holdout
#      and 500 labelled shifted scenes for fine-tuning;
#   2. train from scratch (timed), evaluate mAP50 on the source holdout and the shifted holdout;
#   3. fine-tune on the 500 shifted scenes plus 500 of the training scenes, evaluate both again;
#   4. inference images/s at 64×64 (network + decoding + NMS, images in memory);
#   5. PyTorch loads v1.safetensors and reproduces Vigil's scores on the holdout (artifact and
#      forward-pass cross-check);
#   6. the same architecture, loss, optimiser and schedule in PyTorch (CPU, 2 threads) trained
#      on the same PNG files with the same batch size and epochs, timed in the same run.
#
# Vigil runs OpenBLAS single-threaded by default (THREADS=1): on a shared 2-core machine the
# second OpenBLAS thread mostly spins in sched_yield and made training slower, not faster.
# PyTorch gets torch.set_num_threads(2) (TORCH_THREADS).
#
#   scripts/bench_detector.sh     # TRAIN=4000 EPOCHS=8 FT_EPOCHS=15 THREADS=1 TORCH_THREADS=2 BENCH_VENV=dir to override
#
# Training times are the training loops only (images already decoded), for both.
set -euo pipefail
cd "$(dirname "$0")/.."
TRAIN=${TRAIN:-4000}
EPOCHS=${EPOCHS:-8}
FT_EPOCHS=${FT_EPOCHS:-15}
BATCH=${BATCH:-32}
THREADS=${THREADS:-1}
TORCH_THREADS=${TORCH_THREADS:-2}
VENV=${BENCH_VENV:-/tmp/vigil-bench-detector-venv}
DATA=bench-data/detector
VIGIL=${VIGIL:-.build/release/vigil}
[ -x "$VIGIL" ] || swift build -c release --product vigil
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -c "import torch, numpy, PIL, safetensors" 2>/dev/null || "$VENV/bin/pip" install -q torch numpy pillow safetensors

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -sr)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
rm -rf "$DATA"
mkdir -p "$DATA/models"
"$VIGIL" detector synth --out "$DATA/train" --count "$TRAIN" --seed 1
"$VIGIL" detector synth --out "$DATA/holdout" --count 1000 --seed 2
"$VIGIL" detector synth --out "$DATA/shifted-holdout" --count 1000 --seed 3 --domain shifted
"$VIGIL" detector synth --out "$DATA/shifted-labelled" --count 500 --seed 4 --domain shifted
"$VIGIL" detector synth --out "$DATA/source-replay" --count 500 --seed 1 --prefix replay
"$VIGIL" detector synth --out "$DATA/speed" --count 5000 --seed 5

echo "== train from scratch: $TRAIN images, $EPOCHS epochs, batch $BATCH, $THREADS BLAS threads"
"$VIGIL" detector train --data "$DATA/train" --out "$DATA/models/v1.safetensors" --epochs "$EPOCHS" --batch "$BATCH" --threads "$THREADS"
"$VIGIL" detector eval --model "$DATA/models/v1.safetensors" --data "$DATA/holdout" --format json > "$DATA/v1-holdout.json"
"$VIGIL" detector eval --model "$DATA/models/v1.safetensors" --data "$DATA/shifted-holdout" --format json > "$DATA/v1-shifted.json"

echo "== fine-tune on 500 shifted scenes + 500 replayed training scenes, $FT_EPOCHS epochs"
"$VIGIL" detector finetune --from "$DATA/models/v1.safetensors" --data "$DATA/shifted-labelled" --data "$DATA/source-replay" \
  --out "$DATA/models/v2.safetensors" --epochs "$FT_EPOCHS" --batch "$BATCH" --threads "$THREADS"
"$VIGIL" detector eval --model "$DATA/models/v2.safetensors" --data "$DATA/holdout" --format json > "$DATA/v2-holdout.json"
"$VIGIL" detector eval --model "$DATA/models/v2.safetensors" --data "$DATA/shifted-holdout" --format json > "$DATA/v2-shifted.json"

echo "== inference"
"$VIGIL" detector eval --model "$DATA/models/v1.safetensors" --data "$DATA/speed" --format json --threads "$THREADS" > "$DATA/speed.json"

echo "== PyTorch reads v1.safetensors and reproduces Vigil's scores on the holdout"
"$VIGIL" detector predict --model "$DATA/models/v1.safetensors" --data "$DATA/holdout" --out "$DATA/v1-holdout.ndjson" \
  --ts 2026-10-01T00:00:00Z --min-score 0.01
"$VENV/bin/python" scripts/detector_torch_forward.py "$DATA/models/v1.safetensors" "$DATA/holdout" "$DATA/v1-holdout.ndjson" > "$DATA/forward.json"

echo "== PyTorch peer: same images, batch, epochs; torch.set_num_threads($TORCH_THREADS)"
"$VENV/bin/python" scripts/detector_torch.py "$DATA/train" --epochs "$EPOCHS" --batch "$BATCH" --threads "$TORCH_THREADS" > "$DATA/torch.json"

"$VENV/bin/python" - "$DATA" <<'PY'
import json, sys
d = sys.argv[1]
j = lambda n: json.load(open(f"{d}/{n}"))
v1 = j("models/v1.json")["training"]
v2 = j("models/v2.json")["training"]
torch = j("torch.json")
h1, s1, h2, s2, speed = j("v1-holdout.json"), j("v1-shifted.json"), j("v2-holdout.json"), j("v2-shifted.json"), j("speed.json")
forward = j("forward.json")
rows = [
    ("mAP50 source holdout (v1)", f"{h1['map50']:.4f}", ">= 0.90"),
    ("mAP50 shifted holdout (v1)", f"{s1['map50']:.4f}", f"drop {h1['map50'] - s1['map50']:.4f} >= 0.15"),
    ("mAP50 shifted holdout (v2, fine-tuned)", f"{s2['map50']:.4f}", ">= 0.85"),
    ("mAP50 source holdout (v2, fine-tuned)", f"{h2['map50']:.4f}", ">= 0.85"),
    ("training seconds (v1, loop only, wall)", f"{v1['seconds']:.1f}", "<= 120"),
    ("training CPU seconds (v1)", f"{v1['cpu_seconds']:.1f}", ""),
    ("fine-tuning seconds (v2, wall)", f"{v2['seconds']:.1f}", ""),
    ("inference images/s (64x64, wall)", f"{speed['images_per_second']:.0f}", ">= 1000"),
    ("inference images per CPU-second", f"{speed['images_per_cpu_second']:.0f}", ""),
    (f"training images/s: Vigil ({v1['blas_threads']} BLAS thread(s))", f"{v1['images_per_second']:.0f}", f"final loss {v1['final_loss']:.3f}"),
    (f"training images/s: PyTorch {torch['torch']} ({torch['threads']} threads)", f"{torch['images_per_second']:.0f}", f"final loss {torch['final_loss']:.3f}"),
    ("training images per CPU-second: Vigil", f"{v1['images'] * v1['epochs'] / v1['cpu_seconds']:.0f}", ""),
    ("training images per CPU-second: PyTorch", f"{torch['images_per_cpu_second']:.0f}", ""),
    ("ratio Vigil / PyTorch (wall images/s)", f"{v1['images_per_second'] / torch['images_per_second']:.2f}x", ">= 1x"),
    ("ratio Vigil / PyTorch (images per CPU-second)", f"{v1['images'] * v1['epochs'] / v1['cpu_seconds'] / torch['images_per_cpu_second']:.2f}x", ""),
    (f"PyTorch on v1.safetensors: max |best score - Vigil's| ({forward['images']} images)", f"{forward['max_abs_diff']:.1e}", "~1e-5 (NDJSON rounds to 1e-5)"),
]
print()
print(f"{'figure':<64} {'value':>10}  target")
for name, value, target in rows:
    print(f"{name:<64} {value:>10}  {target}")
print(f"\nload average at end: {' '.join(open('/proc/loadavg').read().split()[:3])}")
print(f"v1 sha256 {j('models/v1.json')['weights_sha256']}\nv2 sha256 {j('models/v2.json')['weights_sha256']} (fine-tuned from {v2['finetuned_from'][:12]}…)")
PY
