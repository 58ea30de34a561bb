"""Losses by name, with the lectures' facts about what goes with each."""

from typing import ClassVar, Literal

from pydantic import Field

from ..core.keras_env import keras
from ..core.base import Catalog, Entry

LOSSES = Catalog("loss", "mse or categorical_crossentropy: {label_smoothing: 0.1}")


class Loss(Entry):
    keras_class: ClassVar[str] = ""
    # what the lectures' table says goes with this loss (used by lint)
    task: ClassVar[str] = "regression"  # regression | binary | multiclass | sparse_multiclass
    last_activation: ClassVar[str | None] = "linear"
    reduction: Literal["sum_over_batch_size", "sum", "mean", "none"] = "sum_over_batch_size"

    def build(self):
        return getattr(keras().losses, self.keras_class)(**self.model_dump())


def _simple(kind, keras_class, *aliases, task="regression", doc=""):
    cls = type(f"Loss_{kind}", (Loss,), {"keras_class": keras_class, "task": task,
                                         "doc": doc, "__module__": __name__})
    return LOSSES.add(kind, cls, *aliases)


_simple("mean_squared_error", "MeanSquaredError", "mse",
        doc="mean of (y - y_hat)^2: regression, linear output")
_simple("mean_absolute_error", "MeanAbsoluteError", "mae",
        doc="mean of |y - y_hat|: regression, robust to outliers")
_simple("mean_squared_logarithmic_error", "MeanSquaredLogarithmicError", "msle",
        doc="MSE of log(1 + y): regression on positive targets spanning magnitudes")
_simple("mean_absolute_percentage_error", "MeanAbsolutePercentageError", "mape")
_simple("log_cosh", "LogCosh", "logcosh")
_simple("cosine_similarity", "CosineSimilarity")


@LOSSES.register("huber")
class Huber(Loss):
    keras_class: ClassVar[str] = "Huber"
    delta: float = Field(1.0, gt=0)


class ProbabilisticLoss(Loss):
    from_logits: bool = Field(False, description="true when the last layer has no activation")


@LOSSES.register("binary_crossentropy", "bce")
class BinaryCrossentropy(ProbabilisticLoss):
    doc: ClassVar[str] = "binary classification: one sigmoid unit, labels 0/1"
    keras_class: ClassVar[str] = "BinaryCrossentropy"
    task: ClassVar[str] = "binary"
    last_activation: ClassVar[str] = "sigmoid"
    label_smoothing: float = Field(0.0, ge=0, le=1)


@LOSSES.register("categorical_crossentropy", "cce")
class CategoricalCrossentropy(ProbabilisticLoss):
    doc: ClassVar[str] = "multiclass: softmax over N units, one-hot labels"
    keras_class: ClassVar[str] = "CategoricalCrossentropy"
    task: ClassVar[str] = "multiclass"
    last_activation: ClassVar[str] = "softmax"
    label_smoothing: float = Field(0.0, ge=0, le=1)


@LOSSES.register("sparse_categorical_crossentropy", "scce")
class SparseCategoricalCrossentropy(ProbabilisticLoss):
    doc: ClassVar[str] = "multiclass: softmax over N units, integer labels 0..N-1"
    keras_class: ClassVar[str] = "SparseCategoricalCrossentropy"
    task: ClassVar[str] = "sparse_multiclass"
    last_activation: ClassVar[str] = "softmax"


@LOSSES.register("kl_divergence", "kld", "kullback_leibler_divergence")
class KLDivergence(Loss):
    doc: ClassVar[str] = "multiclass with a probabilistic target: softmax over N units"
    keras_class: ClassVar[str] = "KLDivergence"
    task: ClassVar[str] = "multiclass"
    last_activation: ClassVar[str] = "softmax"


@LOSSES.register("hinge")
class Hinge(Loss):
    keras_class: ClassVar[str] = "Hinge"
    task: ClassVar[str] = "binary"
    last_activation: ClassVar[str | None] = None


LossRef = LOSSES.ref
