import re as _re
from re import (A, ASCII, DEBUG, I, IGNORECASE, L, LOCALE, M, MULTILINE, S, DOTALL, X, VERBOSE,
                U, UNICODE, escape, error, Match, purge)
V0 = VERSION0 = 0
V1 = VERSION1 = 0
class Pattern:
    __class_getitem__ = classmethod(lambda cls, item: cls)
    def __init__(self, pattern, flags=0):
        self._source, self._flags, self._compiled = pattern, flags, None
    def _get(self):
        if self._compiled is None:
            self._compiled = _re.compile(self._source, self._flags)
        return self._compiled
    @property
    def pattern(self): return self._source
    @property
    def flags(self): return self._get().flags
    @property
    def groupindex(self): return self._get().groupindex
    @property
    def groups(self): return self._get().groups
    def __getattr__(self, name): return getattr(self._get(), name)
def compile(pattern, flags=0, **kw):
    if isinstance(pattern, Pattern): return pattern
    return Pattern(pattern, flags)
def _p(pattern, flags): return compile(pattern, flags)._get() if not isinstance(pattern, _re.Pattern) else pattern
def match(p, s, flags=0, **kw): return _p(p, flags).match(s)
def fullmatch(p, s, flags=0, **kw): return _p(p, flags).fullmatch(s)
def search(p, s, flags=0, **kw): return _p(p, flags).search(s)
def sub(p, r, s, count=0, flags=0, **kw): return _p(p, flags).sub(r, s, count)
def subn(p, r, s, count=0, flags=0, **kw): return _p(p, flags).subn(r, s, count)
def split(p, s, maxsplit=0, flags=0, **kw): return _p(p, flags).split(s, maxsplit)
def findall(p, s, flags=0, **kw): return _p(p, flags).findall(s)
def finditer(p, s, flags=0, **kw): return _p(p, flags).finditer(s)
