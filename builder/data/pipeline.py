"""spec.data -> prepared splits (numpy, in memory) -> tf.data datasets.

`prepare` loads the source once, splits it (seeded; stratified for classes; in
time order for series and text), fits each preprocessing step on the training
split only and applies it to every split. The fitted states are saved with the
run (`saved`), so `kspec evaluate/predict` transform new data the same way.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: validate never loads numpy for them
    import numpy as np

from ..core.problems import SpecError
from .errors import DataLoadError
from .info import DataInfo
from .multi import class_ids, is_multi, length, take
from .preprocess import StepError
from .split import PARTS, split_indices

FORMAT = 1  # of preprocess.json


@dataclass
class Prepared:
    splits: dict  # part name -> (x, y); parts with no examples are left out
    states: list = field(default_factory=list)  # fitted preprocessing state, one per step
    info: DataInfo | None = None
    class_names: list | None = None
    feature_names: list | None = None
    source_state: dict = field(default_factory=dict)
    raw_shape: tuple | None = None  # one example as the source gives it
    raw_dtype: str | None = None
    indices: dict = field(default_factory=dict)  # part -> positions in the source's data
    own_test: bool = False  # the test part is the source's own test split
    series: np.ndarray | None = None
    in_order: bool = False  # split chronologically

    def part(self, name):
        return self.splits.get(name)

    def saved(self, data, base_dir: Path | None) -> dict:
        """What preprocess.json holds: enough to transform new inputs like the training data."""
        x = self.splits["train"][0]
        return {
            "format": FORMAT,
            "source": data.source.to_data(),
            "data_dir": str(Path(base_dir or ".").resolve()),
            "steps": [s.to_data() for s in data.preprocess],
            "states": self.states,
            "class_names": self.class_names,
            "feature_names": self.feature_names,
            "source_state": self.source_state,
            "raw_shape": list(self.raw_shape) if self.raw_shape else None,
            "raw_dtype": self.raw_dtype,
            "input_shape": list(x.shape[1:]),
            "sizes": {part: len(xy[0]) for part, xy in self.splits.items()},
        }


def split_plan(data, loaded):
    """-> (fractions, stratify labels or None, shuffle, use the source's own test split)."""
    sp, source = data.split, data.source
    in_order = sp.chronological is True or not sp.shuffle or (
        sp.chronological == "auto" and source.sequential)
    own_test = loaded.test is not None and sp.test in ("auto", None)
    test = 0.0 if own_test or sp.test is None else (0.2 if sp.test == "auto" else sp.test)
    fractions = {"validation": sp.validation, "test": test}
    y = class_ids(loaded.y) if loaded.y is not None else None  # several outputs: the first
    is_classes = y is not None
    if sp.stratify is True and not is_classes:
        raise DataLoadError("stratify needs class labels (one whole number per example); "
                            "this target is not; remove stratify", ("data", "split", "stratify"))
    stratify = (sp.stratify is True or (sp.stratify == "auto" and is_classes)) and not in_order
    return fractions, (y if stratify else None), not in_order, own_test


def prepare(data, seed: int, base_dir: Path | None = None, states: list | None = None) -> Prepared:
    """Load, split and preprocess. With `states` (from a saved run) nothing is refit."""
    import numpy as np
    loaded = data.source.load(Path(base_dir or "."))
    if loaded.y is not None and length(loaded.y) != len(loaded.x):
        raise DataLoadError(f"the source gave {len(loaded.x)} inputs but {length(loaded.y)} "
                            "targets", ("data", "source"))
    fractions, labels, shuffle, own_test = split_plan(data, loaded)
    idx = split_indices(len(loaded.x), fractions, seed, labels=labels, shuffle=shuffle)
    if not len(idx["train"]):
        raise DataLoadError(f"no examples left for training ({len(loaded.x)} in all); lower "
                            "split.validation / split.test", ("data", "split"))
    splits = {part: (loaded.x[i], take(loaded.y, i)) for part, i in idx.items() if len(i)}
    if own_test:
        splits["test"] = loaded.test
    fitted = []
    for i, step in enumerate(data.preprocess):
        where = ("data", "preprocess", i, step.kind)
        try:
            state = states[i] if states is not None else step.fit(*inputs_only(
                splits["train"]))
            fitted.append(state)
            splits = {part: apply_step(step, x, y, state, np.random.default_rng([seed, i, k]))
                      for k, (part, (x, y)) in enumerate(sorted(splits.items()))}
        except StepError as exc:
            raise DataLoadError(str(exc), where) from None
    info = data.source.info()
    for step in data.preprocess:
        try:
            info = step.info(info)
        except StepError:
            info = info.with_(x_shape=None)
    return Prepared({p: splits[p] for p in PARTS if p in splits}, fitted, info,
                    loaded.class_names, loaded.feature_names, loaded.state,
                    tuple(loaded.x.shape[1:]), str(loaded.x.dtype), idx, own_test,
                    loaded.series, not shuffle)


def inputs_only(xy):
    """(x, y) as a step's fit sees it: several outputs' targets are not the steps' business
    (validate refuses the steps that change a target when there are several)."""
    x, y = xy
    return (x, None) if is_multi(y) else (x, y)


def apply_step(step, x, y, state, rng):
    if is_multi(y):
        return step.apply(x, None, state, rng=rng)[0], y
    return step.apply(x, y, state, rng=rng)


def prepare_spec(loaded, states: list | None = None) -> Prepared:
    """prepare() for a loaded spec: data problems become placed spec problems."""
    from ..spec.parts import require
    require(loaded, "data", doing="reading the data")
    spec = loaded.spec
    base = loaded.path.parent if loaded.path else Path(".")
    try:
        return prepare(spec.data, spec.seed, base, states)
    except DataLoadError as exc:
        raise placed(exc, loaded) from None


def placed(exc: DataLoadError, loaded) -> SpecError:
    problem = exc.problem()
    if loaded is not None and loaded.positions is not None and exc.path:
        loaded.positions.place([problem])
    return SpecError([problem])


def apply_saved(steps, states, x, y, seed: int = 0):
    """Inputs and targets -> what the model trains on, with saved (not refitted) states."""
    import numpy as np
    for i, (step, state) in enumerate(zip(steps, states)):
        try:
            x, y = apply_step(step, x, y, state, np.random.default_rng([seed, i]))
        except StepError as exc:
            raise DataLoadError(f"preprocess step {step.kind}: {exc}") from None
    return x, y


def transform_inputs(steps, states, x):
    """New raw inputs -> what the model takes (the steps that apply at prediction)."""
    for step, state in zip(steps, states):
        if step.at_predict:
            try:
                x, _ = step.apply(x, None, state)
            except StepError as exc:
                raise DataLoadError(f"preprocess step {step.kind}: {exc}") from None
    return x


def invert_target(steps, states, y):
    """Model outputs -> the target's original units (undo target scaling, last step first)."""
    for step, state in reversed(list(zip(steps, states))):
        y = step.invert_target(y, state)
    return y


def to_dataset(x, y, batch_size: int, shuffle: bool, seed: int, augment=None,
               repeat: bool = False):
    """In-memory arrays -> a batched tf.data pipeline that never starves training.

    The arrays go to TensorFlow once; each epoch shuffles only example *indices*
    (a full-size shuffle buffer of integers, cheap) and gathers whole batches
    with one vectorised op in a parallel map, so no per-example work is done in
    Python or in tf.data. Unshuffled sets (validation, test) are cached after the
    first pass. Augmentation runs on training batches only, in a parallel map.
    Everything is prefetched (AUTOTUNE) while the model trains on the batch before.
    With `repeat` the epochs follow each other in one endless dataset (each epoch
    reshuffled, no batch spans two epochs), so `model.fit(..., steps_per_epoch=...)`
    keeps one iterator and its threads instead of starting them every epoch.
    """
    from ..core.keras_env import tf
    t = tf()
    auto = t.data.AUTOTUNE
    xs = t.convert_to_tensor(x)
    ys = None if y is None else t.nest.map_structure(t.convert_to_tensor, y)
    ds = t.data.Dataset.range(len(x))
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)
    if repeat:
        ds = ds.repeat()
    # plain TensorFlow ops, no Python control flow: autograph's conversion (parsing and
    # rewriting each function's source, ~0.1 s or more the first time) is skipped
    plain = t.autograph.experimental.do_not_convert
    if ys is None:
        ds = ds.map(plain(lambda i: t.gather(xs, i)), num_parallel_calls=auto,
                    deterministic=True)
    else:  # ys: one array, or one per output (several outputs)
        ds = ds.map(plain(lambda i: (t.gather(xs, i), t.nest.map_structure(
            lambda v: t.gather(v, i), ys))), num_parallel_calls=auto, deterministic=True)
    if augment is not None:
        if ys is None:
            ds = ds.map(plain(lambda a: augment(a, training=True)), num_parallel_calls=auto,
                        deterministic=True)
        else:
            ds = ds.map(plain(lambda a, b: (augment(a, training=True), b)),
                        num_parallel_calls=auto, deterministic=True)
    elif not shuffle and not repeat:
        ds = ds.cache()
    return ds.prefetch(auto)


def fit_datasets(prepared: Prepared, data, batch_size: int, shuffle: bool, seed: int,
                 repeat: bool = True):
    """(training dataset, steps per epoch, validation dataset or None) as `model.fit` gets
    them: only the training one shuffles and augments; it repeats endlessly, so pass
    steps_per_epoch (one persistent iterator for the whole of training). Without
    `repeat` each epoch reads the dataset to its end (steps per epoch None)."""
    from .augment import augmenter
    augment = augmenter(data.augment, seed) if data.augment else None
    x, y = prepared.splits["train"]
    train = to_dataset(x, y, batch_size, shuffle, seed, augment=augment, repeat=repeat)
    steps = -(-len(x) // batch_size) if repeat else None
    val = prepared.part("validation")
    return train, steps, (to_dataset(*val, batch_size, False, seed) if val else None)
