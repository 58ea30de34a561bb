"""Composition: `extends`, `unset` and `layers_by_name`, and the deep merge they
share with `--set`.

The merge rules (the README documents them):

* a mapping merges into a mapping, key by key, recursively;
* anything else replaces: lists, scalars, bare names;
* a catalog entry (an optimizer, a loss, a layer's activation...) merges its
  parameters only when both sides name the same entry; naming another entry
  replaces it whole (`optimizer: sgd` over `{adam: {beta_1: 0.5}}` is plain SGD);
* `unset: [dotted.key, model.layers[2]]` in an extending spec deletes inherited
  keys or list items (a key falls back to its default);
* `layers_by_name: {h: {units: 32}}` inside `model:` merges parameters into the
  layer named `h`, wherever it sits in the inherited layer list.

The merge is schema-aware: it walks the pydantic annotations of `Spec` so it
knows where a catalog entry sits. Positions travel with the values, so a merged
spec still says which file and line every value came from.
"""
from __future__ import annotations

from pathlib import Path

from ..core.base import did_you_mean
from ..core.limits import shown
from ..core.problems import Position, SpecError
from .paths import (catalog_of, child_annotation, dotted, entry_form, field_annotation,
                    spec_annotation)
from .yamlpos import PositionMap, load_yaml

EXTENDS, UNSET, BY_NAME = "extends", "unset", "layers_by_name"

# ---- positions of subtrees ----------------------------------------------------------


def _under(path: tuple, prefix: tuple) -> bool:
    return path[:len(prefix)] == prefix


def subtree(pos: dict, prefix: tuple, to: tuple | None = None) -> dict:
    """Positions at or under `prefix`, re-rooted at `to` (default: unchanged)."""
    to = prefix if to is None else to
    n = len(prefix)
    return {to + p[n:]: v for p, v in pos.items() if _under(p, prefix)}


def replace_subtree(pos: dict, prefix: tuple, new: dict) -> None:
    for p in [p for p in pos if _under(p, prefix)]:
        del pos[p]
    pos.update(new)


def value_positions(value, path: tuple, where: Position) -> dict:
    """Every sub-path of `value` placed at one position (values from the command line)."""
    out = {path: where}
    if isinstance(value, dict):
        for k, v in value.items():
            out.update(value_positions(v, path + (k,), where))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.update(value_positions(v, path + (i,), where))
    return out


# ---- the merge ----------------------------------------------------------------------


def merge(base, over, ann, path: tuple, bpos: dict, opos: dict, out: dict):
    """`over` merged onto `base` (see the module doc). Writes the result's positions
    (taken from bpos or opos, both keyed by absolute path) into `out`."""
    catalog = catalog_of(ann)
    if catalog is not None and isinstance(over, dict):
        merged = _merge_entry(catalog, base, over, path, bpos, opos, out)
        if merged is not None:
            return merged
    elif isinstance(base, dict) and isinstance(over, dict):
        result = {}
        for key, value in base.items():
            if key in over:
                continue
            result[key] = value
            out.update(subtree(bpos, path + (key,)))
        for key, value in over.items():
            sub = path + (key,)
            if key in base:
                result[key] = merge(base[key], value, child_annotation(ann, key), sub,
                                    bpos, opos, out)
            else:
                result[key] = value
                out.update(subtree(opos, sub))
        # keep the base's key order, new keys after: the merged spec reads like the base
        ordered = {k: result[k] for k in base if k in result}
        ordered.update({k: v for k, v in result.items() if k not in ordered})
        where = opos.get(path) or bpos.get(path)
        if where is not None:
            out[path] = where
        return ordered
    out.update(subtree(opos, path))
    return over


def _merge_entry(catalog, base, over, path, bpos, opos, out):
    """Both sides name the same entry: merge its parameters. Otherwise None (replace)."""
    b, o = entry_form(catalog, base), entry_form(catalog, over)
    if b is None or o is None or b[1] is not o[1]:
        return None
    (bname, cls, bparams), (oname, _, oparams) = b, o
    over_params = next(iter(over.values()))
    if over_params is not None and not isinstance(over_params, dict):
        return None  # a positional value (`dropout: 0.5`) replaces the entry
    sub = path + (oname,)
    # the base may spell the entry differently (an alias, a bare name): re-root it
    bsub = dict(bpos)
    bsub.update(subtree(bpos, path + (bname,), sub))
    if not isinstance(base, dict) or not isinstance(base[bname], dict):
        bsub[sub] = bpos.get(path + (bname,)) or bpos.get(path)
    params = merge(bparams, oparams, cls, sub, bsub, opos, out)
    where = opos.get(path) or bpos.get(path)
    if where is not None:
        out[path] = where
    return {oname: params}


# ---- extends ------------------------------------------------------------------------


def _problem(message, path, pos: dict):
    where = None
    probe = tuple(path)
    while where is None:
        where = pos.get(probe)
        if not probe:
            break
        probe = probe[:-1]
    return SpecError.single(message, path, where)


def base_path(ref, spec_path: Path | None, pos: dict) -> Path:
    """Where `extends: ref` points: a path relative to the spec, or a bundled name."""
    from .library import bundled, is_file
    if not isinstance(ref, str) or not ref.strip():
        raise _problem("extends takes a bundled spec name (e.g. digits_cnn) or a path "
                       "relative to this spec (e.g. ../base.yaml)", (EXTENDS,), pos)
    ref = ref.strip()
    if ref.endswith((".yaml", ".yml")) or "/" in ref or "\\" in ref:
        here = spec_path.parent if spec_path is not None else Path(".")
        target = Path(ref) if Path(ref).is_absolute() else here / ref
        from ..core.files import FileRefused, check_confined
        try:  # the studio's working folder, when it validates a spec typed in a browser
            check_confined(target, "spec that extends names")
        except FileRefused as exc:
            raise _problem(f"extends: {exc}", (EXTENDS,), pos) from None
        if is_file(target):
            return target
        raise _problem(f"extends: no file {shown(str(target))} (a path is relative to the "
                       "extending spec's folder)", (EXTENDS,), pos)
    library = bundled()
    if ref in library:
        return library[ref]
    hint = did_you_mean(ref, library, prefix=" ")
    raise _problem(f"extends: no bundled spec named {shown(ref)}.{hint} (kspec list shows them; "
                   "write a path ending in .yaml for a file)", (EXTENDS,), pos)


def load_composed(path, _chain: tuple = ()) -> tuple:
    """Read a spec file with its extends chain resolved. Returns (data, PositionMap)."""
    from .load import read_text
    from .upgrade import check_version
    path = Path(path)
    data, positions = load_yaml(read_text(path), str(path))
    check_version(data, positions)
    data, pos = compose(data, positions.positions, path, _chain)
    return data, PositionMap(str(path), pos)


def compose(data, pos: dict, path: Path | None, chain: tuple = ()):
    """Resolve `extends`/`unset`/`layers_by_name` of one parsed file. Returns (data, pos)."""
    if not isinstance(data, dict):
        return data, pos
    own = {k: v for k, v in data.items() if k not in (EXTENDS, UNSET)}
    own_pos = {p: v for p, v in pos.items() if not p or p[0] not in (EXTENDS, UNSET)}
    if EXTENDS not in data:
        if UNSET in data:
            raise _problem("unset removes inherited keys, but this spec extends nothing; "
                           "delete the key here instead", (UNSET,), pos)
        return apply_layers_by_name(own, own_pos)
    target = base_path(data[EXTENDS], path, pos)
    me = path.resolve() if path is not None else None
    seen = chain + ((me,) if me is not None else ())
    if target.resolve() in seen:
        names = " -> ".join(p.name for p in seen + (target.resolve(),))
        raise _problem(f"extends makes a cycle: {names}; a spec cannot extend itself, "
                       "even through others", (EXTENDS,), pos)
    base, base_map = load_composed(target, seen)
    bpos = base_map.positions
    if not isinstance(base, dict):
        raise _problem(f"extends: {target} is not a spec (a mapping)", (EXTENDS,), pos)
    if UNSET in data:
        base, bpos = apply_unset(base, bpos, data[UNSET], pos)
    out: dict = {}
    merged = merge(base, own, spec_annotation(own, base), (), bpos, own_pos, out)
    return apply_layers_by_name(merged, out)


# ---- unset --------------------------------------------------------------------------

_GONE = object()


def apply_unset(base, bpos: dict, items, pos: dict):
    from .paths import parse as parse_key  # one reader of dotted keys
    if isinstance(items, str):
        items = [items]
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise _problem("unset takes a list of dotted keys, e.g. [train.callbacks, "
                       "model.layers[1]]", (UNSET,), pos)
    marked = set()
    for i, item in enumerate(items):
        key = parse_key(item)
        node = base
        for depth, part in enumerate(key):
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) \
                    and -len(node) <= part < len(node):
                part = part % len(node)
                node = node[part]
            else:
                where = key[:depth]
                options = list(node) if isinstance(node, dict) else []
                hint = did_you_mean(part, options) if options else (
                    f"; it has {len(node)} items" if isinstance(node, list) else "")
                under = f" under {dotted(where)}" if where else ""
                raise _problem(f"unset: the inherited spec has no '{item}' (nothing at "
                               f"'{part}'{under}){hint}", (UNSET, i), pos)
            key = key[:depth] + (part,) + key[depth + 1:]
        marked.add(tuple(key))
    out: dict = {}
    return _prune(base, (), (), marked, bpos, out), out


def _prune(value, old: tuple, new: tuple, marked: set, bpos: dict, out: dict):
    if old in bpos:
        out[new] = bpos[old]
    if isinstance(value, dict):
        result = {}
        for k, v in value.items():
            if old + (k,) not in marked:
                result[k] = _prune(v, old + (k,), new + (k,), marked, bpos, out)
        return result
    if isinstance(value, list):
        result = []
        for i, v in enumerate(value):
            if old + (i,) not in marked:
                result.append(_prune(v, old + (i,), new + (len(result),), marked, bpos, out))
        return result
    return value


# ---- layers_by_name -----------------------------------------------------------------


def model_sections(data) -> list[tuple]:
    """Paths of the model sections: `model`, and each network under `models`."""
    out = []
    if isinstance(data.get("model"), dict):
        out.append(("model",))
    if isinstance(data.get("models"), dict):
        out += [("models", role) for role, m in data["models"].items() if isinstance(m, dict)]
    return out


def named_layers(layers, path: tuple, found: dict | None = None) -> dict:
    """name -> (path of the layer's entry, the key its kind is written under)."""
    from ..catalog.layers import LAYERS
    found = {} if found is None else found
    if not isinstance(layers, list):
        return found
    for i, entry in enumerate(layers):
        form = entry_form(LAYERS, entry)
        if form is None or not isinstance(entry, dict):
            continue
        kind, _, params = form
        if not isinstance(params, dict):
            continue
        name = params.get("name")
        if isinstance(name, str):
            found.setdefault(name, (path + (i,), kind))
        named_layers(params.get("layers"), path + (i, kind, "layers"), found)
        inner = params.get("layer")
        if isinstance(inner, dict):
            named_layers([inner], path + (i, kind, "layer"), found)
    return found


def _get(data, path):
    for part in path:
        data = data[part]
    return data


def apply_layers_by_name(data, pos: dict):
    """Merge each `layers_by_name: {NAME: {params}}` into the layer called NAME."""
    from ..catalog.layers import LAYERS
    if not isinstance(data, dict):
        return data, pos
    for section_path in model_sections(data):
        section = _get(data, section_path)
        if BY_NAME not in section:
            continue
        changes = section.pop(BY_NAME)
        where = section_path + (BY_NAME,)
        if not isinstance(changes, dict):
            raise _problem("layers_by_name maps a layer's name to the parameters to change, "
                           "e.g. {h: {units: 32}}", where, pos)
        found = named_layers(section.get("layers"), section_path + ("layers",))
        for name, params in changes.items():
            at = where + (name,)
            if name not in found:
                named = ", ".join(found) or "none; give a layer `name: ...` first"
                raise _problem(f"layers_by_name: no layer named '{name}'"
                               f"{did_you_mean(name, found)} (named layers: {named})", at, pos)
            if not isinstance(params, dict):
                raise _problem(f"layers_by_name.{name} takes a mapping of the parameters to "
                               "change, e.g. {units: 32}", at, pos)
            layer_path, kind = found[name]
            cls = LAYERS.lookup(kind)
            if len(params) == 1 and LAYERS.lookup(next(iter(params))) is not None \
                    and field_annotation(cls, next(iter(params))) is None:
                raise _problem(f"layers_by_name.{name} changes the parameters of the {kind} "
                               f"layer; write {{{name}: {{units: 32}}}}, not a layer kind. To "
                               "swap the layer itself, replace model.layers", at, pos)
            entry = _get(data, layer_path)
            target = layer_path + (kind,)
            out: dict = {}
            merged = merge(entry[kind], params, cls, target, pos, subtree(pos, at, target), out)
            entry[kind] = merged
            replace_subtree(pos, target, out)
        replace_subtree(pos, where, {})
    return data, pos
