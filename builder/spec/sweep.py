"""The `sweep:` section: kspec sweep's search space and how it searches (README "Sweeps").

One flat mapping: a dotted key (train.batch_size) maps to the values to try (a list)
or to a range ({low, high, log}); the few names below that are not spec keys set
how the sweep runs. The flat form keeps `sweep: {train.batch_size: [8, 16]}`, the
first form of the section, valid as it is. Keras-free, Optuna-free: validate only
reads it; builder/run/study.py turns it into an Optuna study.
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field, model_validator

from ..core.base import Strict, did_you_mean, fail

# a dotted key starts at one of these (the spec's own sections); `sweep` itself is left out
SPEC_KEYS = ("seed", "data", "model", "models", "train", "task", "description", "lectures")


class SweepRange(Strict):
    """A range for random and tpe: integers when low and high both are, else floats."""
    low: int | float = Field(..., description="smallest value")
    high: int | float = Field(..., description="largest value")
    log: bool = Field(False, description="sample on a log scale (learning rates)")

    @model_validator(mode="after")
    def _ordered(self):
        if not self.low < self.high:
            fail("range", f"low ({self.low}) must be below high ({self.high})")
        if self.log and self.low <= 0:
            fail("range", "a log range needs low > 0")
        return self

    def is_int(self) -> bool:
        return isinstance(self.low, int) and isinstance(self.high, int)


class MedianParams(Strict):
    startup_trials: int = Field(2, ge=0, description="finished trials before any is pruned")
    warmup_epochs: int = Field(1, ge=0, description="epochs of each trial never judged")
    interval: int = Field(1, ge=1, description="judge every this many epochs")


class PercentileParams(MedianParams):
    percentile: float = Field(25.0, gt=0, lt=100,
                              description="prune below this percentile (25: the worst quarter)")


class MedianPruner(Strict):
    median: MedianParams = Field(default_factory=MedianParams,
                                 description="prune a trial whose best epoch so far is worse "
                                             "than the median of earlier trials at that epoch")


class PercentilePruner(Strict):
    percentile: PercentileParams = Field(default_factory=PercentileParams,
                                         description="like median, at another percentile")


Pruner = Literal["none", "median", "percentile"] | MedianPruner | PercentilePruner
Values = list[Any] | SweepRange


class SweepSpec(Strict):
    """Settings by name; every other key is a dotted key -> list of values or a range."""
    # extras are the search space (typed, so the JSON schema describes them too)
    model_config = ConfigDict(extra="allow", validate_default=True, defer_build=True)
    __pydantic_extra__: dict[str, Values] = Field(init=False)

    sampler: Literal["grid", "random", "tpe"] | None = Field(
        None, description="grid: every combination (default); random: seeded draws; tpe: "
                          "Optuna's model-based sampler, which learns from finished trials")
    trials: int | None = Field(None, ge=1, description="how many trials (grid: default every "
                                                       "combination; random, tpe: default 10)")
    metric: str | None = Field(None, description="the logged value that ranks trials "
                                                 "(history.csv column; default val_loss)")
    direction: Literal["minimize", "maximize"] | None = Field(
        None, description="default: minimize a loss or error, maximize anything else")
    pruner: Pruner = Field("median", description="stop weak trials early from their "
                                                 "per-epoch metric; none: train every trial out")

    @model_validator(mode="before")
    @classmethod
    def _space_keys(cls, data):
        # before the values: a misspelt setting is named as such, not as a bad search space
        for key, values in (data.items() if isinstance(data, dict) else ()):
            if key in cls.model_fields:
                continue
            if str(key).split(".")[0] not in SPEC_KEYS:
                settings = list(cls.model_fields)
                fail("unknown_key", f"unknown key '{key}'{did_you_mean(str(key), settings)}; "
                     f"the section takes {', '.join(settings)} and dotted spec keys "
                     "(e.g. train.batch_size: [32, 64])")
            if isinstance(values, list) and not values:
                fail("empty", f"{key}: give at least one value")
        return data

    def space(self) -> dict:
        """dotted key -> list of values or SweepRange, in the order written."""
        return dict(self.__pydantic_extra__ or {})
