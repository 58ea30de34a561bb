"""Scaling steps: scale, standardize, min_max, clip, fill_missing.

`apply_to` says what gets scaled: the input (default), the target (a regression
target in large units) or both with the same statistics (a series whose windows
and next values are the same quantity). Statistics come from the training split.
With several series side by side (windows [n, window, columns] from a multivariate
`timeseries`), `both` scales each column on its own statistics and the target on
the target's: temperature and pressure never share one scale.
"""

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from .base import STEPS, Step, StepError, need_target

ApplyTo = Literal["input", "target", "both"]


class Affine(Step):
    """x -> (x - shift) / factor, with shift and factor from `stats`."""

    apply_to: ApplyTo = Field("input", description="input, target, or both (same statistics)")

    def stats(self, values, axis) -> dict:
        raise NotImplementedError

    def fit(self, x, y):
        import numpy as np
        if self.apply_to == "input":
            return self.stats(np.asarray(x, "float32"), 0)
        if self.apply_to == "target":
            return self.stats(np.asarray(need_target(y, self.kind), "float32"), 0)
        x = np.asarray(x, "float32")
        if x.ndim == 3 and x.shape[-1] > 1 and y is not None:  # several series, one target
            columns = self.stats(x.reshape(-1, x.shape[-1]), 0)  # one pair per column
            target = self.stats(np.asarray(y, "float32"), None)
            return {**columns, "target_shift": target["shift"], "target_factor": target["factor"]}
        return self.stats(x, None)  # both: one scalar pair

    def forward(self, v, state, target=False):
        import numpy as np
        key = "target_" if target and "target_shift" in state else ""
        shift = np.asarray(state[key + "shift"], "float32")
        return ((np.asarray(v, "float32") - shift) / np.asarray(state[key + "factor"], "float32"))

    def apply(self, x, y, state, rng=None):
        if self.apply_to in ("input", "both"):
            x = self.forward(x, state)
        if self.apply_to in ("target", "both") and y is not None:
            y = self.forward(y, state, target=True)
        return x, y

    def changes_target(self):
        return self.apply_to != "input"

    def invert_target(self, y, state):
        import numpy as np
        if self.apply_to == "input":
            return y
        key = "target_" if "target_shift" in state else ""
        return (y * np.asarray(state[key + "factor"]) + np.asarray(state[key + "shift"])
                ).astype("float32")

    def info(self, info):
        return info.with_(x_dtype="float32") if self.apply_to != "target" else info


def _nonzero(v):
    import numpy as np
    return np.where(v > 0, v, 1.0)


@STEPS.register("scale")
class Scale(Affine):
    doc: ClassVar[str] = "divide by a constant (e.g. 255 for pixels, 16 for sklearn digits)"
    positional: ClassVar[str] = "by"
    by: float = Field(..., gt=0)
    offset: float = Field(0.0, description="subtracted first: (x - offset) / by")

    def fit(self, x, y):
        return {"shift": self.offset, "factor": self.by}


@STEPS.register("standardize")
class Standardize(Affine):
    doc: ClassVar[str] = "(x - mean) / std per feature, statistics from the training split"

    def stats(self, values, axis):
        import numpy as np
        std = np.nanstd(values, axis=axis, dtype="float64")
        return {"shift": np.nanmean(values, axis=axis, dtype="float64").tolist(), "factor": _nonzero(std).tolist()}


@STEPS.register("min_max")
class MinMax(Affine):
    doc: ClassVar[str] = "map each feature to [0, 1] (or feature_range) with the training " \
                         "split's min and max"
    feature_range: list[float] = Field([0.0, 1.0], min_length=2, max_length=2)

    @model_validator(mode="after")
    def _ordered(self):
        if self.feature_range[0] >= self.feature_range[1]:
            raise ValueError("feature_range is [low, high] with low < high")
        return self

    def stats(self, values, axis):
        import numpy as np
        lo = np.nanmin(values, axis=axis).astype("float64")
        hi = np.nanmax(values, axis=axis).astype("float64")
        a, b = self.feature_range
        # (v - lo) / (hi - lo) * (b - a) + a  ==  (v - shift) / factor
        factor = _nonzero(hi - lo) / (b - a)
        return {"shift": (lo - a * factor).tolist(), "factor": np.asarray(factor).tolist()}


@STEPS.register("clip")
class Clip(Step):
    doc: ClassVar[str] = "limit input values to [min, max]"
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _some_bound(self):
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min must not be larger than max")
        return self

    def apply(self, x, y, state, rng=None):
        import numpy as np
        return np.clip(x, self.min, self.max), y


@STEPS.register("fill_missing")
class FillMissing(Step):
    doc: ClassVar[str] = "replace missing inputs (NaN) with the training split's mean or " \
                         "median per feature, or a constant"
    positional: ClassVar[str] = "strategy"
    strategy: Literal["mean", "median", "constant"] = "mean"
    value: float = Field(0.0, description="the constant, for strategy: constant")

    def fit(self, x, y):
        import numpy as np
        x = x.astype("float64")
        if self.strategy == "constant":
            fill = np.full(x.shape[1:], self.value)
        else:
            fill = (np.nanmean if self.strategy == "mean" else np.nanmedian)(x, axis=0)
            if np.isnan(fill).any():
                raise StepError("a feature has no value at all in the training split; "
                                "use strategy: constant")
        return {"fill": fill.tolist()}

    def apply(self, x, y, state, rng=None):
        import numpy as np
        fill = np.broadcast_to(np.asarray(state["fill"], dtype="float32"), x.shape)
        return np.where(np.isnan(x), fill, x).astype("float32"), y
