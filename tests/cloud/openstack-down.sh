#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cloud/openstack-down.sh STATEDIR
#
# Stop the Keystone and Glance servers that tests/cloud/openstack-up.sh
# started from STATEDIR (their pids are in STATEDIR/run/*.pid).  Only a
# process whose command line names STATEDIR is signalled.  Idempotent:
# nothing running is success.  The state itself is kept (a later
# openstack-up.sh on the same STATEDIR is a warm start); rm -rf STATEDIR
# to drop it.
set -uo pipefail

if [ $# -ne 1 ] || [ -z "$1" ]; then
    echo "usage: $0 STATEDIR" >&2
    exit 2
fi
[ -d "$1" ] || exit 0
statedir=$(cd "$1" && pwd -P)
run=$statedir/run

# ours PID: true if PID is alive and its command line names STATEDIR.
ours() {
    local cmd
    [ -n "$1" ] && [ -r "/proc/$1/cmdline" ] || return 1
    cmd=$(tr '\0' ' ' < "/proc/$1/cmdline" 2>/dev/null) || return 1
    case $cmd in *"$statedir/"*) return 0 ;; esac
    return 1
}

pids=()
for name in glance keystone; do
    f=$run/$name.pid
    [ -f "$f" ] || continue
    pid=$(cat "$f" 2>/dev/null)
    if ours "$pid"; then
        kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
    fi
done

# Wait up to 15 s, then SIGKILL what is left.
for _ in $(seq 1 150); do
    left=()
    for pid in ${pids[@]+"${pids[@]}"}; do
        ours "$pid" && left+=("$pid")
    done
    [ ${#left[@]} -eq 0 ] && break
    sleep 0.1
done
for pid in ${left[@]+"${left[@]}"}; do
    echo "$0: pid $pid did not stop on SIGTERM, sending SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null
done
rm -f "$run/glance.pid" "$run/keystone.pid" "$run/signature"
exit 0
