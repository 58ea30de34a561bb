"""diffusion: a denoising diffusion probabilistic model, DDPM (L33).

Forward: x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps, with abar_t the product of
(1 - beta_s) over the noise schedule (linear or cosine). The network (`model:`,
inputs: the noisy example and `t`, the step, usually through a `time_embedding`
layer) learns to predict eps (mean squared error). Sampling is ancestral: start
from pure noise and remove the predicted noise step by step, T network calls.
"""
from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from .trainer import Trainer
from ...catalog.optimizers import OptimizerRef
from ...core.keras_env import keras, tf
from ..base import TASKS
from .common import GenerativeTask, GenerativeTrain, Roles, shown
from .sampler import Sampler

STEP = "t"


class DiffusionTrain(GenerativeTrain):
    optimizer: OptimizerRef = "adam"
    timesteps: int = Field(1000, ge=2, le=10_000, description="T, the number of noise steps")
    schedule: Literal["linear", "cosine"] = Field(
        "linear", description="linear betas from beta_start to beta_end (DDPM), or the "
                              "cosine schedule of Nichol & Dhariwal (2021)")
    beta_start: float = Field(0.0001, gt=0, lt=1, description="linear schedule: first beta")
    beta_end: float = Field(0.02, gt=0, lt=1, description="linear schedule: last beta")

    @model_validator(mode="after")
    def _ordered(self):
        if self.schedule == "linear" and self.beta_start >= self.beta_end:
            raise ValueError("beta_start must be smaller than beta_end")
        return self


def betas(train) -> np.ndarray:
    """The noise schedule: beta_t for t = 0..T-1 (float64)."""
    T = train.timesteps
    if train.schedule == "linear":
        return np.linspace(train.beta_start, train.beta_end, T, dtype="float64")
    s = 0.008
    f = np.cos(((np.arange(T + 1) / T) + s) / (1 + s) * math.pi / 2) ** 2
    abar = f / f[0]
    return np.clip(1 - abar[1:] / abar[:-1], 0, 0.999)


def default_sample_every(epochs: int) -> int:
    return max(1, epochs // 10)


@TASKS.register
class Diffusion(GenerativeTask):
    name = "diffusion"
    example = "digits_diffusion"
    doc = ("DDPM: a denoiser with a time embedding learns to predict the noise added at step "
           "t; samples by ancestral sampling from pure noise")
    train_schema = DiffusionTrain
    default_sample_every = staticmethod(default_sample_every)

    def check(self, spec, plans, info, report):
        r = Roles(self, plans, report)
        t_shape = r.named_input("model", STEP, "the diffusion step, shape [1]")
        if t_shape is not None and tuple(t_shape) != (1,):
            report.error(r.path("model", "input", STEP), f"the step t is one number per example: "
                         f"[1], not {shown(t_shape)}")
        others = [(n, s) for n, s in plans["model"].inputs.items() if n != STEP]
        if len(others) != 1:
            report.error(r.path("model", "input"), "the denoiser takes two inputs: the noisy "
                         f"example and '{STEP}'; write input: {{x: [...], {STEP}: [1]}}")
            return
        name, shape = others[0]
        r.takes_data("model", name, shape, info.x_shape)
        out = r.output("model")
        if out is not None and tuple(out) != tuple(shape):
            report.error(r.output_path("model"), f"the denoiser predicts the noise added to its "
                         f"input, so it outputs the input's shape {shown(shape)}, not "
                         f"{shown(out)}; end it with that shape (e.g. - dense: {shape[-1]})")
        abar_T = float(np.prod(1 - betas(spec.train)))
        if abar_T > 0.01:
            report.warn(("train", "timesteps"), f"after {spec.train.timesteps} steps "
                        f"{math.sqrt(abar_T):.0%} of the signal is left (sqrt of alpha-bar_T), so "
                        "sampling does not start from pure noise; raise beta_end or timesteps, "
                        "or use schedule: cosine")

    def data_input(self, plans):
        return "model", next(n for n in plans["model"].inputs if n != STEP)

    def make_trainer(self, spec, nets, plans, data):
        return DiffusionTrainer(spec, nets, plans, data)

    def make_sampler(self, spec, nets, plans, meta):
        return DiffusionSampler(spec, nets, plans, meta)


class Schedule:
    def __init__(self, train):
        self.beta = betas(train)
        self.alpha = 1 - self.beta
        self.abar = np.cumprod(self.alpha)
        self.T = len(self.beta)

    def coefficients(self, i: int) -> np.ndarray:
        """Step i's numbers: x_0 from (x_t, eps), then the posterior mean's weights of
        x_0 and x_t, and its standard deviation (DDPM, eq. 6-7)."""
        abar, beta, alpha = self.abar[i], self.beta[i], self.alpha[i]
        prev = self.abar[i - 1] if i > 0 else 1.0
        return np.array([math.sqrt(1 - abar), 1 / math.sqrt(abar),
                         math.sqrt(prev) * beta / (1 - abar),
                         math.sqrt(alpha) * (1 - prev) / (1 - abar),
                         math.sqrt(beta * (1 - prev) / (1 - abar))], dtype="float32")


class DiffusionSampler(Sampler):
    def __init__(self, spec, nets, plans, meta):
        super().__init__(spec, nets, plans, meta)
        self.x_name = next(n for n in plans["model"].inputs if n != STEP)
        self.latent_shape = tuple(plans["model"].inputs[self.x_name])
        self.schedule = Schedule(spec.train)
        low, high = meta["x0_range"]
        model = nets["model"]
        t = tf()

        def step(x, t_col, z, c):
            """One reverse step: predict the noise, hence x_0 (clipped to the data's range,
            which keeps early, very noisy steps from overshooting), then draw x_{t-1}
            from the forward process' posterior q(x_{t-1} | x_t, x_0)."""
            eps = model({self.x_name: x, STEP: t_col}, training=False)
            x0 = t.clip_by_value((x - c[0] * eps) * c[1], low, high)
            return c[2] * x0 + c[3] * x + c[4] * z

        self._step = t.function(step, reduce_retracing=True)

    def sample(self, n, seed, labels=None, temperature=1.0):
        return self.decode(self.latent(n, seed, temperature), seed=seed)

    def decode(self, z, labels=None, seed=0):
        """Ancestral sampling from x_T = z; the per-step noise comes from `seed`, so the
        same z and seed give the same example."""
        s, t = self.schedule, tf()
        rng = np.random.default_rng([seed, 1])
        x = t.constant(z, dtype="float32")
        for i in reversed(range(s.T)):
            noise = rng.standard_normal(z.shape).astype("float32") if i > 0 else np.zeros_like(z)
            x = self._step(x, t.fill((len(z), 1), float(i)), noise, s.coefficients(i))
        return x.numpy()


class DiffusionTrainer(Trainer):
    has_eval = True

    def __init__(self, spec, nets, plans, data):
        t = tf()
        self.spec, self.model = spec, nets["model"]
        x = data.splits["train"][0]
        self.x0_range = [float(x.min()), float(x.max())]
        self._sampler = DiffusionSampler(spec, nets, plans, {"x0_range": self.x0_range})
        self.x_name = self._sampler.x_name
        s = self._sampler.schedule
        self.sqrt_abar = t.constant(np.sqrt(s.abar), dtype="float32")
        self.sqrt_1m_abar = t.constant(np.sqrt(1 - s.abar), dtype="float32")
        self.T = s.T
        self.compile_single_network(spec)

    def _loss(self, x0, seed, training):
        t, k = tf(), keras()
        n = t.shape(x0)[0]
        steps = k.random.randint((n,), 0, self.T, seed=seed)
        eps = k.random.normal(t.shape(x0), seed=seed)
        rank = len(x0.shape) - 1
        a = t.reshape(t.gather(self.sqrt_abar, steps), (-1,) + (1,) * rank)
        b = t.reshape(t.gather(self.sqrt_1m_abar, steps), (-1,) + (1,) * rank)
        noisy = a * x0 + b * eps
        t_col = t.cast(t.reshape(steps, (-1, 1)), "float32")
        pred = self.model({self.x_name: noisy, STEP: t_col}, training=training)
        return t.reduce_mean(t.square(eps - pred))

    def _train_step(self, x0):
        t = tf()
        with t.GradientTape() as tape:
            loss = self._loss(x0, self.noise, True)
            total = loss + sum(self.model.losses)
        grads = tape.gradient(total, self.model.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.model.trainable_variables))
        return {"loss": loss}

    def _eval_step(self, x0):
        return {"loss": self._loss(x0, self.eval_noise, False)}

    def meta(self, data):
        return {"x0_range": self.x0_range}

