"""`sklearn: NAME`: scikit-learn's bundled data sets, and `sample_images: {size, stride}`:
its two bundled photographs cut into patches, each labelled with its photograph (all
shipped with scikit-learn, no download)."""

from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from ..info import DataInfo
from ..tables import TableCodec
from .base import SOURCES, Loaded, Source

if TYPE_CHECKING:  # annotations only: validate never loads numpy for them
    import numpy as np

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
_CANCER = ("radius", "texture", "perimeter", "area", "smoothness", "compactness", "concavity",
           "concave points", "symmetry", "fractal dimension")
# the sets' feature names, as scikit-learn gives them (tests/test_multi_output.py compares):
# known here so validate checks a feature used as a target without importing scikit-learn
FEATURE_NAMES = {
    "breast_cancer": [f"mean {n}" for n in _CANCER] + [f"{n} error" for n in _CANCER]
    + [f"worst {n}" for n in _CANCER],
    "digits": [f"pixel_{r}_{c}" for r in range(8) for c in range(8)],
    "iris": [f"{part} {side} (cm)" for part in ("sepal", "petal") for side in ("length", "width")],
    "wine": ["alcohol", "malic_acid", "ash", "alcalinity_of_ash", "magnesium", "total_phenols",
             "flavanoids", "nonflavanoid_phenols", "proanthocyanins", "color_intensity", "hue",
             "od280/od315_of_diluted_wines", "proline"],
    "diabetes": ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"],
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
    targets_field: ClassVar[str] = "target"
    name: Literal["breast_cancer", "digits", "iris", "wine", "diabetes"]
    classes: list[int] | None = Field(
        None, min_length=2, description="keep only these classes, relabelled 0, 1, ... in this "
        "order (e.g. [5, 6, 7, 8, 9]: a transfer target set); default: all")
    target: str | dict[str, str] | None = Field(
        None, description="what to predict: `target` (the set's labels, the default) or a "
        "feature name (that feature is then a target, not an input); several outputs: output "
        "name -> either, e.g. {diagnosis: target, radius: mean radius}")

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
        if self.target is not None:
            if not self.target:
                raise ValueError("name each output's target, e.g. {label: target}")
        return self

    def target_names(self):
        return self.target if isinstance(self.target, dict) else None

    def columns(self) -> dict:
        """output name -> target ('' for the one output of `target: NAME`)."""
        if isinstance(self.target, str):
            return {"": self.target}
        return dict(self.target or {})

    def feature_targets(self) -> list[str]:
        """The features this spec makes targets (taken out of the inputs)."""
        return [c for c in self.columns().values() if c != "target"]

    def info(self):
        _, shape, labels, n, _ = SKLEARN_SETS[self.name]
        n = len(self.classes) if self.classes else n
        info = DataInfo(shape, labels, n)
        if self.target is None or self.target == "target":
            return info
        if isinstance(self.target, str):  # one feature as the one (regression) target
            return DataInfo((shape[0] - 1,), "continuous", y_shape=(1,))
        each = {out: DataInfo(None, labels, n) if col == "target" else
                DataInfo(None, "continuous", y_shape=(1,)) for out, col in self.target.items()}
        return DataInfo((shape[0] - len(set(self.feature_targets())),), None, targets=each)

    def peek(self, base_dir, info):
        """Feature names used as targets exist (known without loading the set)."""
        if self.feature_targets():
            self._features()
        return info

    def _features(self) -> list[str]:
        features = FEATURE_NAMES[self.name]
        for out, col in self.columns().items():
            if col != "target" and col not in features:
                from ...core.base import did_you_mean
                self.fail(f"{self.name} has no feature '{col}'"
                          f"{did_you_mean(col, features + ['target'])}; a target is `target` "
                          "(the set's labels) or one of its features",
                          *(("target", out) if out else ("target",)))
        return features

    def load(self, base_dir):
        import numpy as np
        import sklearn.datasets
        fn, _, labels, _, _ = SKLEARN_SETS[self.name]
        bunch = getattr(sklearn.datasets, fn)()
        if isinstance(self.target, str) and self.target != "target":
            one = self._load_targets(bunch, labels)  # a feature as the one target
            one.y, one.class_names = one.y[""], None
            one.state = {"table": one.state["table"], "target": self.target}
            return one
        if isinstance(self.target, dict):
            return self._load_targets(bunch, labels)
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

    def _load_targets(self, bunch, labels) -> Loaded:
        """Several outputs: each output's target is the set's labels or a feature column."""
        import numpy as np
        features = self._features()
        x, labels_y = bunch.data.astype("float32"), bunch.target
        keep = np.isin(labels_y, self.classes) if self.classes else np.ones(len(x), bool)
        names = [str(n) for n in getattr(bunch, "target_names", [])] or None
        y, classes = {}, {}
        for out, col in self.columns().items():
            if col == "target":
                ids = labels_y[keep]
                y[out] = relabel(self.classes, ids) if self.classes else ids.astype(
                    "int64" if labels == "integer" else "float32")
                classes[out] = ([names[c] for c in self.classes] if self.classes and names
                                else names)
            else:
                y[out] = x[keep, features.index(col)].copy()
                classes[out] = None
        inputs = [f for f in features if f not in self.feature_targets()]
        x = x[keep][:, [features.index(f) for f in inputs]]
        return Loaded(x, y, feature_names=inputs, class_names=classes,
                      state={"table": TableCodec(inputs).to_json(),
                             "targets": self.columns()})


def relabel(classes: list[int], y) -> "np.ndarray":
    """Class ids -> their positions in `classes` (classes [5, 9, 7]: 5 -> 0, 9 -> 1, 7 -> 2)."""
    import numpy as np
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
        import numpy as np
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
