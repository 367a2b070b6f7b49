#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""aws-fake.py: a FAKE of the AWS services ferry's -o aws talks to, for tests.

This is not AWS and not an emulator of it: it is a small test server that
imitates, on one port of 127.0.0.1, just the parts ferry uses of
  - the EBS direct APIs (StartSnapshot, PutSnapshotBlock, CompleteSnapshot,
    ListSnapshotBlocks, GetSnapshotBlock), rest-json as in botocore's
    ebs 2019-11-02 model: paths under /snapshots;
  - the EC2 query API (snapshots, images, tags, regions, ImportSnapshot):
    POST / with a form body, Action=..., Version=2016-11-15;
  - STS (GetCallerIdentity, AssumeRole): POST /, Version=2011-06-15;
  - the EC2 instance metadata service, IMDSv2: /latest/... .
It exists because nothing installable implements these: Debian and npm have
S3 servers (radosgw, ...) but no EBS, EC2 or STS emulator.

Every request except IMDS and /_fake/ must carry an AWS Signature Version 4
that this server checks with botocore's signer (botocore.auth.SigV4Auth, from
Debian's python3-botocore), an implementation independent of ferry's: the
request is rebuilt from what was received and signed again with the secret
from the key table, at the request's own X-Amz-Date.

Usage:
  aws-fake.py --state DIR [--port 0] [--s3-endpoint URL] [--region R]
              [--complete-delay S] [--import-delay S]
      serve; the first line on stdout is "listening PORT".
  aws-fake.py list DIR                    the state (DIR/state.json) as JSON
  aws-fake.py dump-snapshot DIR SNAPID OUT.raw
      a snapshot's blocks as a sparse raw file of VolumeSize GiB

Files in DIR (the test writes the first four; re-read when used):
  keys.json     {"AKID": {"secret": "...", "token": null|"...",
                 "expired": false, "account": "123456789012", "arn": "..."}}
                AssumeRole and IMDS add their temporary keys to it.
  roles.json    {"assumable": [role ARNs AssumeRole allows],
                 "external_ids": {ARN: id}, "roles": ["vmimport", ...],
                 "instance_role": "ferry-instance", "imds_lifetime": 21600};
                without "roles" the role vmimport exists.
  s3.json       {"access_key": ..., "secret_key": ...} for ImportSnapshot's
                S3 reads (else the first key of keys.json).
  faults.json   [{"match": {"op": "PutSnapshotBlock", "index": 5,
                  "service": "ebs"}, "fault": "throttle", "times": 1,
                  "seconds": 10}]   (match keys optional; times default 1;
                seconds is for "stall").  Faults: throttle 503 500 cut
                notfound denied validation expired stall; "times": null
                or -1 for every matching request.  Counts restart
                when the file's content changes; POST /_fake/faults (a JSON
                list) writes it.
  faults.log    one JSON line per fault injected
  requests.jsonl  one JSON line per request (IMDS ones too, service imds):
                method, path, op,
                service, region, access_key, signed_headers, body_signed,
                index, status, error, fault (never a secret)
  snapshots/ID/INDEX  the blocks written;  state.json  GET /_fake/state

AWS_FAKE_DEBUG=1 in the environment prints each canonical request to stderr
(it holds no secret key, but holds a session token when there is one).
Where AWS answers differently per service the fake does too (EC2: AuthFailure
for an unknown key, RequestExpired for a skewed clock), except that a wrong
signature is SignatureDoesNotMatch (403) everywhere (EC2 says AuthFailure).
"""

import base64
import datetime
import hashlib
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

BLOCK = 524288
GIB = 1 << 30
ACCOUNT = "123456789012"
EC2_NS = "http://ec2.amazonaws.com/doc/2016-11-15/"
STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
SKEW = 300


class Fail(Exception):
    """An AWS error: code, message, HTTP status, EBS Reason."""
    def __init__(self, code, message, status=400, reason=None):
        super().__init__(message)
        self.code, self.message, self.status, self.reason = \
            code, message, status, reason


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def hexid(prefix):
    return prefix + secrets.token_hex(9)[:17]


def b64sha(data):
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def readjson(path, default):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return default


# ------------------------------------------------------------------ state

class State:
    def __init__(self, d, opts):
        self.dir, self.opts = d, opts
        self.lock = threading.RLock()
        self.snapshots = {}     # id -> dict (+ "digests": {index: bytes})
        self.images = {}
        self.tasks = {}
        self.tokens = {}        # IMDS token -> expiry (epoch)
        self.fault_counts = {}
        os.makedirs(os.path.join(d, "snapshots"), exist_ok=True)

    def path(self, *p):
        return os.path.join(self.dir, *p)

    def keys(self):
        return readjson(self.path("keys.json"), {})

    def add_key(self, akid, entry):
        with self.lock:
            k = self.keys()
            k[akid] = entry
            tmp = self.path("keys.json.tmp")
            with open(tmp, "w") as f:
                json.dump(k, f, indent=1)
            os.replace(tmp, self.path("keys.json"))

    def roles(self):
        return readjson(self.path("roles.json"), {})

    def log(self, name, rec):
        with self.lock, open(self.path(name), "a") as f:
            f.write(json.dumps(rec, sort_keys=True) + "\n")

    def snapshot(self, sid, query=False):
        s = self.snapshots.get(sid)
        if s is None:
            if query:
                raise Fail("InvalidSnapshot.NotFound",
                           f"The snapshot '{sid}' does not exist.")
            raise Fail("ResourceNotFoundException",
                       f"The snapshot '{sid}' does not exist.", 404,
                       "SNAPSHOT_NOT_FOUND")
        if (s["status"] == "pending" and not s.get("completing")
                and time.time() > s["start"] + s["timeout"] * 60):
            s["status"] = "error"
        return s

    def public(self):
        snaps = [{k: v for k, v in s.items() if k != "digests"}
                 | {"block_count": len(s["digests"])}
                 for s in self.snapshots.values()]
        return {"snapshots": snaps, "images": list(self.images.values()),
                "import_tasks": list(self.tasks.values()),
                "keys": len(self.keys())}

    def save(self):
        with self.lock:
            tmp = self.path("state.json.tmp")
            with open(tmp, "w") as f:
                json.dump(self.public(), f, indent=1, sort_keys=True)
            os.replace(tmp, self.path("state.json"))

    def new_snapshot(self, size, desc="", tags=None, timeout=60, token=None,
                     owner=ACCOUNT):
        sid = hexid("snap-")
        os.makedirs(self.path("snapshots", sid), exist_ok=True)
        self.snapshots[sid] = {
            "id": sid, "status": "pending", "volume_size": size,
            "description": desc, "tags": tags or [], "owner": owner,
            "start": time.time(), "start_time": iso(now()),
            "timeout": timeout, "client_token": token, "progress": 0,
            "digests": {}}
        return self.snapshots[sid]

    def complete_later(self, sid, delay):
        def done():
            with self.lock:
                s = self.snapshots.get(sid)
                if s and s["status"] == "pending":
                    s["status"], s["progress"] = "completed", 100
                    self.save()
        t = threading.Timer(delay, done)
        t.daemon = True
        t.start()

    # -- faults
    def fault_for(self, service, op, index):
        try:
            raw = open(self.path("faults.json"), "rb").read()
        except FileNotFoundError:
            return None
        try:
            rules = json.loads(raw or b"[]")
        except ValueError:
            return None
        gen = hashlib.sha256(raw).hexdigest()
        with self.lock:
            for n, r in enumerate(rules):
                m = r.get("match", {})
                if ("op" in m and m["op"] != op or
                        "service" in m and m["service"] != service or
                        "index" in m and m["index"] != index):
                    continue
                key = (gen, n)
                used = self.fault_counts.get(key, 0)
                times = r.get("times", 1)
                if times is not None and 0 <= times <= used:
                    continue
                self.fault_counts[key] = used + 1
                self.log("faults.log", {"time": iso(now()), "op": op,
                                        "service": service, "index": index,
                                        "fault": r["fault"], "n": used + 1})
                return r
        return None


# ------------------------------------------------------------------ SigV4

def verify(st, method, path, query, headers, body, service):
    """Check the request's signature with botocore; returns (akid, entry,
    region, signed header names, body_signed)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest, HTTPHeaders
    from botocore.credentials import Credentials

    auth = headers.get("Authorization")
    missing = {"ebs": ("MissingAuthenticationTokenException", 403),
               "ec2": ("AuthFailure", 401),
               "sts": ("MissingAuthenticationToken", 403)}[service]
    if not auth:
        raise Fail(missing[0], "Request is missing Authentication Token",
                   missing[1])
    m = re.fullmatch(r"AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)/(\d{8})/"
                     r"([^/,\s]+)/([^/,\s]+)/aws4_request,\s*"
                     r"SignedHeaders=([a-z0-9;\-]+),\s*"
                     r"Signature=([0-9a-f]{64})",
                     auth.strip())
    if not m:
        raise Fail("IncompleteSignature",
                   "Authorization header requires 'Credential', "
                   "'Signature' and 'SignedHeaders' parameters.", 400)
    akid, day, region, svc, signed, sig = m.groups()
    names = signed.split(";")
    unknown = {"ebs": ("UnrecognizedClientException", 403),
               "ec2": ("AuthFailure", 401),
               "sts": ("InvalidClientTokenId", 403)}[service]
    entry = st.keys().get(akid)
    if entry is None:
        raise Fail(unknown[0], "The security token included in the request "
                   "is invalid.", unknown[1])
    if "host" not in names:
        raise Fail("IncompleteSignature", "'Host' or ':authority' must be a "
                   "'SignedHeader' in the AWS Authorization.")
    if svc != service:
        raise Fail("SignatureDoesNotMatch", "Credential should be scoped to "
                   f"correct service: '{service}'.", 403)
    stamp = headers.get("X-Amz-Date", "")
    try:
        t = datetime.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(
            tzinfo=datetime.timezone.utc)
    except ValueError:
        raise Fail("IncompleteSignature", "Authorization header requires "
                   "existence of either a 'X-Amz-Date' or a 'Date' header.")
    if "x-amz-date" not in names:
        raise Fail("SignatureDoesNotMatch", "X-Amz-Date must be signed", 403)
    if abs((now() - t).total_seconds()) > SKEW:
        if service == "ec2":
            raise Fail("RequestExpired", f"Request has expired. Timestamp "
                       f"date is {stamp}", 400)
        raise Fail("InvalidSignatureException" if service == "ebs" else
                   "SignatureDoesNotMatch", f"Signature expired: {stamp} is "
                   "now earlier or later than 5 minutes from the current "
                   "time.", 403)
    if day != stamp[:8]:
        raise Fail("SignatureDoesNotMatch", "Date in Credential scope does "
                   f"not match YYYYMMDD from ISO-8601 version of date from "
                   f"HTTP: '{day}' != '{stamp[:8]}'", 403)
    if entry.get("token"):
        if headers.get("X-Amz-Security-Token") != entry["token"]:
            raise Fail(unknown[0], "The security token included in the "
                       "request is invalid.", unknown[1])
    expired = entry.get("expired") or (entry.get("expiration") and
                                       datetime.datetime.fromisoformat(
                                           entry["expiration"]) < now())
    if expired:
        raise Fail("ExpiredTokenException" if service == "ebs" else
                   "ExpiredToken", "The security token included in the "
                   "request is expired", 403 if service == "ebs" else 400)

    sent_hash = headers.get("X-Amz-Content-SHA256")
    if sent_hash and sent_hash != "UNSIGNED-PAYLOAD" and \
            sent_hash != hashlib.sha256(body).hexdigest():
        raise Fail("XAmzContentSHA256Mismatch", "The provided "
                   "'x-amz-content-sha256' header does not match what was "
                   "computed.", 400)

    class Signer(SigV4Auth):         # exactly the headers that were signed
        def headers_to_sign(self, request):
            h = HTTPHeaders()
            for n in names:
                for v in request.headers.get_all(n) or []:
                    h[n] = v
            return h

    url = f"http://{headers.get('Host', '')}{path}" + \
        (f"?{query}" if query else "")
    req = AWSRequest(method=method, url=url, data=body)
    req.headers = HTTPHeaders()
    for n in names:
        for v in headers.get_all(n) or []:
            req.headers[n] = v
    if sent_hash and "x-amz-content-sha256" not in names:
        req.headers["X-Amz-Content-SHA256"] = sent_hash
    req.context["timestamp"] = stamp
    signer = Signer(Credentials(akid, entry["secret"], entry.get("token")),
                    svc, region)
    cr = signer.canonical_request(req)
    want = signer.signature(signer.string_to_sign(req, cr), req)
    if os.environ.get("AWS_FAKE_DEBUG"):     # no secret in it but a token
        sys.stderr.write(f"aws-fake: canonical request:\n{cr}\n")
    if not secrets.compare_digest(want, sig):
        raise Fail("SignatureDoesNotMatch", "The request signature we "
                   "calculated does not match the signature you provided. "
                   "Check your AWS Secret Access Key and signing method. "
                   "Consult the service documentation for details.", 403)
    return akid, entry, region, names, sent_hash != "UNSIGNED-PAYLOAD"


# ------------------------------------------------------------------ EBS

def ebs_fault(kind, op, sid):
    if kind == "throttle":
        return Fail("ThrottlingException", "Rate exceeded", 400)
    if kind == "503":
        return Fail("ServiceUnavailableException",
                    "Service unavailable, please retry", 503)
    if kind == "500":
        return Fail("InternalServerException", "An internal error occurred",
                    500)
    if kind == "notfound":
        return Fail("ResourceNotFoundException",
                    f"The snapshot '{sid}' does not exist.", 404,
                    "SNAPSHOT_NOT_FOUND")
    if kind == "denied":
        return Fail("AccessDeniedException",
                    f"User: arn:aws:iam::{ACCOUNT}:user/ferry-test is not "
                    f"authorized to perform: ebs:{op} on resource: "
                    f"arn:aws:ec2:eu-west-1::snapshot/{sid or '*'} because no "
                    f"identity-based policy allows the ebs:{op} action", 403,
                    "UNAUTHORIZED_ACCOUNT")
    if kind == "expired":
        return Fail("ExpiredTokenException", "The security token included "
                    "in the request is expired", 403)
    return Fail("ValidationException", "Injected validation failure", 400,
                "INVALID_PARAMETER_VALUE")


def ebs_op(method, path):
    """(op, snapshot id, block index) of an EBS path, or Fail."""
    p = path.strip("/").split("/")
    if method == "POST" and p == ["snapshots"]:
        return "StartSnapshot", None, None
    if method == "POST" and len(p) == 3 and p[1] == "completion":
        return "CompleteSnapshot", p[2], None
    if len(p) == 3 and p[2] == "blocks" and method == "GET":
        return "ListSnapshotBlocks", p[1], None
    if len(p) == 4 and p[2] == "blocks" and p[3].isdigit():
        if method == "PUT":
            return "PutSnapshotBlock", p[1], int(p[3])
        if method == "GET":
            return "GetSnapshotBlock", p[1], int(p[3])
    if len(p) == 3 and p[2] == "changedblocks" and method == "GET":
        return "ListChangedBlocks", p[1], None
    raise Fail("UnknownOperationException", "Unknown operation", 404)


def ebs_call(srv, op, sid, index, headers, query, body):
    """Returns (status, JSON dict or bytes, extra headers)."""
    st, o = srv.st, srv.opts
    with st.lock:
        if op == "StartSnapshot":
            try:
                a = json.loads(body or b"{}")
            except ValueError:
                raise Fail("SerializationException", "Invalid JSON")
            size = a.get("VolumeSize")
            if not isinstance(size, int) or not 1 <= size <= 65536:
                raise Fail("ValidationException", "Volume size must be "
                           "between 1 and 65536 GiB", 400,
                           "INVALID_VOLUME_SIZE")
            timeout = a.get("Timeout", 60)
            if not isinstance(timeout, int) or not 10 <= timeout <= 4320:
                raise Fail("ValidationException", "Timeout must be between "
                           "10 and 4320 minutes", 400,
                           "INVALID_PARAMETER_VALUE")
            tok = a.get("ClientToken")
            s = next((s for s in st.snapshots.values()
                      if tok and s["client_token"] == tok), None)
            if s is None:
                s = st.new_snapshot(size, a.get("Description", ""),
                                    a.get("Tags", []), timeout, tok)
                st.save()
            return 201, {
                "SnapshotId": s["id"], "OwnerId": ACCOUNT,
                "Status": s["status"], "StartTime": s["start"],
                "VolumeSize": s["volume_size"], "BlockSize": BLOCK,
                "Description": s["description"], "Tags": s["tags"],
                "SseType": "none"}, {}
        s = st.snapshot(sid)
        if op == "PutSnapshotBlock":
            if s["status"] != "pending" or s.get("completing"):
                raise Fail("ValidationException", f"The snapshot '{sid}' is "
                           f"not in pending state", 400, "INVALID_SNAPSHOT_ID")
            if index >= s["volume_size"] * (GIB // BLOCK):
                raise Fail("ValidationException", f"The block index {index} "
                           "is out of the volume's range", 400,
                           "INVALID_BLOCK")
            if headers.get("x-amz-Data-Length") != str(BLOCK) or \
                    len(body) != BLOCK:
                raise Fail("ValidationException", "The data length must be "
                           f"{BLOCK} bytes", 400, "INVALID_BLOCK")
            if headers.get("x-amz-Checksum-Algorithm") != "SHA256":
                raise Fail("ValidationException", "The checksum algorithm "
                           "must be SHA256", 400, "INVALID_CHECKSUM")
            digest = hashlib.sha256(body).digest()
            if headers.get("x-amz-Checksum") != \
                    base64.b64encode(digest).decode():
                raise Fail("ValidationException", "The checksum of the data "
                           "does not match the x-amz-Checksum header", 400,
                           "INVALID_CHECKSUM")
    d = st.path("snapshots", sid)
    if op == "PutSnapshotBlock":
        with open(os.path.join(d, f".{index}.{threading.get_ident()}"),
                  "wb") as f:
            f.write(body)
        os.replace(f.name, os.path.join(d, str(index)))
        with st.lock:
            s["digests"][index] = digest
        return 201, {}, {"x-amz-Checksum": headers["x-amz-Checksum"],
                         "x-amz-Checksum-Algorithm": "SHA256"}
    if op == "CompleteSnapshot":
        with st.lock:
            if s["status"] != "pending" or s.get("completing"):
                raise Fail("ValidationException", f"The snapshot '{sid}' is "
                           "not in pending state", 400, "INVALID_SNAPSHOT_ID")
            n = headers.get("x-amz-ChangedBlocksCount", "")
            if n != str(len(s["digests"])):
                raise Fail("ValidationException", f"ChangedBlocksCount {n} "
                           f"does not match the {len(s['digests'])} blocks "
                           "written", 400, "INVALID_PARAMETER_VALUE")
            if "x-amz-Checksum" in headers:
                agg = b64sha(b"".join(s["digests"][i]
                                      for i in sorted(s["digests"])))
                if headers.get("x-amz-Checksum-Algorithm") != "SHA256" or \
                        headers.get("x-amz-Checksum-Aggregation-Method") \
                        != "LINEAR" or headers["x-amz-Checksum"] != agg:
                    raise Fail("ValidationException", "The aggregated "
                               "checksum does not match the checksum of the "
                               "blocks written", 400, "INVALID_CHECKSUM")
            s["completing"], s["progress"] = True, 50
            st.save()
        st.complete_later(sid, o.complete_delay)
        return 202, {"Status": "pending"}, {}
    if op == "ListSnapshotBlocks":
        q = parse_qs(query)
        start = int(q.get("startingBlockIndex", ["0"])[0])
        idx = sorted(i for i in s["digests"] if i >= start)
        return 200, {"Blocks": [{"BlockIndex": i, "BlockToken": f"tok-{i}"}
                                for i in idx],
                     "VolumeSize": s["volume_size"], "BlockSize": BLOCK,
                     "ExpiryTime": time.time() + 3600}, {}
    if op == "GetSnapshotBlock":
        if index not in s["digests"]:
            raise Fail("ValidationException", "The block token is invalid",
                       400, "INVALID_BLOCK_TOKEN")
        data = open(os.path.join(d, str(index)), "rb").read()
        return 200, data, {"x-amz-Data-Length": str(BLOCK),
                           "x-amz-Checksum": b64sha(data),
                           "x-amz-Checksum-Algorithm": "SHA256",
                           "Content-Type": "application/octet-stream"}
    raise Fail("ValidationException", f"{op} is not supported by the fake")


# ------------------------------------------------------------------ query

def q1(p, k, default=None):
    v = p.get(k)
    return v[0] if v else default


def qlist(p, prefix):
    """Values of prefix.1, prefix.2, ... in order."""
    out, n = [], 1
    while f"{prefix}.{n}" in p:
        out.append(p[f"{prefix}.{n}"][0])
        n += 1
    return out


def qstructs(p, prefix):
    """[{subkey: value}] of prefix.N.subkey=value."""
    out = {}
    for k, v in p.items():
        m = re.fullmatch(re.escape(prefix) + r"\.(\d+)\.(.+)", k)
        if m:
            out.setdefault(int(m.group(1)), {})[m.group(2)] = v[0]
    return [out[i] for i in sorted(out)]


def qtags(p, resource_type=None):
    tags = []
    for ts in qstructs(p, "TagSpecification"):
        if resource_type and ts.get("ResourceType") != resource_type:
            raise Fail("InvalidParameterValue", "'" + ts.get(
                "ResourceType", "") + "' is not a valid taggable resource "
                "type for this operation.")
        tags += [{"Key": t.get("Key"), "Value": t.get("Value", "")}
                 for t in qstructs({k: [v] for k, v in ts.items()}, "Tag")]
    return tags


def qfilters(p):
    return {f.get("Name"): [v for k, v in sorted(f.items())
                            if k.startswith("Value.")]
            for f in qstructs(p, "Filter")}


def x(tag, v):
    if v is None:
        return ""
    if isinstance(v, bool):
        v = "true" if v else "false"
    return f"<{tag}>{escape(str(v))}</{tag}>"


def xtags(tags):
    return "<tagSet>" + "".join(
        f"<item>{x('key', t['Key'])}{x('value', t['Value'])}</item>"
        for t in tags) + "</tagSet>"


def matches(obj_tags, filters, fields):
    for name, vals in filters.items():
        if name.startswith("tag:"):
            have = [t["Value"] for t in obj_tags if t["Key"] == name[4:]]
        elif name in fields:
            have = [str(fields[name])]
        else:
            raise Fail("InvalidParameterValue",
                       f"The filter '{name}' is invalid")
        if not any(re.fullmatch(re.escape(v).replace(r"\*", ".*"), h)
                   for v in vals for h in have):
            return False
    return True


def query_fault(kind, op, service):
    if service == "sts":
        t = {"throttle": ("Throttling", "Rate exceeded", 400),
             "503": ("ServiceUnavailable", "Service unavailable", 503),
             "500": ("InternalFailure", "An internal error occurred", 500),
             "denied": ("AccessDenied", f"User: arn:aws:iam::{ACCOUNT}:user/"
                        f"ferry-test is not authorized to perform: sts:{op}",
                        403),
             "expired": ("ExpiredToken", "The security token included in "
                         "the request is expired", 400)}
    else:
        t = {"throttle": ("RequestLimitExceeded", "Request limit exceeded.",
                          503),
             "503": ("Unavailable", "The service is unavailable. Please try "
                     "again shortly.", 503),
             "500": ("InternalError", "An internal error has occurred", 500),
             "notfound": ("InvalidSnapshot.NotFound", "The snapshot "
                          "'snap-00000000000000000' does not exist.", 400),
             "denied": ("UnauthorizedOperation", "You are not authorized to "
                        "perform this operation. Encoded authorization "
                        "failure message: " + secrets.token_urlsafe(48), 403),
             "expired": ("RequestExpired", "Request has expired.", 400)}
    c = t.get(kind, ("InvalidParameterValue", "Injected validation failure",
                     400))
    return Fail(*c)


def snap_xml(s):
    return ("<item>" + x("snapshotId", s["id"]) +
            x("volumeId", "vol-ffffffff") + x("status", s["status"]) +
            x("startTime", s["start_time"]) +
            x("progress", f"{s['progress']}%") + x("ownerId", s["owner"]) +
            x("volumeSize", s["volume_size"]) +
            x("description", s["description"]) + x("encrypted", False) +
            x("storageTier", "standard") + xtags(s["tags"]) + "</item>")


def image_xml(i):
    bdm = "".join(
        "<item>" + x("deviceName", b["DeviceName"]) + "<ebs>" +
        x("snapshotId", b.get("SnapshotId")) +
        x("volumeSize", b.get("VolumeSize")) +
        x("deleteOnTermination", b.get("DeleteOnTermination")) +
        x("volumeType", b.get("VolumeType")) + x("encrypted", False) +
        "</ebs></item>" for b in i["BlockDeviceMappings"])
    return ("<item>" + x("imageId", i["ImageId"]) +
            x("imageLocation", f"{ACCOUNT}/{i['Name']}") +
            x("imageState", i["State"]) + x("imageOwnerId", ACCOUNT) +
            x("creationDate", i["CreationDate"]) + x("isPublic", False) +
            x("architecture", i["Architecture"]) +
            x("imageType", "machine") + x("name", i["Name"]) +
            x("description", i.get("Description")) +
            x("rootDeviceType", "ebs") +
            x("rootDeviceName", i["RootDeviceName"]) +
            f"<blockDeviceMapping>{bdm}</blockDeviceMapping>" +
            x("virtualizationType", i["VirtualizationType"]) +
            xtags(i["Tags"]) + x("hypervisor", "xen") +
            x("enaSupport", i.get("EnaSupport")) +
            x("sriovNetSupport", i.get("SriovNetSupport")) +
            x("bootMode", i.get("BootMode")) +
            x("imdsSupport", i.get("ImdsSupport")) +
            x("tpmSupport", i.get("TpmSupport")) + "</item>")


def task_xml(t):
    ub = t.get("UserBucket")
    d = ("<snapshotTaskDetail>" +
         x("diskImageSize", t.get("DiskImageSize")) +
         x("format", t["Format"]) + x("progress", t.get("Progress")) +
         x("snapshotId", t.get("SnapshotId")) + x("status", t["Status"]) +
         x("statusMessage", t.get("StatusMessage")) + x("url", t.get("Url")) +
         (f"<userBucket>{x('s3Bucket', ub['S3Bucket'])}"
          f"{x('s3Key', ub['S3Key'])}</userBucket>" if ub else "") +
         "</snapshotTaskDetail>")
    return (x("description", t.get("Description")) +
            x("importTaskId", t["ImportTaskId"]) + d + xtags(t["Tags"]))


NAME_OK = re.compile(r"[A-Za-z0-9()\[\] ./\-'@_]{3,128}")


def ec2_call(srv, op, p, caller, region):
    st = srv.st
    with st.lock:
        if op == "DescribeRegions":
            return (f"<regionInfo><item>{x('regionName', region)}"
                    f"{x('regionEndpoint', f'ec2.{region}.amazonaws.com')}"
                    f"{x('optInStatus', 'opt-in-not-required')}</item>"
                    "</regionInfo>")
        if op == "DescribeSnapshots":
            ids, f = qlist(p, "SnapshotId"), qfilters(p)
            for i in ids:
                st.snapshot(i, query=True)
            out = [s for s in st.snapshots.values()
                   if (not ids or s["id"] in ids) and
                   matches(s["tags"], f, {"snapshot-id": s["id"],
                                          "status": st.snapshot(s["id"])
                                          ["status"],
                                          "owner-id": s["owner"]})]
            return ("<snapshotSet>" + "".join(snap_xml(s) for s in out) +
                    "</snapshotSet>")
        if op == "DeleteSnapshot":
            sid = q1(p, "SnapshotId", "")
            st.snapshot(sid, query=True)
            for i in st.images.values():
                if any(b.get("SnapshotId") == sid
                       for b in i["BlockDeviceMappings"]):
                    raise Fail("InvalidSnapshot.InUse", f"The snapshot {sid} "
                               f"is currently in use by {i['ImageId']}")
            del st.snapshots[sid]
            d = st.path("snapshots", sid)
            for f in os.listdir(d):
                os.unlink(os.path.join(d, f))
            os.rmdir(d)
            st.save()
            return x("return", True)
        if op == "RegisterImage":
            return register_image(st, p)
        if op == "DescribeImages":
            ids, f = qlist(p, "ImageId"), qfilters(p)
            for i in ids:
                if i not in st.images:
                    raise Fail("InvalidAMIID.NotFound",
                               f"The image id '[{i}]' does not exist")
            out = [i for i in st.images.values()
                   if (not ids or i["ImageId"] in ids) and
                   matches(i["Tags"], f, {"name": i["Name"],
                                          "image-id": i["ImageId"],
                                          "state": i["State"],
                                          "owner-id": ACCOUNT})]
            return ("<imagesSet>" + "".join(image_xml(i) for i in out) +
                    "</imagesSet>")
        if op == "DeregisterImage":
            iid = q1(p, "ImageId", "")
            if iid not in st.images:
                raise Fail("InvalidAMIID.NotFound",
                           f"The image id '[{iid}]' does not exist")
            del st.images[iid]
            st.save()
            return x("return", True)
        if op == "CreateTags":
            tags = [{"Key": t.get("Key"), "Value": t.get("Value", "")}
                    for t in qstructs(p, "Tag")]
            objs = []
            for r in qlist(p, "ResourceId"):
                if r.startswith("ami-") and r in st.images:
                    objs.append(st.images[r]["Tags"])
                elif r.startswith("snap-") and r in st.snapshots:
                    objs.append(st.snapshots[r]["tags"])
                elif r in st.tasks:
                    objs.append(st.tasks[r]["Tags"])
                else:
                    raise Fail("InvalidID", f"The ID '{r}' is not valid")
            for o in objs:
                for t in tags:
                    o[:] = [u for u in o if u["Key"] != t["Key"]] + [t]
            st.save()
            return x("return", True)
        if op == "ImportSnapshot":
            return import_snapshot(srv, p)
        if op == "DescribeImportSnapshotTasks":
            ids = qlist(p, "ImportTaskId")
            for i in ids:
                if i not in st.tasks:
                    raise Fail("InvalidConversionTaskId.Malformed",
                               f"The task ID '{i}' is invalid")
            return ("<importSnapshotTaskSet>" + "".join(
                f"<item>{task_xml(t)}</item>" for t in st.tasks.values()
                if not ids or t["ImportTaskId"] in ids) +
                "</importSnapshotTaskSet>")
        if op == "CancelImportTask":
            tid = q1(p, "ImportTaskId", "")
            t = st.tasks.get(tid)
            if t is None or t["Status"] != "active":
                raise Fail("InvalidConversionTaskId", f"The import task "
                           f"'{tid}' cannot be cancelled")
            t["Status"], t["StatusMessage"] = "deleted", "User cancelled"
            st.save()
            return (x("importTaskId", tid) + x("previousState", "active") +
                    x("state", "deleting"))
    raise Fail("InvalidAction", f"The action {op} is not valid for this web "
               "service.")


def register_image(st, p):
    name = q1(p, "Name", "")
    if not NAME_OK.fullmatch(name):
        raise Fail("InvalidAMIName.Malformed", "AMI names must be between 3 "
                   "and 128 characters long, and may contain letters, "
                   "numbers, '(', ')', '.', '-', '/' and '_'")
    for i in st.images.values():
        if i["Name"] == name:
            raise Fail("InvalidAMIName.Duplicate", f"AMI name {name} is "
                       f"already in use by AMI {i['ImageId']}")
    arch = q1(p, "Architecture", "x86_64")
    virt = q1(p, "VirtualizationType", "paravirtual")
    boot = q1(p, "BootMode")
    for k, v, ok in (("architecture", arch, ("x86_64", "arm64", "i386")),
                     ("virtualizationType", virt, ("hvm", "paravirtual")),
                     ("bootMode", boot, (None, "legacy-bios", "uefi",
                                         "uefi-preferred")),
                     ("imdsSupport", q1(p, "ImdsSupport"), (None, "v2.0")),
                     ("tpmSupport", q1(p, "TpmSupport"), (None, "v2.0")),
                     ("sriovNetSupport", q1(p, "SriovNetSupport"),
                      (None, "simple")),
                     ("enaSupport", q1(p, "EnaSupport"),
                      (None, "true", "false"))):
        if v not in ok:
            raise Fail("InvalidParameterValue", f"Value ({v}) for parameter "
                       f"{k} is invalid.")
    if q1(p, "TpmSupport") and boot not in ("uefi", "uefi-preferred"):
        raise Fail("InvalidParameterCombination", "NitroTPM requires the "
                   "boot mode uefi or uefi-preferred.")
    if arch == "arm64" and boot == "legacy-bios":
        raise Fail("InvalidParameterCombination", "The arm64 architecture "
                   "requires the boot mode uefi.")
    root = q1(p, "RootDeviceName")
    bdms = []
    for b in qstructs(p, "BlockDeviceMapping"):
        e = {"DeviceName": b.get("DeviceName")}
        sid = b.get("Ebs.SnapshotId")
        if sid:
            s = st.snapshot(sid, query=True)
            if s["status"] != "completed":
                raise Fail("IncorrectState", f"Snapshot {sid} is in invalid "
                           f"state - {s['status']}")
            size = int(b.get("Ebs.VolumeSize", s["volume_size"]))
            if size < s["volume_size"]:
                raise Fail("InvalidBlockDeviceMapping", f"Volume of size "
                           f"{size}GB is smaller than snapshot '{sid}', "
                           f"expect size >= {s['volume_size']}GB")
            vt = b.get("Ebs.VolumeType", "standard")
            if vt not in ("standard", "gp2", "gp3", "io1", "io2", "st1",
                          "sc1"):
                raise Fail("InvalidParameterValue", f"Value ({vt}) for "
                           "parameter volumeType is invalid.")
            e |= {"SnapshotId": sid, "VolumeSize": size, "VolumeType": vt,
                  "DeleteOnTermination":
                      b.get("Ebs.DeleteOnTermination", "true") == "true"}
        bdms.append(e)
    if root is None or root not in [b["DeviceName"] for b in bdms]:
        raise Fail("InvalidBlockDeviceMapping", f"The root device name "
                   f"'{root}' does not match any block device mapping")
    if not any(b.get("SnapshotId") and b["DeviceName"] == root for b in bdms):
        raise Fail("InvalidBlockDeviceMapping", "The root device must be "
                   "an EBS snapshot")
    iid = hexid("ami-")
    st.images[iid] = {
        "ImageId": iid, "Name": name, "Description": q1(p, "Description"),
        "State": "available", "CreationDate": iso(now()),
        "Architecture": arch, "VirtualizationType": virt,
        "EnaSupport": {"true": True, "false": False}.get(q1(p, "EnaSupport")),
        "SriovNetSupport": q1(p, "SriovNetSupport"), "BootMode": boot,
        "ImdsSupport": q1(p, "ImdsSupport"), "TpmSupport": q1(p, "TpmSupport"),
        "RootDeviceName": root, "BlockDeviceMappings": bdms,
        "Tags": qtags(p, "image")}
    st.save()
    return x("imageId", iid)


# -- ImportSnapshot: fetch from S3 (or a URL), convert, store as a snapshot

def import_snapshot(srv, p):
    st = srv.st
    roles = st.roles().get("roles", ["vmimport"])
    role = q1(p, "RoleName", "vmimport")
    if role not in roles:
        raise Fail("InvalidParameter", f"The service role {role} provided "
                   "does not exist or does not have sufficient permissions")
    fmt = q1(p, "DiskContainer.Format", "").upper()
    if fmt not in ("VMDK", "RAW", "VHD"):
        raise Fail("InvalidParameter", f"Invalid disk format: {fmt}")
    bucket, key = q1(p, "DiskContainer.UserBucket.S3Bucket"), \
        q1(p, "DiskContainer.UserBucket.S3Key")
    url = q1(p, "DiskContainer.Url")
    if not (bucket and key) and not url:
        raise Fail("MissingParameter", "The request must contain the "
                   "parameter DiskContainer.UserBucket or DiskContainer.Url")
    tid = hexid("import-snap-")
    t = {"ImportTaskId": tid, "Description": q1(p, "Description"),
         "Format": fmt, "Status": "active", "StatusMessage": "pending",
         "Progress": "0", "Tags": qtags(p, "import-snapshot-task"),
         "UserBucket": {"S3Bucket": bucket, "S3Key": key} if bucket else None,
         "Url": url}
    st.tasks[tid] = t
    st.save()
    threading.Thread(target=import_run, args=(srv, t), daemon=True).start()
    return task_xml(t)


def import_run(srv, t):
    st, step = srv.st, srv.opts.import_delay / 3
    tmp = tempfile.mkdtemp(dir=st.dir, prefix=".import-")
    src, raw = os.path.join(tmp, "src"), os.path.join(tmp, "raw")

    def stage(msg, progress):
        with st.lock:
            if t["Status"] != "active":
                raise InterruptedError()
            t["StatusMessage"], t["Progress"] = msg, str(progress)
            st.save()
    try:
        time.sleep(step)
        stage("downloading/converting", 10)
        if t["UserBucket"]:
            import botocore.session
            from botocore.config import Config
            k = readjson(st.path("s3.json"), None)
            if k is None:
                akid, e = next(iter(st.keys().items()))
                k = {"access_key": akid, "secret_key": e["secret"],
                     "token": e.get("token")}
            c = botocore.session.get_session().create_client(
                "s3", endpoint_url=srv.opts.s3_endpoint,
                region_name=srv.opts.region,
                aws_access_key_id=k["access_key"],
                aws_secret_access_key=k["secret_key"],
                aws_session_token=k.get("token"),
                config=Config(s3={"addressing_style": "path"}))
            body = c.get_object(Bucket=t["UserBucket"]["S3Bucket"],
                                Key=t["UserBucket"]["S3Key"])["Body"]
        else:
            body = urllib.request.urlopen(t["Url"], timeout=60)
        with open(src, "wb") as f:
            while chunk := body.read(1 << 20):
                f.write(chunk)
        stage("downloading/converting", 40)
        with st.lock:
            t["DiskImageSize"] = float(os.path.getsize(src))
        if t["Format"] != "RAW":
            subprocess.run(["qemu-img", "convert", "-f",
                            {"VMDK": "vmdk", "VHD": "vpc"}[t["Format"]],
                            "-O", "raw", src, raw], check=True,
                           capture_output=True, timeout=600)
        else:
            os.rename(src, raw)
        time.sleep(step)
        stage("downloading/converting", 70)
        size = max(1, -(-os.path.getsize(raw) // GIB))
        with st.lock:
            s = st.new_snapshot(size, f"Created by AWS-VMImport service for "
                                f"{t['ImportTaskId']}", owner=ACCOUNT)
        with open(raw, "rb") as f:
            i = 0
            while data := f.read(BLOCK):
                data = data.ljust(BLOCK, b"\0")
                if data.count(0) != BLOCK:
                    with open(st.path("snapshots", s["id"], str(i)),
                              "wb") as o:
                        o.write(data)
                    s["digests"][i] = hashlib.sha256(data).digest()
                i += 1
        time.sleep(step)
        with st.lock:
            s["status"], s["progress"] = "completed", 100
            t.update(Status="completed", StatusMessage=None, Progress=None,
                     SnapshotId=s["id"])
            st.save()
    except InterruptedError:
        pass
    except Exception as e:
        msg = getattr(e, "stderr", b"") or str(e).encode()
        with st.lock:
            t.update(Status="deleted", Progress=None, StatusMessage=
                     "ClientError: Disk validation failed [" +
                     msg.decode(errors="replace").strip()[:200] + "]")
            st.save()
    finally:
        for f in (src, raw):
            if os.path.exists(f):
                os.unlink(f)
        os.rmdir(tmp)


def sts_call(srv, op, p, akid, entry):
    st = srv.st
    acct = entry.get("account", ACCOUNT)
    if op == "GetCallerIdentity":
        arn = entry.get("arn", f"arn:aws:iam::{acct}:user/ferry-test")
        return (x("Arn", arn) + x("UserId", entry.get("user_id", "AIDA" +
                                                      akid[-16:])) +
                x("Account", acct))
    if op == "AssumeRole":
        arn, name = q1(p, "RoleArn", ""), q1(p, "RoleSessionName", "")
        dur = int(q1(p, "DurationSeconds", "3600"))
        if not re.fullmatch(r"[\w+=,.@-]{2,64}", name):
            raise Fail("ValidationError", "1 validation error detected: "
                       "Value at 'roleSessionName' failed to satisfy "
                       "constraint", 400)
        if not 900 <= dur <= 43200:
            raise Fail("ValidationError", "The requested DurationSeconds "
                       "exceeds the MaxSessionDuration set for this role.")
        roles = st.roles()
        caller = entry.get("arn", f"arn:aws:iam::{acct}:user/ferry-test")
        want_ext = roles.get("external_ids", {}).get(arn)
        if arn not in roles.get("assumable", []) or \
                (want_ext and q1(p, "ExternalId") != want_ext):
            raise Fail("AccessDenied", f"User: {caller} is not authorized "
                       f"to perform: sts:AssumeRole on resource: {arn}", 403)
        new = "ASIA" + secrets.token_hex(8).upper()
        secret, token = secrets.token_urlsafe(30), \
            secrets.token_urlsafe(120)
        exp = iso(now() + datetime.timedelta(seconds=dur))
        role = arn.split("/")[-1]
        rarn = f"arn:aws:sts::{arn.split(':')[4]}:assumed-role/{role}/{name}"
        st.add_key(new, {"secret": secret, "token": token,
                         "expiration": exp, "arn": rarn,
                         "account": arn.split(":")[4]})
        return ("<Credentials>" + x("AccessKeyId", new) +
                x("SecretAccessKey", secret) + x("SessionToken", token) +
                x("Expiration", exp) + "</Credentials><AssumedRoleUser>" +
                x("AssumedRoleId", f"AROA{secrets.token_hex(8).upper()}:"
                  f"{name}") + x("Arn", rarn) + "</AssumedRoleUser>")
    raise Fail("InvalidAction", f"Could not find operation {op} for version "
               "2011-06-15", 400)


# ------------------------------------------------------------------ HTTP

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def version_string(self):
        return "aws-fake"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body=b"", ctype="application/json", extra=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        self.status = status
        self.send_response(status)
        rid = str(uuid.uuid4())
        self.send_header("x-amzn-RequestId", rid)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def read_body(self, limit=None):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while True:
                n = int(self.rfile.readline().split(b";")[0], 16)
                if n == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return out
                out += self.rfile.read(n)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n if limit is None else min(n, limit))

    def fail(self, service, e, rid=None):
        rid = rid or str(uuid.uuid4())
        if service == "ebs":
            body = {"message": e.message}
            if e.reason:
                body["Reason"] = e.reason
            self.reply(e.status, body, extra={"x-amzn-ErrorType": e.code})
        elif service == "sts":
            self.reply(e.status, f'<ErrorResponse xmlns="{STS_NS}"><Error>'
                       f'<Type>Sender</Type>{x("Code", e.code)}'
                       f'{x("Message", e.message)}</Error>'
                       f'{x("RequestId", rid)}</ErrorResponse>', "text/xml")
        else:
            self.reply(e.status, f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                       f"\n<Response><Errors><Error>{x('Code', e.code)}"
                       f"{x('Message', e.message)}</Error></Errors>"
                       f"{x('RequestID', rid)}</Response>", "text/xml")

    def do_GET(self):
        self.handle_any()

    do_PUT = do_POST = do_DELETE = do_HEAD = do_GET

    def handle_any(self):
        self.status = None
        srv = self.server
        u = urlsplit(self.path)
        if u.path.startswith("/_fake/"):
            return self.control(u.path)
        if u.path.startswith("/latest/"):
            return self.imds(u.path)
        rec = {"time": iso(now()), "method": self.command, "path": u.path}
        service, op, sid, index, p, body = None, None, None, None, {}, None
        try:
            if u.path.startswith("/snapshots"):
                service = "ebs"
                op, sid, index = ebs_op(self.command, u.path)
            elif self.command == "POST" and u.path == "/":
                body = self.read_body()
                p = parse_qs(body.decode("utf-8", "replace"),
                             keep_blank_values=True)
                op = q1(p, "Action")
                service = "sts" if q1(p, "Version") == "2011-06-15" else "ec2"
                if not op:
                    raise Fail("MissingAction", "The request must contain "
                               "the parameter Action")
            else:
                service = "ec2"
                raise Fail("InvalidAction", f"{self.command} {u.path} is not "
                           "an operation of this fake", 400)
        except Fail as e:
            if body is None:
                self.read_body()
            return self.fail(service or "ec2", e)
        rec |= {"service": service, "op": op, "index": index}
        fault = srv.st.fault_for(service, op, index)
        if fault and fault["fault"] == "cut":
            if body is None:
                self.read_body(int(self.headers.get("Content-Length") or 0)
                               // 2)
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            srv.st.log("requests.jsonl", rec | {"fault": "cut"})
            return
        if body is None:
            body = self.read_body()
        try:
            akid, entry, region, names, signed = verify(
                srv.st, self.command, u.path, u.query, self.headers, body,
                service)
            rec |= {"access_key": akid, "region": region,
                    "signed_headers": names, "body_signed": signed}
            if fault:
                rec["fault"] = fault["fault"]
                if fault["fault"] == "stall":
                    time.sleep(fault.get("seconds", 10))
                elif service == "ebs":
                    raise ebs_fault(fault["fault"], op, sid)
                else:
                    raise query_fault(fault["fault"], op, service)
            if service == "ebs":
                status, out, extra = ebs_call(srv, op, sid, index,
                                              self.headers, u.query, body)
                if isinstance(out, bytes):
                    self.reply(status, out, extra["Content-Type"], extra)
                else:
                    self.reply(status, out, extra=extra)
            else:
                rid = str(uuid.uuid4())
                if service == "sts":
                    inner = sts_call(srv, op, p, akid, entry)
                    xml = (f'<{op}Response xmlns="{STS_NS}"><{op}Result>'
                           f'{inner}</{op}Result><ResponseMetadata>'
                           f'{x("RequestId", rid)}</ResponseMetadata>'
                           f'</{op}Response>')
                else:
                    inner = ec2_call(srv, op, p, akid, region)
                    xml = (f'<?xml version="1.0" encoding="UTF-8"?>\n'
                           f'<{op}Response xmlns="{EC2_NS}">'
                           f'{x("requestId", rid)}{inner}</{op}Response>')
                self.reply(200, xml, "text/xml;charset=UTF-8")
        except Fail as e:
            rec["error"] = e.code
            self.fail(service, e)
        except Exception as e:
            rec["error"] = "InternalError"
            sys.stderr.write(f"aws-fake: {op}: {e!r}\n")
            self.fail(service, Fail("InternalError" if service != "ebs" else
                                    "InternalServerException",
                                    "fake crashed: " + repr(e)[:200], 500))
        rec["status"] = self.status
        srv.st.log("requests.jsonl", rec)

    def control(self, path):
        body = self.read_body()
        if self.client_address[0] != "127.0.0.1":
            return self.reply(403, {"message": "local only"})
        st = self.server.st
        if path == "/_fake/state" and self.command == "GET":
            with st.lock:
                return self.reply(200, st.public())
        if path == "/_fake/faults" and self.command == "POST":
            rules = json.loads(body or b"[]")
            with open(st.path("faults.json"), "w") as f:
                json.dump(rules, f)
            return self.reply(200, {"rules": len(rules)})
        self.reply(404, {"message": "no such control"})

    def imds(self, path):
        self.read_body()
        st, o = self.server.st, self.server.opts
        try:
            self.imds_reply(path, st, o)
        finally:
            st.log("requests.jsonl", {"time": iso(now()), "service": "imds",
                                      "method": self.command, "path": path,
                                      "op": None, "status": self.status})

    def imds_reply(self, path, st, o):
        if path == "/latest/api/token":
            if self.command != "PUT":
                return self.reply(405, "", "text/plain")
            ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds", "")
            if not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
                return self.reply(400, "", "text/plain")
            tok = secrets.token_urlsafe(40)
            with st.lock:
                st.tokens[tok] = time.time() + int(ttl)
            return self.reply(200, tok, "text/plain",
                              {"X-aws-ec2-metadata-token-ttl-seconds": ttl})
        tok = self.headers.get("X-aws-ec2-metadata-token")
        if st.tokens.get(tok, 0) < time.time():
            return self.reply(401, "", "text/plain")
        role = st.roles().get("instance_role", "ferry-instance")
        prefix = "/latest/meta-data/iam/security-credentials/"
        if path == prefix:
            return self.reply(200, role, "text/plain")
        if path == prefix + role:
            akid = "ASIA" + secrets.token_hex(8).upper()
            secret, token = secrets.token_urlsafe(30), \
                secrets.token_urlsafe(120)
            exp = iso(now() + datetime.timedelta(
                seconds=st.roles().get("imds_lifetime", 21600)))
            st.add_key(akid, {"secret": secret, "token": token,
                              "expiration": exp, "arn": f"arn:aws:sts::"
                              f"{ACCOUNT}:assumed-role/{role}/i-0fake"})
            return self.reply(200, {
                "Code": "Success", "LastUpdated": iso(now()),
                "Type": "AWS-HMAC", "AccessKeyId": akid,
                "SecretAccessKey": secret, "Token": token,
                "Expiration": exp}, "text/plain")
        if path == "/latest/meta-data/placement/region":
            return self.reply(200, o.region, "text/plain")
        if path == "/latest/dynamic/instance-identity/document":
            return self.reply(200, {"region": o.region, "accountId": ACCOUNT,
                                    "instanceId": "i-0fake"}, "text/plain")
        self.reply(404, "", "text/plain")


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64


# ------------------------------------------------------------------ main

def dump_snapshot(d, sid, out):
    snaps = {s["id"]: s for s in readjson(os.path.join(d, "state.json"),
                                           {}).get("snapshots", [])}
    if sid not in snaps:
        sys.exit(f"aws-fake: no snapshot {sid} in {d}/state.json")
    bd = os.path.join(d, "snapshots", sid)
    with open(out, "wb") as f:
        f.truncate(snaps[sid]["volume_size"] * GIB)
        for name in os.listdir(bd):
            if name.isdigit():
                f.seek(int(name) * BLOCK)
                f.write(open(os.path.join(bd, name), "rb").read())


def main(argv):
    if argv[:1] == ["list"] and len(argv) == 2:
        print(json.dumps(readjson(os.path.join(argv[1], "state.json"), {}),
                         indent=1, sort_keys=True))
        return
    if argv[:1] == ["dump-snapshot"] and len(argv) == 4:
        return dump_snapshot(*argv[1:])
    import argparse
    ap = argparse.ArgumentParser(prog="aws-fake.py")
    ap.add_argument("--state", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--s3-endpoint")
    ap.add_argument("--region", default="eu-west-1")
    ap.add_argument("--complete-delay", type=float, default=1.0)
    ap.add_argument("--import-delay", type=float, default=1.0)
    o = ap.parse_args(argv)
    srv = Server(("127.0.0.1", o.port), Handler)
    srv.opts, srv.st = o, State(o.state, o)
    srv.st.save()
    print(f"listening {srv.server_address[1]}", flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main(sys.argv[1:])
