#!/usr/bin/env python3
"""The loopback HTTP server the compatibility cases probe, started once per case by both
`record.py` (for `chaos run`) and `tests/e2e/compat.rs` (for `chaosrt run`), with the case's scratch
working directory as its current directory. It binds 127.0.0.1 on a free port and prints that port
as the first line of stdout. Python standard library only.

Routes (any method):
  /ok             200 text/plain "ok"
  /fail           500 text/plain "fail"
  /status/N       N   text/plain "status N"
  /number         200 text/plain "42"
  /json           200 application/json {"status":"up","items":[{"id":1,"name":"a"},{"id":2,"name":"b"}],"count":2}
  /json-charset   the same body as /json, Content-Type "application/json; charset=utf-8"
  /slow?s=S       sleeps S seconds (default 2), then 200 text/plain "slow"
  /flip           200 text/plain "up" until the file `down` exists in the working directory, then 503 "down"
  /echo           200 application/json {"method", "path", "query": {k: [v, ...]}, "headers": {the
                  request's X-* headers, names lower-cased}, "content_type", "body": the raw body text,
                  "json": the body parsed as JSON or null, "form": the form-encoded body parsed as
                  {k: [v, ...]} or null}

Usage: python3 server.py
"""
import http.server
import json
import os
import sys
import time
from urllib.parse import parse_qs, urlsplit

JSON_BODY = {
    "status": "up",
    "items": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}],
    "count": 2,
}


def parse_json(data: bytes):
    try:
        return json.loads(data)
    except ValueError:
        return None


class Handler(http.server.BaseHTTPRequestHandler):
    def handle_any(self):
        url = urlsplit(self.path)
        query = parse_qs(url.query, keep_blank_values=True)
        length = int(self.headers.get("Content-Length") or 0)
        body_in = self.rfile.read(length) if length else b""
        path = url.path
        if path == "/ok":
            self.reply(200, "text/plain", "ok")
        elif path == "/fail":
            self.reply(500, "text/plain", "fail")
        elif path.startswith("/status/"):
            code = int(path[len("/status/"):])
            self.reply(code, "text/plain", f"status {code}")
        elif path == "/number":
            self.reply(200, "text/plain", "42")
        elif path == "/json":
            self.reply(200, "application/json", json.dumps(JSON_BODY))
        elif path == "/json-charset":
            self.reply(200, "application/json; charset=utf-8", json.dumps(JSON_BODY))
        elif path == "/slow":
            time.sleep(float(query.get("s", ["2"])[0]))
            self.reply(200, "text/plain", "slow")
        elif path == "/flip":
            if os.path.exists("down"):
                self.reply(503, "text/plain", "down")
            else:
                self.reply(200, "text/plain", "up")
        elif path == "/echo":
            echoed = {
                "method": self.command,
                "path": path,
                "query": query,
                "headers": {
                    k.lower(): v for k, v in self.headers.items() if k.lower().startswith("x-")
                },
                "content_type": self.headers.get("Content-Type"),
                "body": body_in.decode("utf-8", "replace"),
                "json": parse_json(body_in),
                "form": parse_qs(body_in.decode("utf-8", "replace"), keep_blank_values=True)
                if (self.headers.get("Content-Type") or "").startswith(
                    "application/x-www-form-urlencoded"
                )
                else None,
            }
            self.reply(200, "application/json", json.dumps(echoed))
        else:
            self.reply(404, "text/plain", "not found")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = handle_any

    def reply(self, status: int, content_type: str, body: str):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def log_message(self, *args):
        pass


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
