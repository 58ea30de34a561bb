"""`sklearn: NAME`: scikit-learn's bundled data sets (shipped with it, no download)."""
from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np

from ..info import DataInfo
from ..tables import TableCodec
from .base import SOURCES, Loaded, Source

# name -> (loader function in sklearn.datasets, per-example shape, labels, n_classes)
SKLEARN_SETS = {
    "breast_cancer": ("load_breast_cancer", (30,), "integer", 2,
                      "569 biopsies, 30 features, benign vs malignant"),
    "digits": ("load_digits", (64,), "integer", 10, "1797 8x8 digit images, pixels 0-16"),
    "iris": ("load_iris", (4,), "integer", 3, "150 flowers, 4 measurements, 3 species"),
    "wine": ("load_wine", (13,), "integer", 3, "178 wines, 13 chemical features, 3 cultivars"),
    "diabetes": ("load_diabetes", (10,), "continuous", None,
                 "442 patients, 10 features, disease progression after a year"),
    "sample_images": ("load_sample_images", (16, 16, 3), "integer", 2,
                      "2080 colour patches, 16x16 RGB (0-255), cut from the two photographs "
                      "scikit-learn ships (china, flower); the label says which"),
}
PATCH = 16  # sample_images: the photographs (427 x 640) cut into PATCH x PATCH tiles


def sample_patches():
    """scikit-learn's two sample photographs cut into non-overlapping PATCH x PATCH tiles,
    row by row: (x uint8 (n, PATCH, PATCH, 3), y the photograph's index, its names)."""
    from sklearn.datasets import load_sample_images
    bunch = load_sample_images()
    tiles, labels = [], []
    for label, image in enumerate(bunch.images):
        rows, cols = image.shape[0] // PATCH, image.shape[1] // PATCH
        cut = image[:rows * PATCH, :cols * PATCH].reshape(rows, PATCH, cols, PATCH, 3)
        tiles.append(cut.transpose(0, 2, 1, 3, 4).reshape(-1, PATCH, PATCH, 3))
        labels += [label] * (rows * cols)
    names = [str(f).replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
             for f in bunch.filenames]
    return np.concatenate(tiles), np.asarray(labels, "int64"), names


@SOURCES.register("sklearn")
class Sklearn(Source):
    doc: ClassVar[str] = "scikit-learn's bundled data sets (no download): " + ", ".join(SKLEARN_SETS)
    positional: ClassVar[str] = "name"
    name: Literal["breast_cancer", "digits", "iris", "wine", "diabetes", "sample_images"]

    def info(self):
        _, shape, labels, n, _ = SKLEARN_SETS[self.name]
        return DataInfo(shape, labels, n, x_dtype="uint8" if len(shape) == 3 else "float32")

    def load(self, base_dir):
        import sklearn.datasets
        if self.name == "sample_images":
            x, y, names = sample_patches()
            return Loaded(x, y, class_names=names)
        fn, _, labels, _, _ = SKLEARN_SETS[self.name]
        bunch = getattr(sklearn.datasets, fn)()
        y = bunch.target.astype("int64" if labels == "integer" else "float32")
        names = list(getattr(bunch, "target_names", [])) or None
        features = [str(f) for f in bunch.feature_names] if hasattr(bunch, "feature_names") else None
        state = {"table": TableCodec(features).to_json()} if features else {}
        return Loaded(bunch.data.astype("float32"), y, feature_names=features,
                      class_names=[str(n) for n in names] if names is not None else None,
                      state=state)
