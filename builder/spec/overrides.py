"""`--set dotted.key=value` overrides, applied to the raw data before validation."""
from __future__ import annotations

import re

import yaml

from .problems import Position, SpecError
from .yamlpos import PositionMap

_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def parse_key(key: str) -> tuple:
    """'model.layers[2].dense.units' or 'model.layers.2.dense.units' -> path tuple."""
    parts = []
    for name, index in _PART.findall(key):
        parts.append(int(index) if index else (int(name) if name.isdigit() else name))
    return tuple(parts)


def apply_overrides(data, overrides, positions: PositionMap):
    for item in overrides:
        if "=" not in item:
            raise SpecError.single(f"--set takes key=value, got {item!r} "
                                   "(e.g. --set train.epochs=5)")
        key, text = item.split("=", 1)
        path = parse_key(key.strip())
        if not path:
            raise SpecError.single(f"--set {item!r}: empty key")
        try:
            value = yaml.safe_load(text) if text.strip() else None
        except yaml.YAMLError as exc:
            raise SpecError.single(f"--set {item!r}: the value is not valid YAML ({exc})") from None
        data = set_path(data, path, value, item)
        positions.positions[path] = Position(f"--set {item}", 1, len(key) + 2)
    return data


def set_path(data, path, value, item):
    if not isinstance(data, dict):
        raise SpecError.single(f"--set {item}: the spec is not a mapping")
    node = data
    for i, part in enumerate(path[:-1]):
        nxt = path[i + 1]
        if isinstance(node, list):
            if not isinstance(part, int) or not -len(node) <= part < len(node):
                raise SpecError.single(f"--set {item}: index {part} is outside a list of "
                                       f"{len(node)} items")
            if isinstance(node[part], str) and not isinstance(nxt, int):
                node[part] = {node[part]: {}}  # bare layer name -> mapping form
            node = node[part]
        elif isinstance(node, dict):
            if part not in node or node[part] is None:
                node[part] = {}
            node = node[part]
        else:
            raise SpecError.single(f"--set {item}: '{part}' is not a mapping or list")
    last = path[-1]
    if isinstance(node, list):
        if not isinstance(last, int) or not -len(node) <= last < len(node):
            raise SpecError.single(f"--set {item}: index {last} is outside the list")
    elif not isinstance(node, dict):
        raise SpecError.single(f"--set {item}: cannot set a key inside a plain value")
    node[last] = value
    return data
