"""autoencoder: an encoder squeezes each example into a small code, a decoder
rebuilds the example from it (L24-L27).

The target is the input itself, unless preprocessing made another one: with
`add_noise` the input is noisy and the target clean (denoising, L26); with
`grayscale` the input is gray and the target colour (colorization, L27).
"""
from __future__ import annotations

import numpy as np
from pydantic import Field

from .trainer import Trainer
from ...catalog.losses import LossRef
from ...catalog.optimizers import OptimizerRef
from ...core.keras_env import tf
from ..base import TASKS
from .common import GenerativeTask, GenerativeTrain, Roles
from .sampler import Sampler, call


class AutoencoderTrain(GenerativeTrain):
    loss: LossRef = Field("mean_squared_error", description="reconstruction loss: mse, or "
                          "binary_crossentropy with a sigmoid output (values in 0-1)")
    optimizer: OptimizerRef = "adam"


def target_shape(info):
    """What the decoder must rebuild: the clean/colour input a step kept, else the input."""
    return info.y_shape if info.labels == "input" else info.x_shape


@TASKS.register
class Autoencoder(GenerativeTask):
    name = "autoencoder"
    example = "digits_autoencoder"
    use_commands = ("generate", "interpolate", "reconstruct", "arithmetic")
    doc = ("an encoder compresses each input into a code and a decoder rebuilds it; "
           "denoising/colorizing with add_noise/grayscale preprocessing")
    roles = ("encoder", "decoder")
    train_schema = AutoencoderTrain

    def check(self, spec, plans, info, report):
        r = Roles(self, plans, report)
        enc_in, dec_in = r.input("encoder"), r.input("decoder")
        code = r.output("encoder")
        out = r.output("decoder")
        if enc_in:
            r.takes_data("encoder", enc_in[0], enc_in[1], info.x_shape)
        if dec_in:
            r.feeds("encoder", code, "decoder", dec_in[0], dec_in[1], "a code")
        check_rebuilds(r, "decoder", out, info)

    def data_input(self, plans):
        return "encoder", next(iter(plans["encoder"].inputs))

    def make_trainer(self, spec, nets, plans, data):
        return AutoencoderTrainer(self, spec, nets, plans, data)

    def make_sampler(self, spec, nets, plans, meta):
        return AutoencoderSampler(spec, nets, plans, meta)


def check_rebuilds(r: Roles, role, out, info):
    target = target_shape(info)
    if out is None or target is None or r.plans[role].output_nodes() == []:
        return
    from .common import same, shown
    if not same(out, target):
        what = ("the target (the input as it was before add_noise or grayscale)"
                if info.labels == "input" else "the input")
        r.report.error(r.output_path(role), f"the {role} outputs {shown(out)} but it must rebuild "
                       f"{what}, of shape {shown(target)}; end the {role} with that shape "
                       f"(e.g. - reshape: {shown(target)})")


class AutoencoderSampler(Sampler):
    can_encode = True
    can_reconstruct = True

    def __init__(self, spec, nets, plans, meta):
        super().__init__(spec, nets, plans, meta)
        self.latent_shape = tuple(plans["decoder"].inputs[next(iter(plans["decoder"].inputs))])
        self.can_sample = "code_mean" in meta

    def encode(self, x):
        return call(self.nets["encoder"], x)

    def decode(self, z, labels=None):
        return call(self.nets["decoder"], z)

    def latent(self, n, seed, temperature=1.0):
        """An autoencoder has no prior: draw codes from a Gaussian fitted to the
        training codes (mean and covariance), the simplest way to make new examples."""
        mean = np.asarray(self.meta["code_mean"], "float64")
        cov = np.asarray(self.meta["code_cov"], "float64") * temperature ** 2
        z = np.random.default_rng(seed).multivariate_normal(mean, cov, size=n, method="eigh")
        return z.reshape((n,) + self.latent_shape).astype("float32")

    def progress_rows(self, seed, data):
        """Originals and their reconstructions for the same validation examples."""
        x, target = reconstruction_pairs(data, 8, seed)
        rows = [x, self.reconstruct(x)]
        return rows if target is x else [x, self.reconstruct(x), target]


def reconstruction_pairs(data, n, seed):
    """n held-out inputs and their targets (the same array when the target is the input)."""
    part = next(p for p in ("validation", "test", "train") if p in data.splits)
    x, y = data.splits[part]
    idx = np.random.default_rng(seed).choice(len(x), size=min(n, len(x)), replace=False)
    if data.info is not None and data.info.labels == "input":
        return x[idx], y[idx]
    chosen = x[idx]
    return chosen, chosen  # the same array: "the target is the input"


class AutoencoderTrainer(Trainer):
    has_eval = True

    def __init__(self, task, spec, nets, plans, data):
        t = tf()
        self.spec, self.nets, self.plans = spec, nets, plans
        self.encoder, self.decoder = nets["encoder"], nets["decoder"]
        self.setup(spec)
        self.optimizer = spec.train.optimizer.build()
        self.variables = self.encoder.trainable_variables + self.decoder.trainable_variables
        self.optimizer.build(self.variables)
        self.train_step = t.function(self._train_step, reduce_retracing=True)
        self.eval_step = t.function(self._eval_step, reduce_retracing=True)
        self._sampler = AutoencoderSampler(spec, nets, plans, {})

    def setup(self, spec):
        self.loss_fn = spec.train.loss.build()

    def arrays(self, data, part):
        x, y = data.splits[part]
        return x, (y if data.info is not None and data.info.labels == "input" else x)

    def _losses(self, x, target, training):
        t = tf()
        rebuilt = self.decoder(self.encoder(x, training=training), training=training)
        loss = self.loss_fn(target, rebuilt)
        if self.spec.train.loss.kind == "mean_squared_error":
            return loss, {"loss": loss}
        # the mean squared error too, comparable across losses and with the baselines
        mse = t.reduce_mean(t.square(t.cast(target, rebuilt.dtype) - rebuilt))
        return loss, {"loss": loss, "mse": mse}

    def _train_step(self, x, target):
        t = tf()
        with t.GradientTape() as tape:
            loss, logs = self._losses(x, target, True)
            loss = loss + sum(self.encoder.losses + self.decoder.losses)  # weight penalties
        grads = tape.gradient(loss, self.variables)
        self.optimizer.apply_gradients(zip(grads, self.variables))
        return logs

    def _eval_step(self, x, target):
        return self._losses(x, target, False)[1]

    def meta(self, data) -> dict:
        codes = self._sampler.encode(data.splits["train"][0])
        codes = codes.reshape(len(codes), -1).astype("float64")
        return {"code_mean": codes.mean(axis=0).tolist(),
                "code_cov": np.atleast_2d(np.cov(codes, rowvar=False)).tolist()}

    def final_metrics(self, data, original) -> dict:
        """The baselines a reconstruction must beat, on the test split."""
        part = "test" if "test" in data.splits else "validation"
        if part not in data.splits:
            return {}
        x, target = self.arrays(data, part)
        mean_image = self.arrays(data, "train")[1].mean(axis=0)
        out = {"mean_image": {"mse": float(((target - mean_image) ** 2).mean())}}
        if target is not x and x.shape == target.shape:  # denoising: the noisy input as is
            out["noisy_input"] = {"mse": float(((target - x) ** 2).mean())}
        return {"baselines": out}

    def write_artifacts(self, run, data, original):
        from .images import write_samples
        part = "test" if "test" in data.splits else next(iter(data.splits))
        x, target = self.arrays(data, part)
        denoising = target is not x
        x, target = x[:10], target[:10]
        rows = [x, self._sampler.reconstruct(x)] + ([target] if denoising else [])
        write_samples(run.file("originals_vs_reconstructions.png"), None, original.low,
                      original.high, rows=[original(r) for r in rows])

