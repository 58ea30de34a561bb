"""gan task: the shipped dense GAN and DCGAN, trained as shipped, make samples a
digits classifier recognises, spread over many classes (no mode collapse); the
run keeps both roles, per-component loss curves and a sample grid per epoch."""
from __future__ import annotations

import csv

import numpy as np
import pytest

from gen_helpers import generated, judge, kspec, metrics, trained


@pytest.fixture(scope="module")
def gan(tmp_path_factory):
    return trained("digits_gan", tmp_path_factory)


@pytest.fixture(scope="module")
def dcgan(tmp_path_factory):
    return trained("digits_dcgan", tmp_path_factory)


def check_samples(run, tmp_path):
    x = generated(run, tmp_path, 400)
    # the source's units and shape: 64 pixels of 0..16, whatever the network's output shape
    assert x.shape == (400, 64) and x.min() >= 0 and x.max() <= 16 and x.max() > 8
    report = judge().report(x)
    assert judge().looks_like_digits(report), (report["confidence"], judge().baselines)
    assert report["classes"] >= 7, np.bincount(report["guess"], minlength=10)
    return report


def test_gan_samples_are_digits_of_many_classes(gan, tmp_path):
    check_samples(gan, tmp_path)  # measured: confidence 0.86, 10 classes


def test_dcgan_samples_are_digits_of_many_classes(dcgan, tmp_path):
    check_samples(dcgan, tmp_path)  # measured: confidence 0.84, 10 classes


def test_gan_run_logs_each_loss_and_grids_from_a_fixed_seed(gan):
    with open(gan / "history.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert {"d_loss", "g_loss", "d_real", "d_fake"} <= set(rows[0])
    m = metrics(gan)
    assert set(m["params"]) == {"generator", "discriminator"}
    assert len(rows) == m["epochs_run"] == len(list((gan / "samples").glob("epoch_*.png")))
    # sample statistics next to the data's, in pixel units (0..16)
    assert abs(m["samples"]["mean"] - m["samples"]["data_mean"]) < 1.0


def test_generator_reloads_and_same_seed_gives_same_samples(dcgan, tmp_path):
    import keras
    generator = keras.models.load_model(dcgan / "generator.keras", safe_mode=True)
    assert generator.output_shape == (None, 8, 8, 1)
    a = generated(dcgan, tmp_path, 5, ("--seed", 3))
    (tmp_path / "again").mkdir()
    b = generated(dcgan, tmp_path / "again", 5, ("--seed", 3))
    c = generated(dcgan, tmp_path, 5, ("--seed", 4))
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_interpolate_walks_between_random_latents(gan, tmp_path):
    out = tmp_path / "walk.png"
    result = kspec("interpolate", gan, "--out", out)
    assert result.exit_code == 0, result.output
    assert "random latents" in result.output and out.read_bytes()[:4] == b"\x89PNG"
    result = kspec("reconstruct", gan)
    assert result.exit_code == 1 and "works on autoencoder, vae runs" in result.stderr
