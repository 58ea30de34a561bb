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

    # ---- using a trained run (`kspec generate / interpolate / reconstruct`) ----
    # The CLI reads the run's task and calls these with only the options the user
    # gave; a task takes the ones it understands and passes the rest to `unused`.
    def generate(self, run_dir, **options):
        """New samples from a trained run (images, text...) -> a message to print."""
        raise TaskUsageError(self._not_for("generate"))

    def interpolate(self, run_dir, **options):
        raise TaskUsageError(self._not_for("interpolate"))

    def reconstruct(self, run_dir, **options):
        raise TaskUsageError(self._not_for("reconstruct"))

    def _not_for(self, command: str) -> str:
        able = [t.name for t in TASKS.tasks.values()
                if getattr(type(t), command) is not getattr(Task, command)]
        return (f"kspec {command} does not apply to runs of task {self.name}"
                + (f"; it works on runs of: {', '.join(sorted(able))}" if able else ""))

    def unused(self, command: str, options: dict):
        """Refuse options this task does not take (e.g. --prompt for an image model)."""
        given = [k for k, v in options.items() if v is not None]
        if given:
            flags = ", ".join("--" + k.replace("_", "-") for k in given)
            verb = "does" if len(given) == 1 else "do"
            raise TaskUsageError(f"kspec {command}: {flags} {verb} not apply to runs of task "
                                 f"{self.name}")


class TaskUsageError(ValueError):
    """A command or option that does not fit the run's task (the CLI exits 2)."""


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
