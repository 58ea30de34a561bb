"""Initializers, regularizers and constraints: the parameters of a layer's weights."""

from typing import ClassVar

from pydantic import Field

from ..core.keras_env import keras
from ..core.base import Catalog, Entry

INITIALIZERS = Catalog("initializer", "he_normal or random_normal: {stddev: 0.05}")
REGULARIZERS = Catalog("regularizer", "l2: 0.001")
CONSTRAINTS = Catalog("constraint", "max_norm: 3")


class KerasObject(Entry):
    """An entry built as ``keras.<module>.<class>(**params)``."""

    module: ClassVar[str] = ""
    keras_class: ClassVar[str] = ""

    def build(self):
        k = keras()
        return getattr(getattr(k, self.module), self.keras_class)(**self.model_dump())


class Initializer(KerasObject):
    module: ClassVar[str] = "initializers"


class SeededInitializer(Initializer):
    seed: int | None = None


def _init(kind, keras_class, base=SeededInitializer, **fields):
    annotations = {k: type(v) if v is not None else float | None for k, v in fields.items()}
    cls = type(f"Init_{kind}", (base,), {"__annotations__": annotations, **fields,
                                         "keras_class": keras_class, "__module__": __name__})
    return INITIALIZERS.add(kind, cls)


_init("zeros", "Zeros", base=Initializer)
_init("ones", "Ones", base=Initializer)
_init("glorot_uniform", "GlorotUniform")
_init("glorot_normal", "GlorotNormal")
_init("he_normal", "HeNormal")
_init("he_uniform", "HeUniform")
_init("lecun_normal", "LecunNormal")
_init("lecun_uniform", "LecunUniform")
_init("random_normal", "RandomNormal", mean=0.0, stddev=0.05)
_init("random_uniform", "RandomUniform", minval=-0.05, maxval=0.05)
_init("truncated_normal", "TruncatedNormal", mean=0.0, stddev=0.05)
_init("orthogonal", "Orthogonal", gain=1.0)
_init("identity", "Identity", base=Initializer, gain=1.0)


@INITIALIZERS.register("constant")
class Constant(Initializer):
    """Every weight starts at `value` (the lectures' 'W initialised to 3')."""
    keras_class: ClassVar[str] = "Constant"
    positional: ClassVar[str] = "value"
    value: float = 0.0


class Regularizer(KerasObject):
    module: ClassVar[str] = "regularizers"


@REGULARIZERS.register("l1")
class L1(Regularizer):
    keras_class: ClassVar[str] = "L1"
    positional: ClassVar[str] = "l1"
    l1: float = Field(0.01, ge=0)


@REGULARIZERS.register("l2")
class L2(Regularizer):
    """Adds l2 * sum(w^2) to the loss: weight decay, the lectures' L2 penalty."""
    keras_class: ClassVar[str] = "L2"
    positional: ClassVar[str] = "l2"
    l2: float = Field(0.01, ge=0)


@REGULARIZERS.register("l1_l2")
class L1L2(Regularizer):
    keras_class: ClassVar[str] = "L1L2"
    l1: float = Field(0.0, ge=0)
    l2: float = Field(0.0, ge=0)


class Constraint(KerasObject):
    module: ClassVar[str] = "constraints"


@CONSTRAINTS.register("max_norm")
class MaxNorm(Constraint):
    keras_class: ClassVar[str] = "MaxNorm"
    positional: ClassVar[str] = "max_value"
    max_value: float = Field(2.0, gt=0)
    axis: int = 0


@CONSTRAINTS.register("min_max_norm")
class MinMaxNorm(Constraint):
    keras_class: ClassVar[str] = "MinMaxNorm"
    min_value: float = 0.0
    max_value: float = 1.0
    rate: float = 1.0
    axis: int = 0


@CONSTRAINTS.register("non_neg")
class NonNeg(Constraint):
    keras_class: ClassVar[str] = "NonNeg"


@CONSTRAINTS.register("unit_norm")
class UnitNorm(Constraint):
    keras_class: ClassVar[str] = "UnitNorm"
    axis: int = 0


InitializerRef = INITIALIZERS.ref
RegularizerRef = REGULARIZERS.ref
ConstraintRef = CONSTRAINTS.ref
OptionalInitializer = INITIALIZERS.optional
OptionalRegularizer = REGULARIZERS.optional
OptionalConstraint = CONSTRAINTS.optional
