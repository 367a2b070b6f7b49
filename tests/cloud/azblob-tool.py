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

URL: https://127.0.0.1:PORT/devstoreaccount1/CONTAINER/BLOB (any query
is dropped).  Exit 1 with a message on any failure.
"""

import datetime
import json
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
