"""Resumable runs: the state after every finished epoch, kept in RUN.partial/.

`checkpoint.npz` (written whole or not at all, one file so its parts always
belong to the same epoch) holds every variable of the training: the networks'
weights, the optimizers' slots and step counters, and the random generators'
states (a Dropout layer's or a GAN's noise generator: Keras' own model files leave
them out), plus a JSON record of the epoch counter, the history so far and the
data pipeline's position (batches drawn). `resume.json`, written when the run
starts, holds the resolved spec and the folder its data paths count from.

`kspec train --resume RUN.partial` rebuilds the same models from that spec with
the same seed, assigns the saved variables, moves the data pipeline past the
batches already trained on, and continues with the next epoch, so a run with a
fixed seed ends with the same numbers as one that was never interrupted.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..core.atomic import atomic_path, write_json
from ..core.files import DATA_MAX, JSON_MAX, FileRefused, open_user_file, read_user_text
from .folder import CHECKPOINT, MARK, RESUME, RunFolder, RunFolderError, default_dir

FORMAT = 1
# the state of a callback that decides what happens in later epochs (early stopping's
# wait counter and best value, a plateau's wait and cooldown, a checkpoint's best):
# kept with every epoch, so patience carries over a resume instead of starting again
CALLBACK_STATE = ("wait", "stopped_epoch", "best", "best_epoch", "cooldown_counter")


class Resume:
    """What a checkpoint holds: the epochs done, the history so far, the batches drawn."""

    def __init__(self, state: dict, arrays: list):
        self.epoch = int(state["epoch"])
        self.history = {k: [float(v) for v in vs] for k, vs in state["history"].items()}
        self.position = int(state.get("position", 0))
        self.arrays = arrays
        self.callbacks = list(state.get("callbacks", []))  # callback_state(), per callback
        self.phase = int(state.get("phase", 1))  # 2: a second fit (transfer's fine-tuning)
        self.callback_arrays: dict = {}  # c<i>_<j>: callback i's best_weights[j]

    def restore_callbacks(self, callbacks):
        """Put each callback back in the state it had after the last finished epoch (after
        Keras' on_train_begin has reset it)."""
        for i, (cb, state) in enumerate(zip(callbacks, self.callbacks)):
            for name in CALLBACK_STATE:
                if name in state:
                    setattr(cb, name, state[name])
            if "best_weights" in state:
                cb.best_weights = [self.callback_arrays[f"c{i}_{j}"]
                                   for j in range(state["best_weights"])]

    def restore(self, variables: list, what: str):
        if len(variables) != len(self.arrays) or any(
                tuple(v.shape) != a.shape for v, a in zip(variables, self.arrays)):
            raise RunFolderError(f"the checkpoint does not fit the {what} this spec builds "
                                 "(was the run folder edited?); train it again")
        for v, a in zip(variables, self.arrays):
            v.assign(a)


def open_run_folder(loaded, out, runs_root, epochs) -> tuple[RunFolder, Resume | None]:
    """The run folder a trainer writes, and the checkpoint to continue from (None: a
    new run). `loaded.resume_from` (set by `resume_spec`) names an interrupted run."""
    partial = getattr(loaded, "resume_from", None)
    if partial is not None:
        partial = Path(partial)
        resume = read_checkpoint(partial)
        if resume.phase != 1:  # its recompiled optimizer and second history: not kept yet
            raise RunFolderError(f"{partial} stopped during its fine-tuning phase, which kspec "
                                 "cannot resume yet; train the spec again")
        return RunFolder(partial.with_name(partial.name[:-len(".partial")]), partial), resume
    run = RunFolder(out or default_dir(loaded.spec.name, runs_root))
    base = loaded.path.parent if loaded.path else Path(".")
    write_json(run.file(RESUME), {"format": FORMAT, "spec": loaded.spec.model_dump(mode="json"),
                                  "spec_path": str(Path(loaded.path).resolve())
                                  if loaded.path else None,
                                  "base": str(Path(base).resolve()), "epochs": epochs})
    return run, None


# Called as watch(run_path, epoch, history) after every epoch's checkpoint: the one place
# every trainer's epochs pass through. A sweep trial's process adds its pruning watcher
# (run/study.py); a watcher that raises stops the run, keeping RUN.partial.
EPOCH_WATCHERS: list = []


def callback_state(callbacks) -> tuple[list, dict]:
    """(the CALLBACK_STATE of each callback, JSON-able; its best_weights as arrays)."""
    states, arrays = [], {}
    for i, cb in enumerate(callbacks):
        state = {}
        for name in CALLBACK_STATE:
            value = getattr(cb, name, None)
            if hasattr(cb, name) and (value is None or isinstance(value, (int, float, np.number))):
                state[name] = value if value is None else (
                    int(value) if isinstance(value, (int, np.integer)) else float(value))
        weights = getattr(cb, "best_weights", None)
        if weights is not None:
            state["best_weights"] = len(weights)
            arrays.update({f"c{i}_{j}": np.asarray(w) for j, w in enumerate(weights)})
        states.append(state)
    return states, arrays


def save(run_path: Path, epoch: int, history: dict, variables: list, position: int,
         callbacks=(), phase: int = 1):
    states, extra = callback_state(callbacks)
    state = {"format": FORMAT, "epoch": epoch, "position": position, "phase": phase,
             "history": {k: [float(x) for x in v] for k, v in history.items()},
             "callbacks": states}
    arrays = {f"v{i}": np.asarray(v.numpy() if hasattr(v, "numpy") else v)
              for i, v in enumerate(variables)}
    arrays.update(extra)
    with atomic_path(Path(run_path) / CHECKPOINT) as tmp:
        np.savez(tmp, state=np.array(json.dumps(state)), **arrays)
    log_epoch(epoch, history)
    for watch in EPOCH_WATCHERS:
        watch(run_path, epoch, history)


EPOCH_LOG = "KSPEC_EPOCH_LOG"  # set by `kspec studio` for the trainings it starts


def log_epoch(epoch: int, history: dict):
    """One JSON line per finished epoch, appended to the file $KSPEC_EPOCH_LOG names (the
    studio tails it to draw live curves); nothing when the variable is not set."""
    import os
    target = os.environ.get(EPOCH_LOG)
    if not target:
        return
    logs = {k: float(v[-1]) for k, v in history.items() if len(v)}
    with open(target, "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"epoch": epoch, "logs": logs}) + "\n")


def _partial_folder(partial: Path) -> Path:
    partial = Path(partial)
    if partial.is_symlink() or not partial.is_dir():
        raise RunFolderError(f"{partial} is not a folder of an interrupted run (kspec train "
                             "keeps them as RUN.partial/)")
    if (partial / "metrics.json").is_file() and not (partial / MARK).is_file():
        raise RunFolderError(f"{partial} is a finished run; there is nothing to resume")
    if not partial.name.endswith(".partial") or not (partial / MARK).is_file():
        raise RunFolderError(f"{partial} was not made by kspec train; --resume takes a "
                             "RUN.partial folder that an interrupted run kept")
    if not (partial / CHECKPOINT).is_file():
        raise RunFolderError(f"{partial} holds no checkpoint (the run stopped before its "
                             "first epoch ended); train the spec again")
    return partial


def read_checkpoint(partial: Path) -> Resume:
    partial = _partial_folder(partial)
    try:
        with open_user_file(partial / CHECKPOINT, DATA_MAX, "checkpoint", partial) as fh:
            with np.load(fh, allow_pickle=False) as npz:
                state = json.loads(str(npz["state"]))
                arrays = [npz[f"v{i}"] for i in range(sum(f.startswith("v") for f in npz.files))]
                extra = {f: npz[f] for f in npz.files if f.startswith("c")}
        if state.get("format") != FORMAT:
            raise ValueError("written by another kspec version")
        resume = Resume(state, arrays)
        resume.callback_arrays = extra
        return resume
    except FileRefused as exc:
        raise RunFolderError(str(exc)) from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RunFolderError(f"cannot read the checkpoint in {partial}: "
                             f"{' '.join(str(exc).split())[:200]}; train the spec again") from None


def resume_spec(partial):
    """(the Loaded spec an interrupted run trains, the --epochs it was given), with
    `resume_from` set so the trainer continues that run."""
    from ..core.problems import SpecError
    from ..spec.load import parse_spec
    from ..spec.yamlpos import PositionMap
    partial = _partial_folder(Path(partial))
    try:
        saved = json.loads(read_user_text(partial / RESUME, JSON_MAX, "resume file", partial))
        if not isinstance(saved, dict) or saved.get("format") != FORMAT:
            raise ValueError("not a resume file of this kspec version")
        spec_path = Path(saved["spec_path"] or Path(saved["base"]) / "spec.yaml")
        positions = PositionMap(str(partial / RESUME))
        loaded = parse_spec(saved["spec"], positions, spec_path, check=False)
    except FileRefused as exc:
        raise RunFolderError(str(exc)) from None
    except (ValueError, KeyError, TypeError, SpecError) as exc:
        raise RunFolderError(f"cannot resume {partial}: {RESUME} is damaged "
                             f"({' '.join(str(exc).split())[:200]}); train the spec again") from None
    loaded.resume_from = partial
    return loaded, saved.get("epochs")


def keras_variables(*objects) -> list:
    """Every variable of the given Keras objects (models, optimizers, seed
    generators, or objects holding them as attributes), each once, in a fixed order."""
    from ..core.keras_env import keras
    k = keras()
    seen, out = set(), []

    def add(v):
        if id(v) not in seen:
            seen.add(id(v))
            out.append(v)

    def walk(obj, depth=0):
        if isinstance(obj, (k.Model, k.layers.Layer)):
            for v in obj.variables:
                add(v)
            opt = getattr(obj, "optimizer", None)
            if isinstance(opt, k.optimizers.Optimizer):
                walk(opt)
        elif isinstance(obj, k.optimizers.Optimizer):
            for v in obj.variables:
                add(v)
        elif isinstance(obj, k.random.SeedGenerator):
            add(obj.state)
        elif isinstance(obj, dict) and depth < 3:
            for key in sorted(obj, key=str):
                walk(obj[key], depth + 1)
        elif isinstance(obj, (list, tuple)) and depth < 3:
            for item in obj:
                walk(item, depth + 1)
        elif type(obj).__module__.startswith("builder.") and hasattr(obj, "__dict__") \
                and depth < 3:  # a trainer or sampler of kspec's own (not a tf.function)
            for key in sorted(vars(obj)):
                walk(vars(obj)[key], depth + 1)

    for obj in objects:
        walk(obj)
    return out


def epoch_callback(run, steps: int, before: Resume | None, others=(), phase: int = 1):
    """A Keras callback that checkpoints the model (weights, optimizer, generators) and
    the state of the `others` callbacks at the end of every epoch; the history continues
    the one resumed from. Put it after `others` in fit's list: it restores their state
    after their own on_train_begin has reset it, and saves it after their epoch end."""
    from ..core.keras_env import keras

    class EpochCheckpoint(keras().callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.history = {k: list(v) for k, v in (before.history if before else {}).items()}

        def on_train_begin(self, logs=None):
            if before is not None:
                before.restore_callbacks(others)

        def on_epoch_end(self, epoch, logs=None):
            for key, value in (logs or {}).items():
                self.history.setdefault(key, []).append(float(value))
            # position: batches of the one repeating dataset already read; a dataset
            # that ends with each epoch (steps None: a steps_per_execution that does not
            # divide the epoch) starts over each epoch, so there is nothing to skip (its
            # reshuffle order is put back by the epoch count: supervised/trainer._fit)
            save(run.path, epoch + 1, self.history, keras_variables(self.model),
                 (epoch + 1) * steps if steps else 0, callbacks=others, phase=phase)

    return EpochCheckpoint()


def restore_model(model, before: Resume):
    """Assign a checkpoint to a compiled model (its optimizer built first, as fit would)."""
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    before.restore(keras_variables(model), "model")
