"""`gymnasium: CartPole-v1`: an environment an agent acts in (task dqn, L42).

It gives no arrays: the dqn task makes its own examples by acting. What validation
needs (the observation shape, the number of actions) comes from a closed table of
the environments kspec knows, so `kspec validate` neither imports gymnasium nor
runs anything an environment id could name."""
from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from ..info import DataInfo
from .base import SOURCES, Source

# id -> (observation shape, number of discrete actions); gymnasium's classic-control
# set, which needs no extra binaries (no Box2D, no MuJoCo)
ENVIRONMENTS = {"CartPole-v1": ((4,), 2), "Acrobot-v1": ((6,), 3), "MountainCar-v0": ((2,), 3)}


@SOURCES.register("gymnasium")
class Gymnasium(Source):
    doc: ClassVar[str] = ("an environment of gymnasium the agent acts in (task dqn): "
                          + ", ".join(ENVIRONMENTS))
    positional: ClassVar[str] = "env"
    env: Literal[tuple(ENVIRONMENTS)] = Field(..., description="the environment id")
    max_episode_steps: int | None = Field(
        None, ge=1, description="end an episode after this many steps (default: the "
                                "environment's own limit, 500 for CartPole-v1)")

    @property
    def n_actions(self) -> int:
        return ENVIRONMENTS[self.env][1]

    def info(self):
        shape, actions = ENVIRONMENTS[self.env]
        return DataInfo(shape, "action", actions)

    def load(self, base_dir):
        self.fail(f"{self.env} is an environment, not a data set: an agent acts in it "
                  "(use it with `task: dqn`)")

    def make(self, seed: int | None = None, render: bool = False):
        """A fresh environment (gymnasium is imported only when an agent acts)."""
        import gymnasium
        env = gymnasium.make(self.env, max_episode_steps=self.max_episode_steps)
        env.reset(seed=seed)
        env.action_space.seed(seed)
        return env
