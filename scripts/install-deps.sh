#!/usr/bin/env bash
# Installs the system packages Vigil needs, only those missing (idempotent; run as root or with sudo).
set -euo pipefail
packages=(zlib1g-dev libsqlite3-dev libopenblas-dev libcurl4-openssl-dev libpng-dev libjpeg-dev tmux libxml2 pkg-config sqlite3 python3-venv curl postgresql)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
command -v swift >/dev/null || { echo "swift is not on PATH: install Swift 6.1 or later (swift.org) first" >&2; exit 1; }
