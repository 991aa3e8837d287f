#!/usr/bin/env bash
# A monitoring-plugin wrapper (Nagios, Icinga, Sensu, Zabbix external checks) around
# `vigil evaluate`: prints the one status line with perfdata and passes the exit code on.
#
#   check_vigil.sh /srv/vigil shelf-classifier 7d
#
# 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. Webhook receivers (Slack, Teams, PagerDuty…)
# arrive with Vigil's alerting; until then this is how a finding reaches a person.
set -u
workspace=${1:?usage: check_vigil.sh WORKSPACE MODEL [WINDOW]}
model=${2:?usage: check_vigil.sh WORKSPACE MODEL [WINDOW]}
window=${3:-7d}
output=$(vigil evaluate --workspace "$workspace" --model "$model" --window "$window" 2>&1)
status=$?
printf '%s\n' "$output" | head -n 1
exit $status
