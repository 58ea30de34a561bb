"""What is known about a data set before loading it (for validate and lint)."""
from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class DataInfo:
    x_shape: tuple | None  # per example; None = not known without loading
    # "integer" (class ids), "one_hot", "continuous", "input" (the target is an
    # image/array made from the input, as in autoencoders), None = unknown
    labels: str | None
    n_classes: int | None = None
    x_dtype: str = "float32"
    y_shape: tuple | None = None  # per example, where known (e.g. a forecast horizon)
    x_max: int | None = None  # the largest input value, where validate read it (token ids)
    # several outputs: output name -> DataInfo of its target (labels, n_classes, y_shape)
    targets: dict | None = None

    def with_(self, **kw) -> "DataInfo":
        return replace(self, **kw)
