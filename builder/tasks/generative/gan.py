"""gan and cgan: a generator makes examples from noise, a discriminator tells them
from real ones (L29-L32).

Each network has its own optimizer; steps alternate: the discriminator learns on a
real and a fake batch (binary cross-entropy, real labels optionally smoothed to
1 - label_smoothing), then the generator learns to make the discriminator say
"real" (the non-saturating loss -log D(G(z))). DCGAN (L30) is a `gan` spec with
strided and transposed convolutions. In `cgan` (L31) both networks get the class
label as an input named `label`: shape [1] for class ids (an embedding layer in
the spec turns them into vectors) or [number of classes] for one-hot rows.
"""
from __future__ import annotations

import numpy as np
from pydantic import Field

from .trainer import Trainer
from ...catalog.optimizers import OptimizerRef
from ...core.keras_env import keras, tf
from ...core.base import Strict
from ..base import TASKS
from .common import GenerativeTask, GenerativeTrain, Roles, same, shown
from .sampler import Sampler, call

LABEL = "label"
EPS = 1e-7


class RoleTrain(Strict):
    optimizer: OptimizerRef = Field({"adam": {"learning_rate": 0.0002, "beta_1": 0.5}},
                                    description="this network's own optimizer (default: "
                                                "adam, learning rate 0.0002, beta_1 0.5)")


class GANTrain(GenerativeTrain):
    generator: RoleTrain = Field(default_factory=RoleTrain)
    discriminator: RoleTrain = Field(default_factory=RoleTrain)
    label_smoothing: float = Field(0.0, ge=0, lt=0.5, description=(
        "one-sided label smoothing: real examples are labelled 1 - this for the "
        "discriminator, which keeps it from becoming overconfident (0.1 is common)"))


@TASKS.register
class GAN(GenerativeTask):
    name = "gan"
    example = "digits_gan"
    doc = ("generator vs discriminator, alternating steps, non-saturating generator loss; "
           "DCGAN is a gan spec with convolutions")
    roles = ("generator", "discriminator")
    train_schema = GANTrain

    def check(self, spec, plans, info, report):
        r = Roles(self, plans, report)
        noise = self.noise_input(r, "generator")
        fake = r.output("generator")
        real = self.example_input(r)
        if noise and noise[1] is not None and len(noise[1]) != 1:
            report.error(r.path("generator", "input"),
                         f"the generator's noise input is a vector of latent numbers, e.g. [64]; "
                         f"got {shown(noise[1])}")
        if real:  # role against role first: that error names both networks
            ok = r.feeds("generator", fake, "discriminator", real[0], real[1], "examples")
            ok = ok and r.takes_data("discriminator", real[0], real[1], info.x_shape)
            if ok and fake is not None and info.x_shape is not None and not same(fake, info.x_shape):
                report.error(r.output_path("generator"), f"the generator outputs {shown(fake)} "
                             f"but the data's examples are {shown(info.x_shape)}")
        verdict = r.output("discriminator")
        if verdict is not None and tuple(verdict) != (1,):
            report.error(r.output_path("discriminator"),
                         f"the discriminator outputs one number per example (real or fake), "
                         f"not {shown(verdict)}; end it with - dense: 1")
        act = r.last_activation("discriminator")
        if act not in (None, "sigmoid", "linear"):
            report.error(r.output_path("discriminator"),
                         f"the discriminator's last layer applies {act}; use sigmoid (a "
                         "probability) or no activation (a logit; kspec applies the sigmoid "
                         "inside the loss)")

    # the data and noise inputs (overridden by cgan, whose networks also take a label)
    def noise_input(self, r, role):
        return r.input(role)

    def example_input(self, r):
        return r.input("discriminator")

    def data_input(self, plans):
        return "discriminator", next(n for n in plans["discriminator"].inputs if n != LABEL or
                                     not self.uses_labels)

    def make_trainer(self, spec, nets, plans, data):
        return GANTrainer(self, spec, nets, plans, data)

    def make_sampler(self, spec, nets, plans, meta):
        return GANSampler(spec, nets, plans, meta)


@TASKS.register
class CGAN(GAN):
    name = "cgan"
    example = "digits_cgan"
    doc = ("conditional GAN: generator and discriminator both take the class label (an input "
           "named label: [1] ids for an embedding, or one-hot)")
    uses_labels = True

    def check(self, spec, plans, info, report):
        r = Roles(self, plans, report)
        if info.labels not in (None, "integer"):
            report.error(("data", "source"), "cgan needs one class id per example (e.g. "
                         f"sklearn: digits); this data's target is {info.labels}")
        for role in self.roles:
            shape = r.named_input(role, LABEL, "the class: [1] for an id, or one-hot "
                                  f"[{info.n_classes or 'classes'}]")
            if shape is not None and tuple(shape) not in ((1,), (info.n_classes,)):
                report.error(r.path(role, "input", LABEL),
                             f"the label is [1] (a class id) or [{info.n_classes}] (one-hot), "
                             f"not {shown(shape)}")
        super().check(spec, plans, info, report)

    def other_input(self, r, role):
        others = [(n, s) for n, s in r.plans[role].inputs.items() if n != LABEL]
        if len(others) != 1:
            r.report.error(r.path(role, "input"), f"the {role} takes two inputs: '{LABEL}' and "
                           f"one more ({'noise' if role == 'generator' else 'the example'}); "
                           f"it has {', '.join(r.plans[role].inputs)}")
            return None
        return others[0]

    def noise_input(self, r, role):
        return self.other_input(r, role)

    def example_input(self, r):
        return self.other_input(r, "discriminator")


def inputs_of(plan, main, labels):
    """The network's inputs: the noise/example under its name, plus the label if it has one."""
    names = list(plan.inputs)
    main_name = next(n for n in names if n != LABEL)
    if LABEL not in plan.inputs:
        return main
    return {main_name: main, LABEL: labels}


def label_values(plan, labels, np_mode=False):
    """Class ids -> what the network's label input takes: ids [n, 1] or one-hot rows."""
    width = plan.inputs[LABEL][0]
    if np_mode:
        ids = np.asarray(labels).astype("int64").reshape(-1)
        return (ids.reshape(-1, 1).astype("float32") if width == 1
                else np.eye(width, dtype="float32")[ids])
    t = tf()
    ids = t.reshape(t.cast(labels, "int32"), (-1,))
    return (t.cast(t.reshape(ids, (-1, 1)), "float32") if width == 1
            else t.one_hot(ids, width, dtype="float32"))


class GANSampler(Sampler):
    def __init__(self, spec, nets, plans, meta):
        super().__init__(spec, nets, plans, meta)
        gen = plans["generator"]
        self.needs_label = LABEL in gen.inputs
        self.latent_shape = tuple(next(s for n, s in gen.inputs.items() if n != LABEL))

    def decode(self, z, labels=None):
        plan = self.plans["generator"]
        if self.needs_label:
            if labels is None:
                labels = np.arange(len(z)) % self.classes
            labels = label_values(plan, labels, np_mode=True)
        return call(self.nets["generator"], inputs_of(plan, z, labels))

    def progress_rows(self, seed, data):
        if not self.needs_label:
            return super().progress_rows(seed, data)
        cols = self.classes  # one column per class, the same noise along each row
        z = np.repeat(self.latent(4, seed), cols, axis=0)
        x = self.decode(z, np.tile(np.arange(cols), 4))
        return [x[i:i + cols] for i in range(0, len(x), cols)]


class GANTrainer(Trainer):
    has_eval = False  # adversarial losses say little on held-out data

    def __init__(self, task, spec, nets, plans, data):
        t, k = tf(), keras()
        self.spec, self.plans = spec, plans
        self.g, self.d = nets["generator"], nets["discriminator"]
        self.g_opt = spec.train.generator.optimizer.build()
        self.d_opt = spec.train.discriminator.optimizer.build()
        self.g_opt.build(self.g.trainable_variables)
        self.d_opt.build(self.d.trainable_variables)
        self.logits = task_logits(plans["discriminator"])
        self.real_target = 1.0 - spec.train.label_smoothing
        self.noise = k.random.SeedGenerator(spec.seed)
        self.conditional = task.uses_labels
        self._sampler = GANSampler(spec, nets, plans, {"classes": data.info.n_classes})
        self.train_step = t.function(self._train_step, reduce_retracing=True)

    def arrays(self, data, part):
        x, y = data.splits[part]
        return x, (y if self.conditional else None)

    def _bce(self, target, d_out):
        t = tf()
        if self.logits:
            return t.reduce_mean(t.nn.sigmoid_cross_entropy_with_logits(
                labels=t.fill(t.shape(d_out), target), logits=d_out))
        p = t.clip_by_value(d_out, EPS, 1 - EPS)
        return -t.reduce_mean(target * t.math.log(p) + (1 - target) * t.math.log(1 - p))

    def _prob(self, d_out):
        t = tf()
        return t.reduce_mean(t.sigmoid(d_out) if self.logits else d_out)

    def _train_step(self, x, labels=None):
        t, k = tf(), keras()
        n = t.shape(x)[0]
        gp, dp = self.plans["generator"], self.plans["discriminator"]
        lab_g = label_values(gp, labels) if self.conditional else None
        lab_d = label_values(dp, labels) if self.conditional else None
        latent = self._sampler.latent_shape
        z = k.random.normal((n,) + latent, seed=self.noise)
        with t.GradientTape() as tape:
            fake = self.g(inputs_of(gp, z, lab_g), training=True)
            d_real = self.d(inputs_of(dp, x, lab_d), training=True)
            d_fake = self.d(inputs_of(dp, fake, lab_d), training=True)
            d_loss = self._bce(self.real_target, d_real) + self._bce(0.0, d_fake)
            d_total = d_loss + sum(self.d.losses)
        grads = tape.gradient(d_total, self.d.trainable_variables)
        self.d_opt.apply_gradients(zip(grads, self.d.trainable_variables))

        z = k.random.normal((n,) + latent, seed=self.noise)
        with t.GradientTape() as tape:
            fake = self.g(inputs_of(gp, z, lab_g), training=True)
            g_loss = self._bce(1.0, self.d(inputs_of(dp, fake, lab_d), training=True))
            g_total = g_loss + sum(self.g.losses)
        grads = tape.gradient(g_total, self.g.trainable_variables)
        self.g_opt.apply_gradients(zip(grads, self.g.trainable_variables))
        return {"d_loss": d_loss, "g_loss": g_loss, "d_real": self._prob(d_real),
                "d_fake": self._prob(d_fake)}



def task_logits(plan) -> bool:
    """The discriminator ends without a sigmoid: its output is a logit."""
    from ...spec.lint import last_activation
    nodes = plan.output_nodes()
    return not nodes or last_activation(nodes[0].layer) != "sigmoid"
