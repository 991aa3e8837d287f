#!/usr/bin/env bash
# The cases of "Refuse what is wrong at the door" (issue 26), each run as a user would against
# the `vigil` binary given, printing one line per case: the exit code and the first line of
# what it said. Run it on two builds to compare them:
#
#   scripts/door_cases.sh /tmp/vigil-before > before.txt
#   scripts/door_cases.sh .build/release/vigil > after.txt
#
# Traffic goes to loopback only. The receiver cases that must connect to nothing run inside a
# network namespace of their own (`unshare -n`, needs root); the read-only store case runs as
# `nobody` (needs root and runuser). Needs sqlite3 and curl.
set -u
VIGIL=$(readlink -f "${1:?usage: scripts/door_cases.sh PATH/TO/vigil}")
WORK=$(mktemp -d /tmp/vigil-door-XXXXXX)
chmod 755 "$WORK"
export VIGIL_NOW=2026-10-31T07:32:10Z
trap 'kill "${SERVE_PID:-}" 2>/dev/null; rm -rf "$WORK"' EXIT

# `case NAME COMMAND...`: runs it, prints "NAME | exit N | first line of stderr (else stdout)".
case_line() {
  local name=$1; shift
  local out err status
  out=$("$@" 2>"$WORK/err"); status=$?
  err=$(grep -v '^\s*$' "$WORK/err" | head -1)
  [ -z "$err" ] && err=$(printf '%s\n' "$out" | grep -v '^\s*$' | head -1)
  printf '%s | exit %s | %s\n' "$name" "$status" "${err:0:220}"
}

# A fresh workspace at $WORK/$1 (vigil init) with one prediction ingested.
fresh() {
  "$VIGIL" init --dir "$WORK/$1" >/dev/null 2>&1
  printf '{"id":"p1","model":"shelf-classifier","ts":"2026-10-30T10:00:00Z","label":"can","score":0.9}\n' > "$WORK/$1/p.ndjson"
  "$VIGIL" ingest predictions "$WORK/$1/p.ndjson" --workspace "$WORK/$1" >/dev/null 2>&1
  chmod -R a+rX "$WORK/$1"
}
policy() { echo "$WORK/$1/policies/shelf-classifier.yaml"; }

fresh typo
sed -i 's/^    drop: {warning: 0.03, critical: 0.06}/    drop: {critical: 0.06}\n    warnnig: 0.99/' "$(policy typo)"
case_line "misspelt warnnig: (vigil check)" "$VIGIL" check --workspace "$WORK/typo"

fresh sched
sed -i 's/^schedule:/schedul:/' "$(policy sched)"
case_line "misspelt schedul: (vigil tick)" "$VIGIL" tick --workspace "$WORK/sched"

fresh dup
printf 'task: detection\n' >> "$(policy dup)"
case_line "key written twice (vigil check)" "$VIGIL" check --workspace "$WORK/dup"

fresh token
printf 'registry:\n  backend: mlflow\n  url: http://127.0.0.1:9\n  token: ${MLFLOW_TRACKING_TOKEN}\n' >> "$WORK/token/vigil.yaml"
case_line "unset \${MLFLOW_TRACKING_TOKEN} (vigil check)" env -u MLFLOW_TRACKING_TOKEN "$VIGIL" check --workspace "$WORK/token"

for target in "file:///etc/passwd" "gopher://127.0.0.1:70/x" "http://169.254.169.254/latest/meta-data"; do
  name=${target%%:*}; [ "$target" != "${target#http://169}" ] && name=metadata
  fresh "recv-$name"
  printf 'receivers:\n  - {name: ops, kind: webhook, url: "%s"}\n' "$target" >> "$WORK/recv-$name/vigil.yaml"
  case_line "receiver $target (vigil check, no network)" unshare -n "$VIGIL" check --workspace "$WORK/recv-$name"
done

fresh newer
sqlite3 "$WORK/newer/.vigil/vigil.db" "PRAGMA user_version = 99; INSERT INTO grdb_migrations(identifier) VALUES ('v99-from-a-newer-vigil');"
printf '{"id":"p2","model":"shelf-classifier","ts":"2026-10-30T11:00:00Z","label":"can","score":0.9}\n' > "$WORK/newer/more.ndjson"
case_line "store at user_version 99: vigil ingest" "$VIGIL" ingest predictions "$WORK/newer/more.ndjson" --workspace "$WORK/newer"
echo "  rows after that ingest: $(sqlite3 "$WORK/newer/.vigil/vigil.db" 'SELECT COUNT(*) FROM predictions') (1 before)"
case_line "store at user_version 99: vigil check" "$VIGIL" check --workspace "$WORK/newer"

fresh readonly
for args in "check" "alerts outbox"; do
  # shellcheck disable=SC2086
  case_line "store nobody may not write: vigil $args" runuser -u nobody -- "$VIGIL" $args --workspace "$WORK/readonly"
done

fresh full
printf '{"id":"x"}\n' > "$WORK/full/bad.ndjson"
mkdir -p "$WORK/full/disk"
case_line "rejects file on a full disk" unshare -m /bin/sh -c \
  'mount -t tmpfs -o size=12k tmpfs "$1" && dd if=/dev/zero of="$1/f" bs=1k count=64 2>/dev/null; "$2" ingest predictions "$3" --workspace "$4" --rejects "$1/bad.rejects.ndjson"' \
  sh "$WORK/full/disk" "$VIGIL" "$WORK/full/bad.ndjson" "$WORK/full"

fresh metrics
port=$((20000 + RANDOM % 20000))
printf 'server:\n  host: 127.0.0.1\n  port: %s\n' "$port" >> "$WORK/metrics/vigil.yaml"
"$VIGIL" serve --workspace "$WORK/metrics" >/dev/null 2>&1 & SERVE_PID=$!
for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.2; done
printf '/metrics without a token | HTTP %s |\n' "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/metrics")"
