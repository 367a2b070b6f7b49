#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# -o azure, both methods, against two servers on 127.0.0.1:
#
#   - Blob storage: a real one, Azurite from npm (tests/cloud/azurite-up.sh),
#     which checks SharedKey signatures and SAS tokens.  It does not
#     enforce the 4 MiB Put Page limit, so this test reads every page
#     write from Azurite's debug log and checks sizes and alignment itself.
#   - Azure Resource Manager and the Entra ID token endpoint: a FAKE,
#     tests/cloud/azure-fake.py.  Nothing installable implements them, so
#     the test server stands in for them.  It issues tokens only for the
#     right client secret and checks them on every call, keeps disks and
#     images with Azure's rules (upload sizes, disk states, the VHD footer
#     at endGetAccess) and answers with long-running operations.  The
#     write SAS it hands out is a real Azurite SAS on a stored access
#     policy, revoked at endGetAccess.  The test reads blobs back with
#     Microsoft's own Python SDK (tests/cloud/azblob-tool.py).
#
# What is asserted:
#   1. the real Debian 12 guest converted with -o azure (method disk):
#      the disk is Unattached with a valid footer, V1, Linux, the image
#      names it; the blob read back is a fixed VHD qemu reads, every page
#      write was at most 4 MiB, 512-aligned and not all zeroes, no Put
#      Blob went to the managed disk's SAS;
#   2. ferry copy of that disk to -o azure stores exactly the bytes -o
#      local -of raw writes; a UEFI guest (libvirt XML) gets V2;
#   3. method blob with SharedKey, a SAS and a connection string, and
#      the import of the blob as a disk and image through ARM;
#   4. SIGINT mid-upload: cleaned up; with -oo resume the disk is kept,
#      and the next -oo resume run sends only the missing pages;
#   5. faults: 429, 503, an expired token, cut connections (ARM and
#      mid-page) end in success; a Failed operation, a wrong secret, a
#      missing group or a taken name end in exit 1, one line, nothing left;
#   6. no client secret, account key, token or SAS signature in any output.
# Only step 1 starts the appliance; the rest is "ferry copy".
set -euo pipefail
source "${abs_top_srcdir:-$(dirname "$0")/..}/tests/functions.sh"
require_root
require_cmd qemu-img jq curl node cmp
/usr/bin/python3 -c 'import azure.storage.blob' 2>/dev/null ||
    skip "Debian's python3-azure-storage is not installed (quickstart.sh installs it)"
need_real_debian12            # sets $deb12_vmdk
mk_tmpdir
export TMPDIR="$tmpdir/tmp"; mkdir "$TMPDIR"
cloud="$abs_top_srcdir/tests/cloud"
t_start=$SECONDS
MIB=1048576

az="$tmpdir/azurite"
rc=0; "$cloud/azurite-up.sh" "$az" > "$tmpdir/azurite-up.log" 2>&1 || rc=$?
[ "$rc" != 77 ] || skip "$(cat "$tmpdir/azurite-up.log")"
[ "$rc" = 0 ] || fail "Azurite did not start: $(tail -5 "$tmpdir/azurite-up.log")"
stop_azurite() { "$cloud/azurite-down.sh" "$az" >/dev/null 2>&1 || true; }
at_exit stop_azurite
source "$az/env"
tool() { /usr/bin/python3 "$cloud/azblob-tool.py" "$az/env" "$@"; }

fake="$tmpdir/fake"
/usr/bin/python3 "$cloud/azure-fake.py" --azurite-env "$az/env" --state-dir "$fake" \
    --tls-dir "$az/tls" --resource-group ferry-rg > "$tmpdir/fake.log" 2> "$tmpdir/fake.err" &
fake_pid=$!
stop_fake() { kill "$fake_pid" 2>/dev/null || true; }
at_exit stop_fake
for (( i = 0; i < 100; i++ )); do
    [ -s "$fake/env" ] && grep -q '^listening' "$tmpdir/fake.log" && break
    kill -0 "$fake_pid" 2>/dev/null || fail "azure-fake.py failed: $(cat "$tmpdir/fake.err")"
    sleep 0.1
done
source "$fake/env"
echo "servers up in $((SECONDS - t_start)) s: Azurite on $AZURITE_PORT, the ARM fake on $AZFAKE_PORT"

fcurl() { curl -sf --cacert "$AZURITE_CA" "$@"; }
state() { fcurl "$AZFAKE_ENDPOINT/_fake/state"; }
faults() { fcurl -X POST --data-binary "$1" "$AZFAKE_ENDPOINT/_fake/faults" >/dev/null; }
# What the run would leave behind: the fake's disks and images, and the
# containers and blobs in Azurite.
leftovers() {
    echo "$(state | jq -c '[.disks[] | .name + ":" + .state] + [.images[] | .name]')" \
         "$(tool containers | grep '^md-' | tr '\n' ' ')" "$(tool list vhds | tr '\n' ' ')"
}
log_mark() { wc -l < "$az/debug.log"; }
writes() { tool writes "$az/debug.log" "${1:-0}"; }
blob_url() { echo "$AZURITE_BLOB_ENDPOINT/$(state | jq -r --arg d "$1" '.disks[$d].container')/abcd"; }

mkdir -p "$tmpdir/home"
arm_env=(env -u AZURE_CLIENT_CERTIFICATE_PATH -u AZURE_FEDERATED_TOKEN_FILE
         -u AZURE_STORAGE_CONNECTION_STRING -u AZURE_STORAGE_ACCOUNT -u AZURE_STORAGE_KEY
         -u IDENTITY_ENDPOINT -u IDENTITY_HEADER -u SSL_CERT_FILE HOME="$tmpdir/home"
         AZURE_TENANT_ID="$AZFAKE_TENANT" AZURE_CLIENT_ID="$AZFAKE_CLIENT_ID"
         AZURE_CLIENT_SECRET="$AZFAKE_CLIENT_SECRET" AZURE_AUTHORITY_HOST="$AZFAKE_AUTHORITY"
         AZURE_ARM_ENDPOINT="$AZFAKE_ENDPOINT" AZURE_SUBSCRIPTION_ID="$AZFAKE_SUBSCRIPTION"
         REQUESTS_CA_BUNDLE="$AZURITE_CA")
rg=(-oo resource-group=ferry-rg)
: > "$tmpdir/all.out"

# 1. The real guest, converted straight into a managed disk.
src_sum=$(sha256_of "$deb12_vmdk")
mark=$(log_mark); t0=$SECONDS
"${arm_env[@]}" "$FERRY" convert --machine-readable -i disk "$deb12_vmdk" -o azure "${rg[@]}" \
    -on deb12 -oo tag=team=blue -oo tag=ferry:test=1 \
    > "$tmpdir/conv.jsonl" 2> "$tmpdir/conv.err" ||
    { tail -5 "$tmpdir/conv.err"; fail "convert -o azure failed"; }
echo "convert -o azure: $((SECONDS - t0)) s"
cat "$tmpdir/conv.jsonl" "$tmpdir/conv.err" >> "$tmpdir/all.out"
[ "$(sha256_of "$deb12_vmdk")" = "$src_sum" ] || fail "the source was modified"
[ -z "$(ls -A "$TMPDIR")" ] || fail "temp files left: $(ls -A "$TMPDIR")"
strict_json "$tmpdir/conv.jsonl" lines
ev=$(jq -c 'select(.type == "output")' "$tmpdir/conv.jsonl")
jq -e '.output == "azure" and .hyperVGeneration == "V1" and (.image | endswith("/images/deb12"))
       and (.disks | length) == 1 and (.disks[0] | endswith("/disks/deb12-disk1"))' <<<"$ev" >/dev/null ||
    fail "the output event: $ev"
vsize=$(qemu-img info --output=json "$deb12_vmdk" | jq '."virtual-size"')
vhd=$(( (vsize + MIB - 1) / MIB * MIB ))
st=$(state)
jq -e --argjson n "$((vhd + 512))" '.disks["deb12-disk1"] | .state == "Unattached" and .footer_ok
       and .hyperVGeneration == "V1" and .osType == "Linux"
       and .creationData.createOption == "Upload" and .creationData.uploadSizeBytes == $n
       and .tags == {"team": "blue", "ferry:test": "1"}' <<<"$st" >/dev/null ||
    fail "the disk record: $(jq -c '.disks' <<<"$st")"
jq -e '.images.deb12.properties | .hyperVGeneration == "V1"
       and (.storageProfile.osDisk.managedDisk.id | endswith("/disks/deb12-disk1"))
       and .storageProfile.osDisk.osType == "Linux"' <<<"$st" >/dev/null ||
    fail "the image record: $(jq -c '.images' <<<"$st")"
url=$(blob_url deb12-disk1)
tool get "$url" "$tmpdir/deb12.vhd"
[ "$(stat -c %s "$tmpdir/deb12.vhd")" = $((vhd + 512)) ] || fail "the blob's size"
[ "$(tool footer "$url")" = ok ] || fail "the footer: $(tool footer "$url")"
qemu-img info --output=json -f vpc "$tmpdir/deb12.vhd" | jq -e '.format == "vpc"' >/dev/null ||
    fail "qemu-img does not read the blob as a VHD"
qemu-img info --output=json --image-opts \
    "driver=vpc,force_size_calc=current_size,file.filename=$tmpdir/deb12.vhd" |
    jq -e --argjson n "$vhd" '."virtual-size" == $n' >/dev/null || fail "the VHD's size is not $vhd"
w=$(writes "$mark")
jq -e '.bad == [] and ([.put_blob[] | select(.[1] | startswith("ferry"))] == [])' <<<"$w" >/dev/null ||
    fail "page writes: $(jq -c '{bad, put_blob}' <<<"$w")"
# No write was of zeroes: each range sent holds a non-zero byte.
jq -r '.update[] | "\(.[1]) \(.[2])"' <<<"$w" | /usr/bin/python3 -c '
import sys
f = open(sys.argv[1], "rb"); z = 0
for line in sys.stdin:
    a, b = map(int, line.split()); f.seek(a)
    z += not any(f.read(b - a))
sys.exit(z)' "$tmpdir/deb12.vhd" || fail "a page write of zeroes was sent"
nupd=$(jq '.update | length' <<<"$w"); sent=$(jq '[.update[][3]] | add' <<<"$w")
echo "ok: disk deb12-disk1 Unattached, footer valid, V1, image deb12 on it; $nupd page writes" \
     "($sent bytes, none over 4 MiB, none of zeroes), no Put Blob from ferry"

# 2. ferry copy of that disk stores exactly the bytes -o local -of raw writes.
head -c "$vsize" "$tmpdir/deb12.vhd" > "$tmpdir/deb12.raw"
rm -f "$tmpdir/deb12.vhd"
mkdir "$tmpdir/local"
"$FERRY" copy -q -if raw -i disk "$tmpdir/deb12.raw" -o local -os "$tmpdir/local" -of raw -on c1 ||
    fail "copy -o local failed"
mark=$(log_mark)
"${arm_env[@]}" "$FERRY" copy -if raw -i disk "$tmpdir/deb12.raw" -o azure "${rg[@]}" -on c1 \
    -oo no-image > "$tmpdir/c1.out" 2>&1 || fail "copy -o azure failed: $(tail -3 "$tmpdir/c1.out")"
cat "$tmpdir/c1.out" >> "$tmpdir/all.out"
full=$(writes "$mark" | jq '.update | length')
tool get "$(blob_url c1-disk1)" "$tmpdir/c1.vhd"
cmp -n "$vsize" "$tmpdir/c1.vhd" "$tmpdir/local/c1-sda" || fail "-o azure and -o local differ"
rm -f "$tmpdir/c1.vhd" "$tmpdir/local/c1-sda"
[ "$(state | jq '.images | has("c1")')" = false ] || fail "-oo no-image made an image"
echo "ok: ferry copy -o azure stores the bytes -o local -of raw writes ($full page writes)"

small="$tmpdir/small.raw"
truncate -s 40M "$small"
for off in 0 3 17 29; do
    head -c "$MIB" /dev/urandom | dd of="$small" bs=1M seek="$off" conv=notrunc status=none
done
printf 'tail' | dd of="$small" bs=1 seek=$(( 40 * MIB - 7 )) conv=notrunc status=none
cat > "$tmpdir/uefi.xml" <<EOF
<domain type='kvm'><name>uefi1</name><memory unit='MiB'>512</memory><vcpu>1</vcpu>
<os firmware='efi'><type arch='x86_64' machine='q35'>hvm</type></os>
<devices><disk type='file' device='disk'><driver name='qemu' type='raw'/>
<source file='$small'/><target dev='vda' bus='virtio'/></disk></devices></domain>
EOF
"${arm_env[@]}" "$FERRY" copy -i libvirtxml "$tmpdir/uefi.xml" -o azure "${rg[@]}" \
    > "$tmpdir/uefi.out" 2>&1 || fail "copy of the UEFI guest failed: $(tail -3 "$tmpdir/uefi.out")"
cat "$tmpdir/uefi.out" >> "$tmpdir/all.out"
state | jq -e '.disks["uefi1-disk1"].hyperVGeneration == "V2" and
               .images.uefi1.properties.hyperVGeneration == "V2"' >/dev/null ||
    fail "the UEFI guest is not V2: $(state | jq -c '.disks["uefi1-disk1"], .images.uefi1')"
echo "ok: a UEFI guest: disk and image of generation V2"

# 3. method=blob: SharedKey, SAS, connection string; then an import.
blob_ok() {   # WHAT NAME [ENV...] -- [ARGS...]
    local what="$1" name="$2" rc=0; shift 2
    local -a envs=()
    while [ "$1" != "--" ]; do envs+=("$1"); shift; done; shift
    "${arm_env[@]}" "${envs[@]}" "$FERRY" copy -if raw -i disk "$small" -o azure -oo method=blob \
        -on "$name" "$@" > "$tmpdir/b.out" 2>&1 || rc=$?
    cat "$tmpdir/b.out" >> "$tmpdir/all.out"
    [ "$rc" = 0 ] || fail "$what: exit $rc: $(tail -3 "$tmpdir/b.out")"
    local u="$AZURITE_BLOB_ENDPOINT/vhds/$name-disk1.vhd"
    [ "$(tool footer "$u")" = ok ] || fail "$what: the footer: $(tool footer "$u")"
    tool get "$u" "$tmpdir/b.vhd"
    cmp -n "$(stat -c %s "$small")" "$tmpdir/b.vhd" "$small" || fail "$what: the blob's data differ"
    echo "ok: $what: vhds/$name-disk1.vhd, footer valid, data equal"
}
tool mkcontainer vhds
sas=$(tool sas vhds rcwd)
blob_ok "blob method, SharedKey" bkey AZURE_STORAGE_ACCOUNT="$AZURITE_ACCOUNT" \
    AZURE_STORAGE_KEY="$AZURITE_KEY" -- -oo container-url="$AZURITE_BLOB_ENDPOINT/vhds" \
    -oo subscription= -v
blob_ok "blob method, SAS" bsas -- -oo container-url="$AZURITE_BLOB_ENDPOINT/vhds?$sas" \
    -oo subscription= -v
grep -q 'sig=REDACTED\|/vhds/bsas-disk1.vhd' "$tmpdir/b.out" || fail "the SAS run says nothing of its blob"
blob_ok "blob method, connection string, imported" bcs \
    AZURE_STORAGE_CONNECTION_STRING="$AZURITE_CONNECTION_STRING" -- "${rg[@]}"
state | jq -e '.disks["bcs-disk1"] | .creationData.createOption == "Import" and .state == "Unattached"
               and (.creationData.sourceUri | endswith("/vhds/bcs-disk1.vhd"))' >/dev/null ||
    fail "the import: $(state | jq -c '.disks["bcs-disk1"]')"
state | jq -e '.images.bcs' >/dev/null || fail "no image of the imported disk"
echo "ok: the blob imported as disk bcs-disk1 (createOption Import) and image bcs"

# 4. SIGINT mid-upload, without and with -oo resume; then the resume.
interrupt() {   # NAME ARGS...: start a copy of the real disk, SIGINT it after 150 page writes
    local name="$1" m rc=0; shift
    m=$(log_mark)
    "${arm_env[@]}" "$FERRY" copy -if raw -i disk "$tmpdir/deb12.raw" -o azure "${rg[@]}" \
        -on "$name" -oo no-image -oo workers=4 "$@" > "$tmpdir/int.out" 2>&1 &
    local pid=$!
    for (( i = 0; i < 600; i++ )); do
        [ "$(tail -n +"$((m + 1))" "$az/debug.log" | grep -c '"x-ms-page-write":"update"')" -lt 150 ] || break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -INT "$pid" 2>/dev/null || true
    wait "$pid" || rc=$?
    cat "$tmpdir/int.out" >> "$tmpdir/all.out"
    [ "$rc" = 1 ] || fail "SIGINT $name: exit $rc: $(tail -3 "$tmpdir/int.out")"
}
before=$(leftovers)
interrupt gone
grep -q 'cleaned up: ended write access to disk "gone-disk1", deleted disk "gone-disk1"' "$tmpdir/int.out" ||
    fail "SIGINT: no cleanup said: $(cat "$tmpdir/int.out")"
[ "$(leftovers)" = "$before" ] || fail "SIGINT: left behind: $(leftovers) (before: $before)"
echo "ok: SIGINT mid-upload: exit 1, $(grep -o 'cleaned up: .*' "$tmpdir/int.out")"
interrupt res -oo resume
grep -q 'kept for -oo resume: disk "res-disk1" (open for writing)' "$tmpdir/int.out" ||
    fail "SIGINT with resume: $(cat "$tmpdir/int.out")"
[ "$(state | jq -r '.disks["res-disk1"].state')" = ActiveUpload ] || fail "the kept disk is not in ActiveUpload"
mark=$(log_mark)
"${arm_env[@]}" "$FERRY" copy -if raw -i disk "$tmpdir/deb12.raw" -o azure "${rg[@]}" -on res \
    -oo resume > "$tmpdir/res.out" 2>&1 || fail "the resumed copy failed: $(tail -3 "$tmpdir/res.out")"
cat "$tmpdir/res.out" >> "$tmpdir/all.out"
again=$(writes "$mark" | jq '[.update[] | select(.[0] | startswith("md-"))] | length')
same=$(sed -n 's/.*resumed: \([0-9]*\) pages were there already.*/\1/p' "$tmpdir/res.out")
[ -n "$same" ] && [ "$same" -ge 100 ] || fail "the resume found no pages held: $(cat "$tmpdir/res.out")"
# This run's writes are the ones the full copy made, less those held, and the footer.
[ "$again" -eq $(( full - same )) ] ||
    fail "the resume sent $again page writes; the full copy made $full, $same were held"
tool get "$(blob_url res-disk1)" "$tmpdir/res.vhd"
cmp -n "$vsize" "$tmpdir/res.vhd" "$tmpdir/deb12.raw" || fail "the resumed disk's data differ"
rm -f "$tmpdir/res.vhd"
state | jq -e '.disks["res-disk1"] | .state == "Unattached" and .footer_ok' >/dev/null ||
    fail "the resumed disk: $(state | jq -c '.disks["res-disk1"]')"
echo "ok: resumed: $same page writes were held, $again sent (the full copy made $full), data equal"

# 5. Faults.
n=0
copy_ok() {   # WHAT [ARGS...]
    local what="$1" rc=0; shift
    n=$((n + 1))
    "${arm_env[@]}" "$FERRY" copy -if raw -i disk "$small" -o azure "${rg[@]}" -on "ok$n" "$@" \
        > "$tmpdir/ok.out" 2>&1 || rc=$?
    cat "$tmpdir/ok.out" >> "$tmpdir/all.out"
    [ "$rc" = 0 ] || fail "$what: exit $rc: $(grep -v '^ferry: debug' "$tmpdir/ok.out" | tail -3)"
    state | jq -e --arg d "ok$n-disk1" '.disks[$d] | .state == "Unattached" and .footer_ok' >/dev/null ||
        fail "$what: the disk: $(state | jq -c --arg d "ok$n-disk1" '.disks[$d]')"
}
copy_fails() {   # WHAT PATTERN [ENV...] -- [ARGS...]
    local what="$1" pattern="$2" rc=0 err; shift 2
    local -a envs=()
    while [ "$1" != "--" ]; do envs+=("$1"); shift; done; shift
    n=$((n + 1))
    local before; before=$(leftovers)
    "${arm_env[@]}" "${envs[@]}" "$FERRY" copy -if raw -i disk "$small" -o azure "${rg[@]}" \
        -on "bad$n" "$@" > /dev/null 2> "$tmpdir/bad.err" || rc=$?
    cat "$tmpdir/bad.err" >> "$tmpdir/all.out"
    err=$(grep '^ferry: ' "$tmpdir/bad.err" | grep -v '^ferry: \(warning\|debug\)' || true)
    [ "$rc" = 1 ] || fail "$what: expected exit 1, got $rc: $(cat "$tmpdir/bad.err")"
    [ "$(wc -l <<<"$err")" = 1 ] || fail "$what: not one error line: $err"
    grep -qE -- "$pattern" <<<"$err" || fail "$what: '$err' does not match '$pattern'"
    [ "$(leftovers)" = "$before" ] || fail "$what: left behind: $(leftovers) (before: $before)"
    [ -z "$(ls -A "$TMPDIR")" ] || fail "$what: temp files left"
    echo "ok: $what: $err$(grep -o '^cleaned up: .*' "$tmpdir/bad.err" | head -1 | sed 's/^/; /')"
}
faults '[{"kind": "429", "method": "PUT", "path": "/disks/", "times": 2},
         {"kind": "location", "method": "PUT", "path": "/disks/"},
         {"kind": "503", "method": "POST", "path": "/beginGetAccess"},
         {"kind": "location", "method": "POST", "path": "/beginGetAccess"},
         {"kind": "expire", "method": "POST", "path": "/endGetAccess"},
         {"kind": "cut", "method": "GET", "path": "/_ops/", "times": 1, "skip": 2},
         {"kind": "503", "method": "PUT", "path": "/images/"}]'
tokens0=$(state | jq .tokens)
copy_ok "429, 503, an expired token, a cut connection, operations by Location only"
faults '[]'
st=$(state)
for c in 429 503 401 0; do
    jq -e --argjson c "$c" '[.requests[] | select(.[2] == $c)] | length > 0' <<<"$st" >/dev/null ||
        fail "fault $c was never answered"
done
[ "$(jq .tokens <<<"$st")" -gt "$tokens0" ] || fail "the expired token was not renewed"
jq -e '[.requests[] | select(.[0] == "GET" and (.[1] | endswith("?location")))] | length >= 2' <<<"$st" >/dev/null ||
    fail "no operation was followed by its Location"
echo "ok: 429 twice, 503 twice, an expired token (renewed), a cut poll, two operations followed by Location alone: retried to success"

# A page write cut mid-body (blob method through fault-proxy.py).
FAULT_CA="$AZURITE_CA" FAULT_ONCE=1 /usr/bin/python3 "$cloud/fault-proxy.py" --tls "$az/tls/server.pem" "$az/tls/server.key" 0 \
    "https://127.0.0.1:$AZURITE_PORT" drop-after=300000 > "$tmpdir/proxy.log" 2>&1 &
proxy_pid=$!
stop_proxy() { kill "$proxy_pid" 2>/dev/null || true; }
at_exit stop_proxy
for (( i = 0; i < 100; i++ )); do
    pport=$(sed -n '1s/^listening //p' "$tmpdir/proxy.log"); [ -z "$pport" ] || break; sleep 0.1
done
[ -n "$pport" ] || fail "fault-proxy.py did not start: $(cat "$tmpdir/proxy.log")"
blob_ok "a page write cut mid-body, retried" bcut \
    AZURE_STORAGE_CONNECTION_STRING="${AZURITE_CONNECTION_STRING/$AZURITE_PORT/$pport}" -- \
    -oo subscription=
grep -q 'fault: dropping' "$tmpdir/proxy.log" || fail "the proxy cut nothing: $(cat "$tmpdir/proxy.log")"

faults '[{"kind": "fail", "method": "PUT", "path": "/images/"}]'
copy_fails "the image operation Failed" 'create image "bad[0-9]+": .*InternalOperationError' --
faults '[{"kind": "fail", "method": "POST", "path": "/beginGetAccess"}]'
copy_fails "beginGetAccess Failed" 'beginGetAccess.*InternalOperationError' --
faults '[]'
t0=$SECONDS
copy_fails "a wrong client secret" 'AADSTS7000215|invalid_client' AZURE_CLIENT_SECRET=wrong --
[ $((SECONDS - t0)) -lt 10 ] || fail "a wrong secret took $((SECONDS - t0)) s to fail"
copy_fails "no such resource group" 'resource group "nope" does not exist' -- -oo resource-group=nope
copy_fails "the disk name taken" 'a disk named "c1-disk1" exists already' -- -oo disk-name=c1-disk1
copy_fails "the image name taken" 'an image named "deb12" exists already' -- -oo image=deb12

# 6. Secrets.
for s in "$AZFAKE_CLIENT_SECRET" "$AZURITE_KEY" "${sas##*sig=}" "Bearer " "SharedKey "; do
    ! grep -qF -- "$s" "$tmpdir/all.out" || fail "a secret is in ferry's output: ${s:0:6}..."
done
! grep -E 'sig=[^R&]' "$tmpdir/all.out" || fail "a SAS signature in ferry's output"
echo "ok: no client secret, account key, token or SAS signature in $(wc -l < "$tmpdir/all.out") lines of output"
echo "test-output-azure: $((SECONDS - t_start)) s"
