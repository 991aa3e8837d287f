#!/usr/bin/env bash
# vigil review: keystroke → next item fully drawn, for 640×480 PNG inputs with the prefetch warm.
#
# Release build. Creates a workspace of ITEMS classification items (640×480 PNG each), queues
# them, runs `vigil review --measure FILE` in a detached tmux pane of 120×40 (true colour) and
# presses Enter once per item, PAUSE seconds apart so the next item is already claimed and
# decoded in the background. `--measure` timestamps each key as it is read and again after the
# last byte of the next item's frame is written (the answer is committed in between), and
# writes the latencies; this script prints their median, p95 and max. Target: ≤ 30 ms.
#
#   scripts/bench_review.sh                 # 60 items
#   ITEMS=200 PAUSE=0.2 scripts/bench_review.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ITEMS=${ITEMS:-60}
PAUSE=${PAUSE:-0.25}
COLOUR=${COLOUR:-truecolor}   # or 256
command -v tmux >/dev/null || { echo "tmux is missing: run scripts/install-deps.sh" >&2; exit 1; }
swift build -c release --product vigil
V="$PWD/.build/release/vigil"
WORK=$(mktemp -d)
DIR="$WORK/ws"
SOCK="vigil-bench-review-$$"
cleanup() { tmux -L "$SOCK" kill-server 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

"$V" review fixture --dir "$DIR" --classification "$ITEMS" --detection 0 --width 640 --height 480 >/dev/null
"$V" ingest predictions "$DIR/predictions.ndjson" --workspace "$DIR" >/dev/null
VIGIL_NOW=2026-10-31T00:00:00Z "$V" sample --workspace "$DIR" --model shelf-classifier

screen() { tmux -L "$SOCK" capture-pane -p -t bench; }
wait_for() {  # wait_for TEXT: poll the pane for up to 30 s
  for _ in $(seq 1 600); do screen | grep -q -- "$1" && return 0; sleep 0.05; done
  echo "timed out waiting for '$1'; the screen was:" >&2; screen >&2; exit 1
}

tmux -L "$SOCK" -f /dev/null new-session -d -s bench -x 120 -y 40 \
  "cd '$DIR' && '$V' review --colour $COLOUR --reviewer bench --model shelf-classifier --measure '$WORK/latency.json'; echo EXITED=\$?; sleep 30"
wait_for "item c-000"
for i in $(seq 1 $((ITEMS - 1))); do
  sleep "$PAUSE"
  tmux -L "$SOCK" send-keys -t bench Enter
  wait_for "$(printf 'item c-%03d' "$i")"
done
sleep "$PAUSE"
tmux -L "$SOCK" send-keys -t bench q
wait_for "EXITED="
python3 - "$WORK/latency.json" "$COLOUR" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
print(f"keystroke → next item drawn (640×480 PNG, prefetch warm, 120×40, {sys.argv[2]} colour): "
      f"median {m['median_ms']:.1f} ms, p95 {m['p95_ms']:.1f} ms, max {m['max_ms']:.1f} ms over {m['samples']} items")
print(f"  medians of the parts: answer committed + next item taken {m['answer_median_ms']:.1f} ms, "
      f"layout + ANSI encoding {m['frame_median_ms']:.1f} ms, write to the terminal {m['write_median_ms']:.1f} ms")
PY
echo "machine: $(nproc) cores, $(uname -m), load average $(cut -d' ' -f1-3 /proc/loadavg)"
