"""Preprocessing steps (`data.preprocess`), fit on the training split only.

Each step: `fit` learns its statistics from training data (a JSON-able state
saved with the run, so prediction reuses them), `apply` transforms x and/or y,
`info` says statically what the step does to shapes and labels.
"""
from .base import STEPS, Step, StepError  # lazy: scaling, shape, targets (catalog/index.py)

StepRef = STEPS.ref

__all__ = ["STEPS", "Step", "StepError", "StepRef"]
