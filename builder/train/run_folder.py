"""The run folder: everything a run made, written so a crash never leaves a
half-written folder that looks complete.

Files are written into `<dir>.partial/` and the folder is renamed to `<dir>` only
when the run has finished; each file is written to a temporary name and renamed.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import os
import shutil
from pathlib import Path


class RunFolderError(Exception):
    pass


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
        tmp = self.path / f".{name}.tmp"
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, self.path / name)

    def write_json(self, name: str, data):
        self.write_text(name, json.dumps(data, indent=2, sort_keys=False) + "\n")

    def write_csv(self, name: str, header: list, rows: list):
        tmp = self.path / f".{name}.tmp"
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            writer.writerows(rows)
        os.replace(tmp, self.path / name)

    def finish(self) -> Path:
        os.replace(self.path, self.final)
        return self.final

    def abandon(self):
        shutil.rmtree(self.path, ignore_errors=True)


def read_run_json(run_dir, name: str, missing_hint: str):
    """A JSON file of a finished run folder, or a DataLoadError that says what is wrong.

    `missing_hint` finishes the sentence "RUN has no NAME; ..." for the command at hand."""
    from ..data.errors import DataLoadError
    file = Path(run_dir) / name
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataLoadError(f"{run_dir} has no {name}; {missing_hint}") from None
    except (OSError, ValueError) as exc:
        raise DataLoadError(f"cannot read {file}: {exc}") from None
