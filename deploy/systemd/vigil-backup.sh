#!/bin/sh
# Online backup of a Vigil workspace's SQLite store, safe while Vigil runs.
#   vigil-backup.sh [WORKSPACE] [BACKUP_DIR] [KEEP_DAYS]
# Writes BACKUP_DIR/vigil-<UTC time>.db with `VACUUM INTO` (a consistent, compacted copy that
# includes what still sits in the WAL), checks it with PRAGMA integrity_check, copies the
# workspace's files beside it (.vigil/artifacts, .vigil/jobs, vigil.yaml, policies/, alerts/),
# and deletes copies older than KEEP_DAYS. Needs the sqlite3 shell.
set -eu
ws=${1:-/srv/vigil}
dir=${2:-/var/backups/vigil}
keep=${3:-14}
stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
out="$dir/vigil-$stamp.db"
mkdir -p "$dir"
sqlite3 "$ws/.vigil/vigil.db" "VACUUM INTO '$out'"
check=$(sqlite3 "$out" "PRAGMA integrity_check")
if [ "$check" != "ok" ]; then
  echo "vigil-backup: $out failed the integrity check: $check" >&2
  exit 1
fi
# The files the store refers to (artifact hashes, retraining job folders) and the configuration.
tar -C "$ws" -czf "$dir/vigil-files-$stamp.tar.gz" --ignore-failed-read \
  vigil.yaml policies $( [ -d "$ws/alerts" ] && echo alerts ) \
  $( [ -d "$ws/.vigil/artifacts" ] && echo .vigil/artifacts ) $( [ -d "$ws/.vigil/jobs" ] && echo .vigil/jobs )
find "$dir" -maxdepth 1 \( -name 'vigil-*.db' -o -name 'vigil-files-*.tar.gz' \) -mtime +"$keep" -delete
echo "vigil-backup: $out ($(du -h "$out" | cut -f1)), files in vigil-files-$stamp.tar.gz"
