"""What is known about a data set before loading it (for validate and lint)."""
from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class DataInfo:
    x_shape: tuple | None  # per example; None = not known without loading
    labels: str | None  # "integer" (class ids), "one_hot", "continuous", None = unknown
    n_classes: int | None = None
    x_dtype: str = "float32"

    def with_(self, **kw) -> "DataInfo":
        return replace(self, **kw)
