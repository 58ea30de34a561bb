"""Limits that keep a hostile spec cheap: each is far above any real spec, is checked
before the work it bounds, and is named in the one-line error that refuses it.

The README's "Limits" paragraph lists them; tests/test_limits.py has one case each
and tests/test_fuzz_validate.py throws mutated specs at all of them.
"""
from __future__ import annotations

import reprlib

MAX_FILE_BYTES = 5 * 2 ** 20  # a spec file (the bundled ones are below 10 KB)
MAX_DEPTH = 64  # nesting of mappings and lists (deepest bundled spec: about 12)
MAX_VALUES = 50_000  # values, aliases expanded (an "alias bomb"); bundled specs: < 1,000
MAX_TEXT = 10 * 2 ** 20  # characters of all strings together, after aliases are expanded
MAX_STRING = 100_000  # characters of one string (a description, a name, a path)
MAX_INT_DIGITS = 30  # digits of one whole number (Python itself refuses 4,300)
MAX_LAYERS = 10_000  # layers of one network once `repeat` is expanded
MAX_MESSAGE = 2_000  # characters of one problem's message
MAX_PROBLEMS = 100  # problems printed for one spec; the rest are counted
MAX_SUGGEST = 64  # a word longer than this gets no "did you mean" (difflib is quadratic)

_repr = reprlib.Repr()
_repr.maxstring, _repr.maxother, _repr.maxlevel = 60, 60, 3
_repr.maxlist = _repr.maxtuple = _repr.maxdict = _repr.maxset = 6


def shown(value) -> str:
    """A value as an error message quotes it: its repr, cut short (`[1, 2, ...]`)."""
    return _repr.repr(value)


def clip(message: str) -> str:
    """A message cut to MAX_MESSAGE characters, on one line."""
    message = " ".join(message.splitlines()) if "\n" in message else message
    if len(message) <= MAX_MESSAGE:
        return message
    return message[:MAX_MESSAGE] + f"... ({len(message) - MAX_MESSAGE:,} more characters)"
