"""Image augmentation layers: active while training only, identity at inference."""

from typing import ClassVar, Literal

from pydantic import Field

from .base import LAYERS, Layer, expect_rank

FactorT = float | list[float]


class Augment(Layer):
    families: ClassVar = frozenset({"augmentation"})
    example: ClassVar = {"params": {}, "input": [8, 8, 3]}
    seed: int | None = None

    def output_shape(self, shapes):
        return expect_rank(shapes, 3, "an image (height, width, channels)")


@LAYERS.register("random_flip")
class RandomFlip(Augment):
    keras_class: ClassVar[str] = "RandomFlip"
    positional: ClassVar[str] = "mode"
    mode: Literal["horizontal", "vertical", "horizontal_and_vertical"] = "horizontal_and_vertical"


@LAYERS.register("random_rotation")
class RandomRotation(Augment):
    doc: ClassVar[str] = "rotates by up to factor * 360 degrees"
    keras_class: ClassVar[str] = "RandomRotation"
    example: ClassVar = {"params": {"factor": 0.1}, "input": [8, 8, 3]}
    positional: ClassVar[str] = "factor"
    factor: FactorT
    fill_mode: Literal["reflect", "wrap", "constant", "nearest"] = "reflect"


@LAYERS.register("random_zoom")
class RandomZoom(Augment):
    keras_class: ClassVar[str] = "RandomZoom"
    example: ClassVar = {"params": {"height_factor": 0.1}, "input": [8, 8, 3]}
    positional: ClassVar[str] = "height_factor"
    height_factor: FactorT
    width_factor: FactorT | None = None
    fill_mode: Literal["reflect", "wrap", "constant", "nearest"] = "reflect"


@LAYERS.register("random_translation")
class RandomTranslation(Augment):
    keras_class: ClassVar[str] = "RandomTranslation"
    example: ClassVar = {"params": {"height_factor": 0.1, "width_factor": 0.1}, "input": [8, 8, 3]}
    height_factor: FactorT
    width_factor: FactorT
    fill_mode: Literal["reflect", "wrap", "constant", "nearest"] = "reflect"


@LAYERS.register("random_contrast")
class RandomContrast(Augment):
    keras_class: ClassVar[str] = "RandomContrast"
    example: ClassVar = {"params": {"factor": 0.2}, "input": [8, 8, 3]}
    positional: ClassVar[str] = "factor"
    factor: FactorT = Field(...)
