"""Dotted paths into a spec, as a rubric writes them.

`train.optimizer.learning_rate`, `train.loss`, `model.layers[*].dense.units`,
`data.split.test`. A catalog entry (a layer, an optimizer, ...) reads as its name
(`train.optimizer` is `adam`) and its parameters sit below it, with or without the
name written in (`train.optimizer.adam.learning_rate` works too, and matches only
an adam). `[*]` takes every item of a list.

Paths are checked against the spec schema when the rubric is loaded, so a typo in
a rubric is a FILE:LINE:COL error for the teacher, not a zero for every student.
"""
from __future__ import annotations

import math
import re
import types
import typing

from pydantic import BaseModel

from ..core.base import Catalog, Entry, Strict, did_you_mean

ANY = "*"
MISSING = object()  # a path that leads nowhere in this spec
_PART = re.compile(r"([^.\[\]]+)|\[(\d+|\*)\]")


def parse(text: str) -> tuple:
    """'model.layers[*].dense.units' -> ('model', 'layers', '*', 'dense', 'units')."""
    parts = []
    for name, index in _PART.findall(str(text)):
        if index:
            parts.append(ANY if index == ANY else int(index))
        else:
            parts.append(int(name) if name.isdigit() else name)
    return tuple(parts)


def _catalog(annotation, metadata) -> Catalog | None:
    """The Catalog behind a `Catalog.ref` field (its validator is `catalog.parse`)."""
    if typing.get_origin(annotation) is typing.Annotated:
        metadata = list(metadata) + list(annotation.__metadata__)
    for meta in metadata:
        owner = getattr(getattr(meta, "func", None), "__self__", None)
        if isinstance(owner, Catalog):
            return owner
    return None


def _options(annotation) -> list:
    """A field's annotation split into the types it may hold (Optional/Union opened)."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [a for a in typing.get_args(annotation) if a is not type(None)]
    return [annotation]


def _train_schema():
    """The `train:` schema of supervised specs (the task rubrics grade)."""
    try:
        from ..tasks import TASKS
        return TASKS["supervised"].train_schema
    except (ImportError, KeyError):
        return typing.Any


def check(parts: tuple, root=None) -> tuple[str | None, Catalog | None]:
    """(problem, catalog): a message if `parts` cannot exist in any spec, and the
    catalog the path ends on (so rubric values can be checked as its names)."""
    from .schema import Spec
    if not parts:
        return "an empty path; write e.g. train.optimizer", None
    states = [(root or Spec, [])]
    for depth, part in enumerate(parts):
        nxt, problem = [], None
        for annotation, metadata in states:
            catalog = _catalog(annotation, metadata)
            if catalog is not None:
                return None, None  # below an entry: its name or parameters, checked later
            for ann in _options(annotation):
                if typing.get_origin(ann) is typing.Annotated:
                    ann, meta = typing.get_args(ann)[0], list(ann.__metadata__)
                else:
                    meta = []
                if isinstance(ann, type) and issubclass(ann, Strict):
                    field = ann.model_fields.get(part) if isinstance(part, str) else None
                    if field is None:
                        problem = problem or (f"no spec field '{part}' here"
                                              f"{did_you_mean(part, ann.model_fields)}")
                        continue
                    if depth == 0 and part == "train" and field.annotation is typing.Any:
                        nxt.append((_train_schema(), []))  # validated per task
                        continue
                    nxt.append((field.annotation, list(field.metadata)))
                elif typing.get_origin(ann) is list:
                    if part == ANY or isinstance(part, int):
                        item = typing.get_args(ann)[0] if typing.get_args(ann) else typing.Any
                        nxt.append((item, meta))
                    else:
                        problem = problem or f"'{parts[depth - 1]}' is a list; write [*] or [N]"
                elif typing.get_origin(ann) is dict or ann is typing.Any:
                    nxt.append((typing.Any, []))
                else:
                    problem = problem or (f"'{parts[depth - 1]}' is a plain value; "
                                          "nothing is below it")
        if not nxt:
            return problem or "no such path in a spec", None
        states = nxt
    catalogs = [_catalog(a, m) for a, m in states]
    return None, next((c for c in catalogs if c is not None), None)


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
