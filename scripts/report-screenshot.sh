#!/usr/bin/env bash
# Renders `vigil report --html` of a quickstart workspace in headless Chromium (Debian's
# `chromium`, installed if missing) and saves the screenshot as docs/report.png.
#
#   scripts/report-screenshot.sh            # VIGIL=path OUT=file.png QUICKSTART="--fast" to override
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-docs/report.png}
VIGIL=${VIGIL:-.build/release/vigil}
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
if ! command -v chromium >/dev/null; then
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium
fi
[ -x "$VIGIL" ] || swift build -c release --product vigil
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$VIGIL" quickstart --dir "$work/ws" --plain ${QUICKSTART:-} > "$work/quickstart.log" || { tail -30 "$work/quickstart.log" >&2; exit 1; }
# the quickstart's simulated clock ends on 31 October 2026: the month's daily evaluations
export VIGIL_NOW=2026-10-31T00:00:00Z
"$VIGIL" report --workspace "$work/ws" --since 31d --html "$work/report.html"
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1280,3000 \
  --screenshot="$work/report.png" "file://$work/report.html" 2> "$work/chromium.log" || { cat "$work/chromium.log" >&2; exit 1; }
mkdir -p "$(dirname "$OUT")"
cp "$work/report.png" "$OUT"
echo "wrote $OUT (from $work/report.html, $(wc -c < "$work/report.html") bytes)"
