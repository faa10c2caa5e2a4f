"""chaosrt's stand-in for the `regex` package, bundled only when the operator asks
(`plugin install python:… --stand-in regex`): `regex` is a C extension chaosrt cannot build for
WebAssembly yet (docs/python-extensions.md).

It is Python's `re` behind `regex`'s names. Patterns are compiled when first used, not when a module
defines them, so that a package that defines patterns only `regex` accepts (dateparser) still imports
and its other parts work; a pattern `re` cannot compile fails where it is used, with `re`'s reason.
"""

import re as _re
from re import (  # noqa: F401 - the names `regex` offers too
    ASCII,
    DEBUG,
    DOTALL,
    IGNORECASE,
    LOCALE,
    MULTILINE,
    UNICODE,
    VERBOSE,
    A,
    I,
    L,
    M,
    Match,
    S,
    U,
    X,
    escape,
    purge,
)

# `regex`'s version flags: `re` has one behaviour.
V0 = VERSION0 = 0
V1 = VERSION1 = 0
DEFAULT_VERSION = VERSION0


class error(_re.error):
    pass


class Pattern:
    """A pattern compiled by `re` on first use."""

    __class_getitem__ = classmethod(lambda cls, item: cls)

    def __init__(self, pattern, flags=0):
        self._source, self._flags, self._compiled = pattern, flags, None

    def _get(self):
        if self._compiled is None:
            try:
                self._compiled = _re.compile(self._source, self._flags)
            except _re.error as e:
                raise error(
                    f"{e} (chaosrt bundles Python's re in place of regex, which cannot compile "
                    f"this pattern)"
                ) from None
        return self._compiled

    @property
    def pattern(self):
        return self._source

    def __getattr__(self, name):
        return getattr(self._get(), name)


def compile(pattern, flags=0, **_regex_only):
    if isinstance(pattern, Pattern):
        return pattern
    return Pattern(pattern, flags)


def _compiled(pattern, flags):
    if isinstance(pattern, _re.Pattern):
        return pattern
    return compile(pattern, flags)._get()


def match(pattern, string, flags=0, **_regex_only):
    return _compiled(pattern, flags).match(string)


def fullmatch(pattern, string, flags=0, **_regex_only):
    return _compiled(pattern, flags).fullmatch(string)


def search(pattern, string, flags=0, **_regex_only):
    return _compiled(pattern, flags).search(string)


def sub(pattern, repl, string, count=0, flags=0, **_regex_only):
    return _compiled(pattern, flags).sub(repl, string, count)


def subn(pattern, repl, string, count=0, flags=0, **_regex_only):
    return _compiled(pattern, flags).subn(repl, string, count)


def split(pattern, string, maxsplit=0, flags=0, **_regex_only):
    return _compiled(pattern, flags).split(string, maxsplit)


def findall(pattern, string, flags=0, **_regex_only):
    return _compiled(pattern, flags).findall(string)


def finditer(pattern, string, flags=0, **_regex_only):
    return _compiled(pattern, flags).finditer(string)
