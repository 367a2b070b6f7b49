#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cloud/tls-cert.sh DIR: make a private CA (DIR/ca.pem) and a
# server certificate for 127.0.0.1 and localhost signed by it
# (DIR/server.pem, DIR/server.key), for the TLS tests.  A client that
# does not trust DIR/ca.pem refuses the server, as it would a
# self-signed one.
set -euo pipefail
[ "$#" -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
mkdir -p "$1"
cd "$1"
umask 077
openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 30 \
    -keyout ca.key -out ca.pem -subj "/CN=ferry test CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -sha256 -keyout server.key \
    -out server.csr -subj "/CN=127.0.0.1" 2>/dev/null
printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    "basicConstraints=CA:FALSE" \
    "keyUsage=critical,digitalSignature,keyEncipherment" \
    "extendedKeyUsage=serverAuth" > server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key \
    -set_serial "0x$(openssl rand -hex 8)" -days 30 -sha256 \
    -extfile server.ext -out server.pem 2>/dev/null
chmod 644 ca.pem server.pem
