"""Paths into a spec: the one place that walks the schema and reads dotted paths.

Two halves, used by composition (`extends`, `--set`), grading, diff and import:

* the schema type at a path: `catalog_of(ann)` (which catalog a field takes),
  `child_annotation(ann, key)` (the type one step down), `entry_form` (a catalog
  entry as YAML writes it), `spec_annotation` (the root, whose `train:` depends on
  the task);
* dotted paths as users write them: `train.optimizer.learning_rate`,
  `model.layers[0].dense.units` (also `model.layers.0.dense.units` and `[-1]`),
  `model.layers[*].dense.units` (rubrics: every item), and
  `model.layers_by_name.h.units` (--set). `parse` reads them, `check` says whether
  one can exist in any spec (a rubric typo is the teacher's FILE:LINE:COL error, not
  a zero for every student), `resolve` reads the values at one in a validated spec.

A catalog entry (a layer, an optimizer, ...) reads as its name (`train.optimizer`
is `adam`) and its parameters sit below it, with or without the name written in
(`train.optimizer.adam.learning_rate` works too, and matches only an adam).
"""
from __future__ import annotations

import math
import re
import types
import typing
from typing import Annotated, Union, get_args, get_origin

from pydantic import BaseModel

from ..core.base import Catalog, Entry, did_you_mean

ANY = "*"
MISSING = object()  # a path that leads nowhere in this spec
_PART = re.compile(r"([^.\[\]]+)|\[(-?\d+|\*)\]")

# ---- the schema type at a path ------------------------------------------------------


def catalog_owner(meta) -> Catalog | None:
    owner = getattr(getattr(meta, "func", None), "__self__", None)
    return owner if isinstance(owner, Catalog) else None


def alternatives(ann):
    """The types a value may have: unions split, constraint wrappers (Annotated) removed,
    except the Annotated that marks a catalog reference."""
    origin = get_origin(ann)
    if origin is Annotated and not any(catalog_owner(m) for m in get_args(ann)[1:]):
        return alternatives(get_args(ann)[0])
    if origin in (Union, types.UnionType):
        out = []
        for a in get_args(ann):
            out.extend(alternatives(a))
        return out
    return [] if ann is type(None) or ann is None else [ann]


def catalog_of(ann) -> Catalog | None:
    """The catalog whose entries this annotation accepts (e.g. LOSSES for `loss`)."""
    for alt in alternatives(ann):
        if get_origin(alt) is Annotated:
            for meta in get_args(alt)[1:]:
                if catalog_owner(meta) is not None:
                    return catalog_owner(meta)
    return None


def model_of(ann) -> type[BaseModel] | None:
    for alt in alternatives(ann):
        if isinstance(alt, type) and issubclass(alt, BaseModel):
            return alt
    return None


def dict_values_of(ann):
    for alt in alternatives(ann):
        if get_origin(alt) is dict:
            return get_args(alt)[1] if get_args(alt) else typing.Any
    return None


def list_items_of(ann):
    for alt in alternatives(ann):
        if get_origin(alt) is list:
            return get_args(alt)[0] if get_args(alt) else typing.Any
    return None


def field_annotation(cls, key):
    """Annotation of the field written as `key` (name or alias) in `cls`, or None."""
    for name, f in cls.model_fields.items():
        if key in (name, f.alias):
            return Annotated.__class_getitem__((f.annotation, *f.metadata)) if f.metadata \
                else f.annotation
    return None


def child_annotation(ann, key):
    """Annotation of `value[key]` where `value` is described by `ann`."""
    if isinstance(ann, SpecRoot):
        return ann.child(key)
    if isinstance(key, int):
        return list_items_of(ann)
    cls = model_of(ann)
    if cls is not None:
        return field_annotation(cls, key)
    return dict_values_of(ann)


def entry_form(catalog: Catalog, value):
    """(name, entry class, params) of a catalog entry written in YAML form, else None."""
    if isinstance(value, str):
        name, params = value, {}
    elif isinstance(value, dict) and len(value) == 1:
        name, params = next(iter(value.items()))
        if not isinstance(name, str):
            return None
    else:
        return None
    cls = catalog.lookup(name)
    if cls is None:
        return None
    if params is None:
        params = {}
    if not isinstance(params, dict) and cls.positional:
        params = {cls.positional: params}
    return name, cls, params


class SpecRoot:
    """The annotation of a whole spec: like `Spec`, except that what `train:` holds
    depends on the spec's task (each task has its own train schema)."""

    def __init__(self, task):
        self.task = task if isinstance(task, str) else "supervised"

    def child(self, key):
        from ..tasks import TASKS
        from .schema import Spec
        if key == "train" and self.task in TASKS:
            return TASKS[self.task].train_schema
        return field_annotation(Spec, key) if isinstance(key, str) else None


def spec_annotation(*datas) -> SpecRoot:
    """The root annotation for spec data; the first of `datas` naming a task wins."""
    for data in datas:
        if isinstance(data, dict) and "task" in data:
            return SpecRoot(data["task"])
    return SpecRoot("supervised")


# ---- dotted paths -------------------------------------------------------------------


def parse(text: str) -> tuple:
    """'model.layers[*].dense.units' -> ('model', 'layers', '*', 'dense', 'units');
    'model.layers[2].dense' and 'model.layers.2.dense' -> (..., 2, 'dense')."""
    parts = []
    for name, index in _PART.findall(str(text)):
        if index:
            parts.append(ANY if index == ANY else int(index))
        else:
            parts.append(int(name) if name.lstrip("-").isdigit() else name)
    return tuple(parts)


def dotted(parts) -> str:
    """('model', 'layers', 2, 'dense') -> 'model.layers[2].dense'; a quoted label
    ("'h'", a layer by its name in diff) is shown in brackets too: model.layers['h']."""
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) or (isinstance(p, str) and p.startswith("'")) \
            else ("." if out else "") + str(p)
    return out


def check(parts: tuple, root=None) -> tuple[str | None, Catalog | None]:
    """(problem, catalog): a message if `parts` cannot exist in any spec, and the
    catalog the path ends on (so rubric values can be checked as its names). The
    root is a supervised spec's unless given (the task rubrics grade)."""
    if not parts:
        return "an empty path; write e.g. train.optimizer", None
    states = [root or SpecRoot("supervised")]
    for depth, part in enumerate(parts):
        nxt, problem = [], None
        for ann in states:
            if catalog_of(ann) is not None:
                return None, None  # below an entry: its name or parameters, checked later
            for alt in alternatives(ann):
                child, why = _step(alt, part, parts[depth - 1] if depth else None)
                if why is None:
                    nxt.append(child)
                else:
                    problem = problem or why
        if not nxt:
            return problem or "no such path in a spec", None
        states = nxt
    return None, next((c for c in map(catalog_of, states) if c is not None), None)


def _step(ann, part, parent) -> tuple:
    """(the annotation one step down, None) or (None, why there is no such step)."""
    if isinstance(ann, SpecRoot) or model_of(ann) is not None:
        child = child_annotation(ann, part) if isinstance(part, str) else None
        if child is not None:
            return child, None
        fields = (_spec_model() if isinstance(ann, SpecRoot) else model_of(ann)).model_fields
        return None, f"no spec field '{part}' here{did_you_mean(str(part), fields)}"
    if list_items_of(ann) is not None:
        if part == ANY or isinstance(part, int):
            return list_items_of(ann), None
        return None, f"'{parent}' is a list; write [*] or [N]"
    if dict_values_of(ann) is not None or ann is typing.Any:
        return typing.Any, None
    return None, f"'{parent}' is a plain value; nothing is below it"


def _spec_model():
    from .schema import Spec  # schema imports this module
    return Spec


def resolve(obj, parts: tuple) -> list:
    """The values at `parts` in a validated spec; MISSING where the path leads nowhere."""
    if not parts:
        return [obj]
    part, rest = parts[0], parts[1:]
    if isinstance(obj, list):
        if part == ANY:
            return [v for item in obj for v in resolve(item, rest)]
        if isinstance(part, int) and -len(obj) <= part < len(obj):
            return resolve(obj[part], rest)
        return [MISSING]
    if isinstance(obj, Entry) and part == obj.kind:
        return resolve(obj, rest)
    if isinstance(obj, BaseModel):
        if isinstance(part, str) and part in type(obj).model_fields:
            return resolve(getattr(obj, part), rest)
        return [MISSING]
    if isinstance(obj, dict) and part in obj:
        return resolve(obj[part], rest)
    return [MISSING]


def plain(value):
    """A resolved value in the form a rubric compares with: entries by name."""
    if isinstance(value, Entry):
        return value.kind
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def is_set(value) -> bool:
    return value is not MISSING and value is not None and value != [] and value != {}


def same(a, b) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def show(value) -> str:
    value = plain(value)
    if value is MISSING:
        return "(not set)"
    return str(value) if not isinstance(value, str) else value
