#!/usr/bin/env python3
"""chaosrt beside `chaos run` (Chaos Toolkit 1.19.0 from PyPI), on the same inputs, in one run.

Measures and prints, with the ratios the issue's targets are stated in (chaosrt / chaos):
  1. the tutorial experiment end to end, warm: median wall time (runs of their own, without GNU time) and
     peak RSS (runs under GNU time), alternating N runs each, and /bin/true started the same way (the floor);
  2. chaosrt's first run ever (empty cache and data directories) against `chaos run`;
  3. a steady-state hypothesis of P HTTP probes against a local native server (bench/okserver.rs):
     activities per second;
  5. the peak RSS of that run (P activities);
  6. with --build-time: a clean release build's wall and CPU time, in a target directory of its own,
     and the binary's size (that build's binary is then the one measured).
Both run without a log file. (4, the sandbox's cost per activity, is `cargo bench -p chaosrt --bench sandbox`; scripts/bench runs
both.) Each run's exit code is checked, and the activities per second are counted from the journal.

Usage: python3 bench/compare.py [--runs 20] [--probes 1000] [--chaosrt PATH ...] [--build-time [--build-dir DIR]]
Several --chaosrt builds are measured in the same run, alternating with each other and with `chaos run`,
so a change is compared with its base under the same machine load (copy each binary the same way: see
BENCHMARKS.md on how the page cache affects peak RSS).
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
CHAOSTOOLKIT = "chaostoolkit==1.19.0"


def chaos_cli() -> str:
    venv = os.path.join(ROOT, "bench", ".venv")
    chaos = os.path.join(venv, "bin", "chaos")
    if not os.path.exists(chaos):
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        subprocess.run([os.path.join(venv, "bin", "pip"), "install", "-q", CHAOSTOOLKIT], check=True)
    return chaos


def target_directory() -> str:
    meta = json.loads(subprocess.check_output(
        ["cargo", "metadata", "--format-version", "1", "--no-deps"], cwd=ROOT))
    return meta["target_directory"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# GNU time, to read a command's own peak RSS: the rusage of a child of this script would count this
# script's peak too (Linux carries the forking process's high-water mark across exec), and this
# script, with its HTTP server, is bigger than chaosrt.
GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None


def timed(cmd, cwd, env, stdout=subprocess.DEVNULL):
    """Wall seconds, peak RSS in MiB, CPU seconds (user + system, children included), exit code.
    Without GNU time (Debian's `time` package) the peak RSS is at least this script's own."""
    with tempfile.NamedTemporaryFile(mode="r") as rss_file:
        if GNU_TIME:
            cmd = [GNU_TIME, "-q", "-f", "%M", "-o", rss_file.name, *cmd]
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=stdout, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        rss = usage.ru_maxrss / 1024
        if GNU_TIME:
            lines = rss_file.read().split()
            if not lines or not lines[-1].isdigit():
                sys.exit(f"GNU time reported no peak RSS for {cmd}")
            rss = int(lines[-1]) / 1024
    return wall, rss, usage.ru_utime + usage.ru_stime, os.waitstatus_to_exitcode(status)


def wall_of(cmd, cwd, env):
    """Wall seconds and exit code of `cmd` run directly: GNU time in between (`timed`) adds its own
    exec, fork and wait, about 1.5 ms, which is a tenth of a short chaosrt run."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, _ = os.wait4(proc.pid, 0)
    return time.perf_counter() - start, os.waitstatus_to_exitcode(status)


def wait_until_up(port: int) -> None:
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
            return
        except Exception:
            time.sleep(0.1)
    sys.exit(f"nothing answers on 127.0.0.1:{port}")


def ok_server(build_dir: str):
    """Starts bench/okserver.rs (built with `rustc -O` into `build_dir` when missing or older than its
    source): a native loopback server answering `200 ok`, so the probe figures are the tools', not the
    server's. Returns the process and its port."""
    source = os.path.join(ROOT, "bench", "okserver.rs")
    binary = os.path.join(build_dir, "okserver")
    if not os.path.exists(binary) or os.path.getmtime(binary) < os.path.getmtime(source):
        os.makedirs(build_dir, exist_ok=True)
        subprocess.run(["rustc", "-O", "--edition", "2021", "-o", binary, source], check=True)
    proc = subprocess.Popen([binary], stdout=subprocess.PIPE, text=True)
    port = int(proc.stdout.readline())
    return proc, port


def hypothesis_of(probes: int, url: str) -> dict:
    return {
        "version": "1.0.0",
        "title": f"{probes} HTTP probes",
        "description": "A steady-state hypothesis of many HTTP probes against a local server",
        "steady-state-hypothesis": {
            "title": "the service answers",
            "probes": [{
                "type": "probe", "name": f"answers-{i}", "tolerance": 200,
                "provider": {"type": "http", "url": url},
            } for i in range(probes)],
        },
        "method": [],
    }


def activities_in(journal_path: str) -> int:
    with open(journal_path) as f:
        journal = json.load(f)
    states = journal.get("steady_states") or {}
    count = len(journal.get("run") or [])
    for phase in ("before", "after", "during"):
        found = states.get(phase)
        for check in found if isinstance(found, list) else [found]:
            if isinstance(check, dict):
                count += len(check.get("probes") or [])
    return count


def clean_release_build(build_dir: str):
    """Builds chaosrt in release from nothing in `build_dir`; its binary, wall and CPU seconds, size."""
    shutil.rmtree(build_dir, ignore_errors=True)
    env = dict(os.environ, CARGO_TARGET_DIR=build_dir)
    wall, _, cpu, code = timed(["cargo", "build", "--release", "--locked", "-p", "chaosrt"], ROOT, env,
                               stdout=None)
    if code != 0:
        sys.exit(f"the release build failed ({code})")
    binary = os.path.join(build_dir, "release", "chaosrt")
    return binary, wall, cpu, os.path.getsize(binary)


def evict_from_page_cache(path: str) -> None:
    """Drops a binary's pages from the page cache, so that every build measured is read back by its
    first run's own faults. How a file got into the page cache (written by the linker, by `cp`, read
    by exec) decides the size of the folios it sits in, and the kernel maps a whole folio at a fault:
    the same binary measured 15 to 21 MiB of peak RSS depending on it."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20, help="tutorial runs per tool")
    parser.add_argument("--probes", type=int, default=1000, help="HTTP probes in the hypothesis")
    parser.add_argument("--probe-runs", type=int, default=3, help="runs per tool of the probe hypothesis")
    parser.add_argument("--chaosrt", action="append", default=[],
                        help="chaosrt binary, repeatable (default: build --release)")
    parser.add_argument("--build-time", action="store_true",
                        help="time a clean release build (in --build-dir) and measure its binary")
    parser.add_argument("--build-dir", default=None,
                        help="target directory of the clean build (default: <target dir>/bench-build)")
    args = parser.parse_args()

    build = None
    if args.build_time:
        build_dir = os.path.abspath(args.build_dir or os.path.join(target_directory(), "bench-build"))
        build = clean_release_build(build_dir)
        binaries = [build[0]]
    elif args.chaosrt:
        binaries = [os.path.abspath(path) for path in args.chaosrt]
    else:
        subprocess.run(["cargo", "build", "--release", "--locked", "-p", "chaosrt"], cwd=ROOT, check=True)
        binaries = [os.path.join(target_directory(), "release", "chaosrt")]
    for binary in binaries:
        evict_from_page_cache(binary)
    # Each build gets a name in the report: "chaosrt" alone, else its file name.
    builds = {("chaosrt" if len(binaries) == 1 else os.path.basename(b)): b for b in binaries}
    if len(builds) != len(binaries):
        sys.exit("give each --chaosrt binary its own file name")
    chaos = chaos_cli()

    work = tempfile.mkdtemp(prefix="chaosrt-bench-")
    port = free_port()
    with open(os.path.join(ROOT, "examples/exchange/experiment.json")) as f:
        text = f.read().replace("http://localhost:8080/", f"http://localhost:{port}/")
    with open(os.path.join(work, "experiment.json"), "w") as f:
        f.write(text)
    server, ok_port = ok_server(os.path.join(target_directory(), "bench"))
    service = subprocess.Popen([sys.executable, os.path.join(ROOT, "examples/exchange/service.py"),
                                "--port", str(port), "--dir", work], stdout=subprocess.DEVNULL)
    with open(os.path.join(work, "probes.json"), "w") as f:
        json.dump(hypothesis_of(args.probes, f"http://127.0.0.1:{ok_port}/"), f)
    try:
        wait_until_up(port)
        wait_until_up(ok_port)
        env = dict(os.environ)
        cache = os.path.join(work, "cache")
        data = os.path.join(work, "data")
        env["XDG_CACHE_HOME"] = cache
        env["XDG_DATA_HOME"] = data
        env["XDG_CONFIG_HOME"] = os.path.join(work, "config")

        def restore():
            old = os.path.join(work, "exchange.dat.old")
            if os.path.exists(old):
                os.replace(old, os.path.join(work, "exchange.dat"))

        def command(tool, experiment, *extra):
            if tool in builds:
                return [builds[tool], "--no-log-file", "run", *extra, experiment]
            return [chaos, "--no-version-check", "--no-log-file", "run", *extra, experiment]

        def run(tool, experiment, expected, *extra, before=None):
            """Wall seconds and peak RSS. With `before` (what makes the inputs ready again), the
            wall time is of a run of its own, without GNU time around it."""
            wall, rss, _, code = timed(command(tool, experiment, *extra), work, env)
            if code != expected:
                sys.exit(f"{tool} {experiment} exited {code}, expected {expected}")
            if before is not None:
                before()
                wall, code = wall_of(command(tool, experiment, *extra), work, env)
                if code != expected:
                    sys.exit(f"{tool} {experiment} exited {code}, expected {expected}")
            return wall, rss

        # 2: the first run ever, with nothing cached; then 1: warm, alternating.
        def first_run_ever():
            shutil.rmtree(cache, ignore_errors=True)
            shutil.rmtree(data, ignore_errors=True)
            restore()

        cold = {name: [] for name in builds}
        for _ in range(3):
            for name in builds:
                first_run_ever()
                cold[name].append(run(name, "experiment.json", 1, before=first_run_ever))
        # The process floor: what starting any program costs here, measured the same way.
        floor = [wall_of(["/bin/true"], work, env)[0] for _ in range(args.runs)]
        tutorial = {**{name: [] for name in builds}, "chaos": []}
        for _ in range(args.runs):
            for tool in tutorial:
                restore()
                tutorial[tool].append(run(tool, "experiment.json", 1, before=restore))

        # 3 and 5: many probes, activities counted from each run's journal.
        probes = {**{name: [] for name in builds}, "chaos": []}
        for _ in range(args.probe_runs):
            for tool in probes:
                wall, rss = run(tool, "probes.json", 0, "--hypothesis-strategy", "before-method-only")
                done = activities_in(os.path.join(work, "journal.json"))
                if done != args.probes:
                    sys.exit(f"{tool} ran {done} probes, expected {args.probes}")
                probes[tool].append((done / wall, rss))
    finally:
        service.kill()
        server.kill()
        shutil.rmtree(work, ignore_errors=True)

    def med(rows, i):
        return statistics.median(r[i] for r in rows)

    ctk_wall, ctk_rss = med(tutorial["chaos"], 0), med(tutorial["chaos"], 1)
    ctk_rate, ctk_prss = med(probes["chaos"], 0), med(probes["chaos"], 1)
    width = max(9, *(len(name) + 4 for name in builds))
    print(f"{', '.join(f'{n}: {b}' for n, b in builds.items())}; chaos: {CHAOSTOOLKIT}; medians; "
          "ratios are chaosrt / chaos")
    print(f"1. tutorial, warm ({args.runs} runs each, alternating; wall of runs without GNU time, "
          f"peak RSS of runs under it; /bin/true started the same way: {statistics.median(floor) * 1000:.1f} ms)")
    print(f"   {'chaos run':<{width}} {ctk_wall * 1000:8.1f} ms  {ctk_rss:6.1f} MiB peak RSS")
    for name in builds:
        wall, rss = med(tutorial[name], 0), med(tutorial[name], 1)
        print(f"   {name + ' run':<{width}} {wall * 1000:8.1f} ms  {rss:6.1f} MiB peak RSS: wall {wall / ctk_wall:.3f}x "
              f"(target <= 0.03x); peak RSS {rss / ctk_rss:.2f}x (target <= 0.5x)")
    print(f"2. tutorial, first run ever (empty cache and data dirs, 3 runs each)")
    for name in builds:
        wall, rss = med(cold[name], 0), med(cold[name], 1)
        print(f"   {name + ' run':<{width}} {wall * 1000:8.1f} ms  {rss:6.1f} MiB peak RSS: wall {wall / ctk_wall:.3f}x "
              f"of chaos run (target <= 0.1x); {wall / med(tutorial[name], 0):.2f}x a warm run")
    print(f"3. hypothesis of {args.probes} HTTP probes ({args.probe_runs} runs each)")
    print(f"   {'chaos run':<{width}} {ctk_rate:8.0f} activities/s")
    for name in builds:
        rate = med(probes[name], 0)
        print(f"   {name + ' run':<{width}} {rate:8.0f} activities/s: throughput {rate / ctk_rate:.1f}x (target >= 20x)")
    print(f"5. peak RSS of that run ({args.probes} activities)")
    print(f"   {'chaos run':<{width}} {ctk_prss:8.1f} MiB")
    for name in builds:
        rss = med(probes[name], 1)
        print(f"   {name + ' run':<{width}} {rss:8.1f} MiB: {rss / ctk_prss:.2f}x")
    if build is not None:
        _, wall, cpu, size = build
        print("6. clean release build (cargo build --release --locked -p chaosrt)")
        print(f"   {wall:.0f} s wall, {cpu:.0f} s CPU; binary {size / (1 << 20):.1f} MiB")


if __name__ == "__main__":
    main()
