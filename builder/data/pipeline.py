"""spec.data -> prepared splits (numpy) -> tf.data datasets."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .info import DataInfo
from .split import split_indices


@dataclass
class Prepared:
    splits: dict  # part name -> (x, y); parts with no examples are left out
    states: list = field(default_factory=list)  # fitted preprocessing state, one per step
    info: DataInfo | None = None
    class_names: list | None = None
    feature_names: list | None = None

    def part(self, name):
        return self.splits.get(name)


def prepare(data, seed: int, base_dir: Path | None = None) -> Prepared:
    loaded = data.source.load(Path(base_dir or "."))
    info = data.source.info()
    sp = data.split
    stratify = sp.stratify if sp.stratify != "auto" else info.labels == "integer"
    own_test = loaded.test is not None and sp.test is None
    fractions = {"validation": sp.validation, "test": 0.0 if own_test else (sp.test or 0.0)}
    if own_test:
        fractions["validation"] = sp.validation
    labels = loaded.y if (stratify and loaded.y is not None and loaded.y.ndim == 1) else None
    idx = split_indices(len(loaded.x), fractions, seed, labels=labels, shuffle=sp.shuffle)
    splits = {part: (loaded.x[i], None if loaded.y is None else loaded.y[i])
              for part, i in idx.items() if len(i)}
    if own_test:
        splits["test"] = loaded.test
    states = []
    for step in data.preprocess:
        x_train, y_train = splits["train"]
        state = step.fit(x_train, y_train)
        states.append(state)
        splits = {part: step.apply(x, y, state) for part, (x, y) in splits.items()}
        info = step.info(info)
    return Prepared(splits, states, info, loaded.class_names, loaded.feature_names)


def to_dataset(x, y, batch_size: int, shuffle: bool, seed: int):
    """In-memory arrays -> a batched, prefetched tf.data pipeline."""
    from ..keras_env import tf
    t = tf()
    ds = t.data.Dataset.from_tensor_slices((x, y) if y is not None else x)
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size).prefetch(t.data.AUTOTUNE)


def as_numpy_labels(y):
    return None if y is None else np.asarray(y)
