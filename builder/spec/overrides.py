"""`--set dotted.key=value` overrides, applied to the raw data before validation.

The value is parsed as YAML and merged with the same rules as `extends` (see
compose.py): a mapping merges into a mapping, anything else replaces, and naming
another catalog entry replaces the entry. List items are reached by index:
`model.layers[2].dense.units=64` (or `model.layers.2.dense.units=64`). Inside a
catalog entry the entry's name may be left out: `train.optimizer.learning_rate=0.01`
sets the learning rate of whichever optimizer the spec has (a parameter of the
entry wins over an entry of the same name: an lstm's `dropout` is its parameter).
A key the schema does not know is reported by validation, with a suggestion, at
`--set`.
"""
from __future__ import annotations

import yaml

from ..core.base import did_you_mean
from ..core.problems import Position, SpecError
from .compose import apply_layers_by_name, merge, replace_subtree, value_positions
from .paths import catalog_of, child_annotation, entry_form, field_annotation, spec_annotation
from .paths import dotted, parse as parse_key
from .yamlpos import PositionMap


def parse_override(item: str):
    """'key=value' -> (path, value). Raises SpecError for a malformed item."""
    if "=" not in item:
        raise SpecError.single(f"--set takes key=value, got {item!r} (e.g. --set train.epochs=5)")
    key, text = item.split("=", 1)
    path = parse_key(key.strip())
    if not path:
        raise SpecError.single(f"--set {item!r}: empty key")
    try:
        value = yaml.safe_load(text) if text.strip() else None
    except yaml.YAMLError as exc:
        raise SpecError.single(f"--set {item!r}: the value is not valid YAML ({exc})") from None
    return path, value


def apply_overrides(data, overrides, positions: PositionMap):
    """Apply each `key=value` in order; updates `positions` in place, returns the data."""
    if not overrides:
        return data
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise SpecError.single("--set: the spec is not a mapping")
    for item in overrides:
        path, value = parse_override(item)
        where = Position(f"--set {item}", 1, len(item.split("=", 1)[0]) + 2)
        data = set_path(data, path, value, item, positions.positions, where)
    data, _ = apply_layers_by_name(data, positions.positions)
    return data


def set_path(data, path, value, item, pos: dict, where: Position):
    """Merge `value` into `data` at `path` (schema-aware); positions follow."""
    root = spec_annotation(value if path == ("task",) else None, data)
    return _set(data, (), path, value, root, item, pos, where)


def _set(node, done: tuple, rest: tuple, value, ann, item, pos, where):
    if not rest:
        out: dict = {}
        merged = merge(node, value, ann, done, pos, value_positions(value, done, where), out)
        replace_subtree(pos, done, out)
        return merged
    part, rest = rest[0], rest[1:]
    here = dotted(done) or "the spec"
    if isinstance(node, list):
        if not isinstance(part, int):
            raise SpecError.single(f"{here} is a list; pick an item by index, "
                                   f"e.g. {here}[0]", done, where)
        if not -len(node) <= part < len(node):
            raise SpecError.single(f"index {part} is outside {here}, which has "
                                   f"{len(node)} item(s)", done, where)
        part %= len(node)
        node[part] = _set(node[part], done + (part,), rest, value, child_annotation(ann, part),
                          item, pos, where)
        return node
    if isinstance(part, int):
        raise SpecError.single(f"{here} is not a list, so [{part}] has "
                               "nothing to pick", done, where)
    catalog = catalog_of(ann)
    if catalog is not None:
        current = entry_form(catalog, node)
        if current is not None and field_annotation(current[1], part) is not None:
            # a parameter of the entry already there: `train.optimizer.learning_rate=0.01`
            # (also where a layer kind shares the name, e.g. an lstm's dropout)
            return _set_in_entry(node, done, current[0], (part,) + rest, value, catalog,
                                 item, pos, where)
        if catalog.lookup(part) is None:
            params = list(current[1].model_fields) if current is not None else []
            hint = did_you_mean(part, list(catalog.entries) + list(catalog.aliases) + params)
            article = "an" if catalog.what[0] in "aeiou" else "a"
            raise SpecError.single(f"'{part}' is neither a parameter of "
                                   f"{current[0] if current else 'the entry here'} nor "
                                   f"{article} {catalog.what} kspec knows{hint}", done, where)
        return _set_in_entry(node, done, part, rest, value, catalog, item, pos, where)
    if node is None:
        node = {}
        pos[done] = where  # a mapping the override creates is placed at the --set
    if not isinstance(node, dict):
        raise SpecError.single(f"{here} holds {node!r}, a plain value with no "
                               f"key '{part}'", done, where)
    node[part] = _set(node.get(part), done + (part,), rest, value, child_annotation(ann, part),
                      item, pos, where)
    return node


def _set_in_entry(node, done, name, rest, value, catalog, item, pos, where):
    """`train.optimizer.adam.learning_rate=...`: step into the entry `adam`, turning a
    bare name or a positional value into its mapping form; another entry is replaced."""
    current = entry_form(catalog, node)
    cls = catalog.lookup(name)
    if current is None or current[1] is not cls:
        replace_subtree(pos, done, {done: where})
        key, params = name, {}
    else:
        key, _, params = current
        if not isinstance(node, dict) or not isinstance(node[key], dict):
            old = pos.get(done + (key,)) or pos.get(done)
            replace_subtree(pos, done + (key,), {done + (key,): old} if old else {})
    params = _set(dict(params), done + (key,), rest, value, cls, item, pos, where)
    return {key: params}
