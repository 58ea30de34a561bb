"""Which parts a spec holds, and the one-line refusal of a command that needs a part
the spec leaves out.

A spec may be a whole run (data, model, train) or only part of one: a model without
data (what `kspec import` writes), or only `data:` (a teacher's held-out data for
`kspec evaluate RUN --data FILE`). Validation, the layer table, diagrams, export, diff
and codegen of the model need no data; `kspec data` needs no model; training needs all.
"""
from __future__ import annotations

from ..core.problems import Position, SpecError

PARTS = ("data", "model", "train")

_ADD = {
    "data": "a `data:` section (e.g. data: {source: {sklearn: iris}}), or `extends:` a spec "
            "that has one",
    "model": "a `model:` section (input and layers), or `extends:` a spec that has one",
    "models": "a `models:` section with the task's networks, or `extends:` a spec that has it",
    "train": "a `train:` section (at least loss and optimizer), or `extends:` a spec that "
             "has one",
}


def missing(spec, *parts: str) -> list[str]:
    """The parts among `parts` (default: all) that the spec leaves out; `model` stands for
    `models:` in a multi-network task."""
    out = []
    for part in parts or PARTS:
        if part == "model":
            if spec.model is None and spec.models is None:
                from ..tasks import TASKS
                out.append("model" if TASKS[spec.task].roles is None else "models")
        elif getattr(spec, part) is None:
            out.append(part)
    return out


def complete(spec) -> bool:
    return not missing(spec)


def require(loaded, *parts: str, doing: str):
    """Refuse in one line when the spec lacks a part that `doing` needs."""
    lacking = missing(loaded.spec, *parts)
    if not lacking:
        return
    it = "it" if len(lacking) == 1 else "them"
    adds = "; ".join(f"add {_ADD[p]}" for p in lacking)
    where = Position(str(loaded.path), 1, 1) if loaded.path is not None else None
    raise SpecError.single(f"not in this spec, and {doing} needs {it}; {adds}",
                           path=(" and ".join(lacking),), position=where)
