#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""azblob-tool.py: the tests' own client of Azurite's Blob service, on
Microsoft's Python SDK (Debian's python3-azure-storage), independent of
ferry's C, with the development account of AZURITE_ENV:

  azblob-tool.py AZURITE_ENV get URL OUT      the blob, whole, into OUT
  azblob-tool.py AZURITE_ENV ranges URL       its page ranges, as JSON
                                              [[start, end), ...]
  azblob-tool.py AZURITE_ENV size URL         its size, or "absent"
  azblob-tool.py AZURITE_ENV list CONTAINER   its blobs' names, one a line
  azblob-tool.py AZURITE_ENV mkcontainer CONTAINER
  azblob-tool.py AZURITE_ENV sas CONTAINER PERM   a container SAS query
                                              (valid for an hour)
  azblob-tool.py AZURITE_ENV containers       every container, one a line
  azblob-tool.py AZURITE_ENV footer URL       "ok", or what is wrong with the
                                              blob's fixed VHD footer (the
                                              checks of azure-fake.py)
  azblob-tool.py AZURITE_ENV writes LOG [FROM] the page writes in Azurite's
                                              debug LOG after line FROM, as
                                              JSON (see writes())

URL: https://127.0.0.1:PORT/devstoreaccount1/CONTAINER/BLOB (any query
is dropped).  Exit 1 with a message on any failure.
"""

import datetime
import importlib.util
import json
import os
import re
import sys
from urllib.parse import unquote, urlsplit

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.storage.blob import (BlobServiceClient, ContainerSasPermissions,
                                generate_container_sas)


def env_file(path):
    out = {}
    for line in open(path):
        line = line.strip()
        if line.startswith("export "):
            k, _, v = line[7:].partition("=")
            out[k] = v.strip("'")
    return out


def fake_module():
    here = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.util.spec_from_file_location(
        "azure_fake", os.path.join(here, "azure-fake.py"))
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m


REQ = re.compile(r"RequestMethod=(\w+) RequestURL=(\S+) RequestHeaders:(\{.*?\}) ClientIP")


def writes(log, start):
    """The PUT requests Azurite logged after line start: {"lines": N,
    "update": [[container/blob, first, last+1, content-length], ...],
    "clear": [...], "put_blob": [[container/blob, user-agent], ...], "bad": [...]}
    where bad lists page writes over 4 MiB or not 512-aligned."""
    out = {"update": [], "clear": [], "put_blob": [], "bad": []}
    n = 0
    with open(log, errors="replace") as f:
        for n, line in enumerate(f, 1):
            if n <= start or "BlobStorageContextMiddleware" not in line:
                continue
            m = REQ.search(line)
            if not m or m.group(1) != "PUT":
                continue
            u = urlsplit(m.group(2))
            name = "/".join(unquote(u.path).split("/")[2:])
            h = json.loads(m.group(3))
            if "comp=page" in u.query:
                a, b = (int(x) for x in h["x-ms-range"][6:].split("-"))
                ln = int(h.get("content-length", 0))
                kind = h.get("x-ms-page-write")
                out["update" if kind == "update" else "clear"].append(
                    [name, a, b + 1, ln])
                if a % 512 or (b + 1) % 512 or b + 1 - a > 4 << 20 or \
                        (kind == "update" and ln != b + 1 - a):
                    out["bad"].append([name, a, b + 1, ln])
            elif "x-ms-blob-type" in h:
                out["put_blob"].append([name, h.get("user-agent", "")])
    out["lines"] = n
    return out


def blob_of(svc, url):
    p = unquote(urlsplit(url).path).split("/")
    # /ACCOUNT/CONTAINER/BLOB (path style)
    if len(p) < 4:
        sys.exit(f"azblob-tool: {url!r} names no blob")
    return svc.get_blob_client(p[2], "/".join(p[3:]))


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    env = env_file(argv[1])
    svc = BlobServiceClient.from_connection_string(
        env["AZURITE_CONNECTION_STRING"], connection_verify=env["AZURITE_CA"])
    cmd, args = argv[2], argv[3:]
    try:
        if cmd == "get":
            bc = blob_of(svc, args[0])
            with open(args[1], "wb") as f:
                bc.download_blob(max_concurrency=4).readinto(f)
        elif cmd == "ranges":
            bc = blob_of(svc, args[0])
            held, _ = bc.get_page_ranges()
            print(json.dumps([[r["start"], r["end"] + 1] for r in held]))
        elif cmd == "size":
            try:
                print(blob_of(svc, args[0]).get_blob_properties().size)
            except ResourceNotFoundError:
                print("absent")
        elif cmd == "list":
            try:
                for b in svc.get_container_client(args[0]).list_blobs():
                    print(b.name)
            except ResourceNotFoundError:
                pass
        elif cmd == "footer":
            bc = blob_of(svc, args[0])
            size = bc.get_blob_properties().size
            f = bc.download_blob(offset=size - 512, length=512).readall()
            print(fake_module().footer_error(f, size - 512) or "ok")
        elif cmd == "writes":
            print(json.dumps(writes(args[0], int(args[1]) if len(args) > 1 else 0)))
        elif cmd == "containers":
            for c in svc.list_containers():
                print(c.name)
        elif cmd == "mkcontainer":
            try:
                svc.create_container(args[0])
            except ResourceExistsError:
                pass
        elif cmd == "sas":
            now = datetime.datetime.now(datetime.timezone.utc)
            print(generate_container_sas(
                env["AZURITE_ACCOUNT"], args[0], account_key=env["AZURITE_KEY"],
                permission=ContainerSasPermissions.from_string(args[1]),
                start=now - datetime.timedelta(minutes=5),
                expiry=now + datetime.timedelta(hours=1)))
        else:
            sys.exit(__doc__)
    except (ResourceNotFoundError, ResourceExistsError) as e:
        sys.exit(f"azblob-tool: {cmd}: {type(e).__name__}: {str(e).splitlines()[0]}")


if __name__ == "__main__":
    main(sys.argv)
