"""Deep Q-learning (Mnih et al. 2015) in its small classic form: a replay buffer,
a target network copied every `target_sync` steps, and epsilon-greedy acting with
epsilon decayed linearly. The Q-network is the spec's `model:` (observation ->
one Q-value per action); only the training loop is written here."""
from __future__ import annotations

import numpy as np


class Replay:
    """The last `size` transitions (s, a, r, s', done), sampled uniformly."""

    def __init__(self, size: int, obs_shape: tuple, seed: int):
        self.s = np.zeros((size, *obs_shape), "float32")
        self.s2 = np.zeros((size, *obs_shape), "float32")
        self.a = np.zeros(size, "int32")
        self.r = np.zeros(size, "float32")
        self.done = np.zeros(size, "float32")
        self.size, self.n, self.at = size, 0, 0
        self.rng = np.random.default_rng(seed)

    def add(self, s, a, r, s2, done):
        i = self.at
        self.s[i], self.a[i], self.r[i], self.s2[i], self.done[i] = s, a, r, s2, done
        self.at = (i + 1) % self.size
        self.n = min(self.n + 1, self.size)

    def sample(self, batch: int):
        i = self.rng.integers(0, self.n, batch)
        return self.s[i], self.a[i], self.r[i], self.s2[i], self.done[i]


def epsilon_at(step: int, schedule) -> float:
    """Linear decay from `start` to `end` over `decay_steps` steps, then `end`."""
    frac = min(1.0, step / max(1, schedule.decay_steps))
    return schedule.start + frac * (schedule.end - schedule.start)


class Agent:
    """The Q-network, its target copy, the optimizer and one compiled learning step."""

    def __init__(self, model, spec):
        from ...core.keras_env import keras, tf
        k, self.tf = keras(), tf()
        t = spec.train
        self.q, self.gamma = model, t.gamma
        self.target = k.models.clone_model(model)
        self.target.set_weights(model.get_weights())
        self.loss = t.loss.build()
        self.optimizer = t.optimizer.build()
        self.optimizer.build(model.trainable_variables)
        self.learn = self.tf.function(self._learn, reduce_retracing=True)
        self.act_greedy = self.tf.function(lambda s: self.tf.argmax(self.q(s, training=False),
                                                                    axis=-1))

    def sync(self):
        self.target.set_weights(self.q.get_weights())

    def _learn(self, s, a, r, s2, done):
        tf = self.tf
        # the target: r + gamma * max_a' Q_target(s', a'), no future after a terminal state
        future = tf.reduce_max(self.target(s2, training=False), axis=-1)
        y = r + self.gamma * (1.0 - done) * future
        with tf.GradientTape() as tape:
            q = tf.gather(self.q(s, training=True), a, axis=1, batch_dims=1)
            loss = self.loss(tf.stop_gradient(y), q)
        grads = tape.gradient(loss, self.q.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.q.trainable_variables))
        return loss

    def greedy(self, obs) -> int:
        return int(self.act_greedy(np.asarray(obs, "float32")[None])[0])


def run_episode(env, choose, seed=None, frames=None):
    """Play one episode with `choose(obs) -> action`; -> its return (sum of rewards).
    `frames` (a list) collects each state for drawing."""
    obs, _ = env.reset(seed=seed)
    total, done = 0.0, False
    while not done:
        if frames is not None:
            frames.append(np.asarray(env.unwrapped.state, "float64").copy())
        obs, reward, terminated, truncated, _ = env.step(choose(obs))
        total += float(reward)
        done = terminated or truncated
    return total
