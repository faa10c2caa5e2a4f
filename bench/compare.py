#!/usr/bin/env python3
"""chaosrt beside `chaos run` (Chaos Toolkit from PyPI) on the tutorial experiment, in one run.

Both run the same experiment file against the same exchange service on loopback, alternately, N times
each; the exchange file is put back between runs. Reports median wall time and peak RSS of each, and
the ratios. Also times chaosrt's first run with an empty compile cache against a warm one.

Usage: python3 bench/compare.py [--runs 20] [--chaosrt PATH]
Installs chaostoolkit into bench/.venv on first use (PyPI).
"""
import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def chaos_cli() -> str:
    venv = os.path.join(ROOT, "bench", ".venv")
    chaos = os.path.join(venv, "bin", "chaos")
    if not os.path.exists(chaos):
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        subprocess.run([os.path.join(venv, "bin", "pip"), "install", "-q", "chaostoolkit==1.19.0"], check=True)
    return chaos


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def timed(cmd, cwd, env):
    """Wall seconds, peak RSS in MiB, exit code of one command."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    return wall, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--chaosrt", default=None, help="chaosrt binary (default: build --release)")
    args = parser.parse_args()

    chaosrt = args.chaosrt
    if chaosrt is None:
        subprocess.run(["cargo", "build", "--release", "--locked", "-p", "chaosrt"], cwd=ROOT, check=True)
        meta = json.loads(subprocess.check_output(
            ["cargo", "metadata", "--format-version", "1", "--no-deps"], cwd=ROOT))
        chaosrt = os.path.join(meta["target_directory"], "release", "chaosrt")
    chaos = chaos_cli()

    work = tempfile.mkdtemp(prefix="chaosrt-bench-")
    port = free_port()
    with open(os.path.join(ROOT, "examples/exchange/experiment.json")) as f:
        text = f.read().replace("http://localhost:8080/", f"http://localhost:{port}/")
    with open(os.path.join(work, "experiment.json"), "w") as f:
        f.write(text)
    service = subprocess.Popen([sys.executable, os.path.join(ROOT, "examples/exchange/service.py"),
                                "--port", str(port), "--dir", work], stdout=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except Exception:
                time.sleep(0.1)
        env = dict(os.environ)
        cache = os.path.join(work, "cache")
        env["XDG_CACHE_HOME"] = cache
        env["XDG_DATA_HOME"] = os.path.join(work, "data")

        def restore():
            old = os.path.join(work, "exchange.dat.old")
            if os.path.exists(old):
                os.replace(old, os.path.join(work, "exchange.dat"))

        rt_cmd = [chaosrt, "run", "experiment.json"]
        ctk_cmd = [chaos, "--no-version-check", "--no-log-file", "run", "experiment.json"]

        # Cold (empty compile cache) vs warm.
        cold = []
        for _ in range(3):
            shutil.rmtree(cache, ignore_errors=True)
            restore()
            cold.append(timed(rt_cmd, work, env))
        results = {"chaosrt": [], "chaos": []}
        for _ in range(args.runs):
            for name, cmd in (("chaosrt", rt_cmd), ("chaos", ctk_cmd)):
                restore()
                wall, rss, code = timed(cmd, work, env)
                if code != 1:
                    sys.exit(f"{name} exited {code}, expected 1 (deviated)")
                results[name].append((wall, rss))
    finally:
        service.kill()
        shutil.rmtree(work, ignore_errors=True)

    def med(rows, i):
        return statistics.median(r[i] for r in rows)

    rt_wall, ctk_wall = med(results["chaosrt"], 0), med(results["chaos"], 0)
    rt_rss, ctk_rss = med(results["chaosrt"], 1), med(results["chaos"], 1)
    cold_wall = med(cold, 0)
    print(f"tutorial experiment, {args.runs} runs each, alternating, medians")
    print(f"  chaos run (chaostoolkit 1.19.0): {ctk_wall * 1000:8.1f} ms  {ctk_rss:6.1f} MiB peak RSS")
    print(f"  chaosrt run (warm cache):        {rt_wall * 1000:8.1f} ms  {rt_rss:6.1f} MiB peak RSS")
    print(f"  chaosrt run (empty cache):       {cold_wall * 1000:8.1f} ms  (compiles http + fs)")
    print(f"  wall time: chaos / chaosrt = {ctk_wall / rt_wall:.1f}x; peak RSS: chaos / chaosrt = {ctk_rss / rt_rss:.1f}x")
    print(f"  chaosrt cold / warm = {cold_wall / rt_wall:.1f}x")


if __name__ == "__main__":
    main()
