"""Metrics by name (passed to Keras as its own metric objects)."""

from typing import ClassVar

from pydantic import Field

from ..core.keras_env import keras
from ..core.base import Catalog, Entry

METRICS = Catalog("metric", "accuracy or auc: {num_thresholds: 200}")


class Metric(Entry):
    keras_class: ClassVar[str] = ""

    def build(self):
        if not self.keras_class:
            return self.kind  # Keras picks the right accuracy for the loss
        return getattr(keras().metrics, self.keras_class)(name=self.kind, **self.model_dump())


def _simple(kind, keras_class, *aliases):
    cls = type(f"Metric_{kind}", (Metric,), {"keras_class": keras_class, "__module__": __name__})
    return METRICS.add(kind, cls, *aliases)


_simple("accuracy", "", "acc")
_simple("binary_accuracy", "BinaryAccuracy")
_simple("categorical_accuracy", "CategoricalAccuracy")
_simple("sparse_categorical_accuracy", "SparseCategoricalAccuracy")
_simple("mean_squared_error", "MeanSquaredError", "mse")
_simple("mean_absolute_error", "MeanAbsoluteError", "mae")
_simple("root_mean_squared_error", "RootMeanSquaredError", "rmse")
_simple("mean_absolute_percentage_error", "MeanAbsolutePercentageError", "mape")
_simple("precision", "Precision")
_simple("recall", "Recall")
_simple("auc", "AUC")
_simple("r2_score", "R2Score", "r2")


@METRICS.register("top_k_categorical_accuracy", "top_k")
class TopK(Metric):
    keras_class: ClassVar[str] = "TopKCategoricalAccuracy"
    k: int = Field(5, gt=0)


@METRICS.register("sparse_top_k_categorical_accuracy", "sparse_top_k")
class SparseTopK(Metric):
    keras_class: ClassVar[str] = "SparseTopKCategoricalAccuracy"
    k: int = Field(5, gt=0)


MetricRef = METRICS.ref
