#!/usr/bin/env python3
"""What a plugin costs in each language: component size, build time, first load (the compile at
`plugin install`) and the warm call (an activity's duration in the journal: a fresh sandbox, the
call, its output checked), for the `plugin new` projects in Rust, Python and JavaScript (their
`hello` probe does no I/O) and the C example (`checksum` of a 1 KiB file).

    eval "$(scripts/toolchains --env)"
    bench/plugin-languages.py [--chaosrt target/debug/chaosrt] [--wit-c target/debug/chaosrt-wit-c] [--calls 200]

Builds run in a scratch directory (the Rust one with a fresh target dir: a cold build). Numbers
are wall-clock on whatever else the machine is doing; run it on a quiet machine.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(command, cwd, env):
    start = time.monotonic()
    subprocess.run(command, cwd=cwd, env=env, shell=True, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.monotonic() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--chaosrt", default=str(ROOT / "target/debug/chaosrt"))
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--wit-c", default=str(ROOT / "target/debug/chaosrt-wit-c"),
                        help="the workspace's chaosrt-wit-c (scripts/toolchains builds it)")
    args = parser.parse_args()
    chaosrt = str(Path(args.chaosrt).resolve())

    scratch = Path(tempfile.mkdtemp(prefix="chaosrt-bench-langs-"))
    env = dict(os.environ,
               XDG_DATA_HOME=str(scratch / "data"), XDG_CACHE_HOME=str(scratch / "cache"),
               XDG_CONFIG_HOME=str(scratch / "config"),
               PATH=f"{Path(chaosrt).parent}:{Path(args.wit_c).resolve().parent}:{os.environ['PATH']}")
    env.pop("CARGO_TARGET_DIR", None)
    (scratch / "file.bin").write_bytes(bytes(range(256)) * 4)

    plugins = []  # (language, plugin name, component, build seconds, activity, arguments)
    for lang, build, component in [
        ("rust", "cargo build --release --target wasm32-wasip2", "target/wasm32-wasip2/release/bench_{lang}.wasm"),
        ("python", "python3 -m pip install --quiet --target build/deps -r requirements.txt && "
                   "componentize-py -d wit -w chaosrt-plugin componentize app -p . -p build/deps -o build/bench-{lang}.wasm",
         "build/bench-{lang}.wasm"),
        ("js", "npm ci --no-audit --no-fund --loglevel=error && npm run build", "build/bench-{lang}.wasm"),
    ]:
        name = f"bench-{lang}"
        extra = ["--sdk", str(ROOT / "sdk")] if lang == "rust" else []
        subprocess.run([chaosrt, "plugin", "new", name, "--lang", lang, "--dir", str(scratch / name), *extra],
                       env=env, check=True, stderr=subprocess.DEVNULL)
        seconds = timed(build.format(lang=lang), scratch / name, env)
        plugins.append((lang, name, scratch / name / component.format(lang=lang), seconds, "hello", {"name": "x"}))

    # build.sh finds the contract three directories up (../../../wit), as in the repository.
    c_dir = scratch / "examples" / "plugins" / "c"
    shutil.copytree(ROOT / "examples/plugins/c", c_dir, ignore=shutil.ignore_patterns("build"))
    os.symlink(ROOT / "wit", scratch / "wit")
    seconds = timed("./build.sh", c_dir, env)
    plugins.append(("c", "checksum-probe", c_dir / "build/checksum-probe.wasm", seconds,
                    "checksum", {"path": "file.bin"}))

    print(f"| language | component | build | first load (install: compile) | warm call, median (p90) over {args.calls} |")
    print("|---|---|---|---|---|")
    for lang, name, component, build_s, activity, arguments in plugins:
        install_s = timed(f"{chaosrt} plugin install --yes --compile-timeout 900 {component}", scratch, env)
        method = [{"type": "probe", "name": f"call-{i}",
                   "provider": {"type": "plugin", "plugin": name, "func": activity, "arguments": arguments}}
                  for i in range(args.calls)]
        experiment = scratch / f"{lang}.json"
        experiment.write_text(json.dumps({"title": lang, "description": "bench", "method": method}))
        subprocess.run([chaosrt, "run", "--no-log-file", "--journal-path", f"{lang}-journal.json", str(experiment)],
                       cwd=scratch, env=env, check=True, stderr=subprocess.DEVNULL)
        journal = json.loads((scratch / f"{lang}-journal.json").read_text())
        durations = sorted(r["duration"] * 1000 for r in journal["run"] if r["status"] == "succeeded")
        assert len(durations) == args.calls, f"{lang}: {len(durations)} of {args.calls} calls succeeded"
        p90 = durations[int(len(durations) * 0.9)]
        size = component.stat().st_size
        shown = f"{size / 1e6:.1f} MB" if size > 1e6 else f"{size / 1e3:.0f} KB"
        print(f"| {lang} | {shown} | {build_s:.1f} s | {install_s:.1f} s | "
              f"{statistics.median(durations):.2f} ms ({p90:.2f} ms) |")
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
