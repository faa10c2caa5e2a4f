#!/usr/bin/env python3
"""Peak memory and wall time of chaosrt under load, for docs/limits.md.

Runs, each in a fresh directory against a local HTTP server on loopback:
  probes-10000      a method of 10,000 HTTP probes (the built-in http plugin);
  background-200    200 background HTTP probes, then one more in the foreground;
  outputs-16x16MiB  sixteen process activities of 16 MiB of stdout each (the kept-output budget);
  process-1GB       one process writing 1 GB to stdout (kept: 16 MiB).

Usage: python3 bench/load.py --chaosrt PATH [--only NAME]
"""
import argparse
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time


class Ok(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def probe(name, url, background=False):
    p = {"type": "probe", "name": name, "provider": {"type": "http", "url": url, "timeout": 30}}
    if background:
        p["background"] = True
    return p


def shell(name, script):
    return {"type": "action", "name": name,
            "provider": {"type": "process", "path": "sh", "arguments": ["-c", script]}}


def cases(url):
    return {
        "probes-10000": [probe(f"p-{i}", url) for i in range(10_000)],
        "background-200": [probe(f"bg-{i}", url, True) for i in range(200)] + [probe("last", url)],
        "outputs-16x16MiB": [shell(f"big-{i}", "head -c 16777216 /dev/zero | tr '\\0' b")
                             for i in range(16)],
        "process-1GB": [shell("loud", "head -c 1000000000 /dev/zero | tr '\\0' o")],
    }


COUNT = "import json, sys; print(sum(r.get('status') == 'succeeded' for r in json.load(open(sys.argv[1]))['run']))"


def run(chaosrt, name, method):
    work = tempfile.mkdtemp(prefix=f"chaosrt-load-{name}-")
    try:
        with open(os.path.join(work, "experiment.json"), "w") as f:
            json.dump({"title": name, "description": "load", "method": method}, f)
        env = dict(os.environ, XDG_CACHE_HOME=os.path.join(work, "cache"),
                   XDG_DATA_HOME=os.path.join(work, "data"))
        # Compile the built-ins into this run's cache first, so the measured run is a warm one.
        subprocess.run([chaosrt, "run", "experiment.json", "--dry", "activities"], cwd=work, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        start = time.perf_counter()
        proc = subprocess.Popen([chaosrt, "run", "experiment.json"], cwd=work, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        # Counted in another process: a journal loaded here would make this one large, and the next
        # run, forked from it, would start with its size in ru_maxrss.
        ok = int(subprocess.check_output([sys.executable, "-c", COUNT, os.path.join(work, "journal.json")]))
        journal_mib = os.path.getsize(os.path.join(work, "journal.json")) / 2**20
        return {"case": name, "activities": len(method), "succeeded": ok,
                "exit": os.waitstatus_to_exitcode(status), "wall_s": round(wall, 2),
                "peak_rss_mib": round(usage.ru_maxrss / 1024, 1), "journal_mib": round(journal_mib, 1)}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--chaosrt", required=True)
    parser.add_argument("--only")
    args = parser.parse_args()
    chaosrt = os.path.abspath(args.chaosrt)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    print(f"{'case':18} {'activities':>10} {'succeeded':>9} {'exit':>4} {'wall s':>7} "
          f"{'peak RSS MiB':>12} {'journal MiB':>11}")
    for name, method in cases(url).items():
        if args.only and name != args.only:
            continue
        r = run(chaosrt, name, method)
        print(f"{r['case']:18} {r['activities']:>10} {r['succeeded']:>9} {r['exit']:>4} "
              f"{r['wall_s']:>7} {r['peak_rss_mib']:>12} {r['journal_mib']:>11}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
