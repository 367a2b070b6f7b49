#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""fault-proxy.py [--tls CERT KEY] PORT UPSTREAM MODE: a reverse proxy on
127.0.0.1:PORT in front of a real server (Keystone or Glance), for fault
and TLS tests.  With --tls it speaks HTTPS to its clients with the
certificate CERT (PEM, the chain) and its key KEY.  It forwards requests as
they come, streaming bodies (chunked or not), and injects one fault:

  pass             nothing: forward everything
  503-once         answer 503 to the first request matching FAULT_MATCH
                   ("METHOD REGEX", the regex searched in the path), then pass
  drop-after=N     forward request bodies, but cut both connections after
                   N bytes of a request body (the server dying mid-upload)
  stall-after=N    after N bytes of a request body, hold it for up to
                   60 s before going on (an upload caught in progress)

UPSTREAM may be https:// (its certificate checked against the CA file in
$FAULT_CA).  FAULT_ONCE=1 makes drop-after fire on one request only.
PORT 0 picks a free port.  The first line on stdout is "listening PORT";
each fault injected is logged after it.  Only the standard library.
"""

import http.client
import os
import re
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

args = sys.argv[1:]
tls = None
if args[:1] == ["--tls"]:
    tls, args = args[1:3], args[3:]
port, upstream, mode = int(args[0]), urlsplit(args[1]), args[2]
match = os.environ.get("FAULT_MATCH", "PUT /v2/images/.*/file").split(" ", 1)
state = {"fired": False}
lock = threading.Lock()
HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer",
       "upgrade", "proxy-connection", "host", "content-length", "expect"}


def log(msg):
    print(msg, flush=True)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def body_chunks(self):
        """The request body as it arrives, de-chunked.  self.complete
        tells afterwards whether it came to its proper end."""
        self.complete = False
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                line = self.rfile.readline()
                if not line:
                    return
                size = int(line.split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    self.complete = True
                    return
                if not (yield from self.span(size)):
                    return
                self.rfile.readline()
        else:
            left = int(self.headers.get("Content-Length") or 0)
            self.complete = yield from self.span(left)

    def span(self, left):
        """Yield the next `left` bytes of the body; True if all came."""
        while left:
            data = self.rfile.read(min(left, 65536))
            if not data:
                return False
            left -= len(data)
            yield data
        return True

    def handle_any(self):
        if mode == "503-once":
            with lock:
                fire = (not state["fired"] and self.command == match[0]
                        and re.search(match[1], self.path))
                if fire:
                    state["fired"] = True
            if fire:
                for _ in self.body_chunks():
                    pass
                log(f"fault: 503 for {self.command} {self.path}")
                body = b'{"message": "injected 503"}'
                self.send_response(503)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
        if upstream.scheme == "https":
            conn = http.client.HTTPSConnection(
                upstream.hostname, upstream.port, timeout=600,
                context=ssl.create_default_context(cafile=os.environ.get("FAULT_CA")))
        else:
            conn = http.client.HTTPConnection(upstream.hostname, upstream.port,
                                              timeout=600)
        conn.putrequest(self.command, self.path, skip_host=True,
                        skip_accept_encoding=True)
        conn.putheader("Host", upstream.netloc)
        for k, v in self.headers.items():
            if k.lower() not in HOP:
                conn.putheader(k, v)
        # Bodies go on as they came: chunked stays chunked, a
        # Content-Length stays (uwsgi's Keystone reads no chunked body).
        chunked = "Transfer-Encoding" in self.headers
        has_body = chunked or "Content-Length" in self.headers
        if chunked:
            conn.putheader("Transfer-Encoding", "chunked")
        elif has_body:
            conn.putheader("Content-Length", self.headers["Content-Length"])
        conn.endheaders()
        if has_body:
            sent = 0
            limit = int(mode.split("=", 1)[1]) if mode.startswith("drop-after=") else None
            stall = int(mode.split("=", 1)[1]) if mode.startswith("stall-after=") else None
            for data in self.body_chunks():
                if stall is not None and sent + len(data) > stall:
                    log(f"fault: stalling {self.command} {self.path} after {sent} bytes")
                    stall = None
                    time.sleep(60)
                if limit is not None and sent + len(data) > limit and \
                        not (os.environ.get("FAULT_ONCE") and state["fired"]):
                    state["fired"] = True
                    log(f"fault: dropping {self.command} {self.path} after {sent} bytes")
                    conn.sock.shutdown(socket.SHUT_RDWR)
                    conn.close()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                conn.send(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)
                sent += len(data)
            if not self.complete:
                # The client went away mid-body: so does the proxy.
                log(f"client gone during {self.command} {self.path} after {sent} bytes")
                conn.sock.shutdown(socket.SHUT_RDWR)
                conn.close()
                self.close_connection = True
                return
            if chunked:
                conn.send(b"0\r\n\r\n")
        resp = conn.getresponse()
        data = resp.read()
        self.send_response(resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() not in HOP:
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        conn.close()

    do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = do_HEAD = handle_any


ThreadingHTTPServer.daemon_threads = True
server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
if tls:
    # The handshake runs in accept(); a client that refuses the
    # certificate makes accept() fail, which socketserver ignores.
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(tls[0], tls[1])
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
log(f"listening {server.server_address[1]}")
server.serve_forever()
