"""flow task: affine coupling layers are invertible with the exact log-determinant;
the shipped RealNVP, trained as shipped, improves its likelihood and samples by
inverting the flow, with statistics that moved toward the data's."""
from __future__ import annotations

import csv

import numpy as np
import pytest

from gen_helpers import judge, kspec, trained
from test_gen_diffusion import moved_toward_the_data


@pytest.fixture(scope="module")
def flow(tmp_path_factory):
    return trained("digits_flow", tmp_path_factory)


SEPARATE = {"scale_net": {"hidden": [6, 5]}, "shift_net": {"hidden": [7]}}


@pytest.mark.parametrize("mask, shape, options", [
    ("checkerboard", (2, 2, 1), {}), ("alternate", (5,), {}), ("half", (4,), {}),
    ("alternate", (5,), {**SEPARATE, "scale_activation": "tanh"}),
    ("checkerboard", (2, 2, 1), {**SEPARATE, "scale_activation": "linear"})])
def test_coupling_inverts_and_its_log_det_is_the_jacobians(mask, shape, options):
    import tensorflow as tf
    from builder.catalog.keras.generative import AffineCoupling
    layer = AffineCoupling(mask=mask, hidden=[8], **options)
    layer.build((None,) + shape)
    rng = np.random.default_rng(0)
    for w in layer.trainable_weights:  # away from the identity start
        w.assign(rng.normal(0, 0.5, w.shape).astype("float32"))
    x = tf.constant(rng.normal(size=(1,) + shape).astype("float32"))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y, logdet = layer.forward(x)
    jac = tape.jacobian(y, x).numpy().reshape(np.prod(shape), np.prod(shape))
    assert float(logdet[0]) == pytest.approx(np.linalg.slogdet(jac)[1], abs=1e-4)
    assert np.allclose(layer.inverse(y).numpy(), x.numpy(), atol=1e-5)


def test_untrained_flow_is_the_identity():
    from builder.catalog.keras.generative import AffineCoupling
    layer = AffineCoupling(hidden=[4])
    x = np.random.default_rng(1).normal(size=(3, 4, 4, 1)).astype("float32")
    y, logdet = layer.forward(x)
    assert np.allclose(y, x) and np.allclose(logdet, 0)


def test_likelihood_improves(flow):
    with open(flow / "history.csv") as fh:
        rows = list(csv.DictReader(fh))
    # negative log-likelihood per pixel, nats (dequantized)
    assert float(rows[-1]["val_loss"]) < float(rows[0]["val_loss"]) - 0.5


def test_samples_move_toward_the_data(flow):
    before, after = moved_toward_the_data(flow)
    # measured: classifier confidence 0.59 -> 0.84, nearest real digit 3.63 -> 1.3
    assert judge().looks_like_digits(after), after["confidence"]
    assert after["classes"] >= 7


def test_flow_encodes_and_decodes_exactly_after_reload(flow, tmp_path):
    import keras
    from builder.tasks.generative.flow import couplings
    model = keras.models.load_model(flow / "model.keras", safe_mode=True)
    layers = couplings(model)
    assert len(layers) == 8
    from sklearn.datasets import load_digits
    x = (load_digits().data[:20] / 16).reshape(20, 8, 8, 1).astype("float32")
    z = model.predict(x, verbose=0)
    back = z
    for layer in reversed(layers):
        back = layer.inverse(back)
    assert np.allclose(np.asarray(back), x, atol=1e-4)
    out = tmp_path / "walk.png"
    result = kspec("interpolate", flow, "--out", out)
    assert result.exit_code == 0 and "encoded test examples" in result.output


# ---- configurable coupling networks (keras-io's RealNVP) ------------------------------

KERAS_IO = """
kspec: 1
name: moons_flow
task: flow
data:
  source: {synthetic: {type: classification, shape: [2], classes: 2, n: 400}}   # two blobs
model:
  input: [2]
  layers:
    - repeat:
        times: 3
        layers:
          - affine_coupling: &c
              mask: alternate
              scale_activation: tanh              # keras-io: Dense(2, tanh) for s
              kernel_regularizer: {l2: 0.01}      # on every layer of both networks
              hidden: [256, 256, 256, 256]
              scale_net: {}                       # s and t: a network each
              shift_net: {}
          - affine_coupling: {<<: *c, invert: true}
train: {epochs: 1}
"""


def keras_io_coupling_count(size=2, units=256, layers=4):
    """keras-io's Coupling(input_shape): two stacks of 4 Dense(256, l2 0.01), then
    Dense(size, tanh) for s and Dense(size, linear) for t."""
    import keras
    inp = keras.Input((size,))
    outs = []
    for last in ("tanh", "linear"):
        h = inp
        for _ in range(layers):
            h = keras.layers.Dense(units, activation="relu",
                                   kernel_regularizer=keras.regularizers.l2(0.01))(h)
        outs.append(keras.layers.Dense(size, activation=last,
                                       kernel_regularizer=keras.regularizers.l2(0.01))(h))
    return keras.Model(inp, outs).count_params()


def test_keras_io_realnvp_counts_equal_keras(write_spec):
    from builder.build.model import build_models
    from builder.spec.load import load_spec
    path = write_spec(KERAS_IO)
    ((model, _),) = build_models(load_spec(path)).values()
    assert model.count_params() == 6 * keras_io_coupling_count() == 6 * 397_316
    result = kspec("validate", path)
    assert result.exit_code == 0 and "2,383,896 parameters" in result.output, result.output
    assert len(model.losses) == 6 * 2 * 5  # an l2 penalty per kernel, in the flow's loss


def test_the_options_change_the_built_network():
    from builder.catalog.layers import LAYERS

    def built(**params):
        (layer,) = LAYERS.parse({"affine_coupling": {"mask": "alternate", "hidden": [8],
                                                     **params}}).make("c")
        layer.build((None, 4))
        return layer
    shared = built()
    assert [w.path for w in shared.weights] == [
        "c/scale", "c/hidden_0/kernel", "c/hidden_0/bias", "c/shift_and_scale/kernel",
        "c/shift_and_scale/bias"]  # one network for s and t, as saved models have it
    separate = built(scale_net={"hidden": [5, 3], "activation": "tanh"}, shift_net={},
                     scale_activation="tanh")
    names = {w.path.split("/")[-2]: tuple(w.shape) for w in separate.weights if "kernel" in w.path}
    assert names == {"scale_hidden_0": (4, 5), "scale_hidden_1": (5, 3), "scale_out": (3, 4),
                     "shift_hidden_0": (4, 8), "shift_out": (8, 4)}  # shift: the shared hidden
    assert "c/scale" not in [w.path for w in separate.weights]  # plain tanh: no factor
    config = separate.get_config()
    assert config["scale_net"]["activation"] == "tanh" and config["shift_net"]["activation"] == "relu"
    assert separate.get_config()["scale_activation"] == "tanh"
    regularized = built(scale_net={"kernel_regularizer": {"l2": 0.5}}, shift_net={})
    x = np.ones((2, 4), "float32")
    regularized(x)
    assert len(regularized.losses) == 2  # the scale network's two kernels
    unregularized = built(scale_net={}, shift_net={})
    unregularized(x)
    assert not unregularized.losses
    # a shared-network key that both separate networks override is refused, not ignored
    with pytest.raises(Exception, match="hidden is for the shared network"):
        LAYERS.parse({"affine_coupling": {"hidden": [4], "scale_net": {"hidden": [3]},
                                          "shift_net": {"hidden": [3]}}})


def test_separate_networks_train_and_reload(tmp_path):
    import json

    import keras
    spec = KERAS_IO.replace("[256, 256, 256, 256]", "[32, 32]").replace("n: 400", "n: 600")
    path = tmp_path / "moons.yaml"
    path.write_text(spec.replace("epochs: 1", "epochs: 2, batch_size: 64"))
    result = kspec("train", path, "--out", tmp_path / "run", "-q")
    assert result.exit_code == 0, result.output
    with open(tmp_path / "run" / "history.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 2 and np.isfinite(float(rows[-1]["val_loss"]))
    assert float(rows[-1]["val_loss"]) < float(rows[0]["val_loss"])
    model = keras.models.load_model(tmp_path / "run" / "model.keras", safe_mode=True)
    config = model.layers[1].get_config()
    assert config["scale_net"]["hidden"] == [32, 32] and config["scale_activation"] == "tanh"
    assert len(model.losses) == 6 * 2 * 3
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())
