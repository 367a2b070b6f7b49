#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cloud/ceph-up.sh STATEDIR
#
# Start a single-node Ceph cluster from Debian 12's packages on 127.0.0.1
# for the test suite: one monitor, one memstore OSD (its data lives in
# RAM, bounded), no mgr, and radosgw (S3, beast frontend).  Every piece of
# state is under STATEDIR:
#
#   STATEDIR/ceph.conf        the cluster's configuration (rewritten each start)
#   STATEDIR/*.keyring        mon., client.admin, client.rgw.a keys
#   STATEDIR/mon.a/ osd.0/ rgw.a/ crash/   the daemons' data
#   STATEDIR/log/             the daemons' and clients' logs (*.log, *.out)
#   STATEDIR/run/             pid files, admin sockets, lock
#   STATEDIR/env              shell-sourceable S3_* and CEPH_* variables
#
# The cluster's ports (monitor v2 and v1, radosgw) are free ports picked at
# each start, its fsid is new each start: two STATEDIRs never collide.  The
# OSD keeps its objects in memory, so every start is a cold start (a fresh
# cluster); if the daemons of STATEDIR are already running and answer, it
# only re-checks them and rewrites env.
#
# The S3 user has known keys (FERRY_S3_ACCESS_KEY, FERRY_S3_SECRET_KEY, or
# the defaults below).  Unless FERRY_CEPH_RBD_POOL is set empty, a pool of
# that name (default "rbd") is created and initialised for RBD; the admin
# keyring (CEPH_CONF and CEPH_KEYRING in env) may use it.
#
# There is no mgr: the commands it serves (ceph osd df, ceph pg ..., the
# usage in ceph -s) hang or show nothing; the monitor's (osd dump, osd
# pool ..., auth ...) and rbd work.  The OSD's RSS grows ~1.7 times the
# bytes stored (memstore); past FERRY_CEPH_OSD_BYTES it turns full and
# drops writes.
#
# Environment:
#   FERRY_CEPH_OSD_BYTES   memstore size of the OSD (default 3 GiB)
#   FERRY_CEPH_RBD_POOL    RBD pool to create (default rbd; empty: none)
#   FERRY_S3_ACCESS_KEY, FERRY_S3_SECRET_KEY   the S3 user's keys
#   FERRY_CLOUD_TIMEOUT    seconds to wait for each step (default 90)
#
# Exit status: 0 up; 77 a needed program is not installed (tests: skip);
# anything else: failure (the right log's tail is printed).  Stop with
# tests/cloud/ceph-down.sh STATEDIR.
set -euo pipefail

PY=/usr/bin/python3
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
prog=ceph-up.sh
t0=$(date +%s%N)

usage() { echo "usage: $0 STATEDIR" >&2; exit 2; }
die() { echo "$prog: $*" >&2; exit 1; }

statedir=""
for a in "$@"; do
    case $a in
        -*) usage ;;
        *) [ -z "$statedir" ] || usage; statedir=$a ;;
    esac
done
[ -n "$statedir" ] || usage

for p in ceph-mon ceph-osd radosgw radosgw-admin ceph ceph-authtool monmaptool \
         rbd curl flock "$PY"; do
    if ! command -v "$p" >/dev/null 2>&1; then
        echo "$prog: $p not found; install (as root): apt-get install" \
             "--no-install-recommends ceph-mon ceph-osd radosgw ceph-common curl" >&2
        exit 77
    fi
done
[ "$(id -u)" -eq 0 ] || { echo "$prog: needs root" >&2; exit 77; }

mkdir -p "$statedir"
statedir=$(cd "$statedir" && pwd -P)
case $statedir in *[[:space:]\'\"\\\$]*) die "STATEDIR must not contain spaces, quotes or \$: $statedir" ;; esac
run=$statedir/run log=$statedir/log
mkdir -p "$run" "$log"
chmod 700 "$statedir"

# One ceph-up/down at a time per STATEDIR.
exec 9>"$run/lock"
flock -w 300 9 || die "timed out waiting for $run/lock"

timeout=${FERRY_CLOUD_TIMEOUT:-90}
osd_bytes=${FERRY_CEPH_OSD_BYTES:-3221225472}
case $osd_bytes in ''|*[!0-9]*) die "FERRY_CEPH_OSD_BYTES must be a number of bytes" ;; esac
rbd_pool=${FERRY_CEPH_RBD_POOL-rbd}
access_key=${FERRY_S3_ACCESS_KEY:-FERRYTESTACCESSKEY01}
secret_key=${FERRY_S3_SECRET_KEY:-ferry-test-secret-key-0123456789abcdefghij}
conf=$statedir/ceph.conf
admin_keyring=$statedir/ceph.client.admin.keyring

# ---------------------------------------------------------------- helpers

ours() {    # PID alive and its command line names STATEDIR
    local cmd
    [ -n "${1:-}" ] && [ -r "/proc/$1/cmdline" ] || return 1
    cmd=$(tr '\0' ' ' < "/proc/$1/cmdline" 2>/dev/null) || return 1
    case $cmd in *"$statedir/"*) return 0 ;; esac
    return 1
}
pidof_() { cat "$run/$1.pid" 2>/dev/null || true; }
free_port() {
    "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
tail_logs() {
    local f
    for f in "$@"; do
        [ -s "$f" ] || continue
        echo "----- last lines of $f" >&2
        tail -n 40 "$f" >&2
    done
}
ms() { echo $(( ($(date +%s%N) - t0) / 1000000 )); }
step() { [ -z "${FERRY_CEPH_VERBOSE:-}" ] || echo "$prog: $(ms) ms: $*" >&2; }

# tail_daemons NAME|FILE...: the last lines of the logs that tell why
# daemon NAME (mon, osd, rgw) failed, or of FILE.
tail_daemons() {
    local n files=()
    for n in "$@"; do
        case $n in
            mon) files+=("$log/mon.out" "$log/ceph-mon.a.log") ;;
            osd) files+=("$log/osd.out" "$log/ceph-osd.0.log") ;;
            rgw) files+=("$log/rgw.out" "$log/ceph-client.rgw.a.log") ;;
            *) files+=("$n") ;;
        esac
    done
    tail_logs "${files[@]}"
}
# check_alive NAME...: fail (with the daemon's log) if one has exited.
check_alive() {
    local n
    for n in "$@"; do
        if ! ours "$(pidof_ "$n")"; then
            echo "$prog: ceph $n (pid $(pidof_ "$n")) exited" >&2
            tail_daemons "$n"
            exit 1
        fi
    done
}
# cli WHAT LOGNAMES -- CMD...: run a Ceph client command with the deadline;
# on failure say WHAT failed and show its output and the daemons' logs.
cli() {
    local what=$1 names=$2 out rc=0
    shift 3
    out=$(timeout "$timeout" "$@" 2>&1) || rc=$?
    if [ $rc != 0 ]; then
        [ $rc = 124 ] && what="$what (timed out after ${timeout}s)"
        echo "$prog: $what failed: $*" >&2
        [ -z "$out" ] || printf '%s\n' "$out" | tail -n 20 >&2
        # shellcheck disable=SC2086  # a list of names
        tail_daemons $names
        exit 1
    fi
    [ -z "$out" ] || printf '%s\n' "$out" >> "$log/setup.log"
}
# start NAME CMD...: start a Ceph daemon in the foreground (-f), in the
# background; its pid goes to run/NAME.pid.  fd 9 (the lock) is not
# inherited.
start() {
    local name=$1
    shift
    nohup "$@" -f < /dev/null >> "$log/$name.out" 2>&1 9>&- &
    echo $! > "$run/$name.pid"
}

empty_sha256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
# s3_ok: a SigV4-signed ListBuckets of the S3 user answers 200.
s3_ok() {
    local code
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
                --aws-sigv4 "aws:amz:us-east-1:s3" --user "$access_key:$secret_key" \
                -H "x-amz-content-sha256: $empty_sha256" \
                "http://127.0.0.1:$RGW_PORT/" 2>/dev/null || true)
    [ "$code" = 200 ]
}

write_env() {
    local tmp=$statedir/env.tmp
    (
        umask 077
        cat > "$tmp" <<EOF
# written by tests/cloud/ceph-up.sh; source it
export S3_ENDPOINT='http://127.0.0.1:$RGW_PORT'
export S3_ACCESS_KEY='$access_key'
export S3_SECRET_KEY='$secret_key'
export S3_REGION='us-east-1'
export CEPH_CONF='$conf'
export CEPH_KEYRING='$admin_keyring'
export CEPH_RBD_POOL='$rbd_pool'
export CEPH_MON_PID='$(pidof_ mon)'
export CEPH_OSD_PID='$(pidof_ osd)'
export CEPH_RGW_PID='$(pidof_ rgw)'
EOF
    )
    mv -f "$tmp" "$statedir/env"
}

# ------------------------------------------------- already running?

RGW_PORT=""
# shellcheck disable=SC1091
[ -f "$run/ports" ] && . "$run/ports"
if [ -n "$RGW_PORT" ] && ours "$(pidof_ mon)" && ours "$(pidof_ osd)" &&
   ours "$(pidof_ rgw)" && [ -f "$statedir/env" ] && s3_ok; then
    write_env
    echo "$prog: already running: S3 http://127.0.0.1:$RGW_PORT; env in $statedir/env"
    exit 0
fi

# Something (partly, or stale) running: stop it first.
"$here/ceph-down.sh" "$statedir"

# From here on a failure stops what this run started (the logs stay).
bg_pid=""
on_exit() {
    local rc=$?
    [ $rc = 0 ] && return
    [ -z "$bg_pid" ] || kill "$bg_pid" 2>/dev/null || true
    "$here/ceph-down.sh" "$statedir" || true
    echo "$prog: failed; state and logs are in $statedir" >&2
}
trap on_exit EXIT

# A fresh cluster: drop this script's own state of an earlier run.
rm -rf "$statedir/mon.a" "$statedir/osd.0" "$statedir/rgw.a" "$statedir/crash"
rm -f "$statedir"/*.keyring "$statedir/monmap" "$statedir/env" "$run/ports" \
      "$run"/*.asok "$run"/*.pid "$log"/*.log "$log"/*.out
mkdir -p "$statedir/mon.a" "$statedir/osd.0" "$statedir/rgw.a" "$statedir/crash"

MON_PORT=$(free_port)
MON1_PORT=$(free_port)
while [ "$MON1_PORT" = "$MON_PORT" ]; do MON1_PORT=$(free_port); done
RGW_PORT=$(free_port)
while [ "$RGW_PORT" = "$MON_PORT" ] || [ "$RGW_PORT" = "$MON1_PORT" ]; do RGW_PORT=$(free_port); done
printf 'MON_PORT=%s\nMON1_PORT=%s\nRGW_PORT=%s\n' "$MON_PORT" "$MON1_PORT" "$RGW_PORT" > "$run/ports"
fsid=$(cat /proc/sys/kernel/random/uuid)
osd_uuid=$(cat /proc/sys/kernel/random/uuid)

# Admin sockets are unix sockets (path < 108 bytes): with a long STATEDIR
# the daemons go without one.
asok() {
    local p="$run/ceph-$1.asok"
    [ ${#p} -lt 100 ] && echo "$p" || echo ""
}

# ------------------------------------------------------------ ceph.conf

cat > "$conf" <<EOF
# written by tests/cloud/ceph-up.sh (each start)
[global]
fsid = $fsid
mon host = [v2:127.0.0.1:$MON_PORT,v1:127.0.0.1:$MON1_PORT]
mon initial members = a
public network = 127.0.0.0/8
public addr = 127.0.0.1
cluster addr = 127.0.0.1
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
keyring = $statedir/\$cluster.\$name.keyring
run dir = $run
pid file =
log file = $log/\$cluster-\$name.log
log to stderr = false
err to stderr = true
mon cluster log file = $log/\$cluster.log
crash dir = $statedir/crash
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
mon data avail warn = 1
mon data avail crit = 0
# Every monitor command (pool create, application enable) waits for a
# paxos proposal: 1 s each by default, 10 ms here.
paxos propose interval = 0.01
paxos min wait = 0.001
# No mgr: its absence is only a health warning.
mon warn on insecure global id reclaim = false
mon warn on insecure global id reclaim allowed = false
[client]
# librbd and CLI clients of the tests: no admin sockets left behind
admin socket =
[mon.a]
mon data = $statedir/mon.a
admin socket = $(asok mon.a)
[osd.0]
osd data = $statedir/osd.0
keyring = $statedir/osd.0/keyring
admin socket = $(asok osd.0)
osd objectstore = memstore
memstore device bytes = $osd_bytes
osd max object name len = 256
osd max object namespace len = 64
[client.rgw.a]
admin socket = $(asok client.rgw.a)
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT
rgw data = $statedir/rgw.a
rgw init timeout = $timeout
rgw thread pool size = 64
rgw dynamic resharding = false
EOF

# ------------------------------------------------------------ keys, mon

step "keys"
{
    ceph-authtool --create-keyring "$statedir/mon.keyring" --gen-key -n mon. --cap mon 'allow *'
    ceph-authtool --create-keyring "$admin_keyring" --gen-key -n client.admin \
        --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *'
    ceph-authtool --create-keyring "$statedir/osd.0/keyring" --gen-key -n osd.0 \
        --cap mon 'allow profile osd' --cap osd 'allow *' --cap mgr 'allow profile osd'
    ceph-authtool --create-keyring "$statedir/ceph.client.rgw.a.keyring" --gen-key -n client.rgw.a \
        --cap mon 'allow rw' --cap osd 'allow rwx'
    # The monitor's initial auth database has every key: no "auth add" later.
    for k in "$admin_keyring" "$statedir/osd.0/keyring" "$statedir/ceph.client.rgw.a.keyring"; do
        ceph-authtool "$statedir/mon.keyring" --import-keyring "$k"
    done
    monmaptool --create --addv a "[v2:127.0.0.1:$MON_PORT,v1:127.0.0.1:$MON1_PORT]" \
        --fsid "$fsid" "$statedir/monmap"
} >> "$log/setup.log" 2>&1 || { echo "$prog: key or monmap creation failed" >&2; tail_logs "$log/setup.log"; exit 1; }

step "mon mkfs"
ceph-mon -c "$conf" --mkfs -i a --monmap "$statedir/monmap" \
    --keyring "$statedir/mon.keyring" >> "$log/mon.out" 2>&1 ||
    { echo "$prog: ceph-mon --mkfs failed" >&2; tail_daemons mon; exit 1; }
start mon ceph-mon -c "$conf" -i a

# The OSD's store meanwhile (it does not need the monitor).
step "osd mkfs"
ceph-osd -c "$conf" -i 0 --mkfs --osd-uuid "$osd_uuid" --no-mon-config >> "$log/osd.out" 2>&1 ||
    { echo "$prog: ceph-osd --mkfs failed" >&2; tail_daemons osd; exit 1; }

step "osd new"
check_alive mon
cli "registering osd.0 with the monitor" mon -- \
    ceph -c "$conf" --connect-timeout "$timeout" osd new "$osd_uuid" 0
start osd ceph-osd -c "$conf" -i 0
# radosgw waits for the OSD by itself (rgw init timeout) and creates its
# pools on its first start.
start rgw radosgw -c "$conf" -n client.rgw.a

# The RBD pool, beside radosgw's start.
if [ -n "$rbd_pool" ]; then
    (
        timeout "$timeout" ceph -c "$conf" osd pool create "$rbd_pool" 8 &&
        timeout "$timeout" rbd -c "$conf" pool init "$rbd_pool"
    ) > "$log/rbd-pool.log" 2>&1 &
    bg_pid=$!
fi

# ---------------------------------------------------------- readiness

step "waiting for radosgw"
deadline=$((SECONDS + timeout))
url=http://127.0.0.1:$RGW_PORT/
while :; do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$url" 2>/dev/null || true)
    case $code in [1234]??) break ;; esac
    check_alive mon osd rgw
    if [ $SECONDS -ge $deadline ]; then
        echo "$prog: radosgw did not answer on $url within ${timeout}s (last HTTP code: ${code:-none})" >&2
        tail_daemons rgw osd mon
        exit 1
    fi
    sleep 0.1
done

step "s3 user"
cli "creating the S3 user" "rgw osd mon" -- \
    radosgw-admin -c "$conf" user create --uid=ferry --display-name=ferry \
        --access-key="$access_key" --secret-key="$secret_key"
s3_ok || { echo "$prog: a SigV4-signed ListBuckets on $url was refused" >&2;
           tail_daemons rgw; exit 1; }

if [ -n "$bg_pid" ]; then
    step "waiting for the rbd pool"
    rc=0; wait "$bg_pid" || rc=$?
    bg_pid=""
    if [ $rc != 0 ]; then
        echo "$prog: creating the RBD pool $rbd_pool failed" >&2
        tail_daemons "$log/rbd-pool.log" osd mon
        exit 1
    fi
fi

write_env
echo "$prog: S3 $url (radosgw pid $(pidof_ rgw)), mon 127.0.0.1:$MON_PORT, up in $(ms) ms; env in $statedir/env"
