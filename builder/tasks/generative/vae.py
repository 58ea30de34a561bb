"""vae: a variational autoencoder (L28).

The encoder outputs z_mean and z_log_var (and, usually, z from a `sampling`
layer: z = mu + sigma * eps, the reparameterization trick); the decoder rebuilds
the example from z. The loss is the negative ELBO: the reconstruction error summed
over each example's values, plus beta times KL(q(z|x) || N(0, I)) =
-1/2 * sum(1 + log sigma^2 - mu^2 - sigma^2). Both parts are logged, so the
curves show the trade-off. Decoding z ~ N(0, I) makes new examples.
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from ...catalog.optimizers import OptimizerRef
from ...core.keras_env import keras, tf
from ..base import TASKS
from .autoencoder import AutoencoderSampler, AutoencoderTrainer, check_rebuilds
from .common import GenerativeTask, GenerativeTrain, Roles, shown
from .sampler import Sampler, call

EPS = 1e-7


class VAETrain(GenerativeTrain):
    optimizer: OptimizerRef = "adam"
    reconstruction: Literal["bce", "mse"] = Field(
        "bce", description="reconstruction error, summed over each example's values: bce "
                           "(binary cross-entropy, needs a sigmoid output and values in 0-1) "
                           "or mse (squared error)")
    beta: float = Field(1.0, ge=0, description="weight of the KL term (beta-VAE; 1 = the ELBO)")


@TASKS.register
class VAE(GenerativeTask):
    name = "vae"
    example = "digits_vae"
    use_commands = ("generate", "interpolate", "reconstruct", "arithmetic")
    doc = ("variational autoencoder: the encoder outputs z_mean and z_log_var, z is sampled "
           "(reparameterization), loss = reconstruction + beta * KL")
    roles = ("encoder", "decoder")
    train_schema = VAETrain

    def check(self, spec, plans, info, report):
        r = Roles(self, plans, report)
        enc_in, dec_in = r.input("encoder"), r.input("decoder")
        if enc_in:
            r.takes_data("encoder", enc_in[0], enc_in[1], info.x_shape)
        latent = check_encoder_outputs(r, plans["encoder"])
        if dec_in and latent:
            r.feeds("encoder", latent, "decoder", dec_in[0], dec_in[1], "a latent z")
        check_rebuilds(r, "decoder", r.output("decoder"), info)
        if spec.train.reconstruction == "bce":
            act = r.last_activation("decoder")
            if act is not None and act != "sigmoid":
                report.error(r.output_path("decoder"),
                             f"reconstruction: bce compares probabilities, but the decoder's last "
                             f"layer applies {act}; use activation: sigmoid (with inputs scaled "
                             "to 0-1), or set train.reconstruction: mse")

    def data_input(self, plans):
        return "encoder", next(iter(plans["encoder"].inputs))

    def make_trainer(self, spec, nets, plans, data):
        return VAETrainer(self, spec, nets, plans, data)

    def make_sampler(self, spec, nets, plans, meta):
        return VAESampler(spec, nets, plans, meta)


def check_encoder_outputs(r: Roles, plan):
    """outputs: [z_mean, z_log_var] or [z_mean, z_log_var, z] with z a sampling of the two."""
    nodes = plan.output_nodes()
    if len(nodes) not in (2, 3):
        r.report.error(r.path("encoder", "outputs"),
                       "the VAE encoder outputs [z_mean, z_log_var] or [z_mean, z_log_var, z] "
                       f"(z from a `sampling` layer); it has {len(nodes)} output(s): name the "
                       "layers and list them under outputs")
        return None
    mean, log_var = nodes[0], nodes[1]
    if mean.shape is not None and log_var.shape is not None and mean.shape != log_var.shape:
        r.report.error(r.path("encoder", "outputs"),
                       f"z_mean ({mean.name}, {shown(mean.shape)}) and z_log_var ({log_var.name}, "
                       f"{shown(log_var.shape)}) must have the same shape")
        return None
    if len(nodes) == 3:
        z = nodes[2]
        if z.layer.kind != "sampling" or z.inputs != [mean.name, log_var.name]:
            r.report.error(r.path("encoder", "outputs", 2),
                           f"the third output must be `sampling` of the first two: "
                           f"- sampling: {{inputs: [{mean.name}, {log_var.name}]}}")
    return mean.shape


class VAESampler(AutoencoderSampler):
    def __init__(self, spec, nets, plans, meta):
        Sampler.__init__(self, spec, nets, plans, meta)
        dec = plans["decoder"]
        self.latent_shape = tuple(dec.inputs[next(iter(dec.inputs))])
        self.can_sample = True

    latent = Sampler.latent  # the prior N(0, I)

    def encode(self, x):
        return call(self.nets["encoder"], x)  # z_mean: the code without sampling noise

    def progress_rows(self, seed, data):
        return Sampler.progress_rows(self, seed, data)


class VAETrainer(AutoencoderTrainer):
    def __init__(self, task, spec, nets, plans, data):
        super().__init__(task, spec, nets, plans, data)
        self._sampler = VAESampler(spec, nets, plans, {})

    def setup(self, spec):
        self.noise = keras().random.SeedGenerator(spec.seed)

    def _losses(self, x, target, training):
        t, k = tf(), keras()
        outs = self.encoder(x, training=training)
        mean, log_var = outs[0], outs[1]
        if len(outs) == 3:
            z = outs[2]
        else:  # no sampling layer in the spec: the trick is applied here
            z = mean + t.exp(0.5 * log_var) * k.random.normal(t.shape(mean), seed=self.noise)
        rebuilt = self.decoder(z, training=training)
        n = t.shape(rebuilt)[0]
        p = t.reshape(rebuilt, (n, -1))
        y = t.reshape(t.cast(target, p.dtype), (n, -1))
        if self.spec.train.reconstruction == "bce":
            p = t.clip_by_value(p, EPS, 1 - EPS)
            rec = -t.reduce_sum(y * t.math.log(p) + (1 - y) * t.math.log(1 - p), axis=1)
        else:
            rec = t.reduce_sum(t.square(y - p), axis=1)
        kl = -0.5 * t.reduce_sum(t.reshape(1 + log_var - t.square(mean) - t.exp(log_var), (n, -1)),
                                 axis=1)
        rec, kl = t.reduce_mean(rec), t.reduce_mean(kl)
        loss = rec + self.spec.train.beta * kl
        return loss, {"loss": loss, "reconstruction": rec, "kl": kl}

    def meta(self, data):
        return {}  # the prior is N(0, I): nothing to remember about the codes

    def final_metrics(self, data, original):
        return {}
