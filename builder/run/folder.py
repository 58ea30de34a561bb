"""The run folder: everything a run made, written so a crash never leaves a
half-written folder that looks complete.

Files are written into `<dir>.partial/` and the folder is renamed to `<dir>` only
when the run has finished; each file is written whole or not at all (core/atomic).
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


class RunFolderError(Exception):
    pass


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


class RunFolder:
    def __init__(self, final: Path):
        self.final = Path(final)
        if self.final.exists():
            raise RunFolderError(f"{self.final} already exists; choose another --out "
                                 "(kspec never overwrites a run)")
        self.path = self.final.with_name(self.final.name + ".partial")
        if self.path.exists():
            shutil.rmtree(self.path)  # left by a crashed run with the same name
        self.path.mkdir(parents=True)

    def file(self, name: str) -> Path:
        return self.path / name

    def write_text(self, name: str, text: str):
        write_text(self.path / name, text)

    def write_json(self, name: str, data):
        self.write_text(name, json.dumps(data, indent=2, sort_keys=False) + "\n")

    def write_csv(self, name: str, header: list, rows: list):
        self.write_text(name, csv_text(header, rows))

    def finish(self) -> Path:
        os.replace(self.path, self.final)
        return self.final

    def abandon(self):
        shutil.rmtree(self.path, ignore_errors=True)
