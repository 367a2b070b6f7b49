#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/cloud/s3-request.py: one SigV4-signed S3 request, built by hand, for
# the tests that need what an S3 client library will not send (a chosen
# x-amz-content-sha256, a wrong secret).  Standard library only.
#
#   s3-request.py [options] METHOD PATH
#
#   PATH            /bucket/key (not URL-encoded: it is encoded here)
#   --query Q       the query string, e.g. "partNumber=1&uploadId=X" (sorted
#                   and encoded here; "uploads" alone is a key without value)
#   --body FILE     the request body (default: none)
#   --payload-hash V  the x-amz-content-sha256 header: "auto" (the body's
#                   SHA-256, the default), "UNSIGNED-PAYLOAD", or any value
#                   (e.g. the hash of other data)
#   --region R      the credential scope's region (default $S3_REGION or us-east-1)
#   --secret S      the secret key (default $S3_SECRET_KEY)
#   --header K:V    an extra header, signed (repeatable)
#
# The endpoint and keys come from S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY.
# Prints the HTTP status on the first line, then the response headers
# ("Name: value") and, after an empty line, the body.  Exit 0 whatever the
# status; 1 when no answer came.
import argparse
import datetime
import hashlib
import hmac
import http.client
import os
import sys
import urllib.parse


def q(s, safe="-_.~"):
    return urllib.parse.quote(s, safe=safe)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("method")
    ap.add_argument("path")
    ap.add_argument("--query", default="")
    ap.add_argument("--body")
    ap.add_argument("--payload-hash", default="auto")
    ap.add_argument("--region", default=os.environ.get("S3_REGION", "us-east-1"))
    ap.add_argument("--secret", default=os.environ.get("S3_SECRET_KEY"))
    ap.add_argument("--header", action="append", default=[])
    a = ap.parse_args()

    endpoint = urllib.parse.urlsplit(os.environ["S3_ENDPOINT"])
    access = os.environ["S3_ACCESS_KEY"]
    body = b""
    if a.body:
        with open(a.body, "rb") as f:
            body = f.read()
    payload_hash = (hashlib.sha256(body).hexdigest()
                    if a.payload_hash == "auto" else a.payload_hash)

    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    day = now.strftime("%Y%m%d")

    path = q(a.path, safe="/-_.~")
    params = []
    for kv in filter(None, a.query.split("&")):
        k, _, v = kv.partition("=")
        params.append((q(k), q(v)))
    params.sort()
    canon_query = "&".join("%s=%s" % kv for kv in params)

    headers = {
        "host": endpoint.netloc,
        "x-amz-date": amz_date,
        "x-amz-content-sha256": payload_hash,
    }
    for h in a.header:
        k, _, v = h.partition(":")
        headers[k.strip().lower()] = v.strip()
    signed = sorted(headers)
    canon_headers = "".join("%s:%s\n" % (k, headers[k]) for k in signed)
    signed_headers = ";".join(signed)
    canon = "\n".join([a.method, path, canon_query, canon_headers,
                       signed_headers, payload_hash])
    scope = "%s/%s/s3/aws4_request" % (day, a.region)
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(canon.encode()).hexdigest()])

    def h(key, msg):
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()
    k = h(("AWS4" + a.secret).encode(), day)
    k = h(k, a.region)
    k = h(k, "s3")
    k = h(k, "aws4_request")
    sig = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (
        "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s"
        % (access, scope, signed_headers, sig))

    conn = http.client.HTTPConnection(endpoint.hostname, endpoint.port or 80,
                                      timeout=60)
    url = path + ("?" + canon_query if canon_query else "")
    try:
        conn.request(a.method, url, body=body, headers=headers)
        r = conn.getresponse()
        data = r.read()
    except OSError as e:
        print("s3-request.py: %s %s: %s" % (a.method, url, e), file=sys.stderr)
        return 1
    out = sys.stdout
    out.write("%d\n" % r.status)
    for k, v in r.getheaders():
        out.write("%s: %s\n" % (k, v))
    out.write("\n")
    out.flush()
    sys.stdout.buffer.write(data)
    if data and not data.endswith(b"\n"):
        sys.stdout.buffer.write(b"\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
