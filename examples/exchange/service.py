#!/usr/bin/env python3
"""The tutorial service: every 10 seconds it writes the current time to exchange.dat and serves the
file's content on http://127.0.0.1:8080/; while the file is missing it answers 500.

Chaos Toolkit's own tutorial uses the same service, so the experiment next to it runs unmodified under
both `chaos run` and `chaosrt run`.

Usage: python3 service.py [--port 8080] [--dir DIRECTORY]
"""
import argparse
import datetime
import http.server
import os
import threading

INTERVAL_SECONDS = 10


def write_exchange_file(path: str) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(datetime.datetime.now().isoformat())
    os.replace(tmp, path)


def keep_writing(path: str, stop: threading.Event) -> None:
    while not stop.is_set():
        write_exchange_file(path)
        stop.wait(INTERVAL_SECONDS)


def handler_for(path: str):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            try:
                with open(path) as f:
                    body, status = f.read(), 200
            except FileNotFoundError:
                body, status = "Exchange file is not ready", 500
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--dir", default=".")
    args = parser.parse_args()
    path = os.path.join(args.dir, "exchange.dat")
    stop = threading.Event()
    threading.Thread(target=keep_writing, args=(path, stop), daemon=True).start()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), handler_for(path))
    print(f"serving {path} on http://127.0.0.1:{server.server_address[1]}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()


if __name__ == "__main__":
    main()
