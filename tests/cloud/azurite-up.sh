#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cloud/azurite-up.sh STATEDIR
#
# Start Azurite's Blob service (from npm, installed by quickstart.sh into
# FERRY_AZURITE_DIR, default /usr/local/lib/ferry-azurite) on 127.0.0.1,
# over HTTPS with a private CA (tests/cloud/tls-cert.sh), for the test
# suite.  Azurite is a real implementation of the Blob REST API: it
# checks SharedKey signatures and SAS tokens.  Every start is a fresh
# store under STATEDIR:
#
#   STATEDIR/data/        Azurite's workspace (blobs, extents)
#   STATEDIR/tls/         ca.pem, server.pem, server.key
#   STATEDIR/azurite.out  its console (the access log)
#   STATEDIR/debug.log    its debug log (each request's headers and sizes)
#   STATEDIR/azurite.pid
#   STATEDIR/env          shell-sourceable AZURITE_* variables:
#     AZURITE_BLOB_ENDPOINT  https://127.0.0.1:PORT/devstoreaccount1
#     AZURITE_ACCOUNT, AZURITE_KEY   the well-known development account
#     AZURITE_CONNECTION_STRING      the same as a connection string
#     AZURITE_CA             the CA that signed its certificate
#     AZURITE_PID, AZURITE_PORT
#
# Options always given to Azurite: --disableTelemetry, --loose,
# --skipApiVersionCheck, --disableProductStyleUrl (the account is the
# URL's first path segment).
#
# Exit status: 0 up; 77 Azurite or node is not installed (tests: skip);
# anything else: failure (its output's tail is printed).  Stop with
# tests/cloud/azurite-down.sh STATEDIR.
set -euo pipefail

PY=/usr/bin/python3
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
prog=azurite-up.sh
[ $# -eq 1 ] && [ -n "$1" ] || { echo "usage: $0 STATEDIR" >&2; exit 2; }
dir=${FERRY_AZURITE_DIR:-/usr/local/lib/ferry-azurite}
bin=$dir/node_modules/.bin/azurite-blob
if [ ! -x "$bin" ] || ! command -v node >/dev/null; then
    echo "$prog: Azurite is not installed in $dir (quickstart.sh installs it)" >&2
    exit 77
fi
mkdir -p "$1"
statedir=$(cd "$1" && pwd -P)
"$here/azurite-down.sh" "$statedir"
rm -rf "$statedir/data" "$statedir/debug.log" "$statedir/azurite.out" "$statedir/env"
mkdir -p "$statedir/data"
[ -s "$statedir/tls/server.pem" ] || "$here/tls-cert.sh" "$statedir/tls" >/dev/null

port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# setsid: Azurite outlives this script, in its own session.
setsid node "$bin" --blobHost 127.0.0.1 --blobPort "$port" \
    --location "$statedir/data" --debug "$statedir/debug.log" \
    --cert "$statedir/tls/server.pem" --key "$statedir/tls/server.key" \
    --disableTelemetry --loose --skipApiVersionCheck --disableProductStyleUrl \
    > "$statedir/azurite.out" 2>&1 < /dev/null &
pid=$!
echo "$pid" > "$statedir/azurite.pid"

key='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
endpoint="https://127.0.0.1:$port/devstoreaccount1"
for _ in $(seq 1 "$(( ${FERRY_CLOUD_TIMEOUT:-60} * 10 ))"); do
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "$prog: azurite (pid $pid) exited" >&2
        tail -n 40 "$statedir/azurite.out" >&2
        exit 1
    fi
    # Any HTTP answer means it listens (an anonymous request gets 4xx).
    if curl -s -o /dev/null --cacert "$statedir/tls/ca.pem" \
            --max-time 2 "$endpoint?comp=list"; then
        cat > "$statedir/env" <<ENV
export AZURITE_BLOB_ENDPOINT='$endpoint'
export AZURITE_ACCOUNT='devstoreaccount1'
export AZURITE_KEY='$key'
export AZURITE_CONNECTION_STRING='DefaultEndpointsProtocol=https;AccountName=devstoreaccount1;AccountKey=$key;BlobEndpoint=$endpoint;'
export AZURITE_CA='$statedir/tls/ca.pem'
export AZURITE_PID='$pid'
export AZURITE_PORT='$port'
ENV
        exit 0
    fi
    sleep 0.1
done
echo "$prog: azurite did not answer on port $port" >&2
tail -n 40 "$statedir/azurite.out" >&2
exit 1
