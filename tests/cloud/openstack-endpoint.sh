#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cloud/openstack-endpoint.sh STATEDIR REGION URL
#
# Register URL as the public image endpoint of REGION (created if
# needed) in the Keystone started by openstack-up.sh STATEDIR.  The
# fault tests use it to put a proxy in front of Glance: a client that
# picks REGION from the catalog talks to the proxy.
set -euo pipefail
[ "$#" -eq 3 ] || { echo "usage: $0 STATEDIR REGION URL" >&2; exit 2; }
state="$1" region="$2" url="$3"
# shellcheck disable=SC1091
source "$state/env"
curl_opts=(-sf)
[ -z "${OS_CACERT:-}" ] || curl_opts+=(--cacert "$OS_CACERT")

token=$("$(dirname "$0")/os-token.sh" "$state" admin)
api() { curl "${curl_opts[@]}" -H "X-Auth-Token: $token" -H 'Content-Type: application/json' "$@"; }

service=$(api "$OS_AUTH_URL/services?type=image" |
    /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["services"][0]["id"])')
api "$OS_AUTH_URL/regions/$region" >/dev/null 2>&1 ||
    api -X POST -d '{"region": {"id": "'"$region"'"}}' "$OS_AUTH_URL/regions" >/dev/null
# Replace an endpoint left from an earlier run.
for id in $(api "$OS_AUTH_URL/endpoints?service_id=$service&interface=public&region_id=$region" |
            /usr/bin/python3 -c 'import json, sys; print(" ".join(e["id"] for e in json.load(sys.stdin)["endpoints"]))'); do
    api -X DELETE "$OS_AUTH_URL/endpoints/$id" >/dev/null
done
api -X POST -d '{"endpoint": {"interface": "public", "region_id": "'"$region"'",
    "url": "'"$url"'", "service_id": "'"$service"'"}}' "$OS_AUTH_URL/endpoints" >/dev/null
