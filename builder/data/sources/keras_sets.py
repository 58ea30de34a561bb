"""`keras: NAME`: the data sets of `keras.datasets`, with their own test split.

This is the real download path: Keras fetches the file once into
~/.keras/datasets/. Offline, the error says so in one line and names the local
alternatives (a file already in that cache, or the `npz` source).
"""
from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
from pydantic import Field

from ..info import DataInfo
from .base import SOURCES, Loaded, Source

# name -> (per-example shape or None for word sequences, labels, classes, file Keras downloads)
KERAS_SETS = {
    "mnist": ((28, 28), "integer", 10, "mnist.npz"),
    "fashion_mnist": ((28, 28), "integer", 10, "fashion-mnist/*.gz"),
    "cifar10": ((32, 32, 3), "integer", 10, "cifar-10-batches-py.tar.gz"),
    "cifar100": ((32, 32, 3), "integer", 100, "cifar-100-python.tar.gz"),
    "imdb": (None, "integer", 2, "imdb.npz"),
    "reuters": (None, "integer", 46, "reuters.npz"),
    "boston_housing": ((13,), "continuous", None, "boston_housing.npz"),
}
CLASS_NAMES = {
    "fashion_mnist": ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                      "Shirt", "Sneaker", "Bag", "Ankle boot"],
    "cifar10": ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                "ship", "truck"],
    "imdb": ["negative", "positive"],
}


@SOURCES.register("keras")
class KerasDataset(Source):
    doc: ClassVar[str] = ("keras.datasets (downloaded once into ~/.keras/datasets): "
                          + ", ".join(KERAS_SETS) + "; they come with their own test split")
    positional: ClassVar[str] = "name"
    name: Literal["mnist", "fashion_mnist", "cifar10", "cifar100", "imdb", "reuters",
                  "boston_housing"]
    num_words: int = Field(10000, ge=2, description="imdb/reuters: keep the most frequent words")
    maxlen: int = Field(200, ge=1, description="imdb/reuters: pad or cut reviews to this length")
    label_mode: Literal["fine", "coarse"] = Field("fine", description="cifar100: 100 or 20 classes")

    def info(self):
        shape, labels, n, _ = KERAS_SETS[self.name]
        if shape is None:
            return DataInfo((self.maxlen,), labels, n, x_dtype="int32")
        if self.name == "cifar100" and self.label_mode == "coarse":
            n = 20
        return DataInfo(shape, labels, n, x_dtype="uint8" if len(shape) > 1 else "float32")

    def _fetch(self):
        from ...core.keras_env import keras
        module = getattr(keras().datasets, self.name)
        kwargs = {}
        if self.name in ("imdb", "reuters"):
            kwargs["num_words"] = self.num_words
        if self.name == "cifar100":
            kwargs["label_mode"] = self.label_mode
        try:
            return module.load_data(**kwargs)
        except Exception as exc:  # Keras raises a bare Exception for a failed download
            reason = " ".join(str(exc).split())
            reason = reason[:160] + ("..." if len(reason) > 160 else "")
            file = KERAS_SETS[self.name][3]
            local = (f"point kspec at a copy of it: `source: {{npz: path/to/{file}}}`"
                     if file.endswith(".npz") and self.name not in ("imdb", "reuters") else
                     "save the arrays with numpy.savez(x_train=..., y_train=..., x_test=..., "
                     "y_test=...) and use `source: {npz: FILE.npz}`")
            self.fail(f"could not download the Keras data set '{self.name}' ({reason}); "
                      f"kspec needs the internet once to cache it in ~/.keras/datasets/. "
                      f"Offline: copy {file} into ~/.keras/datasets/, or {local}")

    def load(self, base_dir):
        (x, y), (xt, yt) = self._fetch()
        if self.name in ("imdb", "reuters"):
            from ...core.keras_env import keras
            pad = keras().utils.pad_sequences
            x = pad(x, maxlen=self.maxlen).astype("int32")
            xt = pad(xt, maxlen=self.maxlen).astype("int32")
        if np.asarray(x).dtype.kind == "f":
            x, xt = np.asarray(x, "float32"), np.asarray(xt, "float32")
        labels = KERAS_SETS[self.name][1]
        dtype = "int64" if labels == "integer" else "float32"
        y = np.asarray(y).reshape(len(y)).astype(dtype)
        yt = np.asarray(yt).reshape(len(yt)).astype(dtype)
        names = CLASS_NAMES.get(self.name)
        if names is None and labels == "integer":
            names = [str(i) for i in range(int(max(y.max(), yt.max())) + 1)]
        return Loaded(np.asarray(x), y, test=(np.asarray(xt), yt), class_names=names)
