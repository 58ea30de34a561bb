"""`kspec play RUN [--episodes N] [--out FILE.gif|FILE.png]`: the trained agent plays
greedily (epsilon 0); the mean return is reported and one episode is drawn.

Frames are drawn from the environment's state with matplotlib (a cart and its
pole), so no rendering library (pygame) is needed: a PNG is a strip of frames
through the episode, a GIF the whole episode (Pillow, which matplotlib installs).
Other environments than CartPole are played and scored but not drawn."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ...core.atomic import atomic_path
from ...data.errors import DataLoadError
from ...run.read import open_run
from .agent import run_episode
from .trainer import EVAL_SEED

STRIP = 8  # frames in a PNG strip


def play_run(run_dir, episodes: int, out=None, seed=None) -> str:
    run = open_run(run_dir, preprocessing=False)
    spec = run.spec
    source = spec.data.source
    seed = spec.seed if seed is None else seed
    out = Path(out) if out is not None else Path(run_dir) / "play.gif"
    if out.suffix.lower() not in (".gif", ".png"):
        raise DataLoadError(f"--out {out}: write FILE.gif (the episode) or FILE.png (a strip "
                            "of frames)")
    model = run.model

    def greedy(obs):
        q = model(np.asarray(obs, "float32")[None], training=False)
        return int(np.argmax(np.asarray(q)[0]))

    env = source.make(seed)
    frames: list = []
    returns = [run_episode(env, greedy, seed=seed + EVAL_SEED + i,
                           frames=frames if i == 0 else None) for i in range(episodes)]
    lines = [f"{source.env}: mean return {np.mean(returns):.1f} over {episodes} greedy "
             f"episode(s) (min {min(returns):g}, max {max(returns):g})"]
    if source.env == "CartPole-v1":
        draw(out, frames, f"{spec.name}: return {returns[0]:g}")
        lines.append(f"saved {'episode' if out.suffix.lower() == '.gif' else 'frames'}: {out}")
    return "\n".join(lines)


def draw_cartpole(ax, state, step):
    x, _, theta, _ = state
    ax.clear()
    ax.set_xlim(-2.6, 2.6)
    ax.set_ylim(-0.3, 1.4)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.plot([-2.4, 2.4], [0, 0], color="black", lw=1)  # the track; the episode ends past it
    from matplotlib.patches import Rectangle
    ax.add_patch(Rectangle((x - 0.25, -0.08), 0.5, 0.16, color="tab:blue"))
    ax.plot([x, x + np.sin(theta)], [0.08, 0.08 + np.cos(theta)], color="tab:brown", lw=4)
    ax.set_title(f"step {step}", fontsize=8)


def draw(out: Path, frames: list, title: str):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if out.suffix.lower() == ".png":
        picks = np.linspace(0, len(frames) - 1, min(STRIP, len(frames))).astype(int)
        fig, axes = plt.subplots(1, len(picks), figsize=(1.8 * len(picks), 1.6), squeeze=False)
        for ax, i in zip(axes[0], picks):
            draw_cartpole(ax, frames[i], i + 1)
        fig.suptitle(title, fontsize=9)
        fig.tight_layout()
        with atomic_path(out) as tmp:
            fig.savefig(tmp, dpi=80)
        plt.close(fig)
        return
    from matplotlib.animation import FuncAnimation, PillowWriter
    every = max(1, len(frames) // 150)  # at most ~150 frames: a GIF of a few seconds
    shown = frames[::every]
    fig, ax = plt.subplots(figsize=(3.2, 1.8))
    fig.suptitle(title, fontsize=8)
    anim = FuncAnimation(fig, lambda i: draw_cartpole(ax, shown[i], i * every + 1),
                         frames=len(shown))
    with atomic_path(out) as tmp:
        anim.save(tmp, writer=PillowWriter(fps=30 // every or 10), dpi=60)
    plt.close(fig)
