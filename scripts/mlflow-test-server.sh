#!/usr/bin/env bash
# Starts a throwaway MLflow tracking server (SQLite backend, loopback) for the MLflow registry
# test, after creating its virtualenv if needed (idempotent: .build/mlflow-venv; first time
# ~3 min and ~850 MB from the pip wheel mirror).
#
#   scripts/mlflow-test-server.sh --install-only      # just make sure the venv exists
#   scripts/mlflow-test-server.sh DIR                 # start a server with its files in DIR;
#                                                     # prints "PORT PID" once /health answers,
#                                                     # and writes it to DIR/server.addr
# Stop it with: kill PID   (SIGTERM stops its workers)
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.build/mlflow-venv
if [ ! -x "$venv/bin/mlflow" ]; then
  echo "mlflow-test-server: creating $venv (pip install mlflow, ~3 min)" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check mlflow >&2
fi
[ "${1:-}" = "--install-only" ] && exit 0
dir=${1:?usage: mlflow-test-server.sh DIR | --install-only}
mkdir -p "$dir/art"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false nohup "$venv/bin/mlflow" server \
  --backend-store-uri "sqlite:///$dir/mlflow.db" --default-artifact-root "$dir/art" \
  --host 127.0.0.1 --port "$port" --workers 1 < /dev/null > "$dir/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 240); do
  if curl -fsS "http://127.0.0.1:$port/health" > /dev/null 2>&1; then
    echo "$port $pid" > "$dir/server.addr"
    echo "$port $pid"
    exit 0
  fi
  if ! kill -0 "$pid" 2> /dev/null; then
    echo "mlflow-test-server: the server exited; its log:" >&2
    cat "$dir/server.log" >&2
    exit 1
  fi
  sleep 0.5
done
echo "mlflow-test-server: no /health answer after 120 s; log in $dir/server.log" >&2
kill "$pid" 2> /dev/null || true
exit 1
