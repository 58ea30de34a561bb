"""Training a DQN agent: act, remember, learn, copy the target; the run folder.

An epoch is `steps_per_epoch` environment steps (episodes run across epochs).
preprocess.json says what the network reads (the observations, no steps);
history.csv has per epoch the mean TD loss, epsilon and the mean return of the
episodes that ended in it; episodes.csv has every episode's return and returns.png
plots them with a moving mean. metrics.json's `test` is the mean return of
`eval_episodes` greedy episodes (epsilon 0) on seeds training never used.
"""
from __future__ import annotations

import sys
import time

import numpy as np

from ...build.model import build_model
from ...run.environment import resolved_yaml, seed_everything, versions
from ...run.folder import RunFolder, RunResult, default_dir
from ...run.plots import learning_curves, save_figure
from .agent import Agent, Replay, epsilon_at, run_episode

EVAL_SEED = 10_000  # evaluation episodes start from seeds above any training episode's


def evaluate(agent, source, episodes: int, seed: int) -> list[float]:
    env = source.make(seed)
    return [run_episode(env, agent.greedy, seed=seed + EVAL_SEED + i) for i in range(episodes)]


def train(loaded, out=None, epochs=None, verbose=None, runs_root=None):
    from pathlib import Path
    spec = loaded.spec
    t, source = spec.train, spec.data.source
    seed_everything(spec.seed)
    model, _ = build_model(loaded)
    agent = Agent(model, spec)
    epochs = epochs or t.epochs
    verbose = verbose if verbose is not None else (1 if sys.stdout.isatty() else 2)
    run = RunFolder(out or default_dir(spec.name, runs_root or Path("runs")))
    try:
        history, returns = fit(agent, source, t, spec.seed, epochs, verbose)
        scores = evaluate(agent, source, t.eval_episodes, spec.seed)
        metrics = {"test": {"mean_return": float(np.mean(scores)),
                            "min_return": float(np.min(scores)),
                            "max_return": float(np.max(scores))},
                   "train": {"episodes": len(returns),
                             "last_10_mean_return": float(np.mean(returns[-10:])) if returns
                             else None},
                   "env": source.env, "eval_episodes": t.eval_episodes, "seed": spec.seed,
                   "epochs_run": epochs, "steps": epochs * t.steps_per_epoch,
                   "params": int(model.count_params()), "versions": versions()}
        model.save(run.file("model.keras"))
        run.write_text("spec.yaml", resolved_yaml(loaded))
        run.write_json("metrics.json", metrics)
        run.write_json("preprocess.json", observations(spec))
        keys = list(history)
        run.write_csv("history.csv", ["epoch"] + keys,
                      [[i + 1] + [history[k][i] for k in keys] for i in range(epochs)])
        run.write_csv("episodes.csv", ["episode", "return"],
                      [[i + 1, r] for i, r in enumerate(returns)])
        learning_curves(history, run.file("learning_curves.png"), spec.name)
        plot_returns(run.file("returns.png"), returns, f"{spec.name} on {source.env}")
        path = run.finish()
    except BaseException:
        run.abandon()
        raise
    notes = [f"greedy play: mean return {metrics['test']['mean_return']:.1f} over "
             f"{t.eval_episodes} episodes ({len(returns)} training episodes); "
             f"kspec play {path} shows it"]
    return RunResult(path, {"test": metrics["test"]}, history, notes)


def observations(spec) -> dict:
    """preprocess.json of an agent's run: what its network reads, unchanged (no steps)."""
    from ...data.pipeline import FORMAT
    shape = list(spec.data.source.info().x_shape)
    return {"format": FORMAT, "source": spec.data.source.to_data(), "steps": [], "states": [],
            "raw_shape": shape, "raw_dtype": "float32", "input_shape": shape}


def fit(agent, source, t, seed, epochs, verbose):
    env = source.make(seed)
    replay = Replay(t.replay_size, env.observation_space.shape, seed)
    rng = np.random.default_rng(seed)
    obs, _ = env.reset(seed=seed)
    episode, returns, step = 0.0, [], 0
    history = {"loss": [], "epsilon": [], "mean_return": []}
    for epoch in range(1, epochs + 1):
        start, losses, ended = time.perf_counter(), [], len(returns)
        for _ in range(t.steps_per_epoch):
            eps = 1.0 if step < t.warmup_steps else epsilon_at(step - t.warmup_steps, t.epsilon)
            action = int(rng.integers(source.n_actions)) if rng.random() < eps \
                else agent.greedy(obs)
            nxt, reward, terminated, truncated, _ = env.step(action)
            # a time limit is not a failure: only a real end stops the bootstrap
            replay.add(obs, action, reward, nxt, float(terminated))
            episode += float(reward)
            obs = nxt
            if terminated or truncated:
                returns.append(episode)
                episode = 0.0
                obs, _ = env.reset()
            step += 1
            if step > t.warmup_steps and step % t.train_every == 0 and replay.n >= t.batch_size:
                losses.append(float(agent.learn(*replay.sample(t.batch_size))))
            if step % t.target_sync == 0:
                agent.sync()
        recent = returns[ended:] or returns[-1:] or [episode]
        history["loss"].append(float(np.mean(losses)) if losses else float("nan"))
        history["epsilon"].append(float(eps))
        history["mean_return"].append(float(np.mean(recent)))
        if verbose:
            print(f"epoch {epoch}/{epochs} - {time.perf_counter() - start:.1f}s - "
                  f"loss {history['loss'][-1]:.4f} - epsilon {eps:.3f} - episodes "
                  f"{len(returns)} - mean return {history['mean_return'][-1]:.1f}", flush=True)
    return history, returns


def plot_returns(path, returns, title):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3.6))
    x = np.arange(1, len(returns) + 1)
    ax.plot(x, returns, color="tab:blue", alpha=0.4, lw=1, label="episode return")
    if len(returns) >= 10:
        mean = np.convolve(returns, np.ones(10) / 10, mode="valid")
        ax.plot(x[9:], mean, color="tab:blue", lw=2, label="mean of the last 10")
    ax.set_xlabel("episode")
    ax.set_ylabel("return")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, path)
