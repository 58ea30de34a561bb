"""The base of every generative trainer (kept apart from loop.py so that validating
a spec does not import the training machinery)."""
from __future__ import annotations


class Trainer:
    """What every generative trainer answers, with the defaults most of them need.
    Subclasses set up their networks and steps and override what they add."""

    _sampler = None

    def sampler(self):
        return self._sampler

    def meta(self, data) -> dict:
        """Extra facts saved in generative.json for later sampling."""
        return {}

    def final_metrics(self, data, original) -> dict:
        """Baselines or statistics added to metrics.json after training."""
        return {}

    def write_artifacts(self, run, data, original):
        """Task-specific files (e.g. originals vs reconstructions)."""
