#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# -o aws, both methods, against two servers on 127.0.0.1:
#
#   - EBS direct, EC2, STS and the instance metadata: a FAKE,
#     tests/cloud/aws-fake.py.  Nothing installable implements these
#     APIs (Debian and npm have S3 servers, no EBS, EC2 or STS), so the
#     test server stands in for them.  It checks every request's
#     SigV4 signature with botocore's signer (Debian's python3-botocore,
#     an implementation independent of ferry's), and AWS's rules: 512 KiB
#     blocks, their checksums, the LINEAR aggregate, snapshot states,
#     whole-GiB sizes, AMI names and mappings.
#   - S3: a real one, Ceph radosgw on a one-node memstore cluster
#     (tests/cloud/ceph-up.sh), which checks SigV4 and payload hashes.
#     The fake's ImportSnapshot reads the VMDK ferry uploaded from it.
#
# What is asserted:
#   1. the real Debian 12 guest converted with -o aws: the snapshot the
#      fake stored, reassembled, boots under qemu TCG on NVMe with its
#      NIC in Nitro's slot 5 and gets an IPv4 lease; the AMI has the
#      architecture, boot mode, ENA, SR-IOV, mapping and tags; no zero
#      block was sent;
#   2. ferry copy of that disk to -o aws stores exactly the bytes -o
#      local -of raw writes;
#   3. faults: throttling, 503, a connection cut mid-block, the
#      transient "snapshot does not exist", each retried to success;
#      access denied, a validation error, a wrong key, SIGINT: exit 1,
#      one line, and nothing left (no snapshot, image, upload or object);
#   4. credentials from credential_process, AssumeRole and IMDSv2;
#   5. method=import through radosgw: the object's content is the disk,
#      the object is deleted afterwards, a missing vmimport role is said
#      in one line and leaves nothing;
#   6. no key, session token or signature in any output.
# Only step 1 starts the appliance; the rest is "ferry copy".
set -euo pipefail
source "${abs_top_srcdir:-$(dirname "$0")/..}/tests/functions.sh"
require_root
require_cmd qemu-img qemu-system-x86_64 jq curl
/usr/bin/python3 -c 'import botocore.auth' 2>/dev/null ||
    skip "Debian's python3-botocore is not installed (quickstart.sh installs it)"
for p in ceph-mon ceph-osd radosgw; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
        skip "package $p is not installed (quickstart.sh installs it)"
done
need_real_debian12            # sets $deb12_vmdk
mk_tmpdir
export TMPDIR="$tmpdir/tmp"; mkdir "$TMPDIR"
cloud="$abs_top_srcdir/tests/cloud"
t_start=$SECONDS

# The S3 server starts in the background while the fake comes up.
ceph="$tmpdir/ceph"
"$cloud/ceph-up.sh" "$ceph" > "$tmpdir/ceph-up.log" 2>&1 &
ceph_pid=$!
stop_ceph() { "$cloud/ceph-down.sh" "$ceph" >/dev/null 2>&1 || true; }
at_exit stop_ceph

fake="$tmpdir/fake"; mkdir -p "$fake"
AK=AKIDFERRYTEST0000001 SK="fake-secret-$$-$RANDOM$RANDOM"
ak_json() { jq -n --arg a "$AK" --arg s "$SK" --arg a2 "$1" --arg s2 "$2" \
    '{($a): {secret: $s}} + (if $a2 != "" then {($a2): {secret: $s2}} else {} end)'; }
fake_pid=
start_fake() {   # S3_ENDPOINT or ""
    local i port=
    [ -z "$fake_pid" ] || { kill "$fake_pid" 2>/dev/null; wait "$fake_pid" 2>/dev/null || true; }
    : > "$tmpdir/fake.log"
    /usr/bin/python3 "$cloud/aws-fake.py" --state "$fake" --region eu-west-1 \
        --complete-delay 0.5 --import-delay 0.2 ${1:+--s3-endpoint "$1"} \
        > "$tmpdir/fake.log" 2> "$tmpdir/fake.err" &
    fake_pid=$!
    for (( i = 0; i < 100; i++ )); do
        port=$(sed -n '1s/^listening //p' "$tmpdir/fake.log") || true
        [ -z "$port" ] || break
        kill -0 "$fake_pid" 2>/dev/null || fail "aws-fake.py failed: $(cat "$tmpdir/fake.err")"
        sleep 0.1
    done
    [ -n "$port" ] || fail "aws-fake.py did not start"
    FAKE="http://127.0.0.1:$port"
}
stop_fake() { [ -z "$fake_pid" ] || kill "$fake_pid" 2>/dev/null || true; }
at_exit stop_fake
ak_json "" "" > "$fake/keys.json"
start_fake ""

# ferry sees only what the test gives it: an empty home, the fake's
# endpoints, static keys.
mkdir -p "$tmpdir/home"
aws_env=(env -u AWS_PROFILE -u AWS_DEFAULT_PROFILE -u AWS_CONFIG_FILE -u AWS_SHARED_CREDENTIALS_FILE
         -u AWS_SESSION_TOKEN -u AWS_DEFAULT_REGION -u AWS_CA_BUNDLE
         HOME="$tmpdir/home" AWS_EC2_METADATA_DISABLED=true AWS_REGION=eu-west-1)
keys=(AWS_ACCESS_KEY_ID="$AK" AWS_SECRET_ACCESS_KEY="$SK")
fake_state() { curl -sf "$FAKE/_fake/state"; }
faults() { curl -sf -X POST --data-binary "$1" "$FAKE/_fake/faults" >/dev/null; }
leftovers() {   # the fake's snapshots and images, one line
    fake_state | jq -c '[.snapshots[] | select(.status != "deleted") | .id] + [.images[] | .ImageId]'
}
# no_zero_blocks SNAP: every stored block has a non-zero byte.
no_zero_blocks() {
    /usr/bin/python3 - "$fake/snapshots/$1" <<'PYEOF' || fail "a block of zeroes was sent to $1"
import os, sys
d = sys.argv[1]
z = [n for n in os.listdir(d) if n.isdigit() and not any(open(os.path.join(d, n), "rb").read())]
sys.exit(1 if z else 0)
PYEOF
}

# 1. The real guest, converted straight into EBS.
src_sum=$(sha256_of "$deb12_vmdk")
t0=$SECONDS
"${aws_env[@]}" "${keys[@]}" AWS_ENDPOINT_URL="$FAKE" \
    "$FERRY" convert --machine-readable -i disk "$deb12_vmdk" -o aws \
    -oo image-name=deb12-ebs -oo tag=team=blue -oo tag=ferry:test=1 \
    > "$tmpdir/conv.jsonl" 2> "$tmpdir/conv.err" ||
    { tail -5 "$tmpdir/conv.err"; tail -5 "$tmpdir/conv.jsonl"; fail "convert -o aws failed"; }
echo "convert -o aws: $((SECONDS - t0)) s"
[ "$(sha256_of "$deb12_vmdk")" = "$src_sum" ] || fail "the source was modified"
[ -z "$(ls -A "$TMPDIR")" ] || fail "temp files left: $(ls -A "$TMPDIR")"
strict_json "$tmpdir/conv.jsonl" lines
ev=$(jq -c 'select(.type == "output")' "$tmpdir/conv.jsonl")
ami=$(jq -r .image <<<"$ev"); snap=$(jq -r '.snapshots[0]' <<<"$ev")
[[ $ami == ami-* && $snap == snap-* ]] || fail "no output event: $ev"
img=$(fake_state | jq -c --arg i "$ami" '.images[] | select(.ImageId == $i)')
jq -e --arg s "$snap" '.Architecture == "x86_64" and .VirtualizationType == "hvm" and
    .EnaSupport == true and .SriovNetSupport == "simple" and .BootMode == "legacy-bios" and
    .RootDeviceName == "/dev/xvda" and (.BlockDeviceMappings | length) == 1 and
    .BlockDeviceMappings[0].DeviceName == "/dev/xvda" and
    .BlockDeviceMappings[0].SnapshotId == $s and .BlockDeviceMappings[0].VolumeType == "gp3" and
    .BlockDeviceMappings[0].DeleteOnTermination == true and
    ([.Tags[] | .Key + "=" + .Value] | sort) == ["ferry:test=1", "team=blue"]' <<<"$img" >/dev/null ||
    fail "the AMI record: $img"
# Debian 12's sample has no cloud-init: IMDSv1 stays allowed.
[ "$(jq -r '.ImdsSupport // "none"' <<<"$img")" = none ] || fail "ImdsSupport set: $img"
no_zero_blocks "$snap"
nblk=$(fake_state | jq -r --arg s "$snap" '.snapshots[] | select(.id == $s) | .block_count')
echo "ok: $ami from $snap: x86_64, legacy-bios, ENA, gp3, tags; $nblk blocks of 512 KiB, none all zeroes"
/usr/bin/python3 "$cloud/aws-fake.py" dump-snapshot "$fake" "$snap" "$tmpdir/ebs.raw"
qemu-img info --output=json -f raw "$tmpdir/ebs.raw" | jq -e '."virtual-size" % 1073741824 == 0' >/dev/null ||
    fail "the snapshot is not a whole number of GiB"
echo "booting the snapshot on NVMe, NIC in slot 5"
boot_expect aws-ebs "$tmpdir/ebs.raw" raw nvme 0x5 '/dev/nvme0n1p[0-9]+' '[a-z0-9]+:10\.0\.2\.[0-9]+'
t_boot=$SECONDS

# 2. Byte for byte what -o local -of raw writes.
mkdir "$tmpdir/local"
"$FERRY" copy -q -i disk "$tmpdir/ebs.raw" -o local -os "$tmpdir/local" -of raw -on c1 ||
    fail "copy -o local failed"
"${aws_env[@]}" "${keys[@]}" AWS_ENDPOINT_URL="$FAKE" \
    "$FERRY" copy --machine-readable -i disk "$tmpdir/ebs.raw" -o aws -oo image-name=copy-1 -oo workers=8 \
    > "$tmpdir/c1.jsonl" 2> "$tmpdir/c1.err" || { cat "$tmpdir/c1.err"; fail "copy -o aws failed"; }
snap1=$(jq -r 'select(.type == "output") | .snapshots[0]' "$tmpdir/c1.jsonl")
/usr/bin/python3 "$cloud/aws-fake.py" dump-snapshot "$fake" "$snap1" "$tmpdir/c1.raw"
cmp "$tmpdir/c1.raw" "$tmpdir/local/c1-sda" || fail "the snapshot differs from -o local -of raw"
echo "ok: ferry copy -o aws stores the bytes -o local -of raw writes"

# A small disk for the rest: data in the first, a middle and a short
# last block (40 MiB + 12 KiB), holes between.
small="$tmpdir/small.raw"
truncate -s $(( 40 * 1048576 + 12288 )) "$small"
for off in 0 11 39; do
    head -c 1048576 /dev/urandom | dd of="$small" bs=1M seek="$off" conv=notrunc status=none
done
printf 'tail' | dd of="$small" bs=1 seek=$(( 40 * 1048576 + 12000 )) conv=notrunc status=none
small_sum=$(sha256_of "$small")
# the small disk as the snapshot holds it: padded to 1 GiB
cp --sparse=always "$small" "$tmpdir/small-1g.raw"; truncate -s 1G "$tmpdir/small-1g.raw"
n=0
copy_ok() {   # WHAT [ENV...] -- [ARGS...]: a copy that must succeed; sets $snapshot
    local what="$1" rc=0; shift
    local -a envs=()
    while [ "$1" != "--" ]; do envs+=("$1"); shift; done; shift
    n=$((n + 1))
    "${aws_env[@]}" AWS_ENDPOINT_URL="$FAKE" "${envs[@]}" "$FERRY" copy --machine-readable \
        -if raw -i disk "$small" -o aws -oo image-name="small-$n" "$@" > "$tmpdir/ok.jsonl" 2> "$tmpdir/ok.err" || rc=$?
    cat "$tmpdir/ok.err" >> "$tmpdir/all.err"; cat "$tmpdir/ok.jsonl" >> "$tmpdir/all.err"
    [ "$rc" = 0 ] || fail "$what: exit $rc: $(grep -v '^ferry: debug' "$tmpdir/ok.err" | tail -3)"
    snapshot=$(jq -r 'select(.type == "output") | .snapshots[0]' "$tmpdir/ok.jsonl")
    /usr/bin/python3 "$cloud/aws-fake.py" dump-snapshot "$fake" "$snapshot" "$tmpdir/got.raw"
    cmp -s "$tmpdir/got.raw" "$tmpdir/small-1g.raw" || fail "$what: the snapshot's bytes are wrong"
}
copy_fails() {   # WHAT PATTERN [ENV...] -- [ARGS...]: exit 1, one error line, nothing left
    local what="$1" pattern="$2" rc=0 before err; shift 2
    local -a envs=()
    while [ "$1" != "--" ]; do envs+=("$1"); shift; done; shift
    n=$((n + 1))
    before=$(leftovers)
    "${aws_env[@]}" AWS_ENDPOINT_URL="$FAKE" "${envs[@]}" "$FERRY" copy \
        -if raw -i disk "$small" -o aws -oo image-name="small-$n" "$@" > /dev/null 2> "$tmpdir/bad.err" || rc=$?
    cat "$tmpdir/bad.err" >> "$tmpdir/all.err"
    err=$(grep '^ferry: ' "$tmpdir/bad.err" | grep -v '^ferry: \(warning\|debug\)' || true)
    [ "$rc" = 1 ] || fail "$what: expected exit 1, got $rc: $(cat "$tmpdir/bad.err")"
    [ "$(wc -l <<<"$err")" = 1 ] || fail "$what: not one error line: $err"
    grep -qE -- "$pattern" <<<"$err" || fail "$what: '$err' does not match '$pattern'"
    [ "$(leftovers)" = "$before" ] || fail "$what: left behind: $(leftovers) (before: $before)"
    [ -z "$(ls -A "$TMPDIR")" ] || fail "$what: temp files left"
    echo "ok: $what: $err$(grep -o '^cleaned up: .*' "$tmpdir/bad.err" | head -1 | sed 's/^/; /')"
}

# 3. Faults that are retried to success, all in one run.
faults '[{"match": {"op": "PutSnapshotBlock"}, "fault": "notfound", "times": 3},
         {"match": {"op": "PutSnapshotBlock", "index": 22}, "fault": "throttle", "times": 2},
         {"match": {"op": "PutSnapshotBlock", "index": 23}, "fault": "cut", "times": 1},
         {"match": {"op": "PutSnapshotBlock", "index": 1}, "fault": "503", "times": 1},
         {"match": {"op": "DescribeSnapshots"}, "fault": "throttle", "times": 1},
         {"match": {"op": "RegisterImage"}, "fault": "503", "times": 1}]'
: > "$fake/faults.log"
copy_ok "retried faults" "${keys[@]}" --
for f in notfound throttle cut 503; do
    grep -q "\"fault\": *\"$f\"" "$fake/faults.log" || fail "fault $f was never injected: $(cat "$fake/faults.log")"
done
echo "ok: not-found after StartSnapshot, throttling, a cut connection and 503s retried: $(wc -l < "$fake/faults.log") faults, the snapshot right"
faults '[]'

faults '[{"match": {"op": "PutSnapshotBlock", "index": 79}, "fault": "denied", "times": 1}]'
copy_fails "access denied on a block" 'PutSnapshotBlock .*AccessDenied' "${keys[@]}" --
faults '[{"match": {"op": "CompleteSnapshot"}, "fault": "validation", "times": 1}]'
copy_fails "validation error on CompleteSnapshot" 'CompleteSnapshot: ValidationException' "${keys[@]}" --
faults '[{"match": {"op": "RegisterImage"}, "fault": "denied", "times": 1}]'
copy_fails "RegisterImage refused" 'RegisterImage: UnauthorizedOperation' "${keys[@]}" --
faults '[]'
t0=$SECONDS
copy_fails "wrong secret key" 'SignatureDoesNotMatch' AWS_ACCESS_KEY_ID="$AK" AWS_SECRET_ACCESS_KEY=wrong --
[ $((SECONDS - t0)) -lt 10 ] || fail "a wrong key took $((SECONDS - t0)) s to fail"
copy_fails "name taken" 'an image named "copy-1" exists already' "${keys[@]}" -- -oo image-name=copy-1

# SIGINT while blocks are in flight (one stalls 3 s).
faults '[{"match": {"op": "PutSnapshotBlock", "index": 22}, "fault": "stall", "seconds": 3, "times": 1}]'
before=$(leftovers); rc=0
"${aws_env[@]}" "${keys[@]}" AWS_ENDPOINT_URL="$FAKE" "$FERRY" copy -if raw -i disk "$small" -o aws \
    -oo image-name=small-int > /dev/null 2> "$tmpdir/int.err" &
pid=$!
for (( i = 0; i < 100; i++ )); do
    grep -q '"stall"' "$fake/faults.log" 2>/dev/null && break; sleep 0.1
done
kill -INT "$pid"; wait "$pid" || rc=$?
[ "$rc" = 1 ] || fail "sigint: exit $rc: $(cat "$tmpdir/int.err")"
grep -q 'cleaned up: deleted snapshot snap-' "$tmpdir/int.err" || fail "sigint: no cleanup said: $(cat "$tmpdir/int.err")"
[ "$(leftovers)" = "$before" ] || fail "sigint: left behind: $(leftovers)"
cat "$tmpdir/int.err" >> "$tmpdir/all.err"
echo "ok: SIGINT mid-copy: exit 1, $(grep -o 'cleaned up: .*' "$tmpdir/int.err")"
faults '[]'

# 4. Credentials: credential_process, AssumeRole, IMDSv2.
mkdir -p "$tmpdir/home/.aws"
cat > "$tmpdir/creds.sh" <<EOF
#!/bin/sh
printf '{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": "%s"}\n' "$AK" "\$1"
EOF
chmod +x "$tmpdir/creds.sh"
cat > "$tmpdir/home/.aws/config" <<EOF
[profile proc]
credential_process = "$tmpdir/creds.sh" '$SK'
[profile base]
region = eu-west-1
credential_process = $tmpdir/creds.sh $SK
[profile deploy]
role_arn = arn:aws:iam::123456789012:role/ferry-deploy
source_profile = base
EOF
jq -n '{assumable: ["arn:aws:iam::123456789012:role/ferry-deploy"]}' > "$fake/roles.json"
copy_ok "credential_process" AWS_PROFILE=proc --
copy_ok "AssumeRole" -- -oo profile=deploy
grep '"op": *"AssumeRole"' "$fake/requests.jsonl" | grep -q "\"access_key\": *\"$AK\"" ||
    fail "AssumeRole was not signed with the source profile's key"
last=$(tail -1 "$fake/requests.jsonl" | jq -r .access_key)
[ "$last" != "$AK" ] || fail "the upload did not use the assumed role's key"
copy_ok "IMDSv2" AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT="$FAKE" AWS_REGION= --
echo "ok: credentials from credential_process, AssumeRole (source_profile) and IMDSv2 (region too)"
rm -f "$fake/roles.json"

# 5. method=import through radosgw.
wait "$ceph_pid" || { cat "$tmpdir/ceph-up.log"; fail "could not start Ceph and radosgw"; }
# shellcheck disable=SC1091
source "$ceph/env"
ak_json "$S3_ACCESS_KEY" "$S3_SECRET_KEY" > "$fake/keys.json"
# ImportSnapshot reads the object with radosgw's key.
jq -n --arg a "$S3_ACCESS_KEY" --arg s "$S3_SECRET_KEY" '{access_key: $a, secret_key: $s}' > "$fake/s3.json"
start_fake "$S3_ENDPOINT"
s3keys=(AWS_ACCESS_KEY_ID="$S3_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$S3_SECRET_KEY" AWS_ENDPOINT_URL_S3="$S3_ENDPOINT")
s3api() { env -u AWS_PROFILE AWS_ACCESS_KEY_ID="$S3_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$S3_SECRET_KEY" \
    AWS_DEFAULT_REGION=eu-west-1 HOME="$tmpdir/home2" /usr/bin/aws --endpoint-url "$S3_ENDPOINT" s3api "$@"; }
s3api create-bucket --bucket ferry-import > /dev/null
# The bucket's unfinished uploads and objects, "[...][...]" (botocore
# directly: this awscli prints nothing for an empty list).
s3_left() {
    /usr/bin/python3 - "$S3_ENDPOINT" "$S3_ACCESS_KEY" "$S3_SECRET_KEY" <<'PYEOF'
import json, sys, botocore.session
c = botocore.session.get_session().create_client(
    "s3", endpoint_url=sys.argv[1], region_name="eu-west-1",
    aws_access_key_id=sys.argv[2], aws_secret_access_key=sys.argv[3])
u = c.list_multipart_uploads(Bucket="ferry-import").get("Uploads", [])
o = c.list_objects_v2(Bucket="ferry-import").get("Contents", [])
print(json.dumps([x["Key"] for x in u]) + json.dumps([x["Key"] for x in o]))
PYEOF
}
copy_ok "import" "${s3keys[@]}" -- -oo method=import -oo bucket=ferry-import
[ "$(s3_left)" = '[][]' ] || fail "import: S3 not empty afterwards: $(s3_left)"
fake_state | jq -e '.import_tasks | length == 1 and .[0].Status == "completed" and .[0].Format == "VMDK"' >/dev/null ||
    fail "import task: $(fake_state | jq -c .import_tasks)"
echo "ok: method=import: streamOptimized VMDK through radosgw, imported, the object deleted"
copy_ok "import, keep-object" "${s3keys[@]}" -- -oo method=import -oo bucket=ferry-import -oo keep-object
key=$(s3_left | sed 's/^\[\]\["\([^"]*\)"\]$/\1/')
s3api get-object --bucket ferry-import --key "$key" "$tmpdir/obj.vmdk" > /dev/null
qemu-img info "$tmpdir/obj.vmdk" | grep -q 'create type: streamOptimized' || fail "the object is not a streamOptimized VMDK"
qemu-img compare -q -f vmdk -F raw "$tmpdir/obj.vmdk" "$small" || fail "the object's content differs from the disk"
s3api delete-object --bucket ferry-import --key "$key"
echo "ok: keep-object: the object is a streamOptimized VMDK of the disk"
jq -n '{roles: []}' > "$fake/roles.json"
copy_fails "no vmimport role" 'service role "vmimport" is missing.*create it' "${s3keys[@]}" -- \
    -oo method=import -oo bucket=ferry-import
[ "$(s3_left)" = '[][]' ] || fail "no role: S3 not empty afterwards: $(s3_left)"
rm -f "$fake/roles.json"
faults '[{"match": {"op": "ImportSnapshot"}, "fault": "throttle", "times": 1}]'
copy_ok "import, ImportSnapshot throttled once" "${s3keys[@]}" -- -oo method=import -oo bucket=ferry-import
faults '[]'
copy_fails "import: no such bucket" 'NoSuchBucket' "${s3keys[@]}" -- -oo method=import -oo bucket=no-such-bucket
[ "$(sha256_of "$small")" = "$small_sum" ] || fail "the small source was modified"

# 6. No secret anywhere.
for s in "$SK" "$S3_SECRET_KEY"; do
    grep -qF -- "$s" "$tmpdir/all.err" "$tmpdir/conv.err" "$tmpdir/conv.jsonl" "$tmpdir/int.err" &&
        fail "a secret key was printed"
done
grep -qE 'Signature=|X-Amz-Security-Token|ASIA[A-Z0-9]{16}' "$tmpdir/all.err" && fail "a signature or session credential was printed"
echo "ok: no key, token or signature printed"
echo "times: convert+boot $((t_boot - t_start)) s, the rest $((SECONDS - t_boot)) s"
echo "PASS"
