"""`kspec diff A B`: what changes between two specs, in meaning, not in text.

Both specs are compared in canonical form (extends resolved, defaults filled), so
`dense: 8` and `dense: {units: 8}` are no change, while a default that one spec
overrides is. Layer lists are aligned by layer name where layers have one, by kind
and position otherwise, so inserting a layer shows as one added layer, not as every
later layer changed.
"""
from __future__ import annotations

import difflib

from ..spec.paths import catalog_of, child_annotation, list_items_of, spec_annotation
from ..spec.paths import dotted as _path
from .canonical import NOT_HASHED, canonical_spec, fingerprint, short_data


def _one_line(value, limit: int = 70) -> str:
    import yaml
    text = yaml.safe_dump(value, default_flow_style=True, width=10_000, sort_keys=False).strip()
    text = text.removesuffix("...").strip()
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _entry_name(value):
    return value if isinstance(value, str) else next(iter(value))


def _short_entry(catalog, value) -> str:
    """An entry as a student would write it: only what differs from its defaults."""
    return _one_line(_short(catalog, value))


def _short(catalog, value):
    try:
        return short_data(catalog.parse(value))
    except Exception:  # noqa: BLE001 - a form the catalog refuses is shown as written
        return value


def _render(value, ann) -> str:
    """A value for a diff line; catalog entries (also in lists) without their defaults."""
    catalog, items = catalog_of(ann), catalog_of(list_items_of(ann))
    if catalog is not None and value is not None:
        return _short_entry(catalog, value)
    if items is not None and isinstance(value, list):
        return _one_line([_short(items, v) for v in value])
    return _one_line(value)


class Differ:
    def __init__(self):
        self.lines: list[str] = []

    def change(self, path, old, new):
        self.lines.append(f"  {_path(path)}: {old} -> {new}")

    def walk(self, a, b, ann, path):
        if a == b:
            return
        catalog = catalog_of(ann)
        if catalog is not None and isinstance(a, (str, dict)) and isinstance(b, (str, dict)):
            na, nb = _entry_name(a), _entry_name(b)
            if na != nb:
                self.change(path, _short_entry(catalog, a), _short_entry(catalog, b))
                return
            pa = a[na] if isinstance(a, dict) else {}
            pb = b[nb] if isinstance(b, dict) else {}
            self.walk(pa, pb, catalog.lookup(na), path + (na,))
            return
        items = list_items_of(ann)
        if isinstance(a, list) and isinstance(b, list) and catalog_of(items) is not None \
                and catalog_of(items).what == "layer":
            self.layers(a, b, path, catalog_of(items))
            return
        if isinstance(a, dict) and isinstance(b, dict):
            for key in list(a) + [k for k in b if k not in a]:
                sub = path + (key,)
                sub_ann = child_annotation(ann, key)
                if key not in b:
                    self.lines.append(f"- {_path(sub)}: {_render(a[key], sub_ann)}")
                elif key not in a:
                    self.lines.append(f"+ {_path(sub)}: {_render(b[key], sub_ann)}")
                else:
                    self.walk(a[key], b[key], sub_ann, sub)
            return
        self.change(path, _render(a, ann), _render(b, ann))

    # ---- layer lists ----------------------------------------------------------------
    @staticmethod
    def _key(layer):
        kind = _entry_name(layer)
        params = layer[kind] if isinstance(layer, dict) else {}
        name = params.get("name") if isinstance(params, dict) else None
        return ("name", name) if name else ("kind", kind)

    @staticmethod
    def _label(layer, index):
        kind = _entry_name(layer)
        params = layer[kind] if isinstance(layer, dict) else {}
        name = params.get("name") if isinstance(params, dict) else None
        return index if not name else f"'{name}'"

    def layers(self, a, b, path, catalog):
        keys_a, keys_b = [self._key(x) for x in a], [self._key(x) for x in b]
        matcher = difflib.SequenceMatcher(None, keys_a, keys_b, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            pairs = list(zip(range(i1, i2), range(j1, j2)))
            if tag in ("equal", "replace"):
                for i, j in pairs:
                    self.layer(a[i], b[j], path, j, catalog)
            if tag in ("delete", "replace"):
                for i in range(i1 + len(pairs), i2):
                    self.lines.append(f"- {_path(path + (self._label(a[i], i),))}: "
                                      f"{_short_entry(catalog, a[i])}")
            if tag in ("insert", "replace"):
                for j in range(j1 + len(pairs), j2):
                    self.lines.append(f"+ {_path(path + (self._label(b[j], j),))}: "
                                      f"{_short_entry(catalog, b[j])}")

    def layer(self, x, y, path, j, catalog):
        if x == y:
            return
        label = path + (self._label(y, j),)
        if _entry_name(x) != _entry_name(y):
            self.change(label, _short_entry(catalog, x), _short_entry(catalog, y))
            return
        kind = _entry_name(x)
        self.walk(x[kind] if isinstance(x, dict) else {}, y[kind] if isinstance(y, dict) else {},
                  catalog.lookup(kind), label + (kind,))


def param_counts(loaded) -> dict:
    """role -> parameter count, equal to Keras' count_params() (from the plans: nothing
    is built just to be counted)."""
    from ..spec.check import plan_networks
    from ..spec.counts import plan_count
    from ..core.problems import Report
    return {role: plan_count(plan).total
            for role, plan in plan_networks(loaded.spec, Report()).items()}


def diff_text(a, b, counts: bool = True, names: tuple[str, str] | None = None) -> str:
    """The semantic diff of two loaded specs, as printed by `kspec diff`. `names` replace
    the two files' paths in the header (the studio shows paths relative to its folder)."""
    ca = {k: v for k, v in canonical_spec(a.spec).items() if k not in NOT_HASHED}
    cb = {k: v for k, v in canonical_spec(b.spec).items() if k not in NOT_HASHED}
    fa, fb = fingerprint(a.spec), fingerprint(b.spec)
    na, nb = names or (a.path, b.path)
    out = [f"--- {na}  {fa}", f"+++ {nb}  {fb}"]
    differ = Differ()
    differ.walk(ca, cb, spec_annotation(ca), ())
    out += differ.lines or ["  no semantic differences"]
    if counts:
        pa, pb = param_counts(a), param_counts(b)
        for role in list(pa) + [r for r in pb if r not in pa]:
            what = "parameters" if role == "model" else f"parameters ({role})"
            old, new = pa.get(role), pb.get(role)
            if old is None or new is None:
                out.append(f"  {what}: {old if old is not None else 'none'} -> "
                           f"{new if new is not None else 'none'}")
            elif old == new:
                out.append(f"  {what}: {old:,} (unchanged)")
            else:
                out.append(f"  {what}: {old:,} -> {new:,} ({new - old:+,})")
    return "\n".join(out) + "\n"
