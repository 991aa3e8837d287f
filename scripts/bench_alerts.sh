#!/usr/bin/env bash
# Alert delivery benchmark: 10,000 signed notifications to the local webhook receiver
# (scripts/webhook_receiver.py) across 8 receivers, delivered by one `vigil alerts deliver`
# pass (release build). Target: <= 10 s. Prints the figure.
#
#   scripts/bench_alerts.sh            # or: make bench-alerts
#   N=20000 RECEIVERS=4 scripts/bench_alerts.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-10000}
RECEIVERS=${RECEIVERS:-8}
swift build -c release --product vigil >/dev/null
VIGIL=$PWD/.build/release/vigil
WORK=$(mktemp -d)
trap 'kill $RECEIVER_PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
python3 scripts/webhook_receiver.py --port 0 --port-file "$WORK/port" --log "$WORK/requests.ndjson" 2>/dev/null &
RECEIVER_PID=$!
for _ in $(seq 100); do [ -s "$WORK/port" ] && break; sleep 0.05; done
PORT=$(cat "$WORK/port")
"$VIGIL" init --dir "$WORK/ws" >/dev/null
{
  echo "receivers:"
  for i in $(seq "$RECEIVERS"); do
    echo "  - {name: hook$i, kind: webhook, url: \"http://127.0.0.1:$PORT/hook$i\", secret: \"\${BENCH_SECRET}\"}"
  done
  echo "delivery: {workers: $RECEIVERS, batch: 200, timeout: 15s}"
} >> "$WORK/ws/vigil.yaml"
export BENCH_SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
for i in $(seq "$RECEIVERS"); do
  "$VIGIL" alerts test "hook$i" --count $((N / RECEIVERS)) --queue-only --workspace "$WORK/ws" >/dev/null
done
start=$(date +%s.%N)
/usr/bin/time -f "deliverer cpu: %U s user, %S s system" "$VIGIL" alerts deliver --workspace "$WORK/ws" && ps -o cputime= -p $RECEIVER_PID | sed "s/^/receiver cpu: /"
end=$(date +%s.%N)
received=$(wc -l < "$WORK/requests.ndjson")
seconds=$(python3 -c "print(f'{$end - $start:.2f}')")
rate=$(python3 -c "print(int($received / ($end - $start)))")
echo "alerts benchmark: $received of $N notifications delivered to the local receiver in $seconds s ($rate/s, $RECEIVERS receivers, signed, each attempt recorded in SQLite); target <= 10 s"
python3 scripts/verify_webhook_signature.py "$WORK/requests.ndjson" "$BENCH_SECRET" | sed 's/^/signatures: /'
[ "$received" -ge "$N" ]
