"""The run folder: everything a run made, written so a crash never leaves a
half-written folder that looks complete.

Files are written into `<dir>.partial/` and the folder is renamed to `<dir>` only
when the run has finished; each file is written whole or not at all (core/atomic).
While training, `<dir>.partial/` also holds the checkpoint of the last finished
epoch (run/checkpoint.py): an interrupted or crashed run keeps it, so
`kspec train --resume <dir>.partial` continues. kspec never deletes a folder it did
not create: an existing `<dir>.partial/` (a foreign folder, a link, or another
interrupted run) is refused, never removed.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from ..core.atomic import write_text
from ..core.csv_out import csv_text  # noqa: F401  (the one CSV writer; imported from here too)

MARK = ".kspec-partial"  # in every .partial folder kspec made: what --resume trusts
CHECKPOINT = "checkpoint.npz"  # the last finished epoch (run/checkpoint.py)
RESUME = "resume.json"  # the resolved spec the run trains, to resume it
PRUNED = "pruned.json"  # a sweep trial its pruner stopped (run/study.py); never when finished
SCRATCH = (CHECKPOINT, RESUME, MARK, PRUNED)  # removed when the run finishes


class RunFolderError(Exception):
    pass


class TrialPruned(RunFolderError):
    """kspec sweep's pruner stopped this trial (run/study.py): its folder stays RUN.partial."""


@dataclass
class RunResult:
    path: Path
    metrics: dict
    history: dict
    notes: list = field(default_factory=list)  # printed by `kspec train` after the metrics


def default_dir(name: str, root: Path = Path("runs")) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = root / f"{name}-{stamp}"
    n = 1
    while path.exists() or path.with_name(path.name + ".partial").exists():
        n += 1
        path = root / f"{name}-{stamp}-{n}"
    return path


def resume_command(partial) -> str:
    return f"kspec train --resume {partial}"


def is_partial(path) -> bool:
    """A folder of a run that has not finished (never to be read as a run)."""
    path = Path(path)
    return path.name.endswith(".partial") or (path / MARK).exists()


def _taken(path: Path) -> bool:
    return path.exists() or path.is_symlink()


class RunFolder:
    def __init__(self, final: Path, partial: Path | None = None):
        """A new run folder for `final`; with `partial`, the interrupted run kept there
        (checked by run/checkpoint.py) is continued instead."""
        self.final = Path(final)
        if _taken(self.final):
            raise RunFolderError(f"{self.final} already exists; choose another --out "
                                 "(kspec never overwrites a run)")
        self.path = self.final.with_name(self.final.name + ".partial")
        if partial is not None:
            return
        if self.path.is_symlink():
            raise RunFolderError(f"{self.path} is a link; kspec writes runs only into folders it "
                                 "creates: remove it or choose another --out")
        if (self.path / CHECKPOINT).is_file():
            raise RunFolderError(f"{self.path} holds an interrupted run; continue it with "
                                 f"`{resume_command(self.path)}`, or remove it to start again")
        if self.path.exists():
            raise RunFolderError(f"{self.path} already exists and kspec did not make it for this "
                                 "run (kspec deletes nothing it did not create): remove it or "
                                 "choose another --out")
        self.path.mkdir(parents=True)
        (self.path / MARK).write_text("made by kspec train; renamed when the run finishes\n",
                                      encoding="utf-8")

    def file(self, name: str) -> Path:
        return self.path / name

    def write_text(self, name: str, text: str):
        write_text(self.path / name, text)

    def write_json(self, name: str, data):
        self.write_text(name, json.dumps(data, indent=2, sort_keys=False) + "\n")

    def write_csv(self, name: str, header: list, rows: list):
        self.write_text(name, csv_text(header, rows))

    def finish(self) -> Path:
        for name in SCRATCH:
            (self.path / name).unlink(missing_ok=True)
        os.replace(self.path, self.final)
        return self.final

    def abandon(self, exc: BaseException | None = None):
        """Training stopped: keep the folder if it holds a checkpoint (and say how to
        resume, on `exc`), else remove it (kspec made it, and nothing in it is worth
        keeping)."""
        if (self.path / CHECKPOINT).is_file():
            if exc is not None:
                exc.kspec_resume = self.path
                if not isinstance(exc, KeyboardInterrupt):
                    exc.add_note(f"the last finished epoch is kept in {self.path}; continue "
                                 f"with `{resume_command(self.path)}`")
            return
        if (self.path / MARK).is_file() and not self.path.is_symlink():
            shutil.rmtree(self.path, ignore_errors=True)
