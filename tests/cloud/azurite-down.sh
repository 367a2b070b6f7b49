#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cloud/azurite-down.sh STATEDIR: stop the Azurite that
# tests/cloud/azurite-up.sh started from STATEDIR.  Only a process whose
# command line names STATEDIR is signalled.  Nothing running is success;
# the data and logs stay (rm -rf STATEDIR to drop them).
set -uo pipefail
[ $# -eq 1 ] && [ -n "$1" ] || { echo "usage: $0 STATEDIR" >&2; exit 2; }
[ -d "$1" ] || exit 0
statedir=$(cd "$1" && pwd -P)
pid=$(cat "$statedir/azurite.pid" 2>/dev/null) || exit 0
ours() {
    [ -r "/proc/$pid/cmdline" ] &&
        tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF "$statedir/"
}
ours || exit 0
kill -TERM "$pid" 2>/dev/null
for _ in $(seq 1 50); do ours || exit 0; sleep 0.1; done
kill -KILL "$pid" 2>/dev/null
for _ in $(seq 1 20); do ours || exit 0; sleep 0.1; done
exit 0
