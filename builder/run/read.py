"""Reading a finished run folder back: its JSON files, which task made it, its
vocabulary, and the whole run (model, spec, saved preprocessing) at once.

A run folder is read like a submission: every file through the checked reader
(core/files.py: a regular file of bounded size, no link out of the folder), the
spec validated like any spec but never followed elsewhere (a run's spec.yaml is
resolved: `extends:` in it is refused), and a `.partial` folder (a run that has
not finished) is never read as a run. Every error is a DataLoadError that says
what is wrong in one line."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..core.files import JSON_MAX, SPEC_MAX, FileRefused, read_user_text
from ..data.errors import DataLoadError
from .folder import is_partial, resume_command
from .preprocessing import SavedPreprocessing

NOT_A_RUN = "is not a run folder (kspec train writes them under runs/)"


def run_folder(run_dir) -> Path:
    """`run_dir` if it is a finished run's folder, else a DataLoadError in one line."""
    path = Path(run_dir)
    if is_partial(path) and path.is_dir():
        raise DataLoadError(f"{path} is an unfinished run (training stopped before the end); "
                            f"continue it with `{resume_command(path)}`")
    if not path.is_dir():
        raise DataLoadError(f"{path} {NOT_A_RUN}")
    return path


def read_run_text(run_dir, name: str, max_bytes: int = JSON_MAX) -> str:
    path = Path(run_dir)
    try:
        return read_user_text(path / name, max_bytes, "run file", path)
    except FileRefused as exc:
        raise DataLoadError(str(exc)) from None


def read_run_json(run_dir, name: str, missing_hint: str, kind: type = dict):
    """A JSON file of a finished run folder (a `kind`, a mapping unless said), or a
    DataLoadError that says what is wrong.

    `missing_hint` finishes the sentence "RUN has no NAME; ..." for the command at hand."""
    file = Path(run_dir) / name
    if not file.exists() and not file.is_symlink():
        raise DataLoadError(f"{run_dir} has no {name}; {missing_hint}")
    try:
        data = json.loads(read_run_text(run_dir, name))
    except ValueError as exc:
        raise DataLoadError(f"cannot read {file}: {' '.join(str(exc).split())[:200]}") from None
    if not isinstance(data, kind):
        raise DataLoadError(f"{file} holds a {type(data).__name__}, not the "
                            f"{'mapping' if kind is dict else kind.__name__} kspec wrote; "
                            "is it a kspec run folder (made by kspec train)?")
    return data


def _missing(path: Path, names=("model.keras", "spec.yaml", "preprocess.json")):
    missing = [n for n in names if not (path / n).is_file()]
    return DataLoadError(f"{path} has no {', '.join(missing)}; is it a finished kspec run "
                         "folder?")


def run_spec_data(run_dir):
    """(the run's spec.yaml as data, its positions), refusing what a resolved spec never
    holds (`extends:`): a run folder is not a way to reach other files."""
    from ..core.problems import SpecError
    from ..spec.yamlpos import load_yaml
    path = run_folder(run_dir)
    file = path / "spec.yaml"
    if not file.exists() and not file.is_symlink():
        raise _missing(path)
    text = read_run_text(path, "spec.yaml", SPEC_MAX)
    try:
        data, positions = load_yaml(text, str(file))
    except SpecError as exc:
        raise DataLoadError(f"cannot read {file}: {exc.problems[0].message}") from None
    if not isinstance(data, dict):
        raise DataLoadError(f"{file} is not a spec (a mapping); is it a kspec run folder?")
    if "extends" in data:
        raise DataLoadError(f"{file} says `extends: {str(data['extends'])[:80]}`; a run's "
                            "spec.yaml is the resolved spec and extends nothing (was it "
                            "edited?): train the spec again")
    return data, positions


def run_spec(run_dir):
    """The validated Spec a run was trained from (its spec.yaml, read as above)."""
    from ..core.problems import SpecError
    from ..spec.load import parse_spec
    data, positions = run_spec_data(run_dir)
    try:
        return parse_spec(data, positions, Path(run_dir) / "spec.yaml", check=False).spec
    except SpecError as exc:
        raise DataLoadError(f"{Path(run_dir) / 'spec.yaml'} is not a valid spec "
                            f"({exc.problems[0].render()}); train the spec again") from None


def task_name(run_dir) -> str:
    """The task a run was trained for, from its spec.yaml (`supervised` if unsaid)."""
    data, _ = run_spec_data(run_dir)
    task = data.get("task", "supervised")
    if not isinstance(task, str):
        raise DataLoadError(f"{Path(run_dir) / 'spec.yaml'}: task must be a name, got "
                            f"{str(task)[:80]}")
    return task


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
    path = run_folder(run_dir)
    names = ("model.keras", "spec.yaml") + (("preprocess.json",) if preprocessing else ())
    if any(not (path / n).is_file() for n in names):
        raise _missing(path, names)
    saved = SavedPreprocessing.read(path) if preprocessing else None
    spec = run_spec(path)
    from .model_file import load_model_file
    model = load_model_file(path / "model.keras", root=path)
    return Run(path, model, spec, saved)
