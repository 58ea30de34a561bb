"""The preprocessing a run saved (preprocess.json, vocab.json), written and read back.

Writing happens inside the run folder's atomic write; reading rebuilds the steps
from the closed catalog (no code from files), so `kspec evaluate/predict` apply
exactly the statistics the model was trained with.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from ..data.errors import DataLoadError
from ..data.pipeline import invert_target, transform_inputs
from ..data.preprocess import STEPS
from ..data.sources import SOURCES


def write_preprocessing(run, prepared, loaded):
    base = loaded.path.parent if loaded.path else Path(".")
    run.write_json("preprocess.json", prepared.saved(loaded.spec.data, base))
    vocab = prepared.source_state.get("vocab")
    if vocab is not None:  # a language model's vocabulary, beside the model
        run.write_json("vocab.json", {"level": prepared.source_state.get("level"),
                                      "tokens": vocab})


@dataclass
class SavedPreprocessing:
    source: object  # the Source entry
    steps: list
    states: list
    raw: dict  # the whole preprocess.json

    @classmethod
    def read(cls, run_dir: Path) -> "SavedPreprocessing":
        from .read import read_run_json  # read.py imports this module
        file = Path(run_dir) / "preprocess.json"
        raw = read_run_json(run_dir, "preprocess.json",
                            "is it a kspec run folder (made by kspec train)?")
        if raw.get("format") != 1 or "source" not in raw:
            raise DataLoadError(f"{file} was written by an older kspec; train the spec again")
        steps, states = raw.get("steps"), raw.get("states")
        if not isinstance(steps, list) or not isinstance(states, list) \
                or len(steps) != len(states) \
                or not all(s is None or isinstance(s, dict) for s in states):
            raise DataLoadError(f"{file} is damaged (steps and states must be lists of the same "
                                "length, each state a mapping); train the spec again")
        for key, kind in (("source_state", dict), ("class_names", (list, dict)),
                          ("raw_shape", list), ("feature_names", list), ("data_dir", str)):
            if raw.get(key) is not None and not isinstance(raw[key], kind):
                what = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple)
                                                        else (kind,)))
                raise DataLoadError(f"{file} is damaged ({key} must be a {what}); "
                                    "train the spec again")
        try:
            source = SOURCES.parse(raw["source"])
            steps = [STEPS.parse(s) for s in steps]
        except Exception as exc:  # a hand-edited or foreign file
            raise DataLoadError(f"{file} names an unknown source or step: "
                                f"{' '.join(str(exc).split())[:200]}") from None
        return cls(source, steps, states, raw)

    @property
    def class_names(self):
        return self.raw.get("class_names")

    @property
    def data_dir(self) -> Path:
        return Path(self.raw.get("data_dir") or ".")

    def inputs(self, x):
        with self._damaged():
            return transform_inputs(self.steps, self.states, x)

    def outputs(self, y):
        with self._damaged():
            return invert_target(self.steps, self.states, y)

    @contextlib.contextmanager
    def _damaged(self):
        """A state that does not fit its step (a hand-edited preprocess.json): one line."""
        try:
            yield
        except (KeyError, TypeError, IndexError, AttributeError) as exc:
            raise DataLoadError(f"preprocess.json: a saved preprocessing state is damaged "
                                f"({type(exc).__name__}: {str(exc)[:120]}); train the spec "
                                "again") from None

    def read_input(self, path: Path, resize: bool = False):
        """A file or folder given to predict -> (raw inputs, a label per example);
        `resize`: images of another size than the model's are resized, not refused."""
        if not path.exists():
            raise DataLoadError(f"{path} does not exist")
        return self.source.read_input(path, {**self.raw.get("source_state", {}),
                                             "raw_shape": self.raw.get("raw_shape"),
                                             "raw_dtype": self.raw.get("raw_dtype"),
                                             "feature_names": self.raw.get("feature_names"),
                                             "resize": resize})
