#!/usr/bin/env python3
"""Records what the real Chaos Toolkit does on every compatibility case, as `expected.json`.

    pip install 'chaostoolkit==1.19.0' 'chaostoolkit-lib[jsonpath]==1.44.0'   # once (jsonpath2 too)
    python3 tests/compat/record.py                  # every case
    python3 tests/compat/record.py 07 21-jsonpath   # only these (a case name or its NN prefix)
    python3 tests/compat/record.py --jobs 1         # one case at a time (default: 4 in parallel)

For each case in tests/compat/cases/<NN-name>/ it does exactly what tests/e2e/compat.rs does for
chaosrt (keep the two in step):
  1. makes a scratch directory with a working directory `run/` and copies every file of the case into
     it, except case.json, expected.json, override.json, ctk.log and settings.yaml; in every copied file
     and in case.json's `args` and `env` values, COMPAT_PORT becomes the port of the case's server and
     COMPAT_CLOSED_PORT a loopback port nobody listens on;
  2. when the case has settings.yaml, copies it to `<scratch>/settings.yaml`, which both are given with
     `--settings`; otherwise chaos gets `--settings` to that missing file (no settings; CTK's default
     ~/.chaostoolkit/settings.yaml is never read) and chaosrt runs with HOME and XDG_CONFIG_HOME inside
     the scratch directory (so no user settings either);
  3. starts `server.py` with `run/` as its working directory and reads its port from its first line;
  4. runs, in `run/`, with the case's `env` added to the environment:
        chaos --no-version-check --no-log-file --settings <scratch>/settings.yaml \
              run <case args...> <experiment file>
     (chaosrt: `chaosrt [--settings <scratch>/settings.yaml] run <case args...> <experiment file>`),
     then stops the server;
  5. summarises the outcome (exit code, journal fields, selected log lines) into expected.json, and the
     console log, with timestamps dropped and the scratch path and ports replaced, into ctk.log.

It never touches override.json: a deliberate chaosrt difference is hand-written there (see README.md).
Run it with the versions above only; `how` in expected.json says which versions were used.
"""
import argparse
import concurrent.futures
import datetime
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = os.path.join(HERE, "cases")
SERVER = os.path.join(HERE, "server.py")
NOT_COPIED = {"case.json", "expected.json", "override.json", "ctk.log", "settings.yaml"}
EXPERIMENT_FILES = ("experiment.json", "experiment.yaml", "experiment.yml")
TIMEOUT_SECONDS = 60

# Log lines recorded for every case when CTK prints them (first occurrence of each, in CTK's order):
# the fixed messages that say what a run decided. Case-specific lines come from case.json's "log".
AUTO_LOG = [
    r"INFO Running experiment: .*",
    r"INFO Steady-state strategy: .*",
    r"INFO Rollbacks strategy: .*",
    r"WARNING Running experiment with dry .*",
    r"INFO No steady state hypothesis defined\. That's ok, just exploring\.",
    r"INFO Steady state hypothesis is met!",
    r"CRITICAL Steady state probe '.*' is not in the given tolerance so failing this experiment",
    r"WARNING Probe terminated unexpectedly, so its tolerance could not be validated",
    r"INFO No declared activities, let's move on\.",
    r"INFO Pausing (before next activity|after activity) for .*s\.\.\.",
    r"INFO Executing the steady-state hypothesis continuously every .* seconds",
    r"WARNING Continuous steady state probe '.*' is not in the given tolerance",
    r"WARNING Rollbacks (were|will) .*",
    r"INFO Let's rollback\.\.\.",
    r"INFO No declared rollbacks, let's move on\.",
    r"INFO Experiment ended with status: .*",
    r"INFO The steady-state has deviated, a weakness may have been discovered",
    r"ERROR (?!  => failed: ).*",
]
AUTO_LOG_RE = [re.compile(p) for p in AUTO_LOG]
ANSI = re.compile(r"\x1b\[[0-9;]*m")
LINE = re.compile(r"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (\w+)\] (.*)$")


def versions() -> str:
    from importlib.metadata import version

    return f"chaostoolkit {version('chaostoolkit')}, lib {version('chaostoolkit-lib')}"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def experiment_file(case_dir: str) -> str:
    found = [f for f in EXPERIMENT_FILES if os.path.exists(os.path.join(case_dir, f))]
    if len(found) != 1:
        raise SystemExit(f"{case_dir}: needs exactly one of {EXPERIMENT_FILES}, found {found}")
    return found[0]


def replace_placeholders(text: str, port: int, closed: int) -> str:
    # COMPAT_CLOSED_PORT first: it contains no COMPAT_PORT, but keep the order explicit.
    return text.replace("COMPAT_CLOSED_PORT", str(closed)).replace("COMPAT_PORT", str(port))


def log_lines(stderr: str):
    """Every console line as `LEVEL message` (continuation lines, e.g. tracebacks, are dropped)."""
    out = []
    for raw in ANSI.sub("", stderr).splitlines():
        m = LINE.match(raw)
        if m:
            out.append(f"{m.group(1)} {m.group(2)}")
    return out


def state(s):
    if s is None:
        return None
    return {
        "met": s.get("steady_state_met"),
        "probes": [
            [(p.get("activity") or {}).get("name"), p.get("status"), p.get("tolerance_met")]
            for p in s.get("probes", [])
        ],
    }


def runs(entries):
    return [[(r.get("activity") or {}).get("name"), r.get("status")] for r in entries]


def pointer(doc, ptr: str):
    """RFC 6901 JSON pointer lookup; raises KeyError when it does not resolve."""
    if ptr == "":
        return doc
    for part in ptr.lstrip("/").split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(doc, list):
            doc = doc[int(part)]
        elif isinstance(doc, dict):
            doc = doc[part]
        else:
            raise KeyError(ptr)
    return doc


def record(name: str) -> str:
    case_dir = os.path.join(CASES, name)
    with open(os.path.join(case_dir, "case.json")) as f:
        case = json.load(f)
    exp_file = experiment_file(case_dir)
    scratch = tempfile.mkdtemp(prefix=f"compat-{name}-")
    run_dir = os.path.join(scratch, "run")
    os.mkdir(run_dir)
    settings = os.path.join(scratch, "settings.yaml")
    server = subprocess.Popen(
        [sys.executable, SERVER], cwd=run_dir, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        port = int(server.stdout.readline())
        closed = closed_port()
        for entry in sorted(os.listdir(case_dir)):
            src = os.path.join(case_dir, entry)
            if entry in NOT_COPIED or not os.path.isfile(src):
                continue
            with open(src, "rb") as f:
                data = f.read()
            try:
                data = replace_placeholders(data.decode("utf-8"), port, closed).encode("utf-8")
            except UnicodeDecodeError:
                pass
            with open(os.path.join(run_dir, entry), "wb") as f:
                f.write(data)
        if os.path.exists(os.path.join(case_dir, "settings.yaml")):
            shutil.copy(os.path.join(case_dir, "settings.yaml"), settings)
        args = [replace_placeholders(a, port, closed) for a in case.get("args", [])]
        env = dict(os.environ)
        env.update({k: replace_placeholders(v, port, closed) for k, v in case.get("env", {}).items()})
        command = [
            "chaos", "--no-version-check", "--no-log-file", "--settings", settings,
            "run", *args, exp_file,
        ]
        proc = subprocess.run(
            command, cwd=run_dir, env=env, capture_output=True, text=True, timeout=TIMEOUT_SECONDS,
        )
    finally:
        server.kill()
        server.wait()
        server.stdout.close()

    lines = log_lines(proc.stderr)
    journal_path = os.path.join(run_dir, "journal.json")
    journal = None
    if os.path.exists(journal_path):
        with open(journal_path) as f:
            journal = json.load(f)

    expected = {"exit_code": proc.returncode, "journal": journal is not None}
    if journal is None:
        expected.update(
            status=None, deviated=None, steady_states=None, run=None, rollbacks=None,
            journal_keys=None,
        )
    else:
        ss = journal["steady_states"]
        during = ss.get("during") or []
        expected.update(
            status=journal["status"],
            deviated=journal["deviated"],
            steady_states={
                "before": state(ss.get("before")),
                "after": state(ss.get("after")),
                # the number of during iterations depends on timing: only 0 vs "at least one" is kept
                "during_count_min": min(len(during), 1),
                "during_count_max": 0 if not during else None,
                "during_last_met": during[-1]["steady_state_met"] if during else None,
            },
            run=runs(journal["run"]),
            rollbacks=runs(journal["rollbacks"]),
            journal_keys=list(journal.keys()),
        )
    values = {}
    for ptr in case.get("values", []):
        if journal is None:
            raise SystemExit(f"{name}: case.json asks for value {ptr} but CTK wrote no journal")
        try:
            values[ptr] = pointer(journal, ptr)
        except (KeyError, IndexError, ValueError):
            raise SystemExit(f"{name}: value {ptr} is not in CTK's journal")
    expected["values"] = values

    wanted = set(case.get("log", []))
    missing = wanted - set(lines)
    if missing:
        raise SystemExit(f"{name}: CTK did not log {sorted(missing)}; it logged:\n" + "\n".join(lines))
    selected, seen = [], set()
    for line in lines:
        if line in seen:
            continue
        if line in wanted or any(r.fullmatch(line) for r in AUTO_LOG_RE):
            selected.append(line)
            seen.add(line)
    expected["log_contains"] = selected
    expected["log_ordered"] = case.get("log_ordered", True)
    expected["how"] = (
        f"recorded with chaos ({versions()}) by tests/compat/record.py on "
        f"{datetime.date.today().isoformat()}"
    )
    with open(os.path.join(case_dir, "expected.json"), "w") as f:
        json.dump(expected, f, indent=2, ensure_ascii=False)
        f.write("\n")

    def normalise(text: str) -> str:
        text = text.replace(scratch, "<scratch>")
        text = text.replace(str(closed), "COMPAT_CLOSED_PORT").replace(str(port), "COMPAT_PORT")
        return text

    log = []
    for raw in ANSI.sub("", proc.stderr).splitlines():
        m = LINE.match(raw)
        log.append(normalise(f"{m.group(1)} {m.group(2)}" if m else raw))
    with open(os.path.join(case_dir, "ctk.log"), "w") as f:
        f.write("\n".join(log) + "\n")
    shutil.rmtree(scratch, ignore_errors=True)
    return (
        f"{name}: exit {proc.returncode}, status {expected['status']}, "
        f"deviated {expected['deviated']}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("cases", nargs="*", help="case names or NN prefixes (default: all)")
    parser.add_argument("--jobs", type=int, default=4)
    opts = parser.parse_args()
    if shutil.which("chaos") is None:
        raise SystemExit("`chaos` is not on PATH: pip install 'chaostoolkit==1.19.0' 'chaostoolkit-lib[jsonpath]==1.44.0'")
    names = sorted(d for d in os.listdir(CASES) if os.path.isdir(os.path.join(CASES, d)))
    if opts.cases:
        chosen = [n for n in names if any(n == c or n.split("-", 1)[0] == c for c in opts.cases)]
        unknown = [c for c in opts.cases if not any(n == c or n.split("-", 1)[0] == c for n in names)]
        if unknown:
            raise SystemExit(f"unknown cases: {unknown}")
        names = chosen
    lock = threading.Lock()
    failed = False
    with concurrent.futures.ThreadPoolExecutor(max(1, opts.jobs)) as pool:
        futures = {pool.submit(record, n): n for n in names}
        for fut in concurrent.futures.as_completed(futures):
            with lock:
                try:
                    print(fut.result(), flush=True)
                except BaseException as e:  # noqa: BLE001 - report every case, then fail
                    failed = True
                    print(f"{futures[fut]}: NOT RECORDED: {e}", flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
