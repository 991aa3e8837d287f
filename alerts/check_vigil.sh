#!/usr/bin/env bash
# A monitoring-plugin wrapper (Nagios, Icinga, Sensu, Zabbix external checks) around
# `vigil evaluate`: prints the one status line with perfdata and passes the exit code on.
#
#   check_vigil.sh /srv/vigil shelf-classifier        # the policy's canonical window
#   check_vigil.sh /srv/vigil shelf-classifier 7d     # the last 7 days instead
#
# 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. A check is a dry run: it stores nothing and moves no
# alert, however often the monitoring system polls (Vigil's own schedule and receivers do that).
set -u
workspace=${1:?usage: check_vigil.sh WORKSPACE MODEL [WINDOW]}
model=${2:?usage: check_vigil.sh WORKSPACE MODEL [WINDOW]}
window=${3:-}
output=$(vigil evaluate --workspace "$workspace" --model "$model" --dry-run ${window:+--window "$window"} 2>&1)
status=$?
printf '%s\n' "$output" | head -n 1
exit $status
