"""diffusion task: the shipped DDPM, trained as shipped, turns noise into samples
whose pixel statistics and digit-likeness moved toward the data's from what the
same network made before training; the denoiser (with kspec's time embedding)
reloads in safe mode."""
from __future__ import annotations

import numpy as np
import pytest

from gen_helpers import judge, kspec, metrics, trained


@pytest.fixture(scope="module")
def ddpm(tmp_path_factory):
    return trained("digits_diffusion", tmp_path_factory)


def before_and_after(run, n=300):
    """Samples (original units) of the untrained network and of the trained run."""
    from builder.build.model import build_models
    from builder.core.keras_env import keras
    from builder.spec.load import load_spec
    from builder.tasks import TASKS
    from builder.tasks.generative.use import open_run
    loaded = load_spec(run / "spec.yaml")
    task = TASKS[loaded.spec.task]
    trained_run = open_run(task, run)
    keras().utils.set_random_seed(loaded.spec.seed)
    built = build_models(loaded)
    untrained = task.make_sampler(loaded.spec, {r: m for r, (m, _) in built.items()},
                                  {r: p for r, (_, p) in built.items()}, trained_run.meta)
    return (trained_run.original(untrained.sample(n, 1)),
            trained_run.original(trained_run.sampler.sample(n, 1)))


def moved_toward_the_data(run):
    before, after = before_and_after(run)
    j = judge()
    real, b, a = j.baselines["real"], j.report(before), j.report(after)
    for stat in ("pixel_mean", "pixel_std"):  # maps of 64 values, compared with the data's
        assert j.pixel_gap(a, stat) < 0.6 * j.pixel_gap(b, stat), (stat, j.pixel_gap(b, stat),
                                                                     j.pixel_gap(a, stat))
    assert a["confidence"] > b["confidence"]
    assert a["nearest"] < b["nearest"]  # closer to some real digit
    return b, a


def test_samples_move_toward_the_data(ddpm):
    before, after = moved_toward_the_data(ddpm)
    # measured: classifier confidence 0.61 -> 0.79 (real digits 0.95, noise ~0.63),
    # distance to the nearest real digit 3.97 -> 1.48 (real test digits: 1.07)
    assert judge().above_noise(after, margin=0.05), (after["confidence"], judge().baselines)
    assert after["classes"] >= 7


def test_noise_prediction_loss_falls_and_is_logged(ddpm):
    m = metrics(ddpm)
    import csv
    with open(ddpm / "history.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert float(rows[-1]["loss"]) < 0.5 * float(rows[0]["loss"])
    assert m["test"]["loss"] < 0.5 * float(rows[0]["val_loss"])
    # grids every tenth of the epochs, and the last
    grids = sorted(p.name for p in (ddpm / "samples").glob("*.png"))
    assert len(grids) == 10 and grids[-1] == f"epoch_{m['epochs_run']:03d}.png"


def test_denoiser_reloads_in_safe_mode(ddpm):
    import keras
    model = keras.models.load_model(ddpm / "model.keras", safe_mode=True)
    assert "TimeEmbedding" in {type(layer).__name__ for layer in model.layers}
    out = model.predict({"x": np.zeros((2, 64), "float32"), "t": np.array([[0.0], [150.0]])},
                        verbose=0)
    assert out.shape == (2, 64) and not np.allclose(out[0], out[1])  # t matters


def test_generate_and_interpolate_write_images(ddpm, tmp_path):
    out = tmp_path / "g.png"
    assert kspec("generate", ddpm, "--n", 8, "--out", out).exit_code == 0
    assert out.read_bytes()[:4] == b"\x89PNG"
    out = tmp_path / "w.npy"
    assert kspec("interpolate", ddpm, "--n", 2, "--steps", 4, "--out", out).exit_code == 0
    assert np.load(out).shape == (2, 4, 64)


@pytest.mark.parametrize("schedule", ["linear", "cosine"])
def test_noise_schedules_end_in_pure_noise(schedule):
    from builder.tasks.generative.diffusion import DiffusionTrain, betas
    train = DiffusionTrain(schedule=schedule, timesteps=1000)
    b = betas(train)
    abar = np.cumprod(1 - b)
    assert len(b) == 1000 and (np.diff(abar) < 0).all()  # ever noisier
    assert abar[0] > 0.99 and abar[-1] < 1e-3  # starts at the data, ends in noise
    if schedule == "linear":
        assert b[0] == pytest.approx(1e-4) and b[-1] == pytest.approx(0.02)
