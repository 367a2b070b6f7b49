#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cloud/ceph-selftest.sh [STATEDIR]
#
# Check the cluster of tests/cloud/ceph-up.sh with Debian's awscli
# (/usr/bin/aws) and hand-signed requests (s3-request.py): the S3
# operations ferry's -o aws uses (bucket, multipart upload, list, abort,
# head, delete), that radosgw enforces SigV4, and what it does with
# x-amz-content-sha256 (UNSIGNED-PAYLOAD over http, a hash that does not
# match the body); then rbd create/info/rm with the admin keyring.  Not
# part of make check; run as root.  Without STATEDIR a cluster is started
# in a temporary directory and stopped at the end; with one, the cluster
# running there is used (and started if it is not).
#
# Prints "ok ..." per check and "finding: ..." for behaviour that is
# reported rather than required.  Exit 0: every check passed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
AWS=/usr/bin/aws
PY=/usr/bin/python3
req() { "$PY" "$here/s3-request.py" "$@"; }

[ -x "$AWS" ] || { echo "SKIP: $AWS not installed (apt-get install awscli)"; exit 77; }

work=$(mktemp -d "${TMPDIR:-/tmp}/ferry-ceph-selftest.XXXXXX")
own_cluster=
if [ $# -ge 1 ]; then
    state=$1
else
    state=$work/ceph
    own_cluster=1
fi
cleanup() {
    [ -z "$own_cluster" ] || "$here/ceph-down.sh" "$state" || true
    rm -rf "$work"
}
trap cleanup EXIT

rc=0
"$here/ceph-up.sh" "$state" || rc=$?
[ $rc = 0 ] || exit $rc
# shellcheck disable=SC1091
. "$state/env"
export AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY
export AWS_DEFAULT_REGION=$S3_REGION AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
unset AWS_PROFILE AWS_CA_BUNDLE
s3() { "$AWS" --endpoint-url "$S3_ENDPOINT" --output json s3api "$@"; }
# (awscli prints nothing at all for an empty list-multipart-uploads)
jqr() { "$PY" -c 'import json,sys; t=sys.stdin.read(); d=json.loads(t) if t.strip() else {}; print(eval(sys.argv[1]))' "$1"; }

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok $*"; }

bucket=ferry-selftest-$$
key=disk/image.raw
s3 create-bucket --bucket "$bucket" > /dev/null
ok "create-bucket $bucket"

# ------------------------------------------------ multipart, two parts
head -c $((12 << 20)) /dev/urandom > "$work/img"
head -c $((6 << 20)) "$work/img" > "$work/p1"
tail -c $((6 << 20)) "$work/img" > "$work/p2"
id=$(s3 create-multipart-upload --bucket "$bucket" --key "$key" | jqr 'd["UploadId"]')
e1=$(s3 upload-part --bucket "$bucket" --key "$key" --upload-id "$id" --part-number 1 --body "$work/p1" | jqr 'd["ETag"]')
e2=$(s3 upload-part --bucket "$bucket" --key "$key" --upload-id "$id" --part-number 2 --body "$work/p2" | jqr 'd["ETag"]')
n=$(s3 list-multipart-uploads --bucket "$bucket" | jqr 'len(d.get("Uploads", []))')
[ "$n" = 1 ] || fail "list-multipart-uploads during the upload: $n uploads, not 1"
printf '{"Parts":[{"ETag":%s,"PartNumber":1},{"ETag":%s,"PartNumber":2}]}' \
    "$("$PY" -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$e1")" \
    "$("$PY" -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$e2")" > "$work/parts.json"
etag=$(s3 complete-multipart-upload --bucket "$bucket" --key "$key" --upload-id "$id" \
          --multipart-upload "file://$work/parts.json" | jqr 'd["ETag"]')
# radosgw 16.2 (Debian 12) answers <ETag></ETag> here: the ETag is taken
# from head-object below.
[ -n "$etag" ] || echo "finding: complete-multipart-upload's answer has an empty ETag (radosgw 16.2)"
ok "multipart upload of 12 MiB in 2 parts"
n=$(s3 list-multipart-uploads --bucket "$bucket" | jqr 'len(d.get("Uploads", []))')
[ "$n" = 0 ] || fail "list-multipart-uploads after complete: $n uploads, not 0"
ok "list-multipart-uploads: none after complete"

s3 head-object --bucket "$bucket" --key "$key" > "$work/head.json"
len=$(jqr 'd["ContentLength"]' < "$work/head.json")
etag=$(jqr 'd["ETag"]' < "$work/head.json")
[ "$len" = $((12 << 20)) ] || fail "head-object: ContentLength $len"
# The S3 multipart ETag: MD5 of the parts' binary MD5s, "-" number of parts.
want=$("$PY" -c 'import hashlib,sys; print("\"%s-2\"" % hashlib.md5(b"".join(hashlib.md5(open(f,"rb").read()).digest() for f in sys.argv[1:])).hexdigest())' "$work/p1" "$work/p2")
[ "$etag" = "$want" ] || fail "head-object: ETag $etag, not $want"
s3 get-object --bucket "$bucket" --key "$key" "$work/back" > /dev/null
cmp -s "$work/img" "$work/back" || fail "get-object: the object differs from the upload"
ok "head-object ContentLength $len, ETag $etag (md5 of the part md5s); get-object gives the same bytes"

# ------------------------------------------- unfinished upload, abort
id2=$(s3 create-multipart-upload --bucket "$bucket" --key "$key.2" | jqr 'd["UploadId"]')
n=$(s3 list-multipart-uploads --bucket "$bucket" | jqr 'len(d.get("Uploads", []))')
[ "$n" = 1 ] || fail "list-multipart-uploads after an unfinished create: $n uploads, not 1"
ok "list-multipart-uploads: one after an unfinished create"
s3 abort-multipart-upload --bucket "$bucket" --key "$key.2" --upload-id "$id2"
n=$(s3 list-multipart-uploads --bucket "$bucket" | jqr 'len(d.get("Uploads", []))')
[ "$n" = 0 ] || fail "list-multipart-uploads after abort: $n uploads, not 0"
ok "abort-multipart-upload; none left"

# ------------------------------------------------------------ SigV4
out=$(AWS_SECRET_ACCESS_KEY=wrong-secret s3 head-bucket --bucket "$bucket" 2>&1) &&
    fail "head-bucket with a wrong secret succeeded"
# --debug: radosgw's error documents have an empty <Message/>, on which
# awscli 2.9's s3errormsg handler fails ("argument of type 'NoneType' is
# not iterable") instead of printing the error code.
out=$(AWS_SECRET_ACCESS_KEY=wrong-secret s3 --debug list-objects-v2 --bucket "$bucket" 2>&1) &&
    fail "list-objects-v2 with a wrong secret succeeded"
case $out in *"<Code>SignatureDoesNotMatch</Code>"*) ;; *) fail "wrong secret: not SignatureDoesNotMatch: $(tail -n 3 <<<"$out")" ;; esac
r=$(req GET "/$bucket" --secret wrong-secret)
if [ "$(head -n1 <<<"$r")" != 403 ] || ! grep -q SignatureDoesNotMatch <<<"$r"; then
    fail "hand-signed request with a wrong secret: $(head -n1 <<<"$r")"
fi
ok "a wrong secret is refused: SignatureDoesNotMatch (awscli and hand-signed)"
r=$(req GET "/$bucket" --region zz-nowhere-1)
echo "finding: a credential scope with region zz-nowhere-1 (zonegroup is \"default\"): HTTP $(head -n1 <<<"$r")"

# --------------------------------------- x-amz-content-sha256 checks
head -c $((5 << 20)) /dev/urandom > "$work/q1"
head -c 1000 /dev/urandom > "$work/q2"
k3=$key.3
id3=$(s3 create-multipart-upload --bucket "$bucket" --key "$k3" | jqr 'd["UploadId"]')
r=$(req PUT "/$bucket/$k3" --query "partNumber=1&uploadId=$id3" --body "$work/q1" \
        --payload-hash UNSIGNED-PAYLOAD)
st=$(head -n1 <<<"$r")
echo "finding: UploadPart with x-amz-content-sha256: UNSIGNED-PAYLOAD over plain http: HTTP $st"
[ "$st" = 200 ] || echo "$r" | tail -n 3
wrong=$(sha256sum "$work/q2" | cut -d' ' -f1)
r=$(req PUT "/$bucket/$k3" --query "partNumber=2&uploadId=$id3" --body "$work/q1" \
        --payload-hash "$wrong")
st=$(head -n1 <<<"$r")
echo "finding: UploadPart whose x-amz-content-sha256 is the hash of other data: HTTP $st $(grep -o '<Code>[^<]*</Code>' <<<"$r" || true)"
r=$(req PUT "/$bucket/obj-wrong-hash" --body "$work/q2" --payload-hash "$(sha256sum "$work/q1" | cut -d' ' -f1)")
st=$(head -n1 <<<"$r")
echo "finding: PutObject whose x-amz-content-sha256 is the hash of other data: HTTP $st $(grep -o '<Code>[^<]*</Code>' <<<"$r" || true)"
r=$(req HEAD "/$bucket/obj-wrong-hash")
echo "finding:   ... and HEAD of that object afterwards: HTTP $(head -n1 <<<"$r")"
r=$(req PUT "/$bucket/obj-right-hash" --body "$work/q2")
[ "$(head -n1 <<<"$r")" = 200 ] || fail "PutObject with the right x-amz-content-sha256: $(head -n1 <<<"$r")"
r=$(req PUT "/$bucket/obj-bad-hash" --body "$work/q2" --payload-hash nothex)
echo "finding: PutObject with x-amz-content-sha256: nothex: HTTP $(head -n1 <<<"$r") $(grep -o '<Code>[^<]*</Code>' <<<"$r" || true)"
n=$(s3 list-parts --bucket "$bucket" --key "$k3" --upload-id "$id3" | jqr '[(p["PartNumber"], p["Size"]) for p in d.get("Parts", [])]')
echo "finding: parts stored after those UploadParts: $n"
s3 abort-multipart-upload --bucket "$bucket" --key "$k3" --upload-id "$id3"
ok "hand-signed requests with a right payload hash work"

# ------------------------------------------------------- delete
for k in "$key" obj-wrong-hash obj-right-hash obj-bad-hash; do
    s3 delete-object --bucket "$bucket" --key "$k" > /dev/null
done
if s3 head-object --bucket "$bucket" --key "$key" > /dev/null 2>&1; then
    fail "head-object after delete-object succeeded"
fi
s3 delete-bucket --bucket "$bucket"
ok "delete-object (head-object then fails), delete-bucket"

# ---------------------------------------------------------- RBD
if [ -n "${CEPH_RBD_POOL:-}" ]; then
    rbdc() { rbd -c "$CEPH_CONF" --keyring "$CEPH_KEYRING" --id admin "$@"; }
    img=ferry-selftest-$$
    rbdc create --size 64M "$CEPH_RBD_POOL/$img"
    rbdc info "$CEPH_RBD_POOL/$img" | grep -q 'size 64 MiB' || fail "rbd info: $(rbdc info "$CEPH_RBD_POOL/$img")"
    rbdc rm --no-progress "$CEPH_RBD_POOL/$img"
    ok "rbd create/info/rm in pool $CEPH_RBD_POOL"
fi
echo "PASS"
