"""Reading a finished run folder back: its JSON files, which task made it, its
vocabulary, and the whole run (model, spec, saved preprocessing) at once.

Every error is a DataLoadError that says what is wrong in one line."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..data.errors import DataLoadError
from .preprocessing import SavedPreprocessing

NOT_A_RUN = "is not a run folder (kspec train writes them under runs/)"


def read_run_json(run_dir, name: str, missing_hint: str):
    """A JSON file of a finished run folder, or a DataLoadError that says what is wrong.

    `missing_hint` finishes the sentence "RUN has no NAME; ..." for the command at hand."""
    file = Path(run_dir) / name
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataLoadError(f"{run_dir} has no {name}; {missing_hint}") from None
    except (OSError, ValueError) as exc:
        raise DataLoadError(f"cannot read {file}: {exc}") from None


def task_name(run_dir) -> str:
    """The task a run was trained for, from its spec.yaml (`supervised` if unsaid)."""
    path = Path(run_dir)
    if not path.is_dir():
        raise DataLoadError(f"{path} {NOT_A_RUN}")
    try:
        data = yaml.safe_load((path / "spec.yaml").read_text(encoding="utf-8"))
    except FileNotFoundError:
        missing = [n for n in ("model.keras", "spec.yaml", "preprocess.json")
                   if not (path / n).is_file()]
        raise DataLoadError(f"{path} has no {', '.join(missing)}; is it a finished kspec run "
                            "folder?") from None
    except (OSError, yaml.YAMLError) as exc:
        raise DataLoadError(f"cannot read {path / 'spec.yaml'}: {exc}") from None
    return (data or {}).get("task", "supervised") if isinstance(data, dict) else "supervised"


def read_vocab(run_dir) -> dict:
    """vocab.json of a language-model run: {level, tokens}."""
    return read_run_json(run_dir, "vocab.json",
                         "kspec generate writes text with runs of task language_model")


@dataclass
class Run:
    """A single-network run, opened: its model, the spec it was trained from, and the
    preprocessing saved with it."""
    path: Path
    model: object
    spec: object  # the validated Spec the run was trained from
    saved: SavedPreprocessing

    @property
    def loss(self):
        return getattr(self.spec.train, "loss", None)


def open_run(run_dir, preprocessing: bool = True) -> Run:
    """The run's model (loaded in Keras' safe mode), spec and saved preprocessing
    (`preprocessing=False`: runs that read no data, e.g. an agent's; `saved` is None)."""
    path = Path(run_dir)
    if not path.is_dir():
        raise DataLoadError(f"{path} {NOT_A_RUN}")
    for name in ("model.keras", "spec.yaml") + (("preprocess.json",) if preprocessing else ()):
        if not (path / name).is_file():
            raise DataLoadError(f"{path} has no {name}; is it a finished kspec run folder?")
    saved = SavedPreprocessing.read(path) if preprocessing else None
    from ..spec.load import load_spec
    spec = load_spec(str(path / "spec.yaml"), check=False).spec
    from ..core.keras_env import keras
    model = keras().models.load_model(path / "model.keras", safe_mode=True)
    return Run(path, model, spec, saved)
