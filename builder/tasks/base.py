"""The task registry and the base every task follows."""
from __future__ import annotations

from typing import ClassVar

from ..spec.problems import Report


class Task:
    name: ClassVar[str] = ""
    doc: ClassVar[str] = ""
    roles: ClassVar[tuple | None] = None  # None: a single `model:`; else `models:` roles
    train_schema: ClassVar[type] = None  # the pydantic model of this task's `train:`

    def check(self, spec, plans: dict, info, report: Report) -> None:
        """Task-specific checks after every role's graph is planned (Keras-free)."""

    def train(self, loaded, out=None, epochs=None, verbose=None):
        raise NotImplementedError


class TaskRegistry:
    def __init__(self):
        self.tasks: dict[str, Task] = {}

    def register(self, cls):
        self.tasks[cls.name] = cls()
        return cls

    def __getitem__(self, name) -> Task:
        return self.tasks[name]

    def __contains__(self, name) -> bool:
        return name in self.tasks

    def names(self) -> list[str]:
        return sorted(self.tasks)


TASKS = TaskRegistry()


def role_plan_path(task: Task, role: str) -> tuple:
    return ("model",) if task.roles is None else ("models", role)
