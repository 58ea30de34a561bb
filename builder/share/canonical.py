"""The canonical form of a spec: what `export` writes and the fingerprint hashes.

Every default is written out, every catalog entry is `{name: {params}}` under its
own name (aliases resolved), keys follow the schema's order. So two specs that
differ only in comments, key order, shorthand (`dense: 8`) or defaults written
out have the same canonical form; any change of meaning changes it.
"""
from __future__ import annotations

import hashlib
import json

from pydantic import BaseModel

from .. import __version__
from ..core.base import Entry
from ..spec.paths import catalog_of, dict_values_of, field_annotation, list_items_of

# prose that does not change what a spec builds or trains; like a comment
NOT_HASHED = ("description", "lectures")  # what a spec teaches, not what it trains


def canonical(value, ann=None):
    """A validated spec (or any part of one) -> plain data in canonical form."""
    if isinstance(value, Entry):
        params = _fields(value)
        return {value.kind: params} if params else value.kind
    if isinstance(value, BaseModel):
        return _fields(value)
    if isinstance(value, str) and catalog_of(ann) is not None:
        return canonical(catalog_of(ann).parse(value))  # an unvalidated default name
    if isinstance(value, (list, tuple)):
        return [canonical(v, list_items_of(ann)) for v in value]
    if isinstance(value, dict):
        return {k: canonical(v, dict_values_of(ann)) for k, v in value.items()}
    return value


# where a layer's common keys go, so that `dense: {name: h, units: 32, ...}` reads well
_FIRST, _LAST = ("name", "inputs"), ("trainable", "weights")


def _field_order(cls) -> list:
    fields = cls.model_fields
    if not issubclass(cls, Entry):
        return list(fields)
    middle = [n for n in fields if n not in _FIRST + _LAST]
    required = [n for n in middle if fields[n].is_required()]
    return ([n for n in _FIRST if n in fields] + required
            + [n for n in middle if n not in required] + [n for n in _LAST if n in fields])


def _fields(model: BaseModel) -> dict:
    out = {}
    for name in _field_order(type(model)):
        f = type(model).model_fields[name]
        value = getattr(model, name)
        if value is None and f.default is None:
            continue  # "not set" is the default; writing `null` adds nothing
        if name == "weights" and isinstance(model, Entry):
            value = _floats(value)  # [1, 0] and [1.0, 0.0] set the same weights
        out[f.alias or name] = canonical(value, field_annotation(type(model), name))
    return out


def short_data(value, ann=None):
    """The form a student writes: only parameters that differ from their defaults, in
    the canonical order, and `dropout: 0.3` where the one parameter is the positional."""
    if isinstance(value, str) and catalog_of(ann) is not None:
        value = catalog_of(ann).parse(value)
    if isinstance(value, Entry):
        cls = type(value)
        kept = set(value.model_dump(exclude_defaults=True))
        params = {}
        for name in _field_order(cls):
            if name in kept:
                f = cls.model_fields[name]
                params[f.alias or name] = short_data(getattr(value, name),
                                                     field_annotation(cls, name))
        if not params:
            return value.kind
        if list(params) == [cls.positional] and not isinstance(params[cls.positional], dict):
            return {value.kind: params[cls.positional]}
        return {value.kind: params}
    if isinstance(value, BaseModel):
        return {k: short_data(getattr(value, n), field_annotation(type(value), n))
                for n in _field_order(type(value))
                for k in [type(value).model_fields[n].alias or n]
                if n in value.model_dump(exclude_defaults=True)}
    if isinstance(value, (list, tuple)):
        return [short_data(v, list_items_of(ann)) for v in value]
    if isinstance(value, dict):
        return {k: short_data(v, dict_values_of(ann)) for k, v in value.items()}
    return value


def _floats(value):
    if isinstance(value, dict):
        return {k: _floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_floats(v) for v in value]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return value


def canonical_spec(spec) -> dict:
    return canonical(spec)


def fingerprint(spec) -> str:
    """sha256 of the canonical form (without the description and lectures), shortened
    to 16 hex digits."""
    data = {k: v for k, v in canonical_spec(spec).items() if k not in NOT_HASHED}
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def dump_yaml(data) -> str:
    """YAML in block style, with short lists and mappings of plain values on one line
    (`input: [8, 8, 1]`, `dropout: {rate: 0.3, trainable: true}`)."""
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def short(value) -> bool:
        items = value.values() if isinstance(value, dict) else value
        if any(isinstance(v, (dict, list)) for v in items):
            return False
        return len(yaml.safe_dump(value, default_flow_style=True, width=10_000)) <= 72

    def mapping(dumper, value):
        return dumper.represent_mapping("tag:yaml.org,2002:map", value,
                                        flow_style=bool(value) and short(value))

    def sequence(dumper, value):
        return dumper.represent_sequence("tag:yaml.org,2002:seq", value,
                                         flow_style=not value or short(value))

    Dumper.add_representer(dict, mapping)
    Dumper.add_representer(list, sequence)
    return yaml.dump(data, Dumper=Dumper, sort_keys=False, width=100, allow_unicode=True)


def export_text(loaded) -> str:
    """One self-contained file: extends resolved, defaults filled, canonical order."""
    spec = loaded.spec
    source = loaded.path.name if loaded.path is not None else "a spec"
    header = (f"# {spec.name}: exported by kspec {__version__} from {source}\n"
              "# self-contained: extends resolved, every default written out\n"
              f"# fingerprint: {fingerprint(spec)}\n")
    return header + dump_yaml(canonical_spec(spec))
