#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cloud/os-token.sh STATEDIR [admin]: print a Keystone token
# scoped to project "ferry" for user "ferry" (or to project "admin" for
# user "admin") of the servers openstack-up.sh STATEDIR started.
set -euo pipefail
[ "$#" -ge 1 ] && [ "$#" -le 2 ] || { echo "usage: $0 STATEDIR [admin]" >&2; exit 2; }
# shellcheck disable=SC1091
source "$1/env"
if [ "${2:-}" = admin ]; then
    user=admin project=admin pw="$FERRY_ADMIN_PASSWORD"
else
    user="$OS_USERNAME" project="$OS_PROJECT_NAME" pw="$OS_PASSWORD"
fi
auth=$(/usr/bin/python3 -c 'import json, sys; print(json.dumps({"auth": {
  "identity": {"methods": ["password"], "password": {"user": {"name": sys.argv[1],
    "domain": {"name": "Default"}, "password": sys.argv[3]}}},
  "scope": {"project": {"name": sys.argv[2], "domain": {"name": "Default"}}}}}))' \
  "$user" "$project" "$pw")
curl_opts=(-sf)
[ -z "${OS_CACERT:-}" ] || curl_opts+=(--cacert "$OS_CACERT")
token=$(curl "${curl_opts[@]}" -o /dev/null -D - -H 'Content-Type: application/json' \
    -d "$auth" "$OS_AUTH_URL/auth/tokens" | tr -d '\r' |
    sed -n 's/^[Xx]-[Ss]ubject-[Tt]oken: //p')
[ -n "$token" ] || { echo "$0: cannot get a token for $user" >&2; exit 1; }
echo "$token"
