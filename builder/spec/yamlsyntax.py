"""YAML syntax, checked from the parser's event stream before anything is composed.

Two jobs: (1) nesting deeper than MAX_DEPTH is refused here, before PyYAML's
composer (C recursion) could overflow the stack; (2) a syntax error becomes a
message that says what to change, where to change it, under the field path the
parser had reached: a tab is named as a tab, `epochs:30` as a missing space, an
unclosed `{` or `[` is shown where it was opened (not where the parser gave up).
"""
from __future__ import annotations

import re

import yaml

from ..core.limits import MAX_DEPTH, MAX_VALUES, shown
from ..core.problems import Position, Problem, SpecError

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_CLOSE = {"[": "]", "{": "}"}


class _Frame:
    __slots__ = ("path", "mark", "flow", "is_map", "key", "want_key", "index")

    def __init__(self, path, mark, flow, is_map):
        self.path, self.mark, self.flow, self.is_map = path, mark, flow, is_map
        self.key, self.want_key, self.index = None, True, 0


class _Walk:
    """Tracks the field path of the parser's position, event by event."""

    def __init__(self):
        self.frames: list[_Frame] = []
        self.values = 0  # nodes that are not mapping keys

    def here(self) -> tuple:
        if not self.frames:
            return ()
        top = self.frames[-1]
        if top.is_map:
            return top.path if top.want_key else top.path + (top.key,)
        return top.path + (top.index,)

    def done(self, key=None):
        """A node ended: a key, a value or an item of the enclosing collection."""
        if not self.frames:
            return
        top = self.frames[-1]
        if not top.is_map:
            top.index += 1
        elif top.want_key:
            top.key, top.want_key = key, False
        else:
            top.want_key = True

    def event(self, ev):
        if isinstance(ev, yaml.NodeEvent) and not (
                self.frames and self.frames[-1].is_map and self.frames[-1].want_key):
            self.values += 1
        if isinstance(ev, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            frame = _Frame(self.here(), ev.start_mark, bool(ev.flow_style),
                           isinstance(ev, yaml.MappingStartEvent))
            self.frames.append(frame)
            return len(self.frames)
        if isinstance(ev, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            self.frames.pop()
            self.done()
        elif isinstance(ev, yaml.ScalarEvent):
            self.done(ev.value)
        elif isinstance(ev, yaml.AliasEvent):
            self.done()
        return 0


def check_syntax(text: str, file: str) -> None:
    """Raise SpecError for a syntax error or nesting deeper than MAX_DEPTH."""
    bad = yaml.reader.Reader.NON_PRINTABLE.search(text)  # the C parser lets some through
    if bad:
        raise SpecError([syntax_problem(yaml.reader.ReaderError(
            file, bad.start(), ord(bad.group()), "unicode", "control character"), text, file, ())])
    walk = _Walk()
    try:
        for ev in yaml.parse(text, Loader=_Loader):
            if walk.values > MAX_VALUES:  # refused before they are composed
                raise SpecError([Problem(walk.here()[:8], f"the YAML holds more than "
                                         f"{MAX_VALUES:,} values (the limit); keep data in "
                                         "a file the spec names (data.source)",
                                         position=_at(file, ev.start_mark))])
            if walk.event(ev) > MAX_DEPTH:
                raise SpecError([Problem(walk.frames[-1].path[:8],
                                         f"values nest more than {MAX_DEPTH} levels deep "
                                         "(the limit); flatten the structure",
                                         position=_at(file, ev.start_mark))])
    except yaml.YAMLError as exc:
        raise SpecError([syntax_problem(exc, text, file, walk)]) from None


def _at(file, mark) -> Position:
    return Position(file, mark.line + 1, mark.column + 1)


def _line(text: str, mark) -> str:
    lines = text.split("\n")
    return lines[mark.line] if 0 <= mark.line < len(lines) else ""


def _char(text: str, mark) -> str:
    line = _line(text, mark)
    return line[mark.column] if 0 <= mark.column < len(line) else ""


def syntax_problem(exc, text: str, file: str, walk) -> Problem:
    """One problem for a PyYAML error: what is wrong, the fix, and where."""
    path = walk.here() if isinstance(walk, _Walk) else ()
    if isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, exc.position) + 1
        col = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        return Problem(path, f"invalid YAML: the character U+{ord(char):04X} is not allowed "
                             "in a YAML file (a control character); delete it",
                       position=Position(file, line, col))
    if not isinstance(exc, yaml.MarkedYAMLError):
        return Problem(path, f"invalid YAML: {exc}", position=Position(file, 1, 1))
    problem, context = exc.problem or "", exc.context or ""
    mark = exc.problem_mark or exc.context_mark
    where = _at(file, mark) if mark else Position(file, 1, 1)
    message = None
    if "tab character" in problem:
        message = "a tab character: YAML indents with spaces only; replace the tab with spaces"
    elif "cannot start any token" in problem and mark is not None:
        char = _char(text, mark)
        if char == "\t":
            message = ("a tab character: YAML indents with spaces only; replace the tab "
                       "with spaces")
        elif char:
            message = (f"{char!r} cannot begin a value in YAML (it is reserved); put the "
                       f"value in quotes, e.g. '{_line(text, mark)[mark.column:].strip()[:30]}'")
    elif "could not find expected ':'" in problem and exc.context_mark is not None:
        line = _line(text, exc.context_mark)
        found = re.search(r"([\w.-]+):(\S+)", line)
        where = _at(file, exc.context_mark)
        if found:
            key, value = found.groups()
            message = (f"'{key}:{value}' needs a space after the colon: write "
                       f"'{key}: {value}'")
        else:
            message = ("this line is neither 'key: value' nor '- item'; a ':' (with a "
                       "space after it) is missing")
    elif ("flow" in context or "expected ',' or" in problem) and _open_flow(walk):
        frame = _open_flow(walk)
        opener = _char(text, frame.mark) or ("{" if frame.is_map else "[")
        closer = _CLOSE.get(opener, "}" if frame.is_map else "]")
        path, where = frame.path, _at(file, frame.mark)
        message = (f"the '{opener}' opened here is never closed; add '{closer}' (or the "
                   "',' missing between its items)")
    elif "quoted scalar" in context and exc.context_mark is not None:
        quote = _char(text, exc.context_mark) or "'"
        where = _at(file, exc.context_mark)
        message = f"the quote {quote} opened here is never closed; end the text with {quote}"
    elif "mapping values are not allowed" in problem:
        message = ("a 'key:' where a value was expected: check this line's indentation, "
                   "or put a value containing ': ' in quotes")
    elif "did not find expected key" in problem and exc.context_mark is not None:
        message = (f"this line is not indented like the keys of the mapping that starts at "
                   f"line {exc.context_mark.line + 1}; line its keys up in one column, "
                   "with spaces")
    elif "expected '-' indicator" in problem and exc.context_mark is not None:
        message = (f"this line is not indented like the items of the list that starts at "
                   f"line {exc.context_mark.line + 1}; start each item with '- ' in one column")
    elif "found undefined alias" in problem:
        message = (f"the alias {shown(_line(text, mark)[mark.column:].split()[0])} names no "
                   "anchor above it; define it first with &name")
    if message is None:
        message = problem or str(exc)
        if context:
            message = f"{message} ({context}" + (
                f" at line {exc.context_mark.line + 1})" if exc.context_mark else ")")
    return Problem(path, f"invalid YAML: {message}", position=where)


def _open_flow(walk):
    if not isinstance(walk, _Walk):
        return None
    return next((f for f in reversed(walk.frames) if f.flow), None)
