"""`kspec generate / interpolate / reconstruct / arithmetic RUN_DIR`: find the run's
task and let it answer. The dispatch lives here, once: image models (the
generative tasks) and language models plug in through their Task's methods, each
taking the options it understands and refusing the rest (TaskUsageError).
"""
from __future__ import annotations

from pathlib import Path

import yaml

from .data.errors import DataLoadError
from .tasks import TASKS
from .tasks.base import TaskUsageError


def task_of_run(run_dir):
    path = Path(run_dir)
    if not path.is_dir():
        raise DataLoadError(f"{path} is not a run folder (kspec train writes them under runs/)")
    try:
        data = yaml.safe_load((path / "spec.yaml").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataLoadError(f"{path} has no spec.yaml; is it a finished kspec run folder?") from None
    except (OSError, yaml.YAMLError) as exc:
        raise DataLoadError(f"cannot read {path / 'spec.yaml'}: {exc}") from None
    name = (data or {}).get("task", "supervised") if isinstance(data, dict) else "supervised"
    if name not in TASKS:
        raise DataLoadError(f"{path} was trained for task '{name}', which this kspec does not know")
    return TASKS[name]


def run_command(command: str, run_dir, **options) -> str:
    """Call the run's task for `command` with the options the user gave; -> text to print."""
    task = task_of_run(run_dir)
    method = getattr(task, command, None)
    if method is None:
        raise TaskUsageError(task._not_for(command))
    return method(run_dir, **{k: v for k, v in options.items() if v is not None})
