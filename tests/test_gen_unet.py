"""examples/ddpm_unet.yaml: the keras-io DDPM U-Net (small) written with one reusable
block; its parameter count equals the same network written in plain Keras, and it
trains as a `task: diffusion` spec."""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

SPEC = Path(__file__).resolve().parents[1] / "examples" / "ddpm_unet.yaml"


def plain_keras_unet():
    """The same U-Net, keras-io's way: ResidualBlock, DownSample, UpSample, TimeMLP."""
    import keras
    from builder.catalog.keras.generative import TimeEmbedding
    L = keras.layers
    x_in, t_in = keras.Input((8, 8, 1), name="x"), keras.Input((1,), name="t")
    temb = L.Dense(64)(L.Dense(64, activation="swish")(TimeEmbedding(64)(t_in)))
    temb = L.Activation("swish")(temb)

    def res(x, width):
        shortcut = x if x.shape[-1] == width else L.Conv2D(width, 1)(x)
        h = L.Conv2D(width, 3, padding="same")(L.Activation("swish")(L.GroupNormalization(8)(x)))
        h = L.Add()([h, L.Reshape((1, 1, width))(L.Dense(width)(temb))])
        h = L.Activation("swish")(L.GroupNormalization(8)(h))
        h = L.Conv2D(width, 3, padding="same", kernel_initializer="zeros")(h)
        return L.Add()([h, shortcut])
    stem = L.Conv2D(16, 3, padding="same")(x_in)
    enc1 = res(stem, 16)
    down = L.Conv2D(16, 3, strides=2, padding="same")(enc1)
    enc2 = res(down, 32)
    mid = res(res(enc2, 32), 32)
    dec2a = res(L.Concatenate()([mid, enc2]), 32)
    dec2b = res(L.Concatenate()([dec2a, down]), 32)
    up = L.Conv2D(32, 3, padding="same")(L.UpSampling2D(2)(dec2b))
    dec1a = res(L.Concatenate()([up, enc1]), 16)
    dec1b = res(L.Concatenate()([dec1a, stem]), 16)
    out = L.Conv2D(1, 3, padding="same")(L.Activation("swish")(L.GroupNormalization(8)(dec1b)))
    return keras.Model({"x": x_in, "t": t_in}, out)


def test_the_unet_is_short_and_counts_as_plain_keras(cli):
    from builder.build.model import build_models
    from builder.spec.counts import plan_count
    from builder.spec.load import load_spec
    text = SPEC.read_text()
    assert len(text.splitlines()) < 70 and text.count("group_normalization") == 3
    ((model, plan),) = build_models(load_spec(SPEC)).values()
    reference = plain_keras_unet()
    assert plan_count(plan).total == model.count_params() == reference.count_params() == 162_769
    result = cli("validate", SPEC)
    assert result.exit_code == 0 and "162,769 parameters" in result.stdout
    names = {layer.name for layer in model.layers}
    assert {"enc1_conv", "dec1b_temb", "mid2_conv"} <= names  # scoped by the use's name
    assert tuple(model.output.shape[1:]) == (8, 8, 1)


def test_the_unet_trains_as_a_diffusion_spec(cli, tmp_path):
    out = tmp_path / "run"
    # a short schedule keeps sampling cheap; the network is the shipped one
    result = cli("train", SPEC, "--out", out, "--epochs", 2, "--set", "train.timesteps=10", "-q")
    assert result.exit_code == 0, result.stderr
    with open(out / "history.csv") as fh:
        rows = list(csv.DictReader(fh))
    loss = [float(r["loss"]) for r in rows]
    assert len(loss) == 2 and np.isfinite(loss).all() and loss[1] < loss[0]
    assert (out / "model.keras").is_file()
