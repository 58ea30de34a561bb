"""dqn: an agent learns from reward by acting in an environment (L42).

The spec's `model:` is the Q-network (observation -> one Q-value per action), in
the layer language like any other model; `data.source` is the environment
(`gymnasium: CartPole-v1`). Here: the schema of `train:` and the checks (Keras-
free); trainer.py: the training loop and run folder; play.py: `kspec play`.
"""
from __future__ import annotations

from pydantic import Field, model_validator

from ...catalog.losses import LossRef
from ...catalog.optimizers import OptimizerRef
from ...core.base import Strict
from ..base import TASKS, Task


class Epsilon(Strict):
    start: float = Field(1.0, ge=0, le=1, description="chance of a random action at first")
    end: float = Field(0.05, ge=0, le=1, description="chance of a random action at the end")
    decay_steps: int = Field(10_000, ge=1, description="steps over which it falls linearly")


class DQNTrain(Strict):
    loss: LossRef = Field("huber", description="between Q(s, a) and r + gamma max Q_target(s')"
                                               " (huber keeps rare large errors from dominating)")
    optimizer: OptimizerRef = Field({"adam": {"learning_rate": 0.001}})
    epochs: int = Field(20, ge=1, le=100_000, description="epochs of `steps_per_epoch` "
                                                          "environment steps each")
    steps_per_epoch: int = Field(1000, ge=1, description="environment steps per epoch")
    batch_size: int = Field(64, ge=1, description="transitions per learning step")
    gamma: float = Field(0.99, ge=0, le=1, description="discount of future reward")
    replay_size: int = Field(10_000, ge=1, description="transitions the replay buffer keeps")
    warmup_steps: int = Field(1000, ge=0, description="random steps that fill the buffer "
                                                      "before learning starts")
    train_every: int = Field(1, ge=1, description="environment steps per learning step")
    target_sync: int = Field(500, ge=1, description="steps between copies of the Q-network "
                                                    "into the target network")
    epsilon: Epsilon = Field(default_factory=Epsilon, description="epsilon-greedy exploration")
    eval_episodes: int = Field(10, ge=1, description="greedy episodes scored after training")

    @model_validator(mode="after")
    def _batch_fits(self):
        if self.batch_size > self.replay_size:
            raise ValueError(f"batch_size {self.batch_size} is larger than replay_size "
                             f"{self.replay_size}")
        return self


def example(**train) -> dict:
    """The bundled CartPole spec's shape, with `train` fields replaced."""
    return {"kspec": 1, "name": "cartpole_dqn_example", "task": "dqn",
            "data": {"source": {"gymnasium": "CartPole-v1"}},
            "model": {"input": [4], "layers": [{"dense": {"units": 32, "activation": "relu"}},
                                               {"dense": 2}]},
            "train": {"epochs": 1, **train}}


@TASKS.register
class DQN(Task):
    name = "dqn"
    doc = ("deep Q-learning: a Q-network acts epsilon-greedily in a gymnasium environment, "
           "learns from a replay buffer against a target network; kspec play RUN")
    train_schema = DQNTrain
    use_commands = ("play",)
    # no report.html / evaluation.json yet: the report (builder/see) knows data-driven
    # runs, not an agent's episodes
    run_files = tuple(f for f in Task.run_files if f not in ("report.html", "evaluation.json")
                      ) + ("model.keras", "episodes.csv", "returns.png")

    def check(self, spec, plans, info, report):
        source = spec.data.source
        if source.kind != "gymnasium":
            report.error(("data", "source"), "task dqn acts in an environment: use "
                         f"`gymnasium: CartPole-v1`, not {source.kind}")
            return
        plan = plans["model"]
        obs, actions = info.x_shape, info.n_classes
        for name, shape in plan.inputs.items():
            if shape is not None and tuple(shape) != tuple(obs):
                report.error(("model", "input"), f"{source.env} observations are "
                             f"{list(obs)}, but the Q-network's input is {list(shape)}")
        outputs = plan.output_nodes()
        if len(outputs) != 1 or outputs[0].shape is None:
            return
        node = outputs[0]
        if tuple(node.shape) != (actions,):
            report.error(node.path, f"the Q-network outputs one value per action: {source.env} "
                         f"has {actions}, so shape [{actions}], but the last layer "
                         f"({node.name}) outputs {list(node.shape)}; end with `- dense: {actions}`")
            return
        from ...spec.lint import last_activation
        act = last_activation(node.layer)
        if act not in (None, "linear"):
            report.error(node.path, f"Q-values are returns of any size and sign: the last "
                         f"layer must be linear (no activation), not {act}")

    def train(self, loaded, out=None, epochs=None, verbose=None):
        from .trainer import train
        return train(loaded, out=out, epochs=epochs, verbose=verbose)

    def example_spec(self) -> dict:
        # one short epoch: learning starts after 100 random steps
        return example(steps_per_epoch=300, warmup_steps=100, eval_episodes=2)

    def play(self, run_dir, episodes=None, out=None, seed=None):
        """`kspec play RUN [--episodes N] [--out FILE.gif|FILE.png]` -> what it says."""
        from .play import play_run
        return play_run(run_dir, episodes or 10, out, seed)
