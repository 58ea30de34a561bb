"""supervised: one network, inputs -> labels (classification, regression, ...)."""
from __future__ import annotations

from ..spec.schema import TrainSpec
from .base import TASKS, Task


@TASKS.register
class Supervised(Task):
    name = "supervised"
    doc = "one model learns to map inputs to labels (classification or regression)"
    train_schema = TrainSpec

    def check(self, spec, plans, info, report):
        from ..spec.check import check_data_vs_model
        from ..spec.lint import lint
        check_data_vs_model(info, plans["model"], report)
        if not report.errors:
            lint(spec, plans["model"], info, report)

    def train(self, loaded, out=None, epochs=None, verbose=None):
        from ..train.supervised import train
        return train(loaded, out=out, epochs=epochs, verbose=verbose)
