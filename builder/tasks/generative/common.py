"""What the generative tasks share: the `train:` fields every one has, the
role-vs-role shape checks (Keras-free, on the planned graphs) and the base class
whose `train`, `generate`, `interpolate` and `reconstruct` run the shared code.

Each task module adds its own train fields, checks, a Trainer (optimizers and the
custom training step) and a Sampler (what a trained network can make: samples,
codes, reconstructions). The Sampler is built from the live networks during
training (per-epoch grids) and from the saved .keras files afterwards.
"""
from __future__ import annotations

from pydantic import Field

from ...core.base import Strict
from ..base import Task, bundled_example, role_plan_path

SAMPLE_EVERY = ("write a grid of samples from a fixed seed every N epochs (default: every "
                "epoch; diffusion: a tenth of the epochs, since sampling takes many steps)")


class GenerativeTrain(Strict):
    epochs: int = Field(30, ge=1, le=100_000)
    batch_size: int = Field(64, ge=1)
    sample_every: int | None = Field(None, ge=1, description=SAMPLE_EVERY)


def shown(shape) -> str:
    return "[" + ", ".join("None" if d is None else str(d) for d in shape) + "]"


def same(a, b) -> bool:
    return len(a) == len(b) and all(x is None or y is None or x == y for x, y in zip(a, b))


class Roles:
    """Shape facts about the planned role networks, reporting what is wrong."""

    def __init__(self, task: Task, plans: dict, report):
        self.task, self.plans, self.report = task, plans, report

    def path(self, role, *rest) -> tuple:
        return role_plan_path(self.task, role) + rest

    def label(self, role) -> str:
        return "the model" if self.task.roles is None else f"the {role}"

    def output(self, role):
        """The shape of the role's one output (an error if it has several)."""
        plan = self.plans[role]
        nodes = plan.output_nodes()
        if len(nodes) != 1:
            self.report.error(self.path(role, "outputs"),
                              f"{self.label(role)} must have one output, it has {len(nodes)}")
            return None
        return nodes[0].shape

    def output_path(self, role, index=0) -> tuple:
        nodes = self.plans[role].output_nodes()
        return nodes[index].path if len(nodes) > index else self.path(role)

    def input(self, role):
        """(name, shape) of the role's one input (an error if it has several)."""
        inputs = self.plans[role].inputs
        if len(inputs) != 1:
            self.report.error(self.path(role, "input"),
                              f"{self.label(role)} takes one input here, not "
                              f"{', '.join(inputs)}")
            return None
        return next(iter(inputs.items()))

    def named_input(self, role, name, hint: str):
        inputs = self.plans[role].inputs
        if name not in inputs:
            self.report.error(self.path(role, "input"),
                              f"{self.label(role)} needs an input named '{name}' ({hint}); "
                              f"it has {', '.join(inputs)}; write input: {{{name}: [...], ...}}")
            return None
        return inputs[name]

    def takes_data(self, role, name, shape, data_shape, what="the data gives examples"):
        if shape is None or data_shape is None or same(shape, data_shape):
            return True
        where = ("input", name) if len(self.plans[role].inputs) > 1 else ("input",)
        self.report.error(self.path(role, *where),
                          f"{what} of shape {shown(data_shape)} but {self.label(role)}'s "
                          f"input{'' if name == 'input' else ' ' + name} is {shown(shape)}; "
                          f"make them equal (or add `- reshape: {shown(shape)}` to "
                          "data.preprocess)")
        return False

    def feeds(self, src, src_shape, dst, dst_name, dst_shape, what: str):
        """src's output goes into dst's input: the shapes must agree (naming both roles)."""
        if src_shape is None or dst_shape is None or same(src_shape, dst_shape):
            return True
        where = ("input", dst_name) if len(self.plans[dst].inputs) > 1 else ("input",)
        self.report.error(self.path(dst, *where),
                          f"the {dst} takes {shown(dst_shape)} but the {src} outputs {what} of "
                          f"shape {shown(src_shape)}; make the {dst}'s input "
                          f"{shown(src_shape)} (or change the {src}'s last layer)")
        return False

    def last_activation(self, role, index=0):
        from ...spec.lint import last_activation
        nodes = self.plans[role].output_nodes()
        return last_activation(nodes[index].layer) if len(nodes) > index else None


class GenerativeTask(Task):
    """A task whose networks learn the data's distribution; see the module doc."""

    default_sample_every = 1
    uses_labels = False  # the class label is an input (conditional GAN)
    use_commands = ("generate", "interpolate")
    example: str = ""  # the bundled spec whose one-epoch run is this task's example

    def example_spec(self) -> dict:
        if not self.example:
            return super().example_spec()
        return bundled_example(self.example)

    def files_of_run(self, spec) -> list[str]:
        from .loop import META_FILE
        roles = self.roles or ("model",)
        return super().files_of_run(spec) + [f"{r}.keras" for r in roles] + [META_FILE]

    def train(self, loaded, out=None, epochs=None, verbose=None):
        from .loop import train_generative
        return train_generative(self, loaded, out=out, epochs=epochs, verbose=verbose)

    # ---- Keras side, per task ---------------------------------------------------
    def make_trainer(self, spec, nets: dict, plans: dict, data):
        raise NotImplementedError

    def make_sampler(self, spec, nets: dict, plans: dict, meta: dict):
        raise NotImplementedError

    def check_data(self, spec, plans, data):
        """Once the data is loaded: its shapes against the networks (DataLoadError)."""
        from .loop import check_loaded_shapes
        check_loaded_shapes(self, spec, plans, data)

    # ---- using a trained run ---------------------------------------------------
    def generate(self, run_dir, **options):
        from .use import generate
        return generate(self, run_dir, **options)

    def interpolate(self, run_dir, **options):
        from .use import interpolate
        return interpolate(self, run_dir, **options)

    def reconstruct(self, run_dir, **options):
        from .use import reconstruct
        return reconstruct(self, run_dir, **options)

    def arithmetic(self, run_dir, **options):
        from .use import arithmetic
        return arithmetic(self, run_dir, **options)
