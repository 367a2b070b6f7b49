#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/aws.sh [--image VMDK]
#
# From a VMware-exported disk to a snapshot in EBS, three flows on the
# same guest in one run, through the same servers on 127.0.0.1: the
# test suite's FAKE of EBS direct, EC2 and STS (tests/cloud/aws-fake.py:
# no real one can be installed here) and a real S3, Ceph radosgw
# (tests/cloud/ceph-up.sh):
#
#   ferry -o aws          ferry convert -o aws (EBS direct: blocks
#                         straight from the copy engine, zeroes skipped)
#   ferry -o aws import   ferry convert -o aws -oo method=import (a
#                         streamOptimized VMDK into S3, ImportSnapshot)
#   local + s3 cp + import  ferry convert -o local -of raw, then Debian's
#                         "aws s3 cp", then "aws ec2 import-snapshot"
#                         and its polling: what users chain today
#
# For each: wall seconds, the bytes that went over the wire to EBS or
# S3, and their ratio to the guest's data (the non-zero 4 KiB blocks of
# the converted disk: the goal for -o aws is at most 1.02), and the
# ratio of ferry -o aws's wall time to the flow's.  The fake's import
# converts in seconds (AWS takes tens of minutes), so the third flow's
# time is a lower bound of the real one.
#
# Default image: /var/cache/ferry-tests/deb12-vmw-disk1.vmdk (built by
# tests/images/real-debian12.sh).  About 5 minutes.
set -euo pipefail

prog="${0##*/}"
here="$(cd "$(dirname "$0")" && pwd)"
top="$(cd "$here/.." && pwd)"
cloud="$top/tests/cloud"
die() { echo "$prog: $*" >&2; exit 1; }
say() { printf '%s: [%4d s] %s\n' "$prog" "$SECONDS" "$*" >&2; }

img=/var/cache/ferry-tests/deb12-vmw-disk1.vmdk
while [ "$#" -gt 0 ]; do
    case "$1" in
        --image) [ "$#" -ge 2 ] || die "--image needs a path"; img="$2"; shift 2 ;;
        -h|--help) sed -n '2,/^$/{s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
        *) die "unknown argument \"$1\"" ;;
    esac
done
ferry="${FERRY:-$top/ferry}"
[ -x "$ferry" ] || die "$ferry is missing: run 'make ferry' in $top"
[ -f "$img" ] || die "$img is missing: run $top/tests/images/real-debian12.sh $(dirname "$img")"
for t in /usr/bin/aws /usr/bin/python3 qemu-img jq curl radosgw; do
    command -v "$t" >/dev/null 2>&1 || die "$t is not installed (quickstart.sh installs it)"
done

work="$(mktemp -d "${TMPDIR:-/var/tmp}/ferry-bench-aws.XXXXXX")"
fake_pid=
cleanup() {
    [ -z "$fake_pid" ] || kill "$fake_pid" 2>/dev/null || true
    "$cloud/ceph-down.sh" "$work/ceph" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

say "starting Ceph and radosgw"
"$cloud/ceph-up.sh" "$work/ceph" > "$work/ceph-up.log" 2>&1 || { cat "$work/ceph-up.log"; die "ceph-up.sh failed"; }
# shellcheck disable=SC1091
source "$work/ceph/env"
mkdir "$work/fake"
jq -n --arg a "$S3_ACCESS_KEY" --arg s "$S3_SECRET_KEY" '{($a): {secret: $s}}' > "$work/fake/keys.json"
/usr/bin/python3 "$cloud/aws-fake.py" --state "$work/fake" --region eu-west-1 \
    --s3-endpoint "$S3_ENDPOINT" > "$work/fake.log" 2> "$work/fake.err" &
fake_pid=$!
for (( i = 0; i < 100; i++ )); do
    port=$(sed -n '1s/^listening //p' "$work/fake.log") || true
    [ -z "$port" ] || break
    sleep 0.1
done
[ -n "$port" ] || die "aws-fake.py did not start: $(cat "$work/fake.err")"
fake="http://127.0.0.1:$port"
export HOME="$work/home" AWS_ACCESS_KEY_ID="$S3_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$S3_SECRET_KEY"
export AWS_REGION=eu-west-1 AWS_DEFAULT_REGION=eu-west-1 AWS_EC2_METADATA_DISABLED=true
mkdir -p "$HOME"
s3() { /usr/bin/aws --endpoint-url "$S3_ENDPOINT" "$@"; }
ec2() { /usr/bin/aws --endpoint-url "$fake" ec2 "$@"; }
s3 s3api create-bucket --bucket bench > /dev/null

# Bytes radosgw took in (its perf counters would do too; the objects'
# sizes are what was sent, multipart parts included).
ebs_bytes() { grep -c '"op": *"PutSnapshotBlock".*"status": *201' "$work/fake/requests.jsonl" | awk '{print $1 * 524288}'; }

declare -A wall bytes
t0=$SECONDS
say "ferry -o aws (EBS direct)"
b0=$(ebs_bytes 2>/dev/null || echo 0)
AWS_ENDPOINT_URL="$fake" "$ferry" convert -q --machine-readable -i disk "$img" -o aws \
    -oo image-name=bench-ebs > "$work/ebs.jsonl"
wall[ebs]=$((SECONDS - t0))
bytes[ebs]=$(( $(ebs_bytes) - b0 ))
snap=$(jq -r 'select(.type == "output") | .snapshots[0]' "$work/ebs.jsonl")
/usr/bin/python3 "$cloud/aws-fake.py" dump-snapshot "$work/fake" "$snap" "$work/ebs.raw"

t0=$SECONDS
say "ferry -o aws -oo method=import"
AWS_ENDPOINT_URL="$fake" AWS_ENDPOINT_URL_S3="$S3_ENDPOINT" "$ferry" convert -q -i disk "$img" \
    -o aws -oo method=import -oo bucket=bench -oo keep-object -oo image-name=bench-import > /dev/null
wall[import]=$((SECONDS - t0))
bytes[import]=$(s3 s3api list-objects-v2 --bucket bench --output json | jq '[.Contents[].Size] | add')
s3 s3 rm --recursive --quiet s3://bench/

t0=$SECONDS
say "ferry -o local -of raw, aws s3 cp, aws ec2 import-snapshot"
mkdir "$work/local"
"$ferry" convert -q -i disk "$img" -o local -os "$work/local" -of raw -on chain --target aws
s3 s3 cp --quiet "$work/local/chain-sda" s3://bench/chain.raw
task=$(ec2 import-snapshot --disk-container "Format=RAW,UserBucket={S3Bucket=bench,S3Key=chain.raw}" \
    --query ImportTaskId --output text)
while :; do
    st=$(ec2 describe-import-snapshot-tasks --import-task-ids "$task" \
        --query 'ImportSnapshotTasks[0].SnapshotTaskDetail.Status' --output text)
    [ "$st" = completed ] && break
    [ "$st" = active ] || die "import-snapshot: $st"
    sleep 1
done
wall[chain]=$((SECONDS - t0))
bytes[chain]=$(s3 s3api head-object --bucket bench --key chain.raw --output json | jq .ContentLength)

# The guest's data: the converted disk's non-zero 4 KiB blocks.
data=$(/usr/bin/python3 - "$work/ebs.raw" <<'PYEOF'
import sys
n = 0
with open(sys.argv[1], "rb") as f:
    while True:
        b = f.read(1 << 20)
        if not b:
            break
        for i in range(0, len(b), 4096):
            if b[i:i + 4096].strip(b"\0"):
                n += 4096
print(n)
PYEOF
)

printf '\n%-26s %8s %14s %10s %12s\n' flow "wall s" "bytes sent" "/ data" "ferry/flow"
for f in ebs import chain; do
    case $f in
        ebs) name="ferry -o aws" ;;
        import) name="ferry -o aws import" ;;
        chain) name="local + s3 cp + import" ;;
    esac
    printf '%-26s %8d %14d %10.3f %12.2f\n' "$name" "${wall[$f]}" "${bytes[$f]}" \
        "$(echo "${bytes[$f]} / $data" | bc -l)" "$(echo "${wall[ebs]} / ${wall[$f]}" | bc -l)"
done
printf '\nguest data: %d bytes (non-zero 4 KiB blocks of the converted disk)\n' "$data"
echo "note: the fake imports in seconds; AWS's ImportSnapshot takes tens of minutes, so the chain's real time is longer."
