"""`sklearn: NAME`: scikit-learn's bundled data sets, and `sample_images: {size, stride}`:
its two bundled photographs cut into patches, each labelled with its photograph (all
shipped with scikit-learn, no download)."""
from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

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
}
# The spelling `sklearn: sample_images` (16x16 patches, labelled) was folded into the
# sample_images source; an old spec gets one line saying what to write instead.
MOVED = {"sample_images": "the photo patches are their own source now: write "
                          "`source: {sample_images: {size: 16}}` (the same 2080 patches, "
                          "labelled by photograph)"}


@SOURCES.register("sklearn")
class Sklearn(Source):
    doc: ClassVar[str] = "scikit-learn's bundled data sets (no download): " + ", ".join(SKLEARN_SETS)
    positional: ClassVar[str] = "name"
    name: Literal["breast_cancer", "digits", "iris", "wine", "diabetes"]
    classes: list[int] | None = Field(
        None, min_length=2, description="keep only these classes, relabelled 0, 1, ... in this "
        "order (e.g. [5, 6, 7, 8, 9]: a transfer target set); default: all")

    @field_validator("name", mode="before")
    @classmethod
    def _moved(cls, v):
        if isinstance(v, str) and v in MOVED:
            raise ValueError(f"sklearn: {v} moved; {MOVED[v]}")
        return v

    @model_validator(mode="after")
    def _classes_exist(self):
        _, _, labels, n, _ = SKLEARN_SETS[self.name]
        if self.classes is not None:
            if labels != "integer":
                raise ValueError(f"{self.name} has no classes to choose from")
            bad = [c for c in self.classes if not 0 <= c < n]
            if bad or len(set(self.classes)) != len(self.classes):
                raise ValueError(f"classes are distinct ids of {self.name}'s 0..{n - 1}; got "
                                 f"{self.classes}")
        return self

    def info(self):
        _, shape, labels, n, _ = SKLEARN_SETS[self.name]
        return DataInfo(shape, labels, len(self.classes) if self.classes else n)

    def load(self, base_dir):
        import sklearn.datasets
        fn, _, labels, _, _ = SKLEARN_SETS[self.name]
        bunch = getattr(sklearn.datasets, fn)()
        y = bunch.target.astype("int64" if labels == "integer" else "float32")
        names = list(getattr(bunch, "target_names", [])) or None
        features = [str(f) for f in bunch.feature_names] if hasattr(bunch, "feature_names") else None
        state = {"table": TableCodec(features).to_json()} if features else {}
        x = bunch.data.astype("float32")
        if self.classes is not None:
            keep = np.isin(y, self.classes)
            x, y = x[keep], relabel(self.classes, y[keep])
            names = [names[c] if names is not None else str(c) for c in self.classes]
        return Loaded(x, y, feature_names=features,
                      class_names=[str(n) for n in names] if names is not None else None,
                      state=state)


def relabel(classes: list[int], y) -> np.ndarray:
    """Class ids -> their positions in `classes` (classes [5, 9, 7]: 5 -> 0, 9 -> 1, 7 -> 2)."""
    position = {c: i for i, c in enumerate(classes)}
    return np.array([position[int(v)] for v in y], "int64")


@SOURCES.register("sample_images")
class SampleImages(Source):
    """Offline colour images: the patches of L27 (colorization), L35 (super resolution)
    and L23's offline twin (which photograph a patch is from). The label is the
    photograph, so a random split is stratified by it (both photos in every part, in
    proportion); a task that makes its own targets (grayscale, downscale) ignores it."""
    doc: ClassVar[str] = ("scikit-learn's two bundled colour photographs (china, flower; "
                          "427 x 640, no download) cut into square patches, pixels 0-255, "
                          "each labelled with its photograph (0 china, 1 flower)")
    positional: ClassVar[str] = "size"
    size: int = Field(32, ge=4, le=427, description="side of a square patch, in pixels")
    stride: int | None = Field(None, ge=1, description="pixels between patch corners "
                                                       "(default: size, patches do not overlap)")

    def info(self):
        return DataInfo((self.size, self.size, 3), "integer", 2, x_dtype="uint8")

    def load(self, base_dir):
        from sklearn.datasets import load_sample_images
        bunch = load_sample_images()
        step = self.stride or self.size
        patches, labels = [], []
        for label, image in enumerate(bunch.images):  # both photographs, in their order
            h, w, _ = image.shape
            cut = [image[i:i + self.size, j:j + self.size]
                   for i in range(0, h - self.size + 1, step)
                   for j in range(0, w - self.size + 1, step)]  # row by row
            patches += cut
            labels += [label] * len(cut)
        names = [str(f).replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
                 for f in bunch.filenames]  # china, flower
        return Loaded(np.stack(patches).astype("uint8"), np.asarray(labels, "int64"),
                      class_names=names, state={"image_size": [self.size, self.size, 3]})
