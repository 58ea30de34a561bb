"""Optimizers and learning-rate schedules."""

from typing import ClassVar

from pydantic import Field

from ..core.keras_env import keras
from ..core.base import Catalog, Entry

OPTIMIZERS = Catalog("optimizer", "adam or adam: {learning_rate: 0.001}")
SCHEDULES = Catalog("schedule", "exponential_decay: {initial_learning_rate: 0.01, decay_steps: 1000, decay_rate: 0.9}")


class Schedule(Entry):
    keras_class: ClassVar[str] = ""

    def build(self):
        return getattr(keras().optimizers.schedules, self.keras_class)(**self.model_dump())


@SCHEDULES.register("exponential_decay", "exponential")
class ExponentialDecay(Schedule):
    doc: ClassVar[str] = "lr = initial * decay_rate ^ (step / decay_steps)"
    keras_class: ClassVar[str] = "ExponentialDecay"
    initial_learning_rate: float = Field(..., gt=0)
    decay_steps: int = Field(..., gt=0)
    decay_rate: float = Field(..., gt=0)
    staircase: bool = False


@SCHEDULES.register("cosine_decay", "cosine")
class CosineDecay(Schedule):
    keras_class: ClassVar[str] = "CosineDecay"
    initial_learning_rate: float = Field(..., gt=0)
    decay_steps: int = Field(..., gt=0)
    alpha: float = Field(0.0, ge=0)
    warmup_steps: int = Field(0, ge=0)
    warmup_target: float | None = None


@SCHEDULES.register("piecewise_constant_decay", "piecewise")
class PiecewiseConstantDecay(Schedule):
    doc: ClassVar[str] = "lr = values[i] between boundaries[i-1] and boundaries[i] (steps)"
    keras_class: ClassVar[str] = "PiecewiseConstantDecay"
    boundaries: list[int]
    values: list[float]

    def model_post_init(self, _):
        if len(self.values) != len(self.boundaries) + 1:
            raise ValueError("piecewise needs one more value than boundaries")


ScheduleRef = SCHEDULES.ref


class Optimizer(Entry):
    keras_class: ClassVar[str] = ""
    learning_rate: float | ScheduleRef = Field(0.001, description="a number or a schedule")
    clipnorm: float | None = None
    clipvalue: float | None = None

    def build(self):
        kwargs = {k: v for k, v in self.model_dump().items() if v is not None}
        if isinstance(self.learning_rate, Schedule):
            kwargs["learning_rate"] = self.learning_rate.build()
        return getattr(keras().optimizers, self.keras_class)(**kwargs)

    @property
    def lr_value(self):
        return self.learning_rate if isinstance(self.learning_rate, float) else None


@OPTIMIZERS.register("sgd")
class SGD(Optimizer):
    doc: ClassVar[str] = "plain gradient descent, with optional momentum"
    keras_class: ClassVar[str] = "SGD"
    learning_rate: float | ScheduleRef = 0.01
    momentum: float = Field(0.0, ge=0, le=1)
    nesterov: bool = False


@OPTIMIZERS.register("rmsprop")
class RMSprop(Optimizer):
    keras_class: ClassVar[str] = "RMSprop"
    rho: float = 0.9
    momentum: float = 0.0


@OPTIMIZERS.register("adam")
class Adam(Optimizer):
    keras_class: ClassVar[str] = "Adam"
    beta_1: float = 0.9
    beta_2: float = 0.999
    epsilon: float = 1e-7
    amsgrad: bool = False


@OPTIMIZERS.register("adamw")
class AdamW(Adam):
    keras_class: ClassVar[str] = "AdamW"
    weight_decay: float = 0.004


@OPTIMIZERS.register("nadam")
class Nadam(Optimizer):
    keras_class: ClassVar[str] = "Nadam"
    beta_1: float = 0.9
    beta_2: float = 0.999


@OPTIMIZERS.register("adagrad")
class Adagrad(Optimizer):
    keras_class: ClassVar[str] = "Adagrad"
    initial_accumulator_value: float = 0.1


@OPTIMIZERS.register("adadelta")
class Adadelta(Optimizer):
    doc: ClassVar[str] = "adapts the step size per weight; the autoencoder lecture uses it"
    keras_class: ClassVar[str] = "Adadelta"
    learning_rate: float | ScheduleRef = 1.0
    rho: float = 0.95


OptimizerRef = OPTIMIZERS.ref
