#!/usr/bin/env bash
# Monitoring benchmark: how noisy and how early Vigil's alerts are, on 30 simulated days of a
# 10-class classifier (the shipped policies/example-classifier.yaml) with hourly `vigil tick`
# runs, scenarios S0 (no change, 10 seeds) and S1-S4 (a change at day 15), alerts delivered to
# a local receiver on 127.0.0.1. Everything is in scripts/bench_monitoring.py (its header says
# what is simulated and how each figure is defined); this wrapper only finds the binary.
#
#   scripts/bench_monitoring.sh                    # or: make bench-monitoring  (release build)
#   scripts/bench_monitoring.sh --quick            # S0 with 2 seeds
#   scripts/bench_monitoring.sh --seeds 3          # 3 seeds of each of S1-S4
#   VIGIL_BIN=/path/to/vigil scripts/bench_monitoring.sh   # a given binary; nothing is built
#
# Output: two tables on stdout, all figures as JSON in bench-data/monitoring/results.json.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v python3 >/dev/null || { echo "python3 is missing (apt-get install python3)" >&2; exit 1; }
if [ -z "${VIGIL_BIN:-}" ]; then
  ${SWIFT:-swift} build -c release --product vigil >/dev/null
  VIGIL_BIN=$PWD/.build/release/vigil
fi
export VIGIL_BIN
exec python3 scripts/bench_monitoring.py "$@"
