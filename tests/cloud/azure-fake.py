#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""azure-fake.py: a FAKE of Azure Resource Manager (managed disks, images,
long-running operations) and of the Entra ID token endpoint, for the
-o azure tests.  Nothing installable implements either, so this small
server stands in for them.  The blob side is real: every managed disk's
pages live in Azurite (tests/cloud/azurite-up.sh), reached with
Microsoft's own Python SDK (Debian's python3-azure-storage), and the SAS
that beginGetAccess hands out is a real Azurite SAS bound to a stored
access policy, so endGetAccess really revokes it.

  azure-fake.py --azurite-env AZDIR/env --state-dir DIR [--tls-dir DIR]
                [--subscription S] [--resource-group RG]...
                [--tenant T] [--client-id C] [--client-secret S]
                [--token-lifetime SECONDS] [--polls N] [--retry-after N]

It listens on 127.0.0.1 (HTTPS with DIR/server.pem when --tls-dir is
given: use Azurite's, so one CA serves both), prints "listening PORT",
and writes DIR/env with AZFAKE_ENDPOINT, AZFAKE_AUTHORITY, AZFAKE_TENANT,
AZFAKE_CLIENT_ID, AZFAKE_CLIENT_SECRET, AZFAKE_SUBSCRIPTION,
AZFAKE_RESOURCE_GROUP, AZFAKE_PORT, AZFAKE_PID.

What it enforces, as the services document it:
  tokens: client_credentials only, the right client id and secret, the
    scope ARM/.default; every ARM call needs a live bearer token (401
    InvalidAuthenticationToken / ExpiredAuthenticationToken otherwise);
  every ARM call has an api-version;
  disks: createOption Upload with uploadSizeBytes a MiB multiple plus
    512, or Import from an existing blob; names unique; a disk in
    ActiveUpload cannot be deleted or imaged; Write access only from
    ReadyToUpload or ActiveUpload; endGetAccess checks the VHD footer
    (cookie, checksum, fixed type, size, CHS geometry) and fails the
    operation when it is wrong, leaving the disk in ActiveUpload (the
    "stuck" disk users report; whether Azure leaves it there is
    assumed, not known);
  images: from an existing disk that is not in ActiveUpload;
  long-running operations: 202 with Azure-AsyncOperation and Location,
    "InProgress" for --polls polls, with Retry-After.

Test hooks:
  GET  /_fake/state    {"disks": {...}, "images": {...}, "tokens": N,
                        "requests": [[METHOD, PATH, STATUS], ...]}
  POST /_fake/faults   [{"kind": "429"|"503"|"fail"|"expire"|"cut"|"location",
                         "method": M, "path": SUBSTRING, "times": N,
                         "skip": N}, ...]  (replaces the list)
                       (location: a long-running operation announced by
                       Location alone, no Azure-AsyncOperation)
  POST /_fake/reset    forget every request and fault (not the disks)
"""

import argparse
import base64
import datetime
import json
import os
import secrets
import ssl
import struct
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from azure.storage.blob import (AccessPolicy, BlobServiceClient,
                                ContainerSasPermissions, generate_blob_sas)

MIB = 1 << 20
lock = threading.RLock()
state = {"disks": {}, "images": {}, "ops": {}, "tokens": {}, "issued": 0,
         "requests": [], "faults": []}
opts = None
blobsvc = None
azurite = {}


def env_file(path):
    out = {}
    for line in open(path):
        line = line.strip()
        if line.startswith("export "):
            k, _, v = line[7:].partition("=")
            out[k] = v.strip("'")
    return out


# ---------------------------------------------------------------- VHD
def chs(size):
    total = min(size // 512, 65535 * 16 * 255)
    if total >= 65535 * 16 * 63:
        s, h = 255, 16
        cth = total // s
    else:
        s = 17
        cth = total // s
        h = max((cth + 1023) // 1024, 4)
        if cth >= h * 1024 or h > 16:
            s, h = 31, 16
            cth = total // s
        if cth >= h * 1024:
            s, h = 63, 16
            cth = total // s
    return cth // h, h, s


def footer_error(f, size):
    """None if f is a valid fixed-VHD footer for size data bytes."""
    if f[0:8] != b"conectix":
        return f"the VHD footer's cookie is {f[0:8]!r}, expected conectix"
    if struct.unpack(">I", f[60:64])[0] != 2:
        return "the VHD is not fixed (disk type is not 2)"
    total = sum(f[:64]) + sum(f[68:])
    if (~total) & 0xffffffff != struct.unpack(">I", f[64:68])[0]:
        return "the VHD footer's checksum is wrong"
    cur = struct.unpack(">Q", f[48:56])[0]
    if cur != size:
        return f"the VHD footer says {cur} bytes, the blob holds {size} before it"
    c, h, s = chs(size)
    if struct.unpack(">HBB", f[56:60]) != (c, h, s):
        return "the VHD footer's CHS geometry is not the spec's"
    return None


# ---------------------------------------------------------------- faults
def take_fault(method, path):
    with lock:
        for f in state["faults"]:
            if f.get("method", method) != method or f.get("path", "") not in path:
                continue
            if f.get("skip", 0) > 0:
                f["skip"] -= 1
                continue
            if f.get("times", 1) == 0:
                continue
            f["times"] = f.get("times", 1) - 1
            return f["kind"]
    return None


# ---------------------------------------------------------------- ARM
def arm_error(code, message):
    return {"error": {"code": code, "message": message}}


def new_op(result=None, output=None, fail=None):
    op = uuid.uuid4().hex
    with lock:
        state["ops"][op] = {"polls": 0, "result": result, "output": output,
                            "fail": fail}
    return op


def disk_view(d):
    return {"id": d["id"], "name": d["name"], "location": d["location"],
            "sku": {"name": d["sku"]}, "tags": d.get("tags", {}),
            "properties": {
                "diskState": d["state"], "osType": d.get("osType"),
                "hyperVGeneration": d.get("hyperVGeneration"),
                "diskSizeBytes": d["size"],
                "creationData": d["creationData"],
                "provisioningState": "Succeeded"}}


def image_view(i):
    return {"id": i["id"], "name": i["name"], "location": i["location"],
            "tags": i.get("tags", {}),
            "properties": {"hyperVGeneration": i["hyperVGeneration"],
                           "storageProfile": i["storageProfile"],
                           "provisioningState": "Succeeded"}}


def blob_client(container, blob):
    return blobsvc.get_blob_client(container, blob)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        sys.stderr.write("azure-fake: " + fmt % a + "\n")

    def send(self, status, doc=None, headers=()):
        body = json.dumps(doc).encode() if doc is not None else b""
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        if doc is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        with lock:
            state["requests"].append([self.command, self.path_only, status])

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def lro(self, op, status=202):
        base = f"{opts.endpoint}/_ops/{op}?api-version=2023-04-02"
        h = [("Location", base + "&location=1"),
             ("Retry-After", str(opts.retry_after))]
        if self.fault != "location":
            h.append(("Azure-AsyncOperation", base))
        self.send(status, None, h)

    def do_GET(self):
        self.route("GET")

    def do_PUT(self):
        self.route("PUT")

    def do_POST(self):
        self.route("POST")

    def do_DELETE(self):
        self.route("DELETE")

    def route(self, method):
        u = urlsplit(self.path)
        self.path_only = u.path + ("?location" if "location=1" in u.query else "")
        q = parse_qs(u.query)
        raw = self.body()
        self.fault = None
        if u.path.startswith("/_fake/"):
            return self.hook(method, u.path, raw)
        fault = self.fault = take_fault(method, u.path)
        if fault == "cut":
            with lock:
                state["requests"].append([method, u.path, 0])
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if fault in ("429", "503"):
            return self.send(int(fault), arm_error(
                "TooManyRequests" if fault == "429" else "ServiceUnavailable",
                "the fake says try again"), [("Retry-After", "1")])
        if u.path.endswith("/oauth2/v2.0/token") and method == "POST":
            return self.token(u.path, raw)
        if u.path.startswith("/_ops/"):
            if not self.authorised(fault):
                return
            return self.poll(u.path[6:], "location" in q)
        if not u.path.startswith("/subscriptions/"):
            return self.send(404, arm_error("NotFound", "no such API"))
        if not self.authorised(fault):
            return
        if "api-version" not in q:
            return self.send(400, arm_error(
                "MissingApiVersionParameter",
                "The api-version query parameter is required"))
        parts = [unquote(p) for p in u.path.strip("/").split("/")]
        try:
            doc = json.loads(raw) if raw else None
        except ValueError:
            return self.send(400, arm_error("InvalidRequestContent",
                                            "the body is not JSON"))
        if parts[0].lower() != "subscriptions" or len(parts) < 4 or \
                parts[2].lower() != "resourcegroups":
            return self.send(404, arm_error("NotFound", "no such path"))
        if parts[1] != opts.subscription:
            return self.send(404, arm_error(
                "SubscriptionNotFound",
                f"The subscription '{parts[1]}' could not be found."))
        rg = parts[3]
        if rg.lower() not in [g.lower() for g in opts.resource_group]:
            return self.send(404, arm_error(
                "ResourceGroupNotFound",
                f"Resource group '{rg}' could not be found."))
        if len(parts) == 4 and method == "GET":
            return self.send(200, {
                "id": f"/subscriptions/{parts[1]}/resourceGroups/{rg}",
                "name": rg, "location": "westeurope",
                "properties": {"provisioningState": "Succeeded"}})
        if len(parts) < 8 or parts[4].lower() != "providers" or \
                parts[5] != "Microsoft.Compute":
            return self.send(404, arm_error("NotFound", "no such path"))
        kind, name = parts[6], parts[7]
        rid = (f"/subscriptions/{parts[1]}/resourceGroups/{rg}/providers/"
               f"Microsoft.Compute/{kind}/{name}")
        action = parts[8] if len(parts) > 8 else None
        if kind == "disks":
            return self.disks(method, rid, name, action, doc, fault)
        if kind == "images" and action is None:
            return self.images(method, rid, name, doc, fault)
        return self.send(404, arm_error("NotFound", "no such resource type"))

    # ---------------------------------------------------------- tokens
    def token(self, path, raw):
        f = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        tenant = path.split("/")[1]
        if tenant != opts.tenant:
            return self.send(400, {"error": "invalid_tenant",
                                   "error_description": "AADSTS90002: no such tenant"})
        if f.get("grant_type") != "client_credentials":
            return self.send(400, {"error": "unsupported_grant_type"})
        if f.get("client_id") != opts.client_id or \
                f.get("client_secret") != opts.client_secret:
            return self.send(401, {
                "error": "invalid_client",
                "error_description": "AADSTS7000215: Invalid client secret provided."})
        if f.get("scope") != opts.endpoint + "/.default":
            return self.send(400, {"error": "invalid_scope",
                                   "error_description": f"scope {f.get('scope')!r}"})
        tok = secrets.token_urlsafe(32)
        with lock:
            state["tokens"][tok] = time.time() + opts.token_lifetime
            state["issued"] += 1
        return self.send(200, {"token_type": "Bearer",
                               "expires_in": opts.token_lifetime,
                               "access_token": tok})

    def authorised(self, fault):
        h = self.headers.get("Authorization", "")
        tok = h[7:] if h.startswith("Bearer ") else None
        with lock:
            if fault == "expire":
                state["tokens"].clear()
            exp = state["tokens"].get(tok)
        if exp is None or exp < time.time():
            code = "ExpiredAuthenticationToken" if fault == "expire" or exp \
                else "InvalidAuthenticationToken"
            self.send(401, arm_error(code, "The access token is not valid."),
                      [("WWW-Authenticate",
                        'Bearer authorization_uri="x", error="invalid_token"')])
            return False
        return True

    # ---------------------------------------------------------- operations
    def poll(self, op, location):
        with lock:
            o = state["ops"].get(op)
            if o is None:
                return self.send(404, arm_error("NotFound", "no such operation"))
            o["polls"] += 1
            done = o["polls"] > opts.polls
        if not done:
            if location:
                return self.send(202, None, [("Retry-After", str(opts.retry_after)),
                                             ("Location", self.path)])
            return self.send(200, {"status": "InProgress"},
                             [("Retry-After", str(opts.retry_after))])
        if o["fail"]:
            if o["result"]:
                o["result"]()
            doc = {"status": "Failed", "error": o["fail"]}
            return self.send(200, doc)
        if o["result"]:
            o["result"]()
            o["result"] = None
        if location:
            return self.send(200, o["output"] or {})
        doc = {"status": "Succeeded"}
        if o["output"]:
            doc["properties"] = {"output": o["output"]}
        return self.send(200, doc)

    def failure(self, fault, what):
        if fault == "fail":
            return {"code": "InternalOperationError",
                    "message": f"{what} failed in the fake (injected)"}
        return None

    # ---------------------------------------------------------- disks
    def disks(self, method, rid, name, action, doc, fault):
        with lock:
            d = state["disks"].get(name)
        if action is None and method == "GET":
            if d is None:
                return self.send(404, arm_error(
                    "ResourceNotFound", f"The Resource '{name}' was not found."))
            return self.send(200, disk_view(d))
        if action is None and method == "PUT":
            return self.disk_put(rid, name, d, doc, fault)
        if action is None and method == "DELETE":
            if d is None:
                return self.send(204)
            if d["state"] == "ActiveUpload":
                return self.send(409, arm_error(
                    "OperationNotAllowed",
                    f"Disk {name} is in ActiveUpload state: call endGetAccess first"))

            def gone():
                with lock:
                    state["disks"].pop(name, None)
                if d["container"] and d.get("blob_made"):
                    blobsvc.delete_container(d["container"])
            return self.lro(new_op(gone, fail=self.failure(fault, "delete")))
        if d is None:
            return self.send(404, arm_error("ResourceNotFound",
                                            f"The Resource '{name}' was not found."))
        if action == "beginGetAccess" and method == "POST":
            return self.begin_access(d, doc, fault)
        if action == "endGetAccess" and method == "POST":
            return self.end_access(d, fault)
        return self.send(405, arm_error("MethodNotAllowed", "no such action"))

    def disk_put(self, rid, name, d, doc, fault):
        if d is not None:
            return self.send(409, arm_error(
                "OperationNotAllowed", f"Disk {name} exists already (the fake "
                "does not update disks)"))
        try:
            cd = doc["properties"]["creationData"]
            opt = cd["createOption"]
            loc, sku = doc["location"], doc["sku"]["name"]
        except (KeyError, TypeError):
            return self.send(400, arm_error("InvalidParameter",
                                            "location, sku and creationData are required"))
        props = doc["properties"]
        disk = {"id": rid, "name": name, "location": loc, "sku": sku,
                "tags": doc.get("tags", {}), "osType": props.get("osType"),
                "hyperVGeneration": props.get("hyperVGeneration"),
                "creationData": cd, "container": "md-" + uuid.uuid4().hex[:20],
                "footer_ok": None, "footer_error": None, "puts": 0}
        if disk["hyperVGeneration"] not in (None, "V1", "V2"):
            return self.send(400, arm_error("InvalidParameter", "hyperVGeneration"))
        if opt == "Upload":
            n = cd.get("uploadSizeBytes")
            if not isinstance(n, int) or n < MIB + 512 or (n - 512) % MIB:
                return self.send(400, arm_error(
                    "InvalidParameter",
                    f"uploadSizeBytes {n} must be a multiple of 1 MiB plus 512 bytes"))
            disk.update(state="ReadyToUpload", size=n - 512)
        elif opt == "Import":
            src, acct = cd.get("sourceUri"), cd.get("storageAccountId")
            if not src or not acct:
                return self.send(400, arm_error("InvalidParameter",
                                                "Import needs sourceUri and storageAccountId"))
            p = urlsplit(src).path.split("/")
            try:
                bc = blob_client(p[2], "/".join(p[3:]))
                size = bc.get_blob_properties().size
                foot = bc.download_blob(offset=size - 512, length=512).readall()
            except Exception as e:
                return self.send(400, arm_error("InvalidParameter",
                                                f"sourceUri cannot be read: {type(e).__name__}"))
            err = footer_error(foot, size - 512)
            if err:
                return self.send(400, arm_error("InvalidVhd", err))
            disk.update(state="Unattached", size=size - 512, footer_ok=True,
                        source_uri=src, container=None)
        else:
            return self.send(400, arm_error("InvalidParameter",
                                            f"createOption {opt} is not faked"))

        def made():
            with lock:
                state["disks"][name] = disk
        fail = self.failure(fault, "create disk")
        if fail:
            return self.lro(new_op(None, fail=fail), 201)
        made()
        return self.lro(new_op(None), 201)

    def begin_access(self, d, doc, fault):
        if not doc or doc.get("access") != "Write":
            return self.send(400, arm_error("InvalidParameter",
                                            "the fake grants Write access only"))
        if d["state"] not in ("ReadyToUpload", "ActiveUpload"):
            return self.send(409, arm_error(
                "OperationNotAllowed",
                f"Disk {d['name']} is {d['state']}: Write access needs ReadyToUpload"))
        fail = self.failure(fault, "beginGetAccess")
        if fail:
            return self.lro(new_op(None, fail=fail))
        cc = blobsvc.get_container_client(d["container"])
        if d["state"] == "ReadyToUpload" and not d.get("blob_made"):
            cc.create_container()
            cc.get_blob_client("abcd").create_page_blob(d["size"] + 512)
            d["blob_made"] = True
        now = datetime.datetime.now(datetime.timezone.utc)
        policy = AccessPolicy(permission=ContainerSasPermissions(read=True, write=True),
                              start=now - datetime.timedelta(minutes=5),
                              expiry=now + datetime.timedelta(hours=24))
        cc.set_container_access_policy(signed_identifiers={"upload": policy})
        sas = generate_blob_sas(azurite["AZURITE_ACCOUNT"], d["container"], "abcd",
                                account_key=azurite["AZURITE_KEY"], policy_id="upload")
        url = f"{azurite['AZURITE_BLOB_ENDPOINT']}/{d['container']}/abcd?{sas}"

        def opened():
            with lock:
                d["state"] = "ActiveUpload"
        opened()
        return self.lro(new_op(None, output={"accessSAS": url}))

    def end_access(self, d, fault):
        fail = self.failure(fault, "endGetAccess")
        if fail:
            return self.lro(new_op(None, fail=fail))
        if d["state"] != "ActiveUpload":
            return self.lro(new_op(None))
        cc = blobsvc.get_container_client(d["container"])
        cc.set_container_access_policy(signed_identifiers={})
        foot = cc.get_blob_client("abcd").download_blob(
            offset=d["size"], length=512).readall()
        err = footer_error(foot, d["size"])
        with lock:
            d["footer_ok"] = err is None
            d["footer_error"] = err
            # A disk whose footer fails the check stays in ActiveUpload
            # (the SAS revoked): it cannot be deleted or imaged.
            if err is None:
                d["state"] = "Unattached"
        if err:
            return self.lro(new_op(None, fail={"code": "InvalidVhd", "message": err}))
        return self.lro(new_op(None))

    # ---------------------------------------------------------- images
    def images(self, method, rid, name, doc, fault):
        with lock:
            i = state["images"].get(name)
        if method == "GET":
            if i is None:
                return self.send(404, arm_error(
                    "ResourceNotFound", f"The Resource '{name}' was not found."))
            return self.send(200, image_view(i))
        if method == "DELETE":
            if i is None:
                return self.send(204)

            def gone():
                with lock:
                    state["images"].pop(name, None)
            return self.lro(new_op(gone))
        if method != "PUT":
            return self.send(405, arm_error("MethodNotAllowed", method))
        if i is not None:
            return self.send(409, arm_error("OperationNotAllowed", "the image exists"))
        try:
            sp = doc["properties"]["storageProfile"]
            gen = doc["properties"].get("hyperVGeneration", "V1")
            disks = [sp["osDisk"]] + sp.get("dataDisks", [])
            ids = [x["managedDisk"]["id"] for x in disks]
            ost = sp["osDisk"]["osType"]
        except (KeyError, TypeError):
            return self.send(400, arm_error("InvalidParameter", "storageProfile"))
        if gen not in ("V1", "V2") or ost not in ("Linux", "Windows"):
            return self.send(400, arm_error("InvalidParameter", "generation or osType"))
        for x in ids:
            dn = x.rsplit("/", 1)[-1]
            with lock:
                d = state["disks"].get(dn)
            if d is None or d["id"].lower() != x.lower():
                return self.send(404, arm_error("NotFound", f"disk {x} not found"))
            if d["state"] == "ActiveUpload":
                return self.send(409, arm_error(
                    "OperationNotAllowed", f"Disk {dn} is in ActiveUpload state"))
        img = {"id": rid, "name": name, "location": doc.get("location"),
               "tags": doc.get("tags", {}), "hyperVGeneration": gen,
               "storageProfile": sp}
        fail = self.failure(fault, "create image")

        def made():
            with lock:
                state["images"][name] = img
        if fail:
            made()              # a failed image exists, in Failed state
            return self.lro(new_op(None, fail=fail), 201)
        made()
        return self.lro(new_op(None), 201)

    # ---------------------------------------------------------- test hooks
    def hook(self, method, path, raw):
        if path == "/_fake/state" and method == "GET":
            with lock:
                doc = {"disks": {k: {x: v[x] for x in (
                    "name", "state", "size", "osType", "hyperVGeneration",
                    "footer_ok", "footer_error", "creationData", "tags", "container")}
                    for k, v in state["disks"].items()},
                    "images": {k: image_view(v) for k, v in state["images"].items()},
                    "tokens": state["issued"],
                    "requests": state["requests"]}
            return self.send(200, doc)
        if path == "/_fake/faults" and method == "POST":
            with lock:
                state["faults"] = json.loads(raw)
            return self.send(204)
        if path == "/_fake/reset" and method == "POST":
            with lock:
                state["faults"] = []
                state["requests"] = []
            return self.send(204)
        return self.send(404, {"error": "no such hook"})


def main():
    global opts, blobsvc, azurite
    ap = argparse.ArgumentParser()
    ap.add_argument("--azurite-env", required=True)
    ap.add_argument("--state-dir", required=True)
    ap.add_argument("--tls-dir")
    ap.add_argument("--subscription", default="00000000-1111-2222-3333-444444444444")
    ap.add_argument("--resource-group", action="append")
    ap.add_argument("--tenant", default="72f988bf-0000-4000-8000-000000000001")
    ap.add_argument("--client-id", default="0e0e0e0e-1111-4000-8000-000000000002")
    ap.add_argument("--client-secret", default=base64.b64encode(os.urandom(24)).decode())
    ap.add_argument("--token-lifetime", type=int, default=3600)
    ap.add_argument("--polls", type=int, default=1)
    ap.add_argument("--retry-after", type=int, default=0)
    opts = ap.parse_args()
    opts.resource_group = opts.resource_group or ["ferry-rg"]
    azurite = env_file(opts.azurite_env)
    blobsvc = BlobServiceClient.from_connection_string(
        azurite["AZURITE_CONNECTION_STRING"], connection_verify=azurite["AZURITE_CA"])
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    scheme = "http"
    if opts.tls_dir:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(opts.tls_dir, "server.pem"),
                            os.path.join(opts.tls_dir, "server.key"))
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
        scheme = "https"
    port = srv.server_address[1]
    opts.endpoint = f"{scheme}://127.0.0.1:{port}"
    os.makedirs(opts.state_dir, exist_ok=True)
    with open(os.path.join(opts.state_dir, "env"), "w") as f:
        for k, v in (("ENDPOINT", opts.endpoint), ("AUTHORITY", opts.endpoint),
                     ("TENANT", opts.tenant), ("CLIENT_ID", opts.client_id),
                     ("CLIENT_SECRET", opts.client_secret),
                     ("SUBSCRIPTION", opts.subscription),
                     ("RESOURCE_GROUP", opts.resource_group[0]),
                     ("PORT", str(port)), ("PID", str(os.getpid()))):
            f.write(f"export AZFAKE_{k}='{v}'\n")
    print(f"listening {port}", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
