"""Safe YAML loading that remembers where every value came from.

PyYAML's composer gives nodes with marks; we turn nodes into plain Python data
ourselves so that (a) only safe tags are accepted, (b) duplicate keys are an error
instead of a silent overwrite, (c) alias expansion is bounded (an "alias bomb" of
nested anchors is refused, not expanded into gigabytes), and (d) each value's path
maps to its FILE:LINE:COL.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import yaml

from ..core.problems import Position, Problem, SpecError

MAX_NODES = 200_000  # far above any real spec; stops exponential alias expansion

_PLAIN_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}
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
        self.count = 0
        self.resolver = yaml.SafeLoader("")  # used only to construct scalars safely

    def build(self, node, path):
        self.count += 1
        if self.count > MAX_NODES:
            raise SpecError.single(
                f"the YAML expands to more than {MAX_NODES} values (nested aliases?); "
                "write the spec out plainly",
                path, _pos(self.file, node.start_mark))
        self.positions.positions.setdefault(tuple(path), _pos(self.file, node.start_mark))
        if not isinstance(node, yaml.ScalarNode) and node.tag not in _PLAIN_TAGS:
            raise SpecError.single(f"unsupported YAML tag {node.tag!r}: specs hold plain data only",
                                   path, _pos(self.file, node.start_mark))
        if isinstance(node, yaml.MappingNode):
            self.resolver.flatten_mapping(node)  # handles '<<' merge keys
            out = {}
            for key_node, value_node in node.value:
                key = self.scalar(key_node, path)
                if key in out:
                    raise SpecError.single(
                        f"key '{key}' appears twice in this mapping; keep one",
                        path + (key,), _pos(self.file, key_node.start_mark))
                self.positions.positions[tuple(path) + (key,)] = _pos(self.file, key_node.start_mark)
                out[key] = self.build(value_node, path + (key,))
                # the value itself may sit on another line than its key; keep the key's
                self.positions.positions[tuple(path) + (key,)] = _pos(self.file, key_node.start_mark)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(child, path + (i,)) for i, child in enumerate(node.value)]
        return self.scalar(node, path)

    def scalar(self, node, path):
        if not isinstance(node, yaml.ScalarNode):
            raise SpecError.single("a mapping key must be a plain value", path,
                                   _pos(self.file, node.start_mark))
        try:
            return self.resolver.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:
            raise SpecError.single(
                f"unsupported YAML tag {node.tag!r}: specs hold plain data only",
                path, _pos(self.file, node.start_mark)) from exc


def load_yaml(text: str, file: str = "<string>"):
    """Parse YAML text safely. Returns (data, PositionMap); raises SpecError."""
    positions = PositionMap(file)
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        pos = _pos(file, mark) if mark else Position(file, 1, 1)
        raise SpecError([Problem((), f"invalid YAML: {exc.problem or exc}", position=pos)]) from None
    except yaml.YAMLError as exc:
        raise SpecError([Problem((), f"invalid YAML: {exc}", position=Position(file, 1, 1))]) from None
    if node is None:
        return None, positions
    return _Builder(file, positions).build(node, ()), positions
