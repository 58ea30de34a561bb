"""Data sources: where the examples come from (`data.source`)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

import numpy as np

from ..spec.base import Catalog, Entry
from .info import DataInfo

SOURCES = Catalog("data source", "sklearn: digits")


@dataclass
class Loaded:
    """Arrays from a source; `test` is set when the source has its own test split."""

    x: np.ndarray
    y: np.ndarray | None
    test: tuple | None = None
    feature_names: list | None = None
    class_names: list | None = None


class DataLoadError(Exception):
    """The data could not be loaded; the message says where and how to fix it."""


class Source(Entry):
    def info(self) -> DataInfo:
        return DataInfo(None, None)

    def load(self, base_dir: Path) -> Loaded:
        raise NotImplementedError


# name -> (loader function in sklearn.datasets, per-example shape, labels, n_classes)
SKLEARN_SETS = {
    "breast_cancer": ("load_breast_cancer", (30,), "integer", 2,
                      "569 biopsies, 30 features, benign vs malignant"),
    "digits": ("load_digits", (64,), "integer", 10, "1797 8x8 digit images, pixels 0-16"),
    "iris": ("load_iris", (4,), "integer", 3, "150 flowers, 4 measurements, 3 species"),
    "wine": ("load_wine", (13,), "integer", 3, "178 wines, 13 chemical features, 3 cultivars"),
    "diabetes": ("load_diabetes", (10,), "continuous", None,
                 "442 patients, 10 features, disease progression after a year"),
}


@SOURCES.register("sklearn")
class Sklearn(Source):
    doc: ClassVar[str] = "scikit-learn's bundled data sets (no download): " + ", ".join(SKLEARN_SETS)
    positional: ClassVar[str] = "name"
    name: Literal["breast_cancer", "digits", "iris", "wine", "diabetes"]

    def info(self):
        _, shape, labels, n, _ = SKLEARN_SETS[self.name]
        return DataInfo(shape, labels, n)

    def load(self, base_dir):
        import sklearn.datasets
        fn, _, labels, _, _ = SKLEARN_SETS[self.name]
        bunch = getattr(sklearn.datasets, fn)()
        y = bunch.target.astype("int64" if labels == "integer" else "float32")
        names = list(getattr(bunch, "target_names", [])) or None
        return Loaded(bunch.data.astype("float32"), y,
                      feature_names=list(bunch.feature_names) if hasattr(bunch, "feature_names") else None,
                      class_names=[str(n) for n in names] if names is not None else None)


SourceRef = SOURCES.ref
