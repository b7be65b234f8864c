"""A company proxy for the test bed: an HTTP forward proxy that logs every request it serves.

    proxy.py --port 3128 --log /var/log/testbed-proxy.log --serve mirror.invalid=/srv/mirror [--auth-file FILE]

Requests for a host named with --serve are answered from that directory: the host does not resolve
(.invalid), so only a client that goes through this proxy reaches it. Other plain-HTTP requests
are forwarded; CONNECT (https) is refused, which the test bed does not need. Each request is logged as
"METHOD URL STATUS" so a test can tell which clients used the proxy.

With --auth-file (a file holding one line, user:password), a request without that Basic
Proxy-Authorization is answered 407 and logged as such: a 200 in the log then shows that the client
authenticated. The credentials themselves are never logged.
"""

from __future__ import annotations

import argparse
import base64
import hmac
import http.server
import os
import posixpath
import shutil
import threading
import urllib.error
import urllib.parse
import urllib.request


class Proxy(http.server.BaseHTTPRequestHandler):
    server_version = "testbed-proxy/1"

    def log_request(self, code="-", size="-"):
        with self.server.lock, open(self.server.log, "a", encoding="utf-8") as log:
            log.write("%s %s %s\n" % (self.command, self.path, code))

    def log_message(self, *args):
        pass

    def authorized(self):
        if self.server.auth is None:
            return True
        given = self.headers.get("Proxy-Authorization", "")
        if hmac.compare_digest(given.encode("latin-1", "replace"), self.server.auth):
            return True
        self.send_response(407)
        self.send_header("Proxy-Authenticate", 'Basic realm="testbed-proxy"')
        self.send_header("Content-Length", "0")
        self.end_headers()
        return False

    def do_CONNECT(self):  # noqa: N802 - the name http.server calls
        self.send_error(403, "CONNECT is not served by the test-bed proxy")

    def do_HEAD(self):  # noqa: N802
        self.do_GET(body=False)

    def do_GET(self, body=True):  # noqa: N802
        if not self.authorized():
            return
        url = urllib.parse.urlsplit(self.path)
        if url.scheme != "http" or not url.hostname:
            self.send_error(400, "a proxy request needs an absolute http:// URL")
            return
        root = self.server.served.get(url.hostname)
        if root is not None:
            self.serve_file(root, url.path, body)
        else:
            self.forward(body)

    def serve_file(self, root, path, body):
        relative = posixpath.normpath(urllib.parse.unquote(path)).lstrip("/")
        full = os.path.join(root, relative)
        if relative.startswith("..") or not os.path.isfile(full):
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(os.path.getsize(full)))
        self.end_headers()
        if body:
            with open(full, "rb") as handle:
                shutil.copyfileobj(handle, self.wfile)

    def forward(self, body):
        request = urllib.request.Request(self.path, method=self.command)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            response = opener.open(request, timeout=60)
        except urllib.error.HTTPError as exc:
            response = exc
        except OSError as exc:
            self.send_error(502, str(exc))
            return
        with response:
            self.send_response(response.status)
            for name, value in response.headers.items():
                if name.lower() not in ("connection", "transfer-encoding"):
                    self.send_header(name, value)
            self.end_headers()
            if body:
                shutil.copyfileobj(response, self.wfile)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=3128)
    parser.add_argument("--log", required=True)
    parser.add_argument("--serve", action="append", default=[], metavar="HOST=DIR")
    parser.add_argument("--auth-file", help="require Basic proxy authentication with the user:password in this file")
    args = parser.parse_args()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Proxy)
    server.log = args.log
    server.lock = threading.Lock()
    server.served = dict(item.split("=", 1) for item in args.serve)
    server.auth = None
    if args.auth_file:
        with open(args.auth_file, encoding="utf-8") as handle:
            credentials = handle.read().strip()
        server.auth = b"Basic " + base64.b64encode(credentials.encode("utf-8"))
    server.serve_forever()


if __name__ == "__main__":
    main()
