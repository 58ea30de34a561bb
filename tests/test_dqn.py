"""L42 reinforcement learning, as a student meets it: a Q-network written in the
layer language learns CartPole from reward (task dqn), the run folder holds the
per-episode returns, and `kspec play` replays the agent. The full-length run (the
bundled spec, several seeds) is benchmarks/dqn_cartpole.py; here a shorter budget
and the threshold it reliably reaches (benchmarks/README.md gives the figures)."""
from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from builder.tasks.dqn import Epsilon
from builder.tasks.dqn.agent import Replay, epsilon_at

BUDGET = ["--epochs", "10"]  # 10,000 environment steps of the bundled spec's 50,000
THRESHOLD = 90  # greedy mean return over 10 episodes (seeds 0-2 reached 98, 107, 180;
#                a random policy scores about 22)


def kspec(*args):
    from cli import main
    return CliRunner().invoke(main, [str(a) for a in args])


def test_epsilon_falls_linearly_then_stays():
    e = Epsilon(start=1.0, end=0.1, decay_steps=100)
    assert [round(epsilon_at(s, e), 3) for s in (0, 50, 100, 1000)] == [1.0, 0.55, 0.1, 0.1]


def test_the_replay_buffer_keeps_the_last_transitions():
    r = Replay(3, (1,), seed=0)
    for i in range(5):
        r.add([i], i % 2, float(i), [i + 1], 0.0)
    assert r.n == 3 and sorted(r.r.tolist()) == [2.0, 3.0, 4.0]
    s, a, rew, s2, done = r.sample(8)
    assert s.shape == (8, 1) and np.array_equal(s2[:, 0], s[:, 0] + 1)


@pytest.mark.parametrize("change, message", [
    ({"input": [3]}, "CartPole-v1 observations are [4], but the Q-network's input is [3]"),
    ({"layers": [{"dense": 3}]}, "one value per action: CartPole-v1 has 2, so shape [2]"),
    ({"layers": [{"dense": {"units": 2, "activation": "softmax"}}]}, "must be linear"),
])
def test_validate_explains_a_q_network_that_does_not_fit_the_environment(tmp_path, change,
                                                                         message):
    from builder.spec.library import bundled
    spec = yaml.safe_load(bundled()["cartpole_dqn"].read_text())
    spec["model"].update(change)
    path = tmp_path / "dqn.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    result = kspec("validate", path)
    assert result.exit_code == 1 and message in result.output, result.output


def test_dqn_learns_cartpole_and_play_replays_it(tmp_path):
    run = tmp_path / "run"
    result = kspec("train", "cartpole_dqn", "--out", run, "-q", *BUDGET)
    assert result.exit_code == 0, result.output
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["test"]["mean_return"] >= THRESHOLD, metrics["test"]
    returns = [float(r["return"]) for r in csv.DictReader((run / "episodes.csv").open())]
    assert len(returns) == metrics["train"]["episodes"] > 20
    assert np.mean(returns[-10:]) > np.mean(returns[:10])  # it got better while learning
    assert (run / "returns.png").stat().st_size > 10_000
    played = kspec("play", run, "--episodes", 3, "--out", tmp_path / "episode.gif")
    assert played.exit_code == 0, played.output
    assert "CartPole-v1: mean return" in played.output
    assert (tmp_path / "episode.gif").read_bytes()[:6] in (b"GIF89a", b"GIF87a")
    wrong = kspec("play", run, "--out", tmp_path / "episode.mp4")
    assert wrong.exit_code == 1 and "FILE.gif" in wrong.stderr
