#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# -o openstack against real Keystone and Glance (Debian's packages,
# started on 127.0.0.1 by tests/cloud/openstack-up.sh):
#   - qcow2 and raw uploads of a phony guest: image active, checksums,
#     sizes and properties right, the files identical to -o local's;
#   - a token that expires during the conversion is renewed;
#   - a 503 answered once is retried; Glance dying mid-upload, a wrong
#     password, a region without an image endpoint, TLS with a
#     self-signed certificate (refused without cacert): the right
#     outcome, no image left behind, no secret in any output;
#   - the real Debian 12 guest uploaded as qcow2 and downloaded again,
#     identical to the converted image.
# Two conversions start the appliance (-o local, the reference, and the
# qcow2 upload, whose token expires meanwhile); every other upload is
# "ferry copy" of the converted phony guest, or of this build's one
# conversion of the real guest (converted_deb12, which
# test-convert-boot.sh boots).
set -euo pipefail
source "${abs_top_srcdir:-$(dirname "$0")/..}/tests/functions.sh"
require_root
require_cmd qemu-img jq curl openssl virt-diff
for p in keystone glance-api uwsgi; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
        skip "package $p is not installed (quickstart.sh installs it)"
done
mk_tmpdir
export TMPDIR="$tmpdir/tmp"; mkdir "$TMPDIR"
cloud="$abs_top_srcdir/tests/cloud"
state="$tmpdir/os"
down() { "$cloud/openstack-down.sh" "$state" >/dev/null 2>&1 || true; }
at_exit down
# Tokens live 20 s: a conversion (one appliance launch) outlives one.
FERRY_TOKEN_EXPIRATION=20 "$cloud/openstack-up.sh" "$state" > "$tmpdir/up.log" 2>&1 ||
    { cat "$tmpdir/up.log"; fail "could not start Keystone and Glance"; }
# shellcheck disable=SC1091
source "$state/env"
secrets=("$OS_PASSWORD" "$FERRY_APPCRED_SECRET")

token() { "$cloud/os-token.sh" "$state"; }
glance() {   # METHOD PATH [curl args]
    local m="$1" p="$2"; shift 2
    curl -sf -X "$m" -H "X-Auth-Token: $(token)" "$@" "$GLANCE_URL$p"
}
images() { glance GET /v2/images | jq -r '.images[] | .name + " " + .status'; }
# same_files WHAT A FMT_A B FMT_B: the guests in the two disks hold the
# same files (names, types, modes, sizes, link targets) with the same
# contents (--checksum).  Two conversions of one source
# differ in file times (the fixes ran at different moments), so the disk
# bytes are compared through the filesystems, with virt-diff.
same_files() {
    local what="$1" d
    d="$(peer_guestfs virt-diff --checksum --format="$3" -a "$2" --format="$5" -A "$4" 2>&1)" ||
        fail "$what: virt-diff failed: $d"
    d="$(grep -vE '^(= |@@ End of diff @@$)' <<<"$d" || true)"
    # Some appliance kernels give the two disks' files different st_dev:
    # a "- X" / "+ X" pair whose only change is st_dev is the same file.
    if [ -n "$d" ] &&
       ! grep -qvE '^([-+] |# changed: st_dev$)' <<<"$d" &&
       [ "$(sed -n 's/^- //p' <<<"$d" | sort)" = "$(sed -n 's/^+ //p' <<<"$d" | sort)" ]; then
        d=
    fi
    [ -z "$d" ] || fail "$what: the files differ from -o local's: $(head -c 2000 <<<"$d")"
}
no_secrets() {   # FILE...
    local s
    for s in "${secrets[@]}"; do
        ! grep -qF -- "$s" "$@" || fail "a secret was printed in $*"
    done
}

# start_proxy LOG [--tls CERT KEY] UPSTREAM MODE: fault-proxy.py on a
# free port, which it sets in $port.
proxies=()
stop_proxies() { local p; for p in "${proxies[@]}"; do kill "$p" 2>/dev/null || true; done; }
at_exit stop_proxies
start_proxy() {
    local log="$1" i; shift
    # The file exists before the first read (the background job may
    # not have opened it yet).
    : > "$log"
    /usr/bin/python3 "$cloud/fault-proxy.py" "${@:1:$#-2}" 0 "${@: -2}" > "$log" 2>&1 &
    proxies+=($!)
    for (( i = 0; i < 100; i++ )); do
        port=$(sed -n '1s/^listening //p' "$log") || true
        [ -z "$port" ] || return 0
        kill -0 "${proxies[-1]}" 2>/dev/null || fail "fault-proxy.py failed: $(cat "$log")"
        sleep 0.1
    done
    fail "fault-proxy.py did not start: $(cat "$log")"
}

"$FERRY_IMAGES/phony-debian.sh" ifupdown "$tmpdir/g.img"
src_sum=$(sha256_of "$tmpdir/g.img")

# 0. The reference: -o local.
mkdir "$tmpdir/local"
"$FERRY" convert -q -i disk "$tmpdir/g.img" -o local -os "$tmpdir/local" -of raw --target openstack ||
    fail "-o local failed"

# 1. qcow2 with the password from the environment, -v: the token
#    expires during the appliance run and is renewed.
"$FERRY" convert -v -i disk "$tmpdir/g.img" -o openstack -oo image-name=web01 \
    -oo property=owner_team=blue > "$tmpdir/q.log" 2>&1 ||
    { tail -20 "$tmpdir/q.log"; fail "qcow2 upload failed"; }
no_secrets "$tmpdir/q.log"
grep -q 'token refused, authenticating again' "$tmpdir/q.log" ||
    fail "the expired token was not renewed (or did not expire)"
img=$(glance GET '/v2/images?name=web01' | jq '.images[0]')
jq -e '.status == "active" and .disk_format == "qcow2" and
       .container_format == "bare" and .hw_disk_bus == "virtio" and
       .hw_vif_model == "virtio" and .os_distro == "debian" and
       .os_type == "linux" and .owner_team == "blue" and .min_disk == 1' \
    <<<"$img" >/dev/null || fail "image record: $img"
id=$(jq -r .id <<<"$img")
glance GET "/v2/images/$id/file" -o "$tmpdir/down.qcow2"
[ "$(md5sum < "$tmpdir/down.qcow2" | cut -d' ' -f1)" = "$(jq -r .checksum <<<"$img")" ] ||
    fail "downloaded data does not match Glance's checksum"
qemu-img check -q -f qcow2 "$tmpdir/down.qcow2" || fail "the uploaded qcow2 is corrupt"
same_files "qcow2" "$tmpdir/down.qcow2" qcow2 "$tmpdir/local/g-sda" raw
# Only the allocated data (what the allocation map of the trimmed
# overlay lists) and the qcow2 metadata cross the wire.
data=$(sed -n 's/.*copy sda: [0-9]* requests, \([0-9]*\) data bytes.*/\1/p' "$tmpdir/q.log")
sent=$(jq .size <<<"$img")
echo "ok: qcow2: active, checksums and properties right, same files as -o local; $sent bytes sent for $data bytes of data"
[ -n "$data" ] && [ "$sent" -le $(( data + data / 50 + 1024 * 1024 )) ] ||
    fail "qcow2 upload sent $sent bytes for ${data:-?} bytes of data"

# The converted guest, which the uploads below copy as it is.
conv="$tmpdir/local/g-sda"

# 2. raw, with an application credential from clouds.yaml, through a
#    proxy that answers the first GET of the image record with 503.
FAULT_MATCH='GET ^/v2/images/[0-9a-f-]+$' start_proxy "$tmpdir/proxy.log" "$GLANCE_URL" 503-once
# The proxy is the image endpoint of region RegionProxy, which the
# clouds.yaml entry picks.
"$cloud/openstack-endpoint.sh" "$state" RegionProxy "http://127.0.0.1:$port"
sed 's/region_name: .*/region_name: RegionProxy/' "$state/clouds.yaml" > "$tmpdir/clouds.yaml"
env -u OS_AUTH_URL -u OS_PASSWORD -u OS_USERNAME -u OS_REGION_NAME OS_CLIENT_CONFIG_FILE="$tmpdir/clouds.yaml" \
    "$FERRY" copy -v -i disk "$conv" -o openstack --os-cloud ferrytest-appcred \
    -of raw -oo image-name=web01-raw > "$tmpdir/r.log" 2>&1 ||
    { tail -20 "$tmpdir/r.log"; fail "raw upload through the 503 proxy failed"; }
no_secrets "$tmpdir/r.log"
grep -q '503' "$tmpdir/proxy.log" || fail "the proxy never answered 503"
img=$(glance GET '/v2/images?name=web01-raw' | jq '.images[0]')
jq -e '.status == "active" and .disk_format == "raw" and .size == 268435456' <<<"$img" >/dev/null ||
    fail "raw image record: $img"
glance GET "/v2/images/$(jq -r .id <<<"$img")/file" -o "$tmpdir/down.raw"
# A copy of -o local's output: the same bytes, with no appliance to
# compare them.
cmp -s "$tmpdir/down.raw" "$tmpdir/local/g-sda" || fail "raw: the image in Glance differs from -o local's output"
echo "ok: raw via application credential, 503 retried, byte-identical to -o local"

# 2b. clouds.yaml as people write it: a %YAML directive, a shared block
#     by anchor and merge key, !!str tags, a flow mapping over two
#     lines, and the password in secure.yaml.  The openstack CLI reads
#     the files to the same settings and gets a token with them; ferry
#     uploads with them.
mkdir "$tmpdir/yaml"
cat > "$tmpdir/yaml/clouds.yaml" <<EOF
%YAML 1.1
---
# The settings every cloud here shares.
x-common: &common
  auth_type: password
  region_name: $OS_REGION_NAME
  interface: public
  identity_api_version: !!str 3
clouds:
  shared:
    <<: *common
    auth:
      auth_url: "$OS_AUTH_URL"
      username: !!str $OS_USERNAME
      project_name: $OS_PROJECT_NAME
      user_domain_name: Default
      project_domain_name: Default
  flowy:
    <<: *common
    auth: {auth_url: "$OS_AUTH_URL", username: $OS_USERNAME,
           project_name: $OS_PROJECT_NAME, user_domain_name: Default, project_domain_name: Default}
EOF
printf 'clouds:\n  shared:\n    auth:\n      password: "%s"\n  flowy:\n    auth:\n      password: "%s"\n' \
    "$OS_PASSWORD" "$OS_PASSWORD" > "$tmpdir/yaml/secure.yaml"
# Nothing from the environment but the two files.
yenv=(env $(env | sed -n 's/^\(OS_[A-Z_]*\)=.*/-u \1/p')
      OS_CLIENT_CONFIG_FILE="$tmpdir/yaml/clouds.yaml" OS_CLIENT_SECURE_FILE="$tmpdir/yaml/secure.yaml")
for c in shared flowy; do
    shown=$("${yenv[@]}" /usr/bin/openstack --os-cloud "$c" configuration show -f json 2>/dev/null) ||
        fail "clouds.yaml ($c): the openstack CLI does not read it"
    jq -e --arg u "$OS_AUTH_URL" --arg n "$OS_USERNAME" --arg r "$OS_REGION_NAME" \
        '."auth.auth_url" == $u and ."auth.username" == $n and .region_name == $r and
         .interface == "public" and ."auth.password" == "<redacted>"' <<<"$shown" >/dev/null ||
        fail "clouds.yaml ($c): the openstack CLI reads other settings: $shown"
    "${yenv[@]}" /usr/bin/openstack --os-cloud "$c" token issue -f value -c id >/dev/null 2>&1 ||
        fail "clouds.yaml ($c): the openstack CLI gets no token with it"
    "${yenv[@]}" "$FERRY" copy -q -i disk "$conv" -o openstack --os-cloud "$c" \
        -oo image-name="web01-yaml-$c" > "$tmpdir/yaml/$c.log" 2>&1 ||
        { cat "$tmpdir/yaml/$c.log"; fail "clouds.yaml ($c): ferry's upload failed"; }
    glance GET "/v2/images?name=web01-yaml-$c" | jq -e '.images[0].status == "active"' >/dev/null ||
        fail "clouds.yaml ($c): the image is not active"
done
echo "ok: clouds.yaml with %YAML, anchors, merge keys, tags, a two-line flow mapping and secure.yaml: read alike by the openstack CLI and ferry"

# 3. Failures: one line, exit 1, no image left.
before=$(images | sort)
ostack_error() {   # WHAT PATTERN ENV... -- ARGS...
    local what="$1" pattern="$2" err rc=0; shift 2
    local -a envs=()
    while [ "$1" != "--" ]; do envs+=("$1"); shift; done; shift
    err="$(env "${envs[@]}" "$FERRY" copy -q -i disk "$conv" -o openstack "$@" 2>&1 >/dev/null)" || rc=$?
    [ "$rc" = 1 ] || fail "$what: expected exit 1, got $rc: $err"
    grep -qE -- "$pattern" <<<"$err" || fail "$what: '$err' does not match '$pattern'"
    [ "$(images | sort)" = "$before" ] || fail "$what: an image was left behind: $(images)"
    [ -z "$(ls -A "$TMPDIR")" ] || fail "$what: temp files left"
    printf '%s\n' "$err" > "$tmpdir/err.txt"; no_secrets "$tmpdir/err.txt"
    echo "ok: $what: $(grep -v '^ferry: warning:' <<<"$err")"
}
ostack_error "wrong password" 'credentials were refused' OS_PASSWORD=not-the-password --
ostack_error "no image endpoint in the region" 'no public endpoint in region Atlantis' OS_REGION_NAME=Atlantis --

start_proxy "$tmpdir/proxy2.log" "$GLANCE_URL" drop-after=4000000
"$cloud/openstack-endpoint.sh" "$state" RegionDrop "http://127.0.0.1:$port"
ostack_error "glance dies mid-upload" 'PUT .*/file: the connection was lost' OS_REGION_NAME=RegionDrop -- -of raw

# SIGINT at two moments: as the copy stage starts (the image is being
# created: the POST runs to its end, then the image is deleted), and
# while Glance is receiving the data (a proxy holds the PUT after 4 MB;
# Glance shows "saving": the PUT is cut and the image deleted).
start_proxy "$tmpdir/proxy3.log" "$GLANCE_URL" stall-after=4000000
"$cloud/openstack-endpoint.sh" "$state" RegionStall "http://127.0.0.1:$port"
mkfifo "$tmpdir/ev.fifo"
sigint_at() {   # WHEN: create | saving
    local when="$1" pid sent= rc=0 line region=RegionOne watcher=
    [ "$when" = create ] || region=RegionStall
    OS_REGION_NAME=$region "$FERRY" copy --machine-readable -i disk "$conv" \
        -o openstack -of raw -oo image-name="web01-int-$when" > "$tmpdir/ev.fifo" 2> "$tmpdir/int.err" &
    pid=$!
    while IFS= read -r line; do
        [ -z "$sent" ] && [[ $line == *'"type":"stage","stage":"copy"'* ]] || continue
        sent=1
        if [ "$when" = create ]; then
            sleep 0.3; kill -INT "$pid"
        else
            (
                for (( i = 0; i < 600; i++ )); do
                    grep -q 'fault: stalling' "$tmpdir/proxy3.log" && break
                    sleep 0.05
                done
                # (tokens live 20 s here: a fresh one)
                curl -sf -H "X-Auth-Token: $(token)" "$GLANCE_URL/v2/images?name=web01-int-$when" |
                    jq -r '.images[0].status // empty' > "$tmpdir/int.status"
                kill -INT "$pid"
            ) &
            watcher=$!
        fi
    done < "$tmpdir/ev.fifo"
    wait "$pid" || rc=$?
    [ -z "$watcher" ] || wait "$watcher" || true
    [ -n "$sent" ] || fail "sigint ($when): the copy never started: $(cat "$tmpdir/int.err")"
    [ "$when" = create ] || [ "$(cat "$tmpdir/int.status")" = saving ] ||
        fail "sigint ($when): the image was not \"saving\" when interrupted: $(cat "$tmpdir/int.status")"
    [ "$rc" = 1 ] || fail "sigint ($when): expected exit 1, got $rc: $(cat "$tmpdir/int.err")"
    grep -q 'interrupted' "$tmpdir/int.err" || fail "sigint ($when): no 'interrupted': $(cat "$tmpdir/int.err")"
    [ "$(images | sort)" = "$before" ] || fail "sigint ($when): an image was left behind: $(images)"
    echo "ok: SIGINT ($when): $(grep "^ferry:" "$tmpdir/int.err" | grep -v "^ferry: warning:" | head -1), image deleted"
}
sigint_at create
sigint_at saving

# 4. TLS: Keystone and Glance behind HTTPS fronts whose certificate
#    comes from a private CA.  Refused without the CA, accepted with
#    cacert (OS_CACERT), or with verify: false in clouds.yaml.
"$cloud/tls-cert.sh" "$tmpdir/tls"
cacert="$tmpdir/tls/ca.pem"
start_proxy "$tmpdir/ks-tls.log" --tls "$tmpdir/tls/server.pem" "$tmpdir/tls/server.key" "$OS_AUTH_URL" pass
ks_tls="https://127.0.0.1:$port/v3"
start_proxy "$tmpdir/gl-tls.log" --tls "$tmpdir/tls/server.pem" "$tmpdir/tls/server.key" "$GLANCE_URL" pass
"$cloud/openstack-endpoint.sh" "$state" RegionTLS "https://127.0.0.1:$port"
ostack_error "TLS Keystone without cacert" 'certificate' OS_AUTH_URL="$ks_tls" OS_REGION_NAME=RegionTLS --
ostack_error "TLS Glance without cacert (checked before the conversion)" 'GET https://[^ ]*/v2/images[^ ]*: server certificate not trusted' OS_REGION_NAME=RegionTLS --
tls=(OS_AUTH_URL="$ks_tls" OS_REGION_NAME=RegionTLS)
env "${tls[@]}" OS_CACERT="$cacert" "$FERRY" copy -q -i disk "$conv" -o openstack \
    -oo image-name=web01-tls > "$tmpdir/tls.log" 2>&1 || { cat "$tmpdir/tls.log"; fail "TLS with cacert failed"; }
glance GET '/v2/images?name=web01-tls' | jq -e '.images[0].status == "active"' >/dev/null ||
    fail "TLS upload: the image is not active"
sed -e "s|auth_url: .*|auth_url: $ks_tls|" -e 's/region_name: .*/region_name: RegionTLS/' \
    -e '/cacert:/d' "$state/clouds.yaml" > "$tmpdir/clouds-tls.yaml"
/usr/bin/python3 - "$tmpdir/clouds-tls.yaml" <<'PY'
import sys
p = sys.argv[1]
lines = open(p).read().splitlines()
out = []
for l in lines:
    out.append(l)
    if l.strip() == "ferrytest-appcred:":
        out.append(l[:len(l) - len(l.lstrip())] + "  verify: false")
open(p, "w").write("\n".join(out) + "\n")
PY
grep -q 'verify: false' "$tmpdir/clouds-tls.yaml" || fail "could not write verify: false into clouds.yaml"
env -u OS_AUTH_URL -u OS_PASSWORD -u OS_USERNAME -u OS_REGION_NAME OS_CLIENT_CONFIG_FILE="$tmpdir/clouds-tls.yaml" \
    "$FERRY" copy -q -i disk "$conv" -o openstack --os-cloud ferrytest-appcred \
    -oo image-name=web01-noverify > "$tmpdir/noverify.log" 2>&1 ||
    { cat "$tmpdir/noverify.log"; fail "TLS with verify: false failed"; }
glance GET '/v2/images?name=web01-noverify' | jq -e '.images[0].status == "active"' >/dev/null ||
    fail "verify: false upload: the image is not active"
echo "ok: TLS: refused without the CA (Keystone and Glance), uploaded with cacert and with verify: false"
[ "$(sha256_of "$tmpdir/g.img")" = "$src_sum" ] || fail "the source was modified"

# 5. The real guest, converted once for this build: copied to Glance as
#    qcow2, its image record checked, downloaded, and the same
#    guest data as the converted image (which test-convert-boot.sh
#    boots).
if command -v debootstrap >/dev/null; then
    converted_deb12
    # Straight to Glance: TLS is proven above, and 1 GB through the
    # Python TLS front would only cost minutes.
    "$FERRY" copy -i disk "$deb12_converted" -o openstack \
        -oo image-name=deb12 > "$tmpdir/real.log" 2>&1 || { cat "$tmpdir/real.log"; fail "real guest: upload failed"; }
    img=$(glance GET '/v2/images?name=deb12' | jq '.images[0]')
    vsize=$(qemu-img info --output=json "$deb12_converted" | jq '."virtual-size"')
    jq -e --argjson v "$vsize" '.status == "active" and .disk_format == "qcow2" and
        .virtual_size == $v and .hw_disk_bus == "virtio" and .hw_vif_model == "virtio" and
        .os_hash_algo == "sha512"' <<<"$img" >/dev/null || fail "real guest image record: $img"
    glance GET "/v2/images/$(jq -r .id <<<"$img")/file" -o "$tmpdir/deb12.qcow2"
    [ "$(sha512sum < "$tmpdir/deb12.qcow2" | cut -d' ' -f1)" = "$(jq -r .os_hash_value <<<"$img")" ] ||
        fail "real guest: the downloaded image does not match Glance's os_hash_value"
    qemu-img compare -q -f qcow2 -F qcow2 "$tmpdir/deb12.qcow2" "$deb12_converted" ||
        fail "real guest: the image in Glance holds other data than the converted guest"
    echo "ok: the real guest copied ($(jq .size <<<"$img") bytes), downloaded, identical to the converted guest"
fi
echo "PASS: openstack output"
