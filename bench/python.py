#!/usr/bin/env python3
"""A Chaos Toolkit Python extension bundled by chaosrt, beside the same extension run natively.

Measures, against Debian's Prometheus on loopback (scraping itself):
  1. `chaosrt plugin install python:chaostoolkit-prometheus==0.6.0 …` in empty data and cache
     directories: wall time (resolve, download, componentize, compile), the component's size, the
     bundled site-packages' size and the compiled artifact's size;
  2. an experiment of 1 and of P `chaosprometheus.probes.query` probes, with `chaosrt run` and with
     `chaos run` (chaostoolkit 1.19.0 + chaostoolkit-prometheus 0.6.0, natively), alternating, R runs
     each: median wall time and peak RSS, and the cost of one more probe ((wall(P) - wall(1)) / (P-1));
     the same with `query_interval` probes over relative times ("1 minute ago" to "now"), which
     dateparser parses with regex (chaosrt's WebAssembly build of it).

Needs scripts/setup (bundler, Prometheus, the native Chaos Toolkit). Usage:
  python3 bench/python.py --chaosrt target/debug/chaosrt [--probes 40] [--runs 5]
"""
import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

CACHE = os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache"))
CHAOS = os.path.join(CACHE, "chaosrt", "ctk-extensions", "bin", "chaos")
BUNDLER = os.path.join(CACHE, "chaosrt", "python-bundler")
INSTALL = ["python:chaostoolkit-prometheus==0.6.0", "logzero==1.7.0", "chaostoolkit-lib==1.44.0",
           "--grant", "http-configuration=prometheus_base_url"]
# What each kind of probe is called with.
PROBES = {
    "query": {"query": "up"},
    "query_interval": {"query": "up", "start": "1 minute ago", "end": "now", "step": 1},
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def timed(cmd, cwd, env):
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"{' '.join(cmd[:3])} exited {code}: {proc.stderr.read().decode()[-2000:]}")
    return wall, usage.ru_maxrss / 1024


def du(path):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)


def start_prometheus(work):
    port = free_port()
    config = os.path.join(work, "prometheus.yml")
    with open(config, "w") as f:
        f.write("global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: prometheus\n"
                f"    static_configs:\n      - targets: ['127.0.0.1:{port}']\n")
    proc = subprocess.Popen(["prometheus", f"--config.file={config}",
                             f"--storage.tsdb.path={work}/tsdb", f"--web.listen-address=127.0.0.1:{port}",
                             "--log.level=warn"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            answer = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/query?query=up"))
            if answer["data"]["result"]:
                return proc, port
        except Exception:
            pass
        time.sleep(0.25)
    sys.exit("prometheus did not come up")


def experiment(port, func, probes):
    return {
        "title": "queries", "description": "bench",
        "configuration": {"prometheus_base_url": f"http://127.0.0.1:{port}"},
        "method": [{"type": "probe", "name": f"q{i}", "provider": {
            "type": "python", "module": "chaosprometheus.probes", "func": func,
            "arguments": PROBES[func]}} for i in range(probes)],
    }


def measure(func, port, args, chaosrt, work, env):
    results = {}
    for probes in (1, args.probes):
        path = os.path.join(work, f"{func}-{probes}.json")
        with open(path, "w") as f:
            json.dump(experiment(port, func, probes), f)
        tools = {"chaosrt": [chaosrt, "--no-log-file", "run", path],
                 "chaos": [CHAOS, "--no-version-check", "--no-log-file", "run", path]}
        for _ in range(args.runs):
            for tool, cmd in tools.items():
                results.setdefault((tool, probes), []).append(timed(cmd, work, env))
    print(f"| {func} probes | chaos run wall | chaosrt wall | ratio | chaos RSS | chaosrt RSS |")
    for probes in (1, args.probes):
        c = results[("chaos", probes)]
        r = results[("chaosrt", probes)]
        cw, rw = statistics.median(w for w, _ in c), statistics.median(w for w, _ in r)
        cm, rm = max(m for _, m in c), max(m for _, m in r)
        print(f"| {probes} | {cw * 1000:.0f} ms | {rw * 1000:.0f} ms | {rw / cw:.2f}x | "
              f"{cm:.0f} MiB | {rm:.0f} MiB |")
    per = {}
    for tool in ("chaos", "chaosrt"):
        one = statistics.median(w for w, _ in results[(tool, 1)])
        many = statistics.median(w for w, _ in results[(tool, args.probes)])
        per[tool] = (many - one) / (args.probes - 1)
    print(f"one more {func} probe: chaos run {per['chaos'] * 1000:.1f} ms, chaosrt "
          f"{per['chaosrt'] * 1000:.1f} ms ({per['chaosrt'] / per['chaos']:.2f}x)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--chaosrt", required=True)
    parser.add_argument("--probes", type=int, default=40)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    chaosrt = os.path.abspath(args.chaosrt)
    with tempfile.TemporaryDirectory() as work:
        prometheus, port = start_prometheus(work)
        try:
            env = dict(os.environ, XDG_DATA_HOME=f"{work}/data", XDG_CACHE_HOME=f"{work}/cache",
                       CHAOSRT_PYTHON_BUNDLER=BUNDLER)
            wall, rss = timed([chaosrt, "--no-log-file", "plugin", "install", *INSTALL], work, env)
            store = f"{work}/data/chaosrt/plugins/chaostoolkit-prometheus/0.6.0"
            print(f"install: {wall:.1f} s wall, {rss:.0f} MiB peak RSS (chaosrt itself; the builder "
                  f"runs as a child)")
            # Install precompiles beside the component (plugin.cwasm); older builds used the cache.
            compiled = du(work + "/cache/chaosrt") if os.path.isdir(work + "/cache/chaosrt") else 0
            if os.path.exists(store + "/plugin.cwasm"):
                compiled += os.path.getsize(store + "/plugin.cwasm")
            print(f"component: {os.path.getsize(store + '/plugin.wasm') / 1e6:.1f} MB; site-packages "
                  f"{du(store + '/site-packages') / 1e6:.1f} MB; compiled {compiled / 1e6:.1f} MB")
            for func in PROBES:
                measure(func, port, args, chaosrt, work, env)
        finally:
            prometheus.kill()
            prometheus.wait()


if __name__ == "__main__":
    main()
