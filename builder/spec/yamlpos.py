"""Safe YAML loading that remembers where every value came from.

PyYAML's composer gives nodes with marks; we turn nodes into plain Python data
ourselves so that (a) only safe tags are accepted, (b) duplicate keys are an error
instead of a silent overwrite, (c) the work is bounded before it is done (nesting
depth, values and characters after aliases are expanded, one string's length, one
number's digits: builder/core/limits.py), (d) merge keys `<<` merge mappings only,
and (e) each value's path maps to its FILE:LINE:COL. A syntax error says what to
change, at the place to change it (builder/spec/yamlsyntax.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import yaml

from ..core.limits import (MAX_DEPTH, MAX_INT_DIGITS, MAX_STRING, MAX_TEXT, MAX_VALUES,
                           shown)
from ..core.problems import Position, Problem, SpecError

MAX_NODES = MAX_VALUES  # the name this limit had first

_PLAIN_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}
_TAG = "tag:yaml.org,2002:"
# scalars a spec may hold; a date-like word (2024-01-31) stays the text it is
_SCALAR_TAGS = {_TAG + t for t in ("null", "bool", "int", "float", "str", "timestamp")}
_MERGE, _VALUE = _TAG + "merge", _TAG + "value"
_STR, _INT, _TIMESTAMP = _TAG + "str", _TAG + "int", _TAG + "timestamp"
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class PositionMap:
    """path tuple -> Position of the value (or of its key, for mappings)."""

    file: str
    positions: dict = field(default_factory=dict)

    def locate(self, path) -> Position | None:
        path = tuple(path)
        while True:
            if path in self.positions:
                return self.positions[path]
            if not path:
                return None
            path = path[:-1]

    def place(self, problems: list[Problem]) -> list[Problem]:
        for p in problems:
            if p.position is None:
                p.position = self.locate(p.path)
        return problems

    def merge(self, other: "PositionMap", prefix=()) -> None:
        for path, pos in other.positions.items():
            self.positions[tuple(prefix) + path] = pos


def _pos(file, mark) -> Position:
    return Position(file, mark.line + 1, mark.column + 1)


class _Builder:
    def __init__(self, file: str, positions: PositionMap):
        self.file = file
        self.positions = positions
        self.count = 0  # values built, aliases expanded
        self.chars = 0  # characters of all scalars built
        self.resolver = yaml.SafeLoader("")  # used only to construct scalars safely

    def fail(self, message, path, node):
        raise SpecError.single(message, path, _pos(self.file, node.start_mark))

    def build(self, node, path):
        self.count += 1
        if self.count > MAX_VALUES:
            self.fail(f"the YAML expands to more than {MAX_VALUES:,} values (the limit; "
                      "nested aliases?); write the spec out plainly", path, node)
        if len(path) > MAX_DEPTH:  # an anchor inside itself (`a: &a [*a]`) also ends here
            self.fail(f"values nest more than {MAX_DEPTH} levels deep (the limit; an alias "
                      "inside its own anchor?); flatten the structure", path[:8], node)
        self.positions.positions.setdefault(tuple(path), _pos(self.file, node.start_mark))
        if not isinstance(node, yaml.ScalarNode) and node.tag not in _PLAIN_TAGS:
            self.fail(f"unsupported YAML tag {node.tag!r}: specs hold plain data only", path, node)
        if isinstance(node, yaml.MappingNode):
            merged, own = self.flatten(node, path, ())
            out = {}
            for key_node, value_node in merged:  # `<<: *base`: own keys win, silently
                key = self.scalar(key_node, path)
                out[key] = self.build(value_node, path + (key,))
            mine = set()
            for key_node, value_node in own:
                key = self.scalar(key_node, path)
                if key in mine:
                    self.fail(f"key {shown(key)} appears twice in this mapping; keep one",
                              path + (key,), key_node)
                mine.add(key)
                self.positions.positions[tuple(path) + (key,)] = _pos(self.file, key_node.start_mark)
                out.pop(key, None)
                out[key] = self.build(value_node, path + (key,))
                # the value itself may sit on another line than its key; keep the key's
                self.positions.positions[tuple(path) + (key,)] = _pos(self.file, key_node.start_mark)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(child, path + (i,)) for i, child in enumerate(node.value)]
        return self.scalar(node, path)

    def flatten(self, node, path, chain: tuple):
        """(merged pairs, own pairs) of a mapping: PyYAML's merge-key rules (a mapping, or
        a list of mappings, the first listed winning), refusing anything else."""
        if id(node) in chain or len(chain) > MAX_DEPTH:
            self.fail("a merge key '<<' merges this mapping into itself; merge another "
                      "anchored mapping", path, node)
        merged, own = [], []
        for key_node, value_node in node.value:
            if key_node.tag != _MERGE:
                own.append((key_node, value_node))
                continue
            items = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            parts = []
            for item in items:
                if not isinstance(item, yaml.MappingNode):
                    kind = "a list" if isinstance(item, yaml.SequenceNode) else "a plain value"
                    self.fail(f"a merge key '<<' takes a mapping (e.g. <<: *base, where "
                              f"&base names a mapping) or a list of them, not {kind}",
                              path + ("<<",), key_node)
                sub_merged, sub_own = self.flatten(item, path, chain + (id(node),))
                parts.append(sub_merged + sub_own)
            for part in reversed(parts):
                self.count += len(part)
                if self.count > MAX_VALUES:
                    self.fail(f"the YAML expands to more than {MAX_VALUES:,} values (the "
                              "limit; nested merge keys?); write the spec out plainly",
                              path, node)
                merged.extend(part)
        return merged, own

    def scalar(self, node, path):
        if not isinstance(node, yaml.ScalarNode):
            self.fail("a mapping key must be a plain value", path, node)
        value = node.value
        if len(value) > MAX_STRING:
            self.fail(f"a value of {len(value):,} characters, over the limit of "
                      f"{MAX_STRING:,}; keep long text or data in a file", path, node)
        self.chars += len(value)
        if self.chars > MAX_TEXT:
            self.fail(f"the YAML's text expands to more than {MAX_TEXT:,} characters (the "
                      "limit; aliases of long values?); write the spec out plainly", path, node)
        if node.tag in (_MERGE, _VALUE):
            return value  # `<<` or `=` where a merge cannot be: the plain word
        if node.tag not in _SCALAR_TAGS:
            self.fail(f"unsupported YAML tag {node.tag!r}: specs hold plain data only", path, node)
        if node.tag in (_STR, _TIMESTAMP):
            return value  # the common case, without PyYAML's constructor machinery
        if node.tag == _INT:
            digits = value.lstrip("+-").replace("_", "")
            if len(digits) > MAX_INT_DIGITS:
                self.fail(f"a whole number of {len(digits):,} digits, over the limit of "
                          f"{MAX_INT_DIGITS}; no setting needs one that large", path, node)
            if value.isdigit() and (value == "0" or value[0] != "0"):
                return int(value)  # plain decimal (0-prefixed ones are octal in YAML 1.1)
        try:
            return self.resolver.construct_object(node, deep=True)
        except (yaml.constructor.ConstructorError, ValueError) as exc:
            self.fail(f"cannot read {shown(value)} as a {node.tag.removeprefix(_TAG)} "
                      f"({exc}); quote it to keep it as text", path, node)


def load_yaml(text: str, file: str = "<string>"):
    """Parse YAML text safely. Returns (data, PositionMap); raises SpecError."""
    from .yamlsyntax import check_syntax, syntax_problem
    positions = PositionMap(file)
    check_syntax(text, file)  # depth and syntax from the event stream, before composing
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:  # the event check passed; kept as a safety net
        raise SpecError([syntax_problem(exc, text, file, ())]) from None
    if node is None:
        return None, positions
    return _Builder(file, positions).build(node, ()), positions
