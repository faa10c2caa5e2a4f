"""The generic Python-provider component of chaosrt: one dispatcher for every Chaos Toolkit extension.

componentize-py imports this module when it builds a bundle (pre-initialisation), with the bundled
site-packages on the path: the extension's modules are imported and its activities described then,
and both are kept in the component's snapshot. At run time `invoke("M.F", arguments)` calls
`M.F(**arguments, configuration=…, secrets=…)` exactly as chaostoolkit-lib's
`provider/python.py::run_python_activity` does:
- `configuration` (the experiment's, resolved) is passed when the function has that parameter;
- `secrets` (the scopes the provider lists, merged into one dict) when the function has that
  parameter and the provider lists secrets;
- any exception becomes the activity's failure, worded as Chaos Toolkit words it
  (`traceback.format_exception_only`, e.g. `chaoslib.exceptions.ActivityFailed: …`);
- the return value is the output, as JSON.
Python `logging` records and whatever the extension writes to stderr/stdout go to the run's log
through the contract's `log`, at their own levels.
"""

import datetime
import decimal
import importlib
import inspect
import json
import logging
import os
import pkgutil
import sys
import traceback
import uuid

# The interpreter has no `ssl` (its `_ssl` is not built): libraries that import it get the stand-in.
try:
    import ssl  # noqa: F401
except ImportError:
    import chaosrt_ssl

    sys.modules["ssl"] = chaosrt_ssl

from wit_world import exports
from componentize_py_types import Err
from wit_world.imports import chaosrt_plugin_types as t
from wit_world.imports import context
from wit_world.imports import log as wit_log

_HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(_HERE, "chaosrt_bundle.json"), encoding="utf-8") as _f:
    BUNDLE = json.load(_f)

# Set once the component runs in the host: before that (at build time) the `log` import cannot be
# called, and log records go to the builder's stderr.
_IN_HOST = False

_LEVELS = [
    (logging.ERROR, wit_log.Level.ERROR),
    (logging.WARNING, wit_log.Level.WARNING),
    (logging.INFO, wit_log.Level.INFO),
]


def _wit_level(levelno):
    for threshold, level in _LEVELS:
        if levelno >= threshold:
            return level
    return wit_log.Level.DEBUG


def _emit(level, message):
    if _IN_HOST:
        wit_log.log(level, message)
    else:
        sys.__stderr__.write(message + "\n")


class _LogHandler(logging.Handler):
    """Every logging record, at its level, into the run's log."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(message)s"))

    def emit(self, record):
        try:
            _emit(_wit_level(record.levelno), self.format(record))
        except Exception:  # noqa: BLE001 - logging must never fail the activity
            self.handleError(record)


class _LineWriter:
    """A text stream that sends each complete line to the run's log at one level."""

    def __init__(self, level, name):
        self.level = level
        self.name = name
        self.pending = ""

    def write(self, text):
        if not isinstance(text, str):
            text = str(text)
        self.pending += text
        while "\n" in self.pending:
            line, self.pending = self.pending.split("\n", 1)
            _emit(self.level, line)
        return len(text)

    def flush(self):
        if self.pending:
            _emit(self.level, self.pending)
            self.pending = ""

    def isatty(self):
        return False

    def writable(self):
        return True

    @property
    def encoding(self):
        return "utf-8"


_HANDLER = _LogHandler()


def _route_logging():
    """Replaces every console handler of every logger (logzero's, basicConfig's) with ours, keeping
    each logger's level: records reach the run's log once, at their level, never as bare stderr."""
    loggers = [logging.getLogger()] + [
        l for l in logging.Logger.manager.loggerDict.values() if isinstance(l, logging.Logger)
    ]
    for logger in loggers:
        replaced = False
        for handler in list(logger.handlers):
            if handler is _HANDLER:
                replaced = True
            elif isinstance(handler, logging.StreamHandler):
                logger.removeHandler(handler)
                if not replaced:
                    logger.addHandler(_HANDLER)
                    replaced = True
    root = logging.getLogger()
    if _HANDLER not in root.handlers:
        root.addHandler(_HANDLER)
    if root.level > logging.DEBUG:
        root.setLevel(logging.DEBUG)


# requests and urllib3 reach the network through wasi:http (the host checks every request).
try:
    import urllib3  # noqa: F401
except ImportError:
    pass
else:
    import chaosrt_wasi_http

    chaosrt_wasi_http.install()


def _served(module):
    """Whether `module` belongs to one of the bundle's served top-level packages."""
    return any(module == top or module.startswith(top + ".") for top in BUNDLE["modules"])


# --- metadata, computed at build time ---------------------------------------------------------

_TYPES = {
    str: t.ArgumentType.STRING,
    int: t.ArgumentType.INTEGER,
    float: t.ArgumentType.NUMBER,
    bool: t.ArgumentType.BOOLEAN,
    dict: t.ArgumentType.OBJECT,
    list: t.ArgumentType.LIST,
    tuple: t.ArgumentType.LIST,
}
_TYPE_NAMES = {
    "str": t.ArgumentType.STRING,
    "int": t.ArgumentType.INTEGER,
    "float": t.ArgumentType.NUMBER,
    "bool": t.ArgumentType.BOOLEAN,
    "dict": t.ArgumentType.OBJECT,
    "Dict": t.ArgumentType.OBJECT,
    "Mapping": t.ArgumentType.OBJECT,
    "Configuration": t.ArgumentType.OBJECT,
    "Secrets": t.ArgumentType.OBJECT,
    "list": t.ArgumentType.LIST,
    "List": t.ArgumentType.LIST,
    "Sequence": t.ArgumentType.LIST,
    "tuple": t.ArgumentType.LIST,
}


def _argument_type(annotation):
    if annotation is inspect.Parameter.empty:
        return t.ArgumentType.ANY
    if annotation in _TYPES:
        return _TYPES[annotation]
    text = annotation if isinstance(annotation, str) else repr(annotation)
    text = text.replace("typing.", "").strip()
    for wrapper in ("Optional[", "Union[None, "):
        if text.startswith(wrapper) and text.endswith("]"):
            text = text[len(wrapper) : -1]
    if text.endswith(" | None"):
        text = text[: -len(" | None")]
    return _TYPE_NAMES.get(text.split("[", 1)[0].strip(), t.ArgumentType.ANY)


def _first_paragraph(doc, limit):
    text = inspect.cleandoc(doc or "").split("\n\n", 1)[0].replace("\n", " ").strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _default_json(value):
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return None


def _describe(module, name, kind):
    func = getattr(importlib.import_module(module), name)
    arguments = []
    for p in inspect.signature(func).parameters.values():
        if p.name in ("configuration", "secrets") or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        required = p.default is inspect.Parameter.empty
        arguments.append(
            t.ArgumentSpec(
                name=p.name,
                type=_argument_type(p.annotation),
                required=required,
                default=None if required else _default_json(p.default),
                description="",
            )
        )
    return t.Activity(
        name=f"{module}.{name}",
        kind=t.ActivityKind.PROBE if kind == "probe" else t.ActivityKind.ACTION,
        description=_first_paragraph(func.__doc__, 1000),
        arguments=arguments[:64],
    )


def _walk(top):
    """`top` and every submodule of it, imported (so they are in the snapshot)."""
    package = importlib.import_module(top)
    yield package
    for info in pkgutil.walk_packages(getattr(package, "__path__", []), prefix=top + "."):
        try:
            yield importlib.import_module(info.name)
        except Exception as e:  # noqa: BLE001 - an optional submodule may need what is absent
            sys.__stderr__.write(f"chaosrt: not importing {info.name}: {type(e).__name__}: {e}\n")


def _discovered(top):
    """(module, function, kind) as `chaos discover` lists them: the package's `discover()`, or the
    `__all__` of its probes and actions modules."""
    found = []
    modules = list(_walk(top))
    discover = getattr(modules[0], "discover", None)
    if callable(discover):
        try:
            discovery = discover(discover_system=False)
            for a in discovery.get("activities", []):
                if a.get("type") in ("probe", "action") and a.get("mod") and a.get("name"):
                    found.append((a["mod"], a["name"], a["type"]))
            return found
        except Exception as e:  # noqa: BLE001 - fall back to what `__all__` says
            sys.__stderr__.write(f"chaosrt: {top}.discover() failed ({type(e).__name__}: {e}); "
                                 "listing the __all__ of its probes and actions modules\n")
            found = []
    for module in modules:
        last = module.__name__.rsplit(".", 1)[-1]
        kind = "probe" if "probe" in last else "action" if "action" in last else None
        if kind:
            for name in getattr(module, "__all__", []):
                if callable(getattr(module, name, None)):
                    found.append((module.__name__, name, kind))
    return found


def _metadata():
    activities, seen = [], set()
    for top in BUNDLE["modules"]:
        for module, name, kind in _discovered(top):
            if (module, name) not in seen and _served(module):
                seen.add((module, name))
                activities.append(_describe(module, name, kind))
    return t.PluginMetadata(
        name=BUNDLE["name"],
        version=BUNDLE["version"],
        description=BUNDLE["description"],
        capabilities=[],
        activities=activities[:512],
    )


METADATA = _metadata()


def _warm_up():
    """Loads now what libraries the extension imported would load on their first use, so that it is
    in the snapshot: every call runs in a fresh instance of it, and would load it again. dateparser
    imports its language data and compiles its patterns on the first parse (about 1.7 s in
    WebAssembly, per call, before this)."""
    dateparser = sys.modules.get("dateparser")
    if dateparser is not None:
        try:
            for text in ("5 minutes ago", "now", "2 hours ago", "2024-01-02T03:04:05Z"):
                dateparser.parse(text)
        except Exception as e:  # noqa: BLE001 - then the first call pays for it
            sys.__stderr__.write(f"chaosrt: dateparser warm-up failed: {type(e).__name__}: {e}\n")


_warm_up()

# --- invoke -----------------------------------------------------------------------------------

def _json_default(value):
    """What Chaos Toolkit's journal encoder does with values JSON has no type for."""
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _merged_secrets():
    """The provider's secret scopes merged into one dict, as chaoslib passes them; `None` when the
    provider lists none."""
    scopes = json.loads(context.secrets())
    if not scopes:
        return None
    merged = {}
    for values in scopes.values():
        if isinstance(values, dict):
            merged.update(values)
    return merged


def _call(activity, arguments):
    module_name, _, func_name = activity.rpartition(".")
    if not module_name or not _served(module_name):
        raise Err(t.Error_UnknownActivity(activity))
    try:
        func = getattr(importlib.import_module(module_name), func_name)
    except (ImportError, AttributeError) as e:
        raise Err(t.Error_UnknownActivity(f"{activity}: {type(e).__name__}: {e}"))
    try:
        kwargs = json.loads(arguments)
    except ValueError as e:
        raise Err(t.Error_InvalidArguments(f"the arguments are not JSON: {e}"))
    if not isinstance(kwargs, dict):
        raise Err(t.Error_InvalidArguments("the arguments must be a JSON object"))
    signature = inspect.signature(func)
    if "secrets" in signature.parameters:
        secrets = _merged_secrets()
        if secrets is not None:
            kwargs["secrets"] = secrets
    if "configuration" in signature.parameters:
        kwargs["configuration"] = json.loads(context.configuration())
    try:
        signature.bind(**kwargs)
    except TypeError as e:
        raise Err(t.Error_InvalidArguments(f"{activity}: {e}"))
    try:
        result = func(**kwargs)
    except BaseException as x:  # noqa: BLE001 - Chaos Toolkit wraps any exception
        raise Err(t.Error_Failed(traceback.format_exception_only(type(x), x)[0].strip()))
    return json.dumps(result, default=_json_default)


class Plugin(exports.Plugin):
    def metadata(self):
        return METADATA

    def invoke(self, activity, arguments):
        global _IN_HOST
        _IN_HOST = True
        _route_logging()
        saved = sys.stdout, sys.stderr
        sys.stdout = _LineWriter(wit_log.Level.INFO, "stdout")
        sys.stderr = _LineWriter(wit_log.Level.WARNING, "stderr")
        try:
            return _call(activity, arguments)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            sys.stdout, sys.stderr = saved
