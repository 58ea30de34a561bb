"""kspec's generative layers (sampling, time_embedding, affine_coupling): catalog
entries with shape rules, and Keras layers that save and reload in plain Keras'
safe mode once `import builder` has registered them."""
from __future__ import annotations

import subprocess
import sys

import numpy as np

SPEC = """
kspec: 1
name: layers
task: supervised
data:
  source: {sklearn: digits}
  preprocess: [{scale: 16}, {reshape: [8, 8, 1]}]
model:
  input: {x: [8, 8, 1], t: [1]}
  layers:
    - affine_coupling: {mask: checkerboard, hidden: [16], inputs: x}
    - affine_coupling: {mask: checkerboard, invert: true, hidden: [16]}
    - flatten: {name: flat}
    - time_embedding: {dim: 8, inputs: t, name: temb}
    - concatenate: {inputs: [flat, temb]}
    - dense: {units: 4, name: m}
    - dense: {units: 4, name: v, inputs: concatenate}
    - sampling: {inputs: [m, v], name: z}
  outputs: [m, z]
train: {loss: mse}
"""

RELOAD = """
import sys, numpy as np
import builder, keras  # importing builder registers kspec's layers
model = keras.models.load_model(sys.argv[1], safe_mode=True)
x = np.load(sys.argv[2])
m, z = model.predict({"x": x, "t": np.arange(len(x), dtype="float32")[:, None]}, verbose=0)
np.save(sys.argv[3], m)
print(sorted({type(l).__name__ for l in model.layers}))
"""


def test_layers_save_and_reload_in_safe_mode_in_a_fresh_process(write_spec, tmp_path):
    from builder.build.model import build_model
    from builder.spec.load import load_spec
    # two outputs: a model to save and reload, not to train (validate would refuse that)
    model, _ = build_model(load_spec(write_spec(SPEC), check=False))
    x = np.random.default_rng(0).uniform(0, 1, (6, 8, 8, 1)).astype("float32")
    for layer in model.layers:  # leave the identity start so the check means something
        if type(layer).__name__ == "AffineCoupling":
            for w in layer.trainable_weights:
                w.assign(np.random.default_rng(1).normal(0, 0.3, w.shape).astype("float32"))
    m, z = model.predict({"x": x, "t": np.arange(6, dtype="float32")[:, None]}, verbose=0)
    assert m.shape == z.shape == (6, 4) and not np.allclose(m, z)
    model.save(tmp_path / "m.keras")
    np.save(tmp_path / "x.npy", x)
    out = subprocess.run([sys.executable, "-c", RELOAD, str(tmp_path / "m.keras"),
                          str(tmp_path / "x.npy"), str(tmp_path / "m.npy")],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "'AffineCoupling'" in out.stdout and "'Sampling'" in out.stdout
    assert "'TimeEmbedding'" in out.stdout
    assert np.allclose(np.load(tmp_path / "m.npy"), m, atol=1e-5)


def test_time_embedding_is_sinusoidal_and_tells_steps_apart():
    from builder.catalog.keras.generative import TimeEmbedding
    emb = np.asarray(TimeEmbedding(16)(np.array([[0.0], [1.0], [50.0]], "float32")))
    assert emb.shape == (3, 16)
    assert np.allclose(emb[0, :8], 0) and np.allclose(emb[0, 8:], 1)  # sin 0, cos 0
    assert np.allclose((emb ** 2).reshape(3, 2, 8).sum(axis=1), 1)  # sin^2 + cos^2
    assert np.linalg.norm(emb[1] - emb[0]) < np.linalg.norm(emb[2] - emb[0])


def test_sampling_draws_around_the_mean_with_the_given_spread():
    from builder.catalog.keras.generative import Sampling
    mean = np.full((4000, 2), 3.0, "float32")
    log_var = np.log(np.full((4000, 2), 0.25, "float32"))
    z = np.asarray(Sampling(seed=1)([mean, log_var]))
    assert abs(z.mean() - 3.0) < 0.05 and abs(z.std() - 0.5) < 0.05


def test_catalog_shape_rules(cli, write_spec):
    bad = SPEC.replace("{dim: 8, inputs: t, name: temb}", "{dim: 8, inputs: flat, name: temb}")
    result = cli("validate", write_spec(bad))
    assert result.exit_code == 1 and "takes the step number" in result.stderr
    bad = SPEC.replace("{units: 4, name: v, inputs: concatenate}",
                       "{units: 3, name: v, inputs: concatenate}")
    result = cli("validate", write_spec(bad))
    assert result.exit_code == 1 and "must have the same shape" in result.stderr
    result = cli("validate", write_spec(SPEC.replace("dim: 8", "dim: 7")))
    assert result.exit_code == 1 and "must be even" in result.stderr
