#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cloud/ceph-down.sh STATEDIR
#
# Stop the Ceph daemons (radosgw, OSD, monitor) that tests/cloud/ceph-up.sh
# started from STATEDIR (their pids are in STATEDIR/run/*.pid).  Only a
# process whose command line names STATEDIR is signalled.  Idempotent:
# nothing running is success.  Nothing else is removed (the logs stay for
# a post-mortem; the OSD's objects were in its memory and are gone);
# rm -rf STATEDIR to drop the rest.
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

# stop SECONDS NAME...: SIGTERM the daemons NAME (rgw, osd, mon), wait up
# to SECONDS for them to go, then SIGKILL what is left.
stop() {
    local grace=$1 name f pid pids=() left=()
    shift
    for name in "$@"; do
        f=$run/$name.pid
        [ -f "$f" ] || continue
        pid=$(cat "$f" 2>/dev/null)
        if ours "$pid"; then
            kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
        fi
    done
    left=(${pids[@]+"${pids[@]}"})
    for _ in $(seq 1 $((grace * 10))); do
        left=()
        for pid in ${pids[@]+"${pids[@]}"}; do
            ours "$pid" && left+=("$pid")
        done
        [ ${#left[@]} -eq 0 ] && break
        sleep 0.1
    done
    for pid in ${left[@]+"${left[@]}"}; do
        [ "$grace" = 0 ] ||
            echo "$0: pid $pid did not stop on SIGTERM, sending SIGKILL" >&2
        kill -KILL "$pid" 2>/dev/null
    done
    for pid in ${left[@]+"${left[@]}"}; do
        for _ in $(seq 1 50); do ours "$pid" || break; sleep 0.1; done
    done
    for name in "$@"; do
        rm -f "$run/$name.pid"
    done
}

# radosgw first, while the OSD is still there: on SIGTERM it unregisters
# its watches on the OSD, and without the OSD it waits for it (tens of
# seconds), so then it gets no grace.  Nothing needs a clean shutdown: the
# OSD's objects are lost anyway.
if ours "$(cat "$run/osd.pid" 2>/dev/null)"; then stop 5 rgw; else stop 0 rgw; fi
stop 10 osd mon
# The admin sockets of the daemons stopped (a SIGKILLed one leaves its own).
rm -f "$run/ceph-client.rgw.a.asok" "$run/ceph-osd.0.asok" "$run/ceph-mon.a.asok"
exit 0
