"""Imported once by the grading fork server, so that every grading process starts
with these modules loaded and every schema validator built (milliseconds instead
of seconds per submission).

`KERAS` adds Keras and TensorFlow: a rubric with graph, train or model checks needs
them; one with only spec and lint checks never loads them.
"""
from __future__ import annotations

from .. import tasks
from ..spec import catalogs, check, graph, lint, load, schema  # noqa: F401
from ..core.base import Strict
from . import phases, rubric, worker  # noqa: F401

BASE = ["__main__", "builder.grade.preload"]  # __main__: not re-run in each process
KERAS = BASE + ["builder.grade.preload_keras"]


def _build_validators():
    """Schema models build their validators on first use (fast `kspec validate`);
    here, where it happens once for all grading processes, build them all now."""
    todo, seen = list(Strict.__subclasses__()), set()
    while todo:
        cls = todo.pop()
        if cls in seen:
            continue
        seen.add(cls)
        todo.extend(cls.__subclasses__())
        try:
            cls.model_rebuild(force=True)
        except Exception:  # a model that cannot build alone still builds on first use
            pass


# the catalogs and tasks load lazily elsewhere; a grading process may meet any of them
for _catalog in catalogs.ALL.values():
    _catalog.load_all()
tasks.TASKS.load_all()
_build_validators()
