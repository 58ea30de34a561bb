"""`data.augment`: random image changes applied to training batches only.

The entries are the augmentation layers of the layer catalog (one class per idea:
the same `random_flip` can sit in `model.layers` or here). Here they run inside
the tf.data pipeline of the training split, so validation, test and saved models
never see them.
"""
from __future__ import annotations

from ..core.base import Catalog, fail


class _AugmentCatalog(Catalog):
    """The augmentation layers, taken from the layer catalog on first use (a spec
    without `augment:` never imports them)."""

    def load_all(self):
        if not self._entries:
            from ..catalog.layers.augment import (RandomContrast, RandomFlip, RandomRotation,
                                                  RandomTranslation, RandomZoom)
            for cls in (RandomFlip, RandomRotation, RandomZoom, RandomTranslation, RandomContrast):
                self.add(cls.kind, cls)

    def lookup(self, name):
        self.load_all()
        return super().lookup(name)

    def parse(self, value):
        entry = super().parse(value)
        if entry.inputs is not None or entry.weights is not None or entry.name is not None:
            fail("form", f"{entry.kind} in data.augment takes only its own parameters "
                         "(no name, inputs or weights)")
        return entry


AUGMENTS = _AugmentCatalog("augmentation", "random_flip: horizontal")
AugmentRef = AUGMENTS.ref


def augmenter(entries, seed: int):
    """The augmentation entries -> one Keras Sequential (called with training=True)."""
    from ..core.keras_env import keras
    k = keras()
    layers = []
    for i, entry in enumerate(entries):
        if entry.seed is None:  # seeded from the spec: the same run augments the same way
            entry = entry.model_copy(update={"seed": seed + 1000 + i})
        layers += entry.make(f"augment_{i}_{entry.kind}")
    return k.Sequential(layers, name="augment")


def check_augment(entries, x_shape, report_error):
    """Augmentation works on images; say which entry cannot take the data's shape."""
    if x_shape is None:
        return
    from ..catalog.layers.base import ShapeError
    for i, entry in enumerate(entries):
        try:
            entry.output_shape([tuple(x_shape)])
        except ShapeError as exc:
            report_error(("data", "augment", i, entry.kind),
                         f"{exc}; augmentation needs image data (height, width, channels)")
