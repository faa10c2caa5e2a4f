"""Builds a chaosrt plugin component from Chaos Toolkit extensions on PyPI (`chaosrt plugin install
python:…` runs this; it is not meant to be run by hand, but can be, to see each step).

1. Resolve the pinned packages and their dependencies with pip's normal resolver, for the CPython
   inside componentize-py (3.14), wheels only: an sdist would run its build code on this machine.
2. Pick, for each package, a wheel that runs in WebAssembly: a pure one (`none-any`), a native
   wheel whose compiled parts are optional (PyYAML), or a wasm32-wasi build chaosrt made
   (scripts/python-wasm-wheels puts them in `--wheels`; the resolution is constrained to their
   versions). Anything else is refused, naming the package and who needs it.
3. Download the wheels (their sha256 checked against the index's), install them into a
   site-packages directory, and build one component with the dispatcher (`guest/`) through
   componentize-py, which imports the extension and describes its activities while it builds.
4. Write a report (JSON) of exact versions, wheels and digests, for the manifest.

Usage: bundle.py --work DIR --wit DIR --guest DIR --out FILE --report FILE [--wheels DIR]
       EXTENSION==VERSION [PACKAGE==VERSION...]
Exit status 2 with one line on stderr starting `refused:` when a package cannot be bundled.
"""

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile

# The CPython that componentize-py 0.25 embeds.
PYTHON_VERSION = "3.14"

# Native wheels whose compiled modules are optional speed-ups with a pure-Python fallback: the
# wheel is used without them. (Extension module names, as globs below the package.)
OPTIONAL_NATIVE = {
    "pyyaml": "PyYAML imports `_yaml` only if it loads and otherwise uses its pure-Python parser",
    "markupsafe": "MarkupSafe falls back to its pure-Python escape when `_speedups` is absent",
    "charset-normalizer": "charset-normalizer's compiled modules are mypyc builds of pure-Python code",
    "pendulum": "pendulum 3 falls back to pure Python when its Rust extension is absent",
}

# Native packages scripts/python-wasm-wheels builds for wasm32-wasi (into the bundler's wasm-wheels).
BUILDABLE = {"regex"}

SPEC = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9.!+_-]+)$")


class Refused(Exception):
    pass


def normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def step(message):
    print(f"bundle: {message}", file=sys.stderr, flush=True)


def run(cmd, **kwargs):
    result = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-15:])
        raise RuntimeError(f"{' '.join(cmd[:4])} … failed:\n{tail}")
    return result


def pip(*args):
    return run([sys.executable, "-m", "pip", "--disable-pip-version-check", *args])


def wheel_tags(filename):
    parts = filename[: -len(".whl")].split("-")
    return parts[-3], parts[-2], parts[-1]


def is_pure(filename):
    _, abi, platform = wheel_tags(filename)
    return abi == "none" and platform == "any"


def required_by(report):
    """normalized name → the names of the resolved packages that require it."""
    names = {normalize(i["metadata"]["name"]) for i in report["install"]}
    needed = {}
    for item in report["install"]:
        for requirement in item["metadata"].get("requires_dist", []) or []:
            if re.search(r"\bextra\s*==", requirement):
                continue  # only for an extra, which pip's report does not say was asked for
            dep = normalize(re.split(r"[\s<>=!~;\[(]", requirement, 1)[0])
            if dep in names:
                needed.setdefault(dep, []).append(item["metadata"]["name"])
    return needed


def wasm_builds(wheels):
    """normalized name → (version, path) of the wasm32-wasi wheels in `wheels`."""
    builds = {}
    for filename in sorted(os.listdir(wheels)) if wheels and os.path.isdir(wheels) else []:
        if filename.endswith(".whl") and "wasi" in wheel_tags(filename)[2]:
            name, version = filename.split("-")[:2]
            builds[normalize(name)] = (version, os.path.join(wheels, filename))
    return builds


def resolve(specs, work, builds):
    step(f"resolving {' '.join(specs)} for CPython {PYTHON_VERSION} (wheels only)")
    path = os.path.join(work, "resolution.json")
    # A package chaosrt built for wasm32-wasi resolves to the version built, if it is needed.
    constraints = os.path.join(work, "constraints.txt")
    with open(constraints, "w", encoding="utf-8") as f:
        f.write("".join(f"{name}=={version}\n" for name, (version, _) in sorted(builds.items())))
    try:
        pip("install", "--dry-run", "--ignore-installed", "--quiet", "--report", path,
            "--only-binary", ":all:", "--python-version", PYTHON_VERSION, "-c", constraints,
            *specs)
    except RuntimeError as e:
        text = str(e)
        missing = re.search(r"No matching distribution found for (\S+)", text)
        if missing and not missing.group(1).startswith("_") and \
                missing.group(1).split(".")[0] not in sys.stdlib_module_names:
            raise Refused(
                f"{missing.group(1)} has no wheel for CPython {PYTHON_VERSION} on PyPI (only an sdist, "
                "or nothing): chaosrt installs wheels only, since building an sdist runs its code "
                "on this machine"
            )
        raise
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def pure_alternative(name, version, work):
    """A `none-any` wheel of exactly this version, if PyPI has one."""
    dest = os.path.join(work, "pure")
    try:
        pip("download", "--quiet", "--no-deps", "--only-binary", ":all:", "--platform", "any",
            "--python-version", PYTHON_VERSION, "--implementation", "py", "-d", dest,
            f"{name}=={version}")
    except RuntimeError:
        return None
    for filename in os.listdir(dest):
        if normalize(filename.split("-")[0]) == normalize(name) and is_pure(filename):
            return os.path.join(dest, filename)
    return None


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def choose(report, work, builds):
    """The wheel to bundle for each resolved package, or Refused."""
    needed = required_by(report)
    chosen, refusals = [], []
    for item in report["install"]:
        name = item["metadata"]["name"]
        version = item["metadata"]["version"]
        url = item["download_info"]["url"]
        filename = url.rsplit("/", 1)[-1]
        digest = item["download_info"].get("archive_info", {}).get("hashes", {}).get("sha256")
        entry = {"name": name, "version": version}
        if is_pure(filename):
            entry.update(kind="pure", wheel=filename, sha256=digest, url=url)
            chosen.append(entry)
            continue
        build = builds.get(normalize(name))
        if build and build[0] == version:
            path = build[1]
            entry.update(kind="wasm32-wasi build", wheel=os.path.basename(path), sha256=sha256(path),
                         path=path, why="built by chaosrt from the sdist (scripts/python-wasm-wheels)")
            chosen.append(entry)
            continue
        pure = pure_alternative(name, version, work)
        if pure:
            entry.update(kind="pure", wheel=os.path.basename(pure), sha256=sha256(pure), path=pure)
            chosen.append(entry)
            continue
        if normalize(name) in OPTIONAL_NATIVE:
            entry.update(kind="native, without its compiled modules", wheel=filename, sha256=digest,
                         url=url, why=OPTIONAL_NATIVE[normalize(name)])
            chosen.append(entry)
            continue
        who = needed.get(normalize(name))
        by = f" (needed by {', '.join(sorted(set(who)))})" if who else ""
        refusals.append(
            f"{name}=={version}{by} ships only native wheels ({filename}) and chaosrt has no "
            "WebAssembly build of it, so it cannot run in the sandbox"
            + (f" (chaosrt's build is of {normalize(name)}=={build[0]})" if build else
               " (chaosrt builds it with scripts/python-wasm-wheels, which has not been run for "
               "this bundler)" if normalize(name) in BUILDABLE else "")
        )
    if refusals:
        raise Refused("; ".join(refusals))
    return chosen


def download(chosen, work):
    dest = os.path.join(work, "wheels")
    os.makedirs(dest, exist_ok=True)
    lines = [f"{c['name']}=={c['version']} --hash=sha256:{c['sha256']}"
             for c in chosen if "path" not in c]
    if lines:
        step(f"downloading {len(lines)} wheels (sha256 checked)")
        requirements = os.path.join(work, "requirements.txt")
        with open(requirements, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        pip("download", "--quiet", "--no-deps", "--only-binary", ":all:", "--python-version",
            PYTHON_VERSION, "--require-hashes", "-d", dest, "-r", requirements)
    by_name = {}
    for filename in os.listdir(dest):
        by_name[normalize(filename.split("-")[0])] = os.path.join(dest, filename)
    for c in chosen:
        path = c.get("path") or by_name.get(normalize(c["name"]))
        if not path or sha256(path) != c["sha256"]:
            raise RuntimeError(f"{c['name']}: the downloaded wheel does not match its sha256")
        c["path"] = path


def install(chosen, site):
    step(f"installing {len(chosen)} wheels into the bundle")
    for c in chosen:
        # A wheel is a zip archive laid out as site-packages; `*.data/purelib|platlib` go there too,
        # scripts and headers are not needed. Members are checked to stay inside `site`.
        with zipfile.ZipFile(c["path"]) as archive:
            for member in archive.infolist():
                parts = member.filename.split("/")
                if member.filename.startswith("/") or ".." in parts:
                    raise RuntimeError(f"{c['wheel']}: unsafe path {member.filename!r}")
                if len(parts) > 2 and parts[0].endswith(".data"):
                    if parts[1] not in ("purelib", "platlib"):
                        continue
                    parts = parts[2:]
                if member.is_dir():
                    continue
                if member.external_attr >> 28 == 0xA:
                    raise RuntimeError(f"{c['wheel']}: {member.filename} is a symbolic link")
                target = os.path.join(site, *parts)
                if c["kind"].startswith("native") and re.search(r"\.(so|pyd)$|\.so\.", target):
                    continue
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with archive.open(member) as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst)
    leftovers = [os.path.relpath(os.path.join(d, f), site) for d, _, files in os.walk(site)
                 for f in files if re.search(r"\.(so|pyd)$", f) and "wasi" not in f]
    if leftovers:
        raise RuntimeError(f"native modules left in the bundle: {leftovers[:5]}")


def top_levels(site, name):
    """The importable top-level modules of the distribution `name` installed in `site`."""
    for entry in os.listdir(site):
        if entry.endswith(".dist-info") and normalize(entry.split("-")[0]) == normalize(name):
            dist = os.path.join(site, entry)
            break
    else:
        raise RuntimeError(f"{name}: no .dist-info after install")
    top_level = os.path.join(dist, "top_level.txt")
    if os.path.exists(top_level):
        with open(top_level, encoding="utf-8") as f:
            names = [line.strip() for line in f if line.strip()]
    else:
        names = set()
        with open(os.path.join(dist, "RECORD"), encoding="utf-8") as f:
            for line in f:
                first = line.split(",", 1)[0].split("/")[0]
                if first.endswith((".dist-info", ".data")) or first in ("__pycache__", ".."):
                    continue
                names.add(first[:-3] if first.endswith(".py") else first)
        names = sorted(names)
    return [n for n in names if n.isidentifier() and not n.startswith("_")]


# Configuration keys an extension reads that look like endpoints: shown to the operator as
# `--grant http-configuration=KEY` suggestions.
ENDPOINT_KEY = re.compile(
    r"""configuration[^\n]{0,16}?(?:\.get\(|\[)\s*["']([A-Za-z0-9_]*(?:url|endpoint|host|addr|address|server)[A-Za-z0-9_]*)["']""",
    re.IGNORECASE,
)


def endpoint_keys(site, modules):
    keys = set()
    for top in modules:
        base = os.path.join(site, top)
        files = [base + ".py"] if os.path.isfile(base + ".py") else [
            os.path.join(d, f) for d, _, fs in os.walk(base) for f in fs if f.endswith(".py")]
        for path in files:
            with open(path, encoding="utf-8", errors="replace") as f:
                keys.update(ENDPOINT_KEY.findall(f.read()))
    return sorted(keys)


def semver(version):
    """A PEP 440 version as chaosrt's plugin version (semantic): 0.6 → 0.6.0, 1.2.post1 → 1.2.0-post1."""
    m = re.match(r"^(\d+)(?:\.(\d+))?(?:\.(\d+))?(.*)$", version)
    if not m:
        return "0.0.0-" + re.sub(r"[^A-Za-z0-9-]", "-", version)
    rest = re.sub(r"[^A-Za-z0-9.-]", "-", m.group(4).lstrip(".-_+"))
    core = ".".join(str(int(part or 0)) for part in m.groups()[:3])
    return f"{core}-{rest}" if rest else core


def plugin_name(name):
    return re.sub(r"[^A-Za-z0-9_-]", "-", normalize(name))[:64]


def componentize(args, site, guest_dir, config):
    guest = os.path.join(args.work, "guest")
    shutil.copytree(guest_dir, guest)
    with open(os.path.join(guest, "chaosrt_bundle.json"), "w", encoding="utf-8") as f:
        json.dump(config, f)
    step("building the component (componentize-py imports the extension and describes it)")
    componentize_py = os.path.join(os.path.dirname(sys.executable), "componentize-py")
    result = subprocess.run(
        [componentize_py, "-d", args.wit, "-w", "chaosrt-plugin", "componentize", "chaosrt_plugin",
         "-p", guest, "-p", site, "-o", args.out],
        capture_output=True, text=True)
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines()
        error = next((l for l in reversed(lines) if re.match(r"^\w*(Error|Exception)\b", l)), None)
        missing = re.search(r"No module named '([^']+)'", result.stderr or "")
        if missing and not missing.group(1).startswith("_") and \
                missing.group(1).split(".")[0] not in sys.stdlib_module_names:
            raise Refused(
                f"importing the extension failed: No module named '{missing.group(1)}'. It is "
                "imported but not declared as a dependency: add the package that provides it to "
                "the install (e.g. python:PACKAGE==VERSION)")
        raise RuntimeError("componentize-py failed:\n" + "\n".join(lines[-20:]) +
                           (f"\n({error})" if error else ""))
    # componentize-py prints the pre-initialisation's stderr: the extension's own warnings and
    # the submodules the dispatcher could not import.
    for line in (result.stderr or "").splitlines():
        if line.startswith("chaosrt:"):
            step(line[len("chaosrt:"):].strip())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", required=True)
    parser.add_argument("--wit", required=True)
    parser.add_argument("--guest", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--report", required=True)
    parser.add_argument("--wheels", help="a directory of wasm32-wasi wheels chaosrt built")
    parser.add_argument("specs", nargs="+")
    args = parser.parse_args()
    try:
        for spec in args.specs:
            if not SPEC.match(spec):
                raise Refused(f"'{spec}' is not PACKAGE==VERSION: pin each package exactly, so the "
                              "same install can be reproduced")
        builds = wasm_builds(args.wheels)
        report = resolve(args.specs, args.work, builds)
        chosen = choose(report, args.work, builds)
        download(chosen, args.work)
        site = os.path.join(args.work, "site-packages")
        os.makedirs(site)
        install(chosen, site)
        # The first package is the extension: its modules are the ones experiments name. The others
        # are bundled with it (what it imports without declaring, pins of its dependencies).
        first = SPEC.match(args.specs[0])
        modules = top_levels(site, first.group(1))
        if not modules:
            raise Refused(f"{first.group(1)} holds no importable module")
        summary = next((i["metadata"].get("summary", "") for i in report["install"]
                        if normalize(i["metadata"]["name"]) == normalize(first.group(1))), "")
        others = len(chosen) - 1
        config = {
            "name": plugin_name(first.group(1)),
            "version": semver(first.group(2)),
            "description": f"{summary} ({args.specs[0]} with {others} more packages, bundled by "
                           "chaosrt)"[:4000],
            "modules": modules,
        }
        componentize(args, site, args.guest, config)
        result = {
            "name": config["name"],
            "version": config["version"],
            "requested": args.specs,
            "modules": modules,
            "python": PYTHON_VERSION,
            "packages": [{k: c[k] for k in ("name", "version", "kind", "wheel", "sha256", "why") if k in c}
                         for c in chosen],
            "endpoint_keys": endpoint_keys(site, modules),
            "site_packages": site,
        }
        with open(args.report, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=1)
    except Refused as e:
        print(f"refused: {e}", file=sys.stderr)
        sys.exit(2)
    except RuntimeError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
