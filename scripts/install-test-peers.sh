#!/usr/bin/env bash
# Creates (once) the Python environment some tests run as a peer: .build/test-peers with
# safetensors and numpy (the detector's artifact test reads a saved model with them).
# Idempotent: does nothing when the packages already import.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.build/test-peers
if "$VENV/bin/python" -c "import safetensors, numpy" 2>/dev/null; then exit 0; fi
mkdir -p .build
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q safetensors numpy
