"""The spec language, format 1: the top-level sections and their fields."""
from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from ..catalog.callbacks import CallbackRef
from ..catalog.layers import LayerRef
from ..catalog.losses import LossRef
from ..catalog.metrics import MetricRef
from ..catalog.optimizers import OptimizerRef
from ..data.preprocess import StepRef
from ..data.sources import SourceRef
from .base import Strict

FORMAT_VERSION = 1
Shape = list[int | None]


class SplitSpec(Strict):
    validation: float = Field(0.2, ge=0, lt=1, description="fraction held out for validation")
    test: float | None = Field(
        0.2, ge=0, lt=1,
        description="fraction held out for testing; null uses the source's own test split")
    stratify: bool | Literal["auto"] = Field(
        "auto", description="keep class proportions in every split (auto: for class labels)")
    shuffle: bool = True

    @model_validator(mode="after")
    def _room_left(self):
        if (self.test or 0) + self.validation >= 1:
            raise ValueError("validation + test must leave some data for training")
        return self


class DataSpec(Strict):
    source: SourceRef = Field(..., description="where the examples come from")
    preprocess: list[StepRef] = Field(default_factory=list,
                                      description="ordered steps, fit on the training split")
    split: SplitSpec = Field(default_factory=SplitSpec)


class ModelSpec(Strict):
    input: Shape | dict[str, Shape] = Field(
        ..., description="shape of one example, e.g. [28, 28, 1]; or name -> shape")
    layers: list[LayerRef] = Field(..., min_length=1)
    outputs: list[str] | None = Field(None, description="output layer names (default: the last)")

    @field_validator("input")
    @classmethod
    def _positive(cls, v):
        shapes = v.values() if isinstance(v, dict) else [v]
        for s in shapes:
            if not s or any(d is not None and d <= 0 for d in s):
                raise ValueError("an input shape is a list of positive sizes, e.g. [28, 28, 1]")
        return v

    @field_validator("outputs", mode="before")
    @classmethod
    def _one_output(cls, v):
        return [v] if isinstance(v, str) else v

    def input_shapes(self) -> dict[str, tuple]:
        if isinstance(self.input, dict):
            return {k: tuple(v) for k, v in self.input.items()}
        return {"input": tuple(self.input)}


class TrainSpec(Strict):
    loss: LossRef = Field(..., description="what training minimises")
    optimizer: OptimizerRef = Field("adam", description="how the weights are updated")
    metrics: list[MetricRef] = Field(default_factory=list)
    epochs: int = Field(10, ge=1, le=100_000)
    batch_size: int = Field(32, ge=1)
    callbacks: list[CallbackRef] = Field(default_factory=list)
    shuffle: bool = True


class Spec(Strict):
    kspec: Literal[1] = Field(FORMAT_VERSION, description="spec format version")
    name: str = Field(..., pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
                      description="short name; runs are saved as runs/<name>-<time>")
    description: str = ""
    seed: int = Field(42, ge=0, description="seeds weights, splits and shuffling")
    task: Literal["supervised"] = "supervised"
    data: DataSpec
    model: ModelSpec
    train: TrainSpec
