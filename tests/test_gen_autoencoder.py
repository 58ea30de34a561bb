"""autoencoder task: the shipped digits autoencoders, trained as shipped, rebuild
held-out digits far better than the mean image; the denoising one also beats its
noisy input; the run folder holds both roles, curves and image grids."""
from __future__ import annotations

import csv

import numpy as np
import pytest

from gen_helpers import kspec, metrics, trained


@pytest.fixture(scope="module")
def ae(tmp_path_factory):
    return trained("digits_autoencoder", tmp_path_factory)


@pytest.fixture(scope="module")
def dae(tmp_path_factory):
    return trained("digits_denoising_autoencoder", tmp_path_factory)


def test_autoencoder_reconstructs_test_digits_far_better_than_the_mean_image(ae):
    m = metrics(ae)
    test_mse = m["test"]["loss"]  # the spec's loss is the mean squared error
    baseline = m["baselines"]["mean_image"]["mse"]
    # measured: 0.009 vs 0.073 (pixels scaled to 0-1)
    assert test_mse < 0.25 * baseline, (test_mse, baseline)


def test_denoising_autoencoder_removes_noise(dae):
    m = metrics(dae)
    test_mse = m["test"]["mse"]
    # measured: 0.023 vs noisy input 0.052 vs mean image 0.073
    assert test_mse < 0.6 * m["baselines"]["noisy_input"]["mse"]
    assert test_mse < 0.5 * m["baselines"]["mean_image"]["mse"]


def test_run_folder_holds_roles_curves_and_grids(ae):
    for name in ("encoder.keras", "decoder.keras", "spec.yaml", "metrics.json", "history.csv",
                 "learning_curves.png", "preprocess.json", "generative.json",
                 "originals_vs_reconstructions.png"):
        assert (ae / name).is_file(), name
    grids = sorted((ae / "samples").glob("epoch_*.png"))
    epochs = metrics(ae)["epochs_run"]
    assert len(grids) == epochs and grids[-1].name == f"epoch_{epochs:03d}.png"
    assert grids[0].read_bytes()[:4] == b"\x89PNG"
    with open(ae / "history.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == epochs and {"loss", "val_loss"} <= set(rows[0])
    assert float(rows[-1]["loss"]) < 0.5 * float(rows[0]["loss"])
    assert not list(ae.parent.glob("*.partial"))


def test_saved_roles_reload_in_safe_mode_and_agree(ae):
    import keras
    encoder = keras.models.load_model(ae / "encoder.keras", safe_mode=True)
    decoder = keras.models.load_model(ae / "decoder.keras", safe_mode=True)
    from sklearn.datasets import load_digits
    x = (load_digits().data[:50] / 16).astype("float32")
    rebuilt = decoder.predict(encoder.predict(x, verbose=0), verbose=0)
    assert rebuilt.shape == (50, 64)
    assert float(((rebuilt - x) ** 2).mean()) < 0.03


def test_reconstruct_writes_originals_and_reconstructions(ae, dae, tmp_path):
    out = tmp_path / "r.png"
    result = kspec("reconstruct", ae, "--n", 6, "--out", out)
    assert result.exit_code == 0, result.output
    assert "inputs, reconstructions" in result.output and out.read_bytes()[:4] == b"\x89PNG"
    npy = tmp_path / "r.npy"
    assert kspec("reconstruct", dae, "--n", 6, "--out", npy).exit_code == 0
    rows = np.load(npy)  # noisy inputs, reconstructions, clean targets; original units
    assert rows.shape == (3, 6, 64) and rows.min() >= 0 and rows.max() <= 16
    noisy, rebuilt, clean = rows
    assert ((rebuilt - clean) ** 2).mean() < ((noisy - clean) ** 2).mean()


def test_autoencoder_generates_from_a_gaussian_fitted_to_its_codes(ae, tmp_path):
    out = tmp_path / "g.npy"
    result = kspec("generate", ae, "--n", 12, "--out", out)
    assert result.exit_code == 0, result.output
    x = np.load(out)
    assert x.shape == (12, 64) and 0 <= x.min() and x.max() <= 16  # the source's units


COLORIZE = """
kspec: 1
name: colorize
task: autoencoder
data:
  source: {synthetic: {type: images, shape: [8, 8, 3], n: 300, noise: 0.2, seed: 1}}
  preprocess: [{scale: 255}, {grayscale: {target: input}}]   # gray input, colour target
  split: {validation: 0.2, test: 0.2}
models:
  encoder:
    input: [8, 8, 1]
    layers: [flatten, {dense: {units: 32, activation: relu}}]
  decoder:
    input: [32]
    layers: [{dense: {units: DEC_OUT, activation: sigmoid}}, {reshape: [8, 8, 3]}]
train: {epochs: 30, batch_size: 32, optimizer: {adam: {learning_rate: 0.005}}}
"""


def test_colorization_autoencoder_maps_gray_inputs_to_colour_targets(cli, write_spec, tmp_path):
    wrong = write_spec(COLORIZE.replace("DEC_OUT", "64").replace("[8, 8, 3]}]", "[8, 8, 1]}]"))
    result = cli("validate", wrong)
    assert result.exit_code == 1
    assert "as it was before add_noise or grayscale), of shape [8, 8, 3]" in result.stderr
    path = write_spec(COLORIZE.replace("DEC_OUT", "192"), "ok.yaml")
    assert cli("train", path, "--out", tmp_path / "run", "-q").exit_code == 0
    m = metrics(tmp_path / "run")
    assert m["test"]["loss"] < 0.5 * m["baselines"]["mean_image"]["mse"]
    out = tmp_path / "rows.npy"
    assert kspec("reconstruct", tmp_path / "run", "--n", 4, "--out", out).exit_code == 0
    gray, rebuilt, colour = np.load(out)  # original units: pixels 0..255
    assert gray.shape == rebuilt.shape == colour.shape == (4, 8, 8, 3)  # gray shown as RGB
    assert np.allclose(gray[..., 0], gray[..., 2])
    assert colour.max() > 2  # back in 0-255 units, not 0-1


def test_l27_photo_colorization_beats_a_gray_copy_and_shows_originals(tmp_path_factory, tmp_path):
    """Colour from gray on real photographs (scikit-learn's bundled sample images, cut
    into 16x16 patches): the held-out error is below that of copying the gray value into
    all three channels, and the run shows gray inputs, outputs and originals together."""
    from sklearn.datasets import load_sample_images  # noqa: F401  (offline: shipped)

    from builder.data.pipeline import prepare
    from builder.spec.load import load_spec
    run = trained("photo_colorization", tmp_path_factory, "--epochs", "10")
    spec = load_spec("photo_colorization").spec
    gray, colour = prepare(spec.data, spec.seed).splits["test"]
    assert gray.shape[1:] == (16, 16, 1) and colour.shape[1:] == (16, 16, 3)
    gray_copy = float(((colour - gray) ** 2).mean())  # the gray value in every channel
    test_mse = metrics(run)["test"]["loss"]
    # measured: 0.0074 after 30 epochs, vs 0.0126 for the gray copy
    assert test_mse < 0.9 * gray_copy, (test_mse, gray_copy)
    assert (run / "originals_vs_reconstructions.png").is_file()
    out = tmp_path / "rows.npy"
    assert kspec("reconstruct", run, "--n", 4, "--out", out).exit_code == 0
    shown_gray, rebuilt, original = np.load(out)
    assert shown_gray.shape == rebuilt.shape == original.shape == (4, 16, 16, 3)
