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

    def compile_single_network(self, spec):
        """Optimizer, seeded noise and compiled steps of a one-network task (diffusion,
        flow), whose `_train_step` / `_eval_step` draw their noise from these seeds."""
        from ...core.keras_env import keras, tf
        k, t = keras(), tf()
        self.optimizer = spec.train.optimizer.build()
        self.optimizer.build(self.model.trainable_variables)
        self.noise = k.random.SeedGenerator(spec.seed)
        self.eval_noise = k.random.SeedGenerator(spec.seed + 1)
        self.train_step = t.function(self._train_step, reduce_retracing=True)
        self.eval_step = t.function(self._eval_step, reduce_retracing=True)

    def arrays(self, data, part):
        """(input, target) of a split; one-network generative tasks have no target."""
        return data.splits[part][0], None
