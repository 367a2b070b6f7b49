#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# aws-fake-selftest.sh: drive tests/cloud/aws-fake.py with Debian's AWS CLI
# (/usr/bin/aws, which bundles its own botocore) to show that the fake
# answers a real AWS client as AWS would: EBS direct snapshot upload with a
# throttle and a cut connection injected, EC2 snapshots and images, STS,
# IMDSv2, a wrong secret, and ImportSnapshot from a stub S3 server.
# Not part of make check; about 20-30 s.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
tmp=$(mktemp -d)
state=$tmp/state
mkdir -p "$state"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || :; done
    rm -rf "$tmp"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; [ -f "$tmp/fake.err" ] && cat "$tmp/fake.err" >&2; exit 1; }
ok() { echo "ok: $*"; }

cat >"$state/keys.json" <<'EOF'
{"AKIDFERRYSELFTEST01": {"secret": "selftest/secret+key0123456789abcdefABCDEF", "token": null}}
EOF
cat >"$state/roles.json" <<'EOF'
{"assumable": ["arn:aws:iam::123456789012:role/ferry-upload"],
 "roles": ["vmimport"], "instance_role": "ferry-instance"}
EOF

# A stub S3 for ImportSnapshot: serves $tmp/s3/BUCKET/KEY, no auth checks.
mkdir -p "$tmp/s3/bucket"
$PY - "$tmp/s3" >"$tmp/s3.out" 2>/dev/null <<'EOF' &
import os, sys
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
os.chdir(sys.argv[1])
class H(SimpleHTTPRequestHandler):
    def log_message(self, *a): pass
s = ThreadingHTTPServer(("127.0.0.1", 0), H)
print("listening", s.server_address[1], flush=True)
s.serve_forever()
EOF
pids+=($!)

for _ in $(seq 50); do [ -s "$tmp/s3.out" ] && break; sleep 0.1; done
s3port=$(awk '/^listening/ {print $2; exit}' "$tmp/s3.out")
[ -n "$s3port" ] || fail "the stub S3 did not start"
$PY "$here/aws-fake.py" --state "$state" --port 0 --complete-delay 0.5 \
    --import-delay 0.3 --s3-endpoint "http://127.0.0.1:$s3port" \
    >"$tmp/fake.out" 2>"$tmp/fake.err" &
pids+=($!)
for _ in $(seq 50); do [ -s "$tmp/fake.out" ] && break; sleep 0.1; done
port=$(awk '/^listening/ {print $2; exit}' "$tmp/fake.out")
[ -n "$port" ] || fail "the fake did not start"
EP=http://127.0.0.1:$port

export AWS_ACCESS_KEY_ID=AKIDFERRYSELFTEST01
export AWS_SECRET_ACCESS_KEY='selftest/secret+key0123456789abcdefABCDEF'
unset AWS_SESSION_TOKEN AWS_PROFILE
export AWS_DEFAULT_REGION=eu-west-1 AWS_REGION=eu-west-1
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export AWS_PAGER= AWS_EC2_METADATA_DISABLED=true AWS_RETRY_MODE=standard
aws() { /usr/bin/aws --endpoint-url "$EP" --output text "$@"; }
# expect_error CODE COMMAND...: the command fails with AWS error CODE.
expect_error() {
    local code=$1; shift
    if "$@" >"$tmp/err.out" 2>&1; then fail "$* succeeded, wanted $code"; fi
    grep -q "($code)" "$tmp/err.out" || { cat "$tmp/err.out"; fail "$*: wanted $code"; }
}
b64sha() { openssl dgst -sha256 -binary "$1" | base64; }

# ---- EBS direct: three blocks, one throttled, one cut mid-body
head -c 524288 /dev/zero | tr '\0' A >"$tmp/b0"
head -c 524288 /dev/urandom >"$tmp/b1"
head -c 524288 /dev/zero | tr '\0' B >"$tmp/b5"
cat >"$state/faults.json" <<'EOF'
[{"match": {"op": "PutSnapshotBlock", "index": 1}, "fault": "throttle", "times": 1},
 {"match": {"op": "PutSnapshotBlock", "index": 5}, "fault": "cut", "times": 1}]
EOF

sid=$(aws ebs start-snapshot --volume-size 1 --timeout 60 --client-token tok-1 \
      --description selftest --query SnapshotId)
[[ $sid =~ ^snap-[0-9a-f]{17}$ ]] || fail "StartSnapshot: $sid"
sid2=$(aws ebs start-snapshot --volume-size 1 --client-token tok-1 --query SnapshotId)
[ "$sid" = "$sid2" ] || fail "the same ClientToken gave another snapshot"
ok "StartSnapshot $sid (idempotent by ClientToken)"

for i in 0 1 5; do
    aws ebs put-snapshot-block --snapshot-id "$sid" --block-index $i \
        --block-data "$tmp/b$i" --data-length 524288 \
        --checksum "$(b64sha "$tmp/b$i")" --checksum-algorithm SHA256 \
        >/dev/null || fail "PutSnapshotBlock $i"
done
[ "$(wc -l <"$state/faults.log")" = 2 ] || fail "faults.log: $(cat "$state/faults.log")"
grep -q '"fault": "throttle"' "$state/faults.log" &&
    grep -q '"fault": "cut"' "$state/faults.log" || fail "faults.log"
ok "PutSnapshotBlock x3, retried through a throttle and a cut connection"

expect_error ValidationException aws ebs put-snapshot-block --snapshot-id "$sid" \
    --block-index 2 --block-data "$tmp/b0" --data-length 524288 \
    --checksum "$(b64sha "$tmp/b1")" --checksum-algorithm SHA256
expect_error ResourceNotFoundException aws ebs put-snapshot-block \
    --snapshot-id snap-0123456789abcdef0 --block-index 0 --block-data "$tmp/b0" \
    --data-length 524288 --checksum "$(b64sha "$tmp/b0")" --checksum-algorithm SHA256
ok "PutSnapshotBlock: a wrong checksum and an unknown snapshot are refused"

agg=$(for i in 0 1 5; do openssl dgst -sha256 -binary "$tmp/b$i"; done |
      openssl dgst -sha256 -binary | base64)
bad=$(for i in 5 1 0; do openssl dgst -sha256 -binary "$tmp/b$i"; done |
      openssl dgst -sha256 -binary | base64)
expect_error ValidationException aws ebs complete-snapshot --snapshot-id "$sid" \
    --changed-blocks-count 3 --checksum "$bad" --checksum-algorithm SHA256 \
    --checksum-aggregation-method LINEAR
st=$(aws ebs complete-snapshot --snapshot-id "$sid" --changed-blocks-count 3 \
     --checksum "$agg" --checksum-algorithm SHA256 \
     --checksum-aggregation-method LINEAR --query Status)
[ "$st" = pending ] || fail "CompleteSnapshot: $st"
ok "CompleteSnapshot: the LINEAR aggregate checked (a wrong order refused)"

for _ in $(seq 20); do
    st=$(aws ec2 describe-snapshots --snapshot-ids "$sid" \
         --query 'Snapshots[0].[State,Progress,VolumeSize]')
    case $st in completed*) break ;; esac
    sleep 0.3
done
[ "$st" = "$(printf 'completed\t100%%\t1')" ] || fail "DescribeSnapshots: $st"
ok "DescribeSnapshots: completed 100%"

$PY "$here/aws-fake.py" dump-snapshot "$state" "$sid" "$tmp/disk.raw"
[ "$(stat -c %s "$tmp/disk.raw")" = 1073741824 ] || fail "dump-snapshot size"
cmp <(cat "$tmp/b0" "$tmp/b1") <(head -c 1048576 "$tmp/disk.raw") &&
    cmp "$tmp/b5" <(tail -c +$((5 * 524288 + 1)) "$tmp/disk.raw" | head -c 524288) ||
    fail "dump-snapshot contents"
ok "dump-snapshot: the blocks are where they were written"

# ---- EC2 images
bdm="DeviceName=/dev/xvda,Ebs={SnapshotId=$sid,VolumeType=gp3,VolumeSize=2,DeleteOnTermination=true}"
reg() {
    aws ec2 register-image --name "$1" --architecture x86_64 \
        --root-device-name "${2:-/dev/xvda}" --block-device-mappings "$bdm" \
        --virtualization-type hvm --ena-support --sriov-net-support simple \
        --boot-mode uefi --imds-support v2.0 --tpm-support v2.0 \
        --query ImageId
}
ami=$(reg "ferry selftest (1)")
[[ $ami =~ ^ami-[0-9a-f]{17}$ ]] || fail "RegisterImage: $ami"
expect_error InvalidAMIName.Duplicate reg "ferry selftest (1)"
expect_error InvalidAMIName.Malformed reg "x"
expect_error InvalidBlockDeviceMapping reg "ferry selftest 2" /dev/sda1
# (this CLI's RegisterImage has no --tag-specifications; tag afterwards)
aws ec2 create-tags --resources "$ami" --tags Key=made-by,Value=ferry
ok "RegisterImage $ami (duplicate, malformed name, wrong root refused)"

got=$(aws ec2 describe-images --owners self \
      --filters "Name=name,Values=ferry selftest (1)" --query \
      'Images[0].[ImageId,Architecture,BootMode,ImdsSupport,TpmSupport,EnaSupport,SriovNetSupport,BlockDeviceMappings[0].Ebs.VolumeType,BlockDeviceMappings[0].Ebs.VolumeSize,Tags[0].Value]')
want=$(printf '%s\t' "$ami" x86_64 uefi v2.0 v2.0 True simple gp3 2; printf ferry)
[ "$got" = "$want" ] || fail "DescribeImages: $got"
ok "DescribeImages: the recorded fields come back"

expect_error InvalidSnapshot.InUse aws ec2 delete-snapshot --snapshot-id "$sid"
aws ec2 deregister-image --image-id "$ami" >/dev/null
expect_error InvalidAMIID.NotFound aws ec2 describe-images --image-ids "$ami"
aws ec2 delete-snapshot --snapshot-id "$sid" >/dev/null
expect_error InvalidSnapshot.NotFound aws ec2 describe-snapshots --snapshot-ids "$sid"
ok "DeregisterImage, DeleteSnapshot (refused while the image used it)"

[ "$(aws ec2 describe-regions --query 'Regions[0].RegionName')" = eu-west-1 ] ||
    fail "DescribeRegions"
ok "DescribeRegions: eu-west-1"

# ---- STS, IMDS, wrong credentials
read -r akid secret token < <(aws sts assume-role \
    --role-arn arn:aws:iam::123456789012:role/ferry-upload \
    --role-session-name selftest \
    --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]')
arn=$(AWS_ACCESS_KEY_ID=$akid AWS_SECRET_ACCESS_KEY=$secret AWS_SESSION_TOKEN=$token \
      aws sts get-caller-identity --query Arn)
[ "$arn" = arn:aws:sts::123456789012:assumed-role/ferry-upload/selftest ] ||
    fail "GetCallerIdentity with the AssumeRole keys: $arn"
expect_error AccessDenied aws sts assume-role \
    --role-arn arn:aws:iam::123456789012:role/other --role-session-name selftest
expect_error InvalidClientTokenId env AWS_SESSION_TOKEN=bogus \
    AWS_ACCESS_KEY_ID=$akid AWS_SECRET_ACCESS_KEY=$secret \
    /usr/bin/aws --endpoint-url "$EP" sts get-caller-identity
ok "AssumeRole: its keys work; another role is AccessDenied; a wrong token refused"

itok=$(curl -sf -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' \
       "$EP/latest/api/token")
[ "$(curl -s -o /dev/null -w '%{http_code}' \
     "$EP/latest/meta-data/iam/security-credentials/")" = 401 ] ||
    fail "IMDS without a token"
role=$(curl -sf -H "X-aws-ec2-metadata-token: $itok" \
       "$EP/latest/meta-data/iam/security-credentials/")
read -r akid secret token < <(curl -sf -H "X-aws-ec2-metadata-token: $itok" \
    "$EP/latest/meta-data/iam/security-credentials/$role" |
    $PY -c 'import json,sys; d=json.load(sys.stdin); print(d["AccessKeyId"], d["SecretAccessKey"], d["Token"])')
AWS_ACCESS_KEY_ID=$akid AWS_SECRET_ACCESS_KEY=$secret AWS_SESSION_TOKEN=$token \
    aws ec2 describe-regions >/dev/null || fail "the IMDS keys"
ok "IMDSv2: token required; role $role's keys work"

expect_error SignatureDoesNotMatch env AWS_SECRET_ACCESS_KEY=wrong \
    /usr/bin/aws --endpoint-url "$EP" ec2 describe-regions
expect_error SignatureDoesNotMatch env AWS_SECRET_ACCESS_KEY=wrong \
    /usr/bin/aws --endpoint-url "$EP" ebs start-snapshot --volume-size 1
ok "a wrong secret: SignatureDoesNotMatch (EC2 and EBS)"

# ---- with python3-botocore's signer directly: a skewed clock, an expired
# token, a fault set through POST /_fake/faults, and EBS's error shape
$PY - "$EP" "$state" <<'EOF' || fail "the botocore checks"
import datetime, json, sys, urllib.error, urllib.request
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
ep, state = sys.argv[1:]
keys = json.load(open(state + "/keys.json"))
keys["AKIDEXPIRED"] = {"secret": "x", "token": "t", "expired": True}
json.dump(keys, open(state + "/keys.json", "w"))

def send(method, path, body, svc, akid="AKIDFERRYSELFTEST01",
         secret="selftest/secret+key0123456789abcdefABCDEF", token=None,
         shift=0):
    r = AWSRequest(method=method, url=ep + path, data=body, headers={
        "Content-Type": "application/x-www-form-urlencoded"})
    a = SigV4Auth(Credentials(akid, secret, token), svc, "eu-west-1")
    r.context["timestamp"] = (datetime.datetime.utcnow() + datetime.timedelta(
        seconds=shift)).strftime("%Y%m%dT%H%M%SZ")
    if token:
        r.headers["X-Amz-Security-Token"] = token
    r.headers["X-Amz-Date"] = r.context["timestamp"]
    cr = a.canonical_request(r)
    sig = a.signature(a.string_to_sign(r, cr), r)
    r.headers["Authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={a.scope(r)}, SignedHeaders="
        f"{a.signed_headers(a.headers_to_sign(r))}, Signature={sig}")
    p = r.prepare()
    q = urllib.request.Request(p.url, p.body, dict(p.headers), method=method)
    try:
        with urllib.request.urlopen(q) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()

ec2 = b"Action=DescribeRegions&Version=2016-11-15"
st, h, b = send("POST", "/", ec2, "ec2")
assert st == 200 and b"eu-west-1" in b, (st, b)
st, h, b = send("POST", "/", ec2, "ec2", shift=-600)
assert st == 400 and b"<Code>RequestExpired</Code>" in b, (st, b)
st, h, b = send("POST", "/", b"Action=GetCallerIdentity&Version=2011-06-15",
                "sts", "AKIDEXPIRED", "x", "t")
assert st == 400 and b"<Code>ExpiredToken</Code>" in b, (st, b)
st, h, b = send("POST", "/", ec2, "ebs")
assert st == 403 and b"<Code>SignatureDoesNotMatch</Code>" in b, (st, b)
rule = [{"match": {"op": "StartSnapshot"}, "fault": "notfound", "times": 1}]
urllib.request.urlopen(urllib.request.Request(
    ep + "/_fake/faults", json.dumps(rule).encode(), method="POST"))
start = json.dumps({"VolumeSize": 1}).encode()
st, h, b = send("POST", "/snapshots", start, "ebs")
assert st == 404 and h["x-amzn-ErrorType"] == "ResourceNotFoundException" \
    and json.loads(b)["Reason"] == "SNAPSHOT_NOT_FOUND", (st, h, b)
st, h, b = send("POST", "/snapshots", start, "ebs")
assert st == 201 and json.loads(b)["BlockSize"] == 524288, (st, b)
st, h, b = send("POST", "/snapshots", b'{"VolumeSize": 0}', "ebs")
assert st == 400 and h["x-amzn-ErrorType"] == "ValidationException", (st, h, b)
EOF
ok "botocore: clock skew, expired token, a fault set by POST /_fake/faults, EBS errors"

# ---- what the fake recorded
$PY - "$state/requests.jsonl" <<'EOF' || fail "requests.jsonl"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
puts = [r for r in recs if r["op"] == "PutSnapshotBlock" and r.get("status") == 201]
assert len(puts) == 3, puts
assert all(not r["body_signed"] and r["region"] == "eu-west-1" and
           r["service"] == "ebs" and "host" in r["signed_headers"]
           for r in puts), puts
assert any(r.get("fault") == "throttle" and r["index"] == 1 for r in recs)
assert any(r.get("op") == "RegisterImage" and r["body_signed"] for r in recs)
assert any(r.get("error") == "SignatureDoesNotMatch" for r in recs)
text = open(sys.argv[1]).read()
assert "selftest/secret" not in text and "Authorization" not in text
EOF
ok "requests.jsonl: unsigned EBS block bodies, faults, no secrets"

# ---- ImportSnapshot, from the stub S3
rm -f "$state/faults.json"
{ head -c 524288 /dev/urandom; head -c 1048576 /dev/zero; cat "$tmp/b5"; } >"$tmp/src.raw"
qemu-img convert -f raw -O vmdk "$tmp/src.raw" "$tmp/s3/bucket/disk.vmdk"
tid=$(aws ec2 import-snapshot --description selftest \
      --disk-container 'Format=VMDK,UserBucket={S3Bucket=bucket,S3Key=disk.vmdk}' \
      --query ImportTaskId)
[[ $tid =~ ^import-snap-[0-9a-f]{17}$ ]] || fail "ImportSnapshot: $tid"
for _ in $(seq 30); do
    st=$(aws ec2 describe-import-snapshot-tasks --import-task-ids "$tid" --query \
         'ImportSnapshotTasks[0].SnapshotTaskDetail.[Status,SnapshotId,StatusMessage]')
    case $st in completed*|deleted*) break ;; esac
    sleep 0.3
done
case $st in completed*) ;; *) fail "ImportSnapshot task: $st" ;; esac
isid=$(echo "$st" | cut -f2)
$PY "$here/aws-fake.py" dump-snapshot "$state" "$isid" "$tmp/imp.raw"
cmp "$tmp/src.raw" <(head -c $((4 * 524288)) "$tmp/imp.raw") || fail "imported contents"
echo '{"roles": []}' >"$state/roles.json"
expect_error InvalidParameter aws ec2 import-snapshot \
    --disk-container 'Format=VMDK,UserBucket={S3Bucket=bucket,S3Key=disk.vmdk}'
grep -q "The service role vmimport provided does not exist or does not have sufficient permissions" \
    "$tmp/err.out" || fail "the vmimport message"
ok "ImportSnapshot: VMDK from S3 became snapshot $isid; no vmimport role refused"

curl -sf "$EP/_fake/state" | $PY -c 'import json,sys; d=json.load(sys.stdin); assert d["keys"] >= 3 and d["import_tasks"], d' ||
    fail "/_fake/state"
ok "GET /_fake/state"
echo "PASS: aws-fake answers the AWS CLI as AWS does"
