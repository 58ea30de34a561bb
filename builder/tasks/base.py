"""The task registry, the base every task follows, and the one dispatch of the
commands that use a trained run (evaluate, predict, forecast, generate, ...).

Each task says which of those commands it answers (`use_commands`) and answers
each one with a method of the same name; `use(command, run_dir, ...)` reads the
run's task and calls it, or refuses in one line naming the tasks that answer.
Every task also gives a tiny example spec (`example_spec`) that trains in seconds:
the catalog suite (tests/test_catalog_tasks.py) trains it and tries every command.
"""
from __future__ import annotations

import importlib
from typing import ClassVar

from ..catalog.index import TASKS as TASK_INDEX
from ..core.problems import Report
from ..data.errors import DataLoadError

USE_COMMANDS = ("evaluate", "predict", "forecast", "generate", "interpolate", "reconstruct",
                "arithmetic", "play")


class Task:
    name: ClassVar[str] = ""
    doc: ClassVar[str] = ""
    roles: ClassVar[tuple | None] = None  # None: a single `model:`; else `models:` roles
    train_schema: ClassVar[type] = None  # the pydantic model of this task's `train:`
    use_commands: ClassVar[tuple] = ()  # of USE_COMMANDS: those this task's runs answer
    # files every finished run of this task holds (besides task-specific ones below)
    run_files: ClassVar[tuple] = ("spec.yaml", "metrics.json", "preprocess.json",
                                  "history.csv", "learning_curves.png", "evaluation.json",
                                  "report.html")

    def check(self, spec, plans: dict, info, report: Report) -> None:
        """Task-specific checks after every role's graph is planned (Keras-free)."""

    def train(self, loaded, out=None, epochs=None, verbose=None):
        raise NotImplementedError

    def example_spec(self) -> dict:
        """A tiny spec of this task (a dict, as its YAML would load) that trains in a
        few seconds on synthetic or shipped data: what the catalog suite trains."""
        raise NotImplementedError(f"task {self.name} gives no example_spec()")

    def files_of_run(self, spec) -> list[str]:
        """The files a finished run of `spec` holds (the catalog suite checks them)."""
        return list(self.run_files)

    def unused(self, command: str, options: dict):
        """Refuse options this task does not take (e.g. --prompt for an image model)."""
        given = [k for k, v in options.items() if v is not None]
        if given:
            flags = ", ".join("--" + k.replace("_", "-") for k in given)
            verb = "does" if len(given) == 1 else "do"
            raise TaskUsageError(f"kspec {command}: {flags} {verb} not apply to runs of task "
                                 f"{self.name}")


class TaskUsageError(ValueError):
    """An option that does not fit the run's task (the CLI exits 2)."""


class UseRefused(DataLoadError):
    """A command this run cannot answer (the CLI prints one line and exits 1)."""


class TaskRegistry:
    """Tasks by name. A task's package is imported when a spec or run names it
    (catalog/index.py says where each lives), so validating a supervised spec
    never loads the generative tasks."""

    def __init__(self):
        self._tasks: dict[str, Task] = {}
        self._index: dict[str, str] = dict(TASK_INDEX)
        self._complete = False

    def register(self, cls):
        self._tasks[cls.name] = cls()
        return cls

    def _find(self, name) -> Task | None:
        if name not in self._tasks and not self._complete:
            if isinstance(name, str) and name in self._index:
                importlib.import_module(self._index[name])
            if name not in self._tasks:  # unknown, or an index that lags the code
                self.load_all()
        return self._tasks.get(name)

    def load_all(self) -> None:
        if self._complete:
            return
        for module in dict.fromkeys(self._index.values()):
            importlib.import_module(module)
        self._complete = True
        order = list(self._index)
        self._tasks = dict(sorted(self._tasks.items(), key=lambda kv: (
            order.index(kv[0]) if kv[0] in order else len(order))))

    @property
    def tasks(self) -> dict[str, Task]:
        self.load_all()
        return self._tasks

    def __getitem__(self, name) -> Task:
        found = self._find(name)
        if found is None:
            raise KeyError(name)
        return found

    def __contains__(self, name) -> bool:
        return self._find(name) is not None

    def names(self) -> list[str]:
        return sorted(self.tasks)

    def answering(self, command: str) -> list[str]:
        """The tasks whose runs answer `command`, in registration order."""
        return [t.name for t in self.tasks.values() if command in t.use_commands]


TASKS = TaskRegistry()


def train_spec(loaded, **options):
    """Train a loaded spec with its task's trainer (kspec train, the grader); a spec that
    is only part of a run (no data:, model: or train:) is refused in one line first."""
    from ..spec.parts import require
    require(loaded, doing="training")
    return TASKS[loaded.spec.task].train(loaded, **options)


def bundled_example(name: str, **train) -> dict:
    """A bundled spec (specs/<topic>/NAME.yaml) as a dict, for one quick epoch: `train` fields
    replaced (epochs 1 unless given) and its data path made absolute, so the example
    trains wherever it is written."""
    import yaml

    from ..spec.library import bundled
    file = bundled()[name]
    spec = yaml.safe_load(file.read_text(encoding="utf-8"))
    spec["train"] = {**spec.get("train", {}), "epochs": 1, **train}
    for params in spec["data"]["source"].values():
        if isinstance(params, dict) and "path" in params:
            params["path"] = str((file.parent / params["path"]).resolve())
    return spec


def role_plan_path(task: Task, role: str) -> tuple:
    return ("model",) if task.roles is None else ("models", role)


def task_of_run(run_dir) -> Task:
    from ..run.read import task_name  # here: validating a spec never reads a run
    name = task_name(run_dir)
    if name not in TASKS:
        raise DataLoadError(f"{run_dir} was trained for task '{name}', which this kspec does "
                            "not know")
    return TASKS[name]


def refusal(command: str, run_dir, task: Task) -> str:
    able = TASKS.answering(command)
    line = f"{run_dir} is a {task.name} run: `kspec {command}` works on {', '.join(able)} runs"
    if task.use_commands:
        line += f"; try kspec {' / '.join(task.use_commands)}"
    return line


def use(command: str, run_dir, **options):
    """`kspec COMMAND RUN_DIR ...`: the run's task answers, with the options the user
    gave (None: not given); what it returns is the command's result for the CLI."""
    if command not in USE_COMMANDS:
        raise ValueError(f"{command} is not a command that uses a run")
    task = task_of_run(run_dir)
    if command not in task.use_commands:
        raise UseRefused(refusal(command, run_dir, task))
    return getattr(task, command)(run_dir, **{k: v for k, v in options.items() if v is not None})
