"""flow: a RealNVP-style normalizing flow (L34).

The model is a chain of invertible `affine_coupling` layers mapping an example x to
z. By the change of variables, log p(x) = log N(z; 0, I) + sum of each layer's
log|det| exactly, so the loss is the exact negative log-likelihood (reported per
value, in nats). Sampling inverts the chain: z ~ N(0, I) -> x. Data with discrete
values (pixels 0..16) gets uniform noise of width `dequantize` added while
training, so the density cannot collapse onto the discrete points.
"""
from __future__ import annotations

import math

from pydantic import Field

from .trainer import Trainer
from ...catalog.optimizers import OptimizerRef
from ...core.keras_env import keras, tf
from ..base import TASKS
from .common import GenerativeTask, GenerativeTrain, Roles
from .sampler import Sampler


class FlowTrain(GenerativeTrain):
    optimizer: OptimizerRef = "adam"
    dequantize: float = Field(0.0, ge=0, description=(
        "width of the uniform noise added to the (preprocessed) training data; the gap "
        "between neighbouring values, e.g. 0.0625 for digits scaled by 16; 0: none"))


@TASKS.register
class Flow(GenerativeTask):
    name = "flow"
    example = "digits_flow"
    doc = ("normalizing flow: a chain of invertible affine coupling layers, exact "
           "log-likelihood loss, samples by inverting the chain")
    train_schema = FlowTrain

    def check(self, spec, plans, info, report):
        r = Roles(self, plans, report)
        inp = r.input("model")
        if inp:
            r.takes_data("model", inp[0], inp[1], info.x_shape)
        plan = plans["model"]
        previous = next(iter(plan.inputs))
        for node in plan.nodes:
            if not getattr(node.layer, "invertible", False):
                report.error(node.path, f"{node.layer.kind} is not invertible; a flow is a chain "
                             "of invertible layers only (affine_coupling)")
            elif node.inputs != [previous]:
                report.error(node.path, "a flow is one chain: each layer takes the one above it "
                             "(no `inputs:`)")
            previous = node.name
        if plan.outputs and plan.outputs != [previous]:
            report.error(r.path("model", "outputs"), "a flow's output is its last layer")

    def data_input(self, plans):
        return "model", next(iter(plans["model"].inputs))

    def make_trainer(self, spec, nets, plans, data):
        return FlowTrainer(spec, nets, plans, data)

    def make_sampler(self, spec, nets, plans, meta):
        return FlowSampler(spec, nets, plans, meta)


def couplings(model) -> list:
    return [layer for layer in model.layers if hasattr(layer, "inverse")]


class FlowSampler(Sampler):
    can_encode = True

    def __init__(self, spec, nets, plans, meta):
        super().__init__(spec, nets, plans, meta)
        self.latent_shape = tuple(next(iter(plans["model"].inputs.values())))
        self.layers = couplings(nets["model"])
        t = tf()
        self._inverse = t.function(self._invert, reduce_retracing=True)
        self._forward = t.function(lambda x: forward(self.layers, x)[0], reduce_retracing=True)

    def _invert(self, z):
        for layer in reversed(self.layers):
            z = layer.inverse(z)
        return z

    def decode(self, z, labels=None):
        return self._inverse(tf().constant(z, dtype="float32")).numpy()

    def encode(self, x):
        return self._forward(tf().constant(x, dtype="float32")).numpy()


def forward(layers, x):
    """x -> (z, sum of log|det| per example)."""
    logdet = 0.0
    for layer in layers:
        x, ld = layer.forward(x)
        logdet = logdet + ld
    return x, logdet


class FlowTrainer(Trainer):
    has_eval = True

    def __init__(self, spec, nets, plans, data):
        self.spec, self.model = spec, nets["model"]
        self._sampler = FlowSampler(spec, nets, plans, {})
        self.layers = self._sampler.layers
        self.size = math.prod(self._sampler.latent_shape)
        self.compile_single_network(spec)

    def _nll(self, x, seed):
        """Negative log-likelihood per value (nats) of dequantized x."""
        t, k = tf(), keras()
        width = self.spec.train.dequantize
        if width:
            x = x + width * k.random.uniform(t.shape(x), seed=seed)
        z, logdet = forward(self.layers, x)
        n = t.shape(z)[0]
        flat = t.reshape(z, (n, -1))
        log_pz = -0.5 * t.reduce_sum(t.square(flat), axis=1) - 0.5 * self.size * math.log(2 * math.pi)
        return -t.reduce_mean(log_pz + logdet) / self.size

    def _train_step(self, x):
        t = tf()
        with t.GradientTape() as tape:
            loss = self._nll(x, self.noise)
            total = loss + sum(self.model.losses)
        grads = tape.gradient(total, self.model.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.model.trainable_variables))
        return {"loss": loss}

    def _eval_step(self, x):
        return {"loss": self._nll(x, self.eval_noise)}

