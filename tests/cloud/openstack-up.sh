#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cloud/openstack-up.sh STATEDIR
#
# Start a real Keystone (v3) and Glance (v2) from Debian 12's packages on
# 127.0.0.1 for the test suite, with every piece of state under STATEDIR:
#
#   STATEDIR/etc/        keystone.conf, glance-api.conf (rewritten each start)
#   STATEDIR/*.db        sqlite databases (WAL mode)
#   STATEDIR/keys/       fernet and credential keys
#   STATEDIR/images/     Glance's file store (+ staging/, tasks/, cache/)
#   STATEDIR/log/        keystone.log, glance.log
#   STATEDIR/run/        pid files, lock, ports, signature of the running setup
#   STATEDIR/secrets.json  generated passwords and the application credential
#   STATEDIR/env         shell-sourceable OS_* variables for user "ferry"
#   STATEDIR/clouds.yaml clouds ferrytest, ferrytest-appcred, ferrytest-admin
#
# Idempotent: the first run creates the state (cold start); later runs reuse
# it (warm start); if the servers are already running with the same
# settings it only re-checks them and rewrites env/clouds.yaml.  Changing
# FERRY_TOKEN_EXPIRATION restarts the servers.  TLS is not done here: the
# tests put tests/cloud/fault-proxy.py --tls in front of either server.
#
# Environment:
#   FERRY_TOKEN_EXPIRATION  Keystone token lifetime in seconds (default 3600)
#   FERRY_KEYSTONE_PORT, FERRY_GLANCE_PORT
#                           fixed ports (default: free ports picked on the
#                           first run and kept in STATEDIR/run/ports)
#   FERRY_CLOUD_TIMEOUT     seconds to wait for each server (default 90)
#
# Exit status: 0 up; 77 a needed program is not installed (tests: skip);
# anything else: failure (the log tail is printed).  Stop with
# tests/cloud/openstack-down.sh STATEDIR.
set -euo pipefail

PY=/usr/bin/python3
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
prog=openstack-up.sh

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

for p in keystone-manage glance-manage glance-api uwsgi curl openssl flock \
         "$PY" /usr/bin/keystone-wsgi-public; do
    if ! command -v "$p" >/dev/null 2>&1; then
        echo "$prog: $p not found; install (as root): apt-get install" \
             "keystone glance-api uwsgi uwsgi-plugin-python3 curl openssl" >&2
        exit 77
    fi
done
if [ ! -e /usr/lib/uwsgi/plugins/python3_plugin.so ]; then
    echo "$prog: uwsgi's python3 plugin not found; apt-get install uwsgi-plugin-python3" >&2
    exit 77
fi

mkdir -p "$statedir"
statedir=$(cd "$statedir" && pwd -P)
case $statedir in *[[:space:]\'\"\\]*) die "STATEDIR must not contain spaces or quotes: $statedir" ;; esac
etc=$statedir/etc run=$statedir/run log=$statedir/log
mkdir -p "$etc" "$run" "$log" "$statedir/keys" "$statedir/images" \
         "$statedir/staging" "$statedir/tasks" "$statedir/cache" "$statedir/lock"
chmod 700 "$statedir"

# One openstack-up/down at a time per STATEDIR.
exec 9>"$run/lock"
flock -w 300 9 || die "timed out waiting for $run/lock"

timeout=${FERRY_CLOUD_TIMEOUT:-90}
expiration=${FERRY_TOKEN_EXPIRATION:-3600}
case $expiration in ''|*[!0-9]*) die "FERRY_TOKEN_EXPIRATION must be a number of seconds" ;; esac

# ---------------------------------------------------------------- helpers

ours() {    # PID alive and its command line names STATEDIR
    local cmd
    [ -n "${1:-}" ] && [ -r "/proc/$1/cmdline" ] || return 1
    cmd=$(tr '\0' ' ' < "/proc/$1/cmdline" 2>/dev/null) || return 1
    case $cmd in *"$statedir/"*) return 0 ;; esac
    return 1
}
pidof_() { cat "$run/$1.pid" 2>/dev/null || true; }

port_free() {
    "$PY" - "$1" <<'EOF'
import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
EOF
}
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

# wait_http NAME URL LOG: poll URL until it answers (any HTTP status < 500).
wait_http() {
    local name=$1 url=$2 logf=$3 pid code deadline=$((SECONDS + timeout))
    pid=$(pidof_ "$name")
    while :; do
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
                    "$url" 2>/dev/null || true)
        case $code in [1234]??) return 0 ;; esac
        if ! ours "$pid"; then
            echo "$prog: $name (pid $pid) exited before answering on $url" >&2
            tail_logs "$logf"
            exit 1
        fi
        if [ $SECONDS -ge $deadline ]; then
            echo "$prog: $name did not answer on $url within ${timeout}s (last HTTP code: ${code:-none})" >&2
            tail_logs "$logf"
            exit 1
        fi
        sleep 0.2
    done
}

# --------------------------------------------------------------- ports

KEYSTONE_PORT="" GLANCE_PORT=""
[ -f "$run/ports" ] && . "$run/ports"
KEYSTONE_PORT=${FERRY_KEYSTONE_PORT:-$KEYSTONE_PORT}
GLANCE_PORT=${FERRY_GLANCE_PORT:-$GLANCE_PORT}

signature="keystone=$KEYSTONE_PORT glance=$GLANCE_PORT expiration=$expiration"
ks_url=http://127.0.0.1:$KEYSTONE_PORT
gl_url=http://127.0.0.1:$GLANCE_PORT

if ours "$(pidof_ keystone)" && ours "$(pidof_ glance)" &&
   [ "$(cat "$run/signature" 2>/dev/null)" = "$signature" ]; then
    # Already running as asked: re-check and rewrite env/clouds.yaml.
    wait_http keystone "$ks_url/v3" "$log/keystone.log"
    wait_http glance "$gl_url/" "$log/glance.log"
    "$PY" "$here/os-provision.py" provision "$statedir" "$ks_url" "$gl_url"
    echo "$prog: already running: keystone $ks_url (pid $(pidof_ keystone)), glance $gl_url (pid $(pidof_ glance))"
    exit 0
fi

# Something (partly) running with other settings: stop it first.
"$here/openstack-down.sh" "$statedir"

# From here on a failure stops what this run started (the logs stay).
gsetup_pid=""
on_exit() {
    local rc=$?
    [ $rc = 0 ] && return
    [ -n "$gsetup_pid" ] && kill "$gsetup_pid" 2>/dev/null
    "$here/openstack-down.sh" "$statedir" || true
    echo "$prog: failed; state and logs are in $statedir" >&2
}
trap on_exit EXIT

for v in KEYSTONE_PORT GLANCE_PORT; do
    p=${!v}
    if [ -n "$p" ] && ! port_free "$p"; then
        if [ -n "${FERRY_KEYSTONE_PORT:-}${FERRY_GLANCE_PORT:-}" ]; then
            die "port $p ($v) is in use"
        fi
        echo "$prog: port $p ($v) is in use, picking another" >&2
        p=""
    fi
    if [ -z "$p" ]; then
        p=$(free_port)
        while [ "$p" = "${KEYSTONE_PORT:-}" ]; do p=$(free_port); done
    fi
    printf -v "$v" '%s' "$p"
done
printf 'KEYSTONE_PORT=%s\nGLANCE_PORT=%s\n' "$KEYSTONE_PORT" "$GLANCE_PORT" > "$run/ports"
signature="keystone=$KEYSTONE_PORT glance=$GLANCE_PORT expiration=$expiration"
ks_url=http://127.0.0.1:$KEYSTONE_PORT
gl_url=http://127.0.0.1:$GLANCE_PORT

"$PY" "$here/os-provision.py" secrets "$statedir"
# wal DB: put a sqlite database in WAL mode.
wal() { "$PY" -c 'import sqlite3,sys; sqlite3.connect(sys.argv[1]).execute("PRAGMA journal_mode=WAL")' "$1"; }
secret() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$statedir/secrets.json" "$1"; }
admin_pw=$(secret admin_password)
glance_pw=$(secret glance_password)

# --------------------------------------------------------------- Glance

cat > "$etc/glance-api.conf" <<EOF
# written by tests/cloud/openstack-up.sh (each start)
[DEFAULT]
bind_host = 127.0.0.1
bind_port = $GLANCE_PORT
workers = 0
use_stderr = true
enabled_backends = fs:file
node_staging_uri = file://$statedir/staging
image_cache_dir = $statedir/cache
[database]
connection = sqlite:///$statedir/glance.db
[glance_store]
default_backend = fs
[fs]
filesystem_store_datadir = $statedir/images/
[os_glance_staging_store]
filesystem_store_datadir = $statedir/staging/
[os_glance_tasks_store]
filesystem_store_datadir = $statedir/tasks/
[paste_deploy]
flavor = keystone
config_file = /etc/glance/glance-api-paste.ini
[keystone_authtoken]
www_authenticate_uri = $ks_url
auth_url = $ks_url
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = glance
password = $glance_pw
[oslo_concurrency]
lock_path = $statedir/lock
EOF

gmanage() { glance-manage --config-file "$etc/glance-api.conf" "$@"; }
# Glance's db_sync (~15 s) runs in the background beside Keystone's setup.
if [ ! -e "$statedir/.glance-ready" ]; then
    (
        rm -f "$statedir/glance.db"* &&
        gmanage db_sync &&
        wal "$statedir/glance.db" &&
        touch "$statedir/.glance-ready"
    ) > "$log/glance-setup.log" 2>&1 &
    gsetup_pid=$!
fi

# ------------------------------------------------------------ Keystone

cat > "$etc/keystone.conf" <<EOF
# written by tests/cloud/openstack-up.sh (each start)
[DEFAULT]
use_stderr = true
[database]
connection = sqlite:///$statedir/keystone.db
[token]
provider = fernet
expiration = $expiration
[fernet_tokens]
key_repository = $statedir/keys/fernet
max_active_keys = 3
[fernet_receipts]
key_repository = $statedir/keys/fernet
[credential]
key_repository = $statedir/keys/credential
[cache]
enabled = false
[identity]
# bcrypt's minimum cost: every password token costs a hash check, and the
# default (12) takes ~0.3 s here.  Applies to passwords set from now on.
password_hash_rounds = 4
EOF

kmanage() { keystone-manage --config-file "$etc/keystone.conf" "$@"; }
if [ ! -e "$statedir/.keystone-ready" ]; then
    {
        rm -f "$statedir/keystone.db"* &&
        kmanage db_sync &&
        # WAL: Keystone keeps reader sessions open; with sqlite's rollback
        # journal a later write fails with "database is locked" (HTTP 500).
        wal "$statedir/keystone.db" &&
        kmanage fernet_setup --keystone-user "$(id -un)" --keystone-group "$(id -gn)" &&
        kmanage credential_setup --keystone-user "$(id -un)" --keystone-group "$(id -gn)" &&
        kmanage bootstrap --bootstrap-password "$admin_pw" \
            --bootstrap-region-id RegionOne \
            --bootstrap-public-url "$ks_url/v3/" \
            --bootstrap-internal-url "$ks_url/v3/" \
            --bootstrap-admin-url "$ks_url/v3/"
    } > "$log/keystone-setup.log" 2>&1 || {
        echo "$prog: Keystone setup failed" >&2
        tail_logs "$log/keystone-setup.log"; exit 1; }
    touch "$statedir/.keystone-ready"
fi

# uwsgi, one process, one thread (Keystone's leaked sqlite connections are
# garbage-collected in other threads => sqlite3.ProgrammingError with
# threads).  Plain: --http11-socket (keep-alive; with --http-socket
# python-requests sees "Connection reset" on POST).
ks_sock=(--http11-socket "127.0.0.1:$KEYSTONE_PORT")
echo "=== $(date '+%F %T') start ($signature)" >> "$log/keystone.log"
nohup uwsgi --plugin python3 "${ks_sock[@]}" \
    --wsgi-file /usr/bin/keystone-wsgi-public \
    --env "OS_KEYSTONE_CONFIG_DIR=$etc" --env "OS_KEYSTONE_CONFIG_FILES=keystone.conf" \
    --master --processes 1 --threads 1 --die-on-term --no-orphans \
    --buffer-size 65535 --chdir "$statedir" \
    < /dev/null >> "$log/keystone.log" 2>&1 &
echo $! > "$run/keystone.pid"

# --------------------------------------------------------- Glance start
if [ -n "$gsetup_pid" ]; then
    rc=0; wait "$gsetup_pid" || rc=$?
    gsetup_pid=""
    if [ $rc != 0 ]; then
        echo "$prog: Glance setup failed" >&2
        tail_logs "$log/glance-setup.log"
        exit 1
    fi
fi
echo "=== $(date '+%F %T') start ($signature)" >> "$log/glance.log"
nohup glance-api --config-file "$etc/glance-api.conf" \
    < /dev/null >> "$log/glance.log" 2>&1 &
echo $! > "$run/glance.pid"

# ---------------------------------------------------------- readiness

wait_http keystone "$ks_url/v3" "$log/keystone.log"
"$PY" "$here/os-provision.py" provision "$statedir" "$ks_url" "$gl_url" ||
    { tail_logs "$log/keystone.log"; exit 1; }
wait_http glance "$gl_url/" "$log/glance.log"

# End to end: a token of user ferry lists images through Glance (which
# validates it with Keystone through keystonemiddleware).
. "$statedir/env"
tok=$(curl -sS -D - -o /dev/null -H 'Content-Type: application/json' \
      -d "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":{\"name\":\"$OS_USERNAME\",\"domain\":{\"name\":\"Default\"},\"password\":\"$OS_PASSWORD\"}}},\"scope\":{\"project\":{\"name\":\"$OS_PROJECT_NAME\",\"domain\":{\"name\":\"Default\"}}}}}" \
      "$ks_url/v3/auth/tokens" | awk -F': ' 'tolower($1)=="x-subject-token"{print $2}' | tr -d '\r')
[ -n "$tok" ] || { echo "$prog: cannot get a token for user ferry" >&2; tail_logs "$log/keystone.log"; exit 1; }
code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Auth-Token: $tok" "$gl_url/v2/images")
[ "$code" = 200 ] || { echo "$prog: GET $gl_url/v2/images with a token answered HTTP $code" >&2; tail_logs "$log/glance.log" "$log/keystone.log"; exit 1; }

echo "$signature" > "$run/signature"
echo "$prog: keystone $ks_url (pid $KEYSTONE_PID), glance $gl_url (pid $GLANCE_PID); env in $statedir/env"
