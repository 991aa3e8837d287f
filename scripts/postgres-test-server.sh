#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the store tests: Debian's `postgresql` (installed if
# missing), initdb'd in a temporary folder, owned by the `postgres` user, listening on
# 127.0.0.1 only, with trust authentication and fsync off (its data is thrown away).
# Idempotent: a cluster this script started and that still runs is reused.
#
#   scripts/postgres-test-server.sh          # start (or reuse); prints postgres://postgres@127.0.0.1:PORT/postgres
#   scripts/postgres-test-server.sh --stop   # stop it and delete its files
#
# The port is VIGIL_PG_PORT (default 5433). Tests take the URL from VIGIL_TEST_POSTGRES_URL:
#   export VIGIL_TEST_POSTGRES_URL=$(scripts/postgres-test-server.sh)
set -euo pipefail
port=${VIGIL_PG_PORT:-5433}
state=/tmp/vigil-pg-test-$port
url="postgres://postgres@127.0.0.1:$port/postgres"

as_postgres() {
  if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi
}

pgbin() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -n "$bin" ] && [ -x "$bin/initdb" ] && echo "$bin"
}

if [ "${1:-}" = "--stop" ]; then
  if [ -f "$state/dir" ]; then
    data=$(cat "$state/dir")
    bin=$(pgbin || true)
    [ -n "$bin" ] && [ -d "$data" ] && as_postgres "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$(dirname "$data")" "$state"
  fi
  exit 0
fi

if ! bin=$(pgbin); then
  echo "postgres-test-server: installing Debian's postgresql" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >&2
  bin=$(pgbin)
fi
id postgres >/dev/null 2>&1 || { echo "postgres-test-server: there is no 'postgres' user (install the postgresql package)" >&2; exit 1; }

if [ -f "$state/dir" ] && as_postgres "$bin/pg_ctl" -D "$(cat "$state/dir")" status >/dev/null 2>&1; then
  echo "$url"
  exit 0
fi
rm -rf "$state"
mkdir -p "$state"
root=$(mktemp -d /tmp/vigil-pg-XXXXXX)
chmod 755 "$root"
data=$root/pg
install -d -o postgres -g postgres "$data"
as_postgres "$bin/initdb" -D "$data" -U postgres -A trust --no-sync -E UTF8 --locale=C.UTF-8 >"$state/initdb.log" 2>&1 \
  || { cat "$state/initdb.log" >&2; exit 1; }
echo "$data" > "$state/dir"
as_postgres "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w \
  -o "-p $port -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" start >&2 \
  || { cat "$data/server.log" >&2; exit 1; }
echo "$url"
