"""Sequence layers: the transformer parts, RNN state passing, causal convolutions.

Shapes kspec plans agree with Keras; the causal mask really hides the future
(changing a later token leaves every earlier prediction unchanged, while a
non-causal block does change them, so the test can tell the difference); models
save and load in Keras' safe mode with the same outputs.
"""
from __future__ import annotations

import numpy as np
import pytest

from builder.spec.load import load_spec
from builder.core.problems import SpecError

HEAD = """
kspec: 1
name: t
task: language_model
data:
  source: {text: {path: %s, window: 16}}
train:
  sample: {length: 0}
"""


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text("to be or not to be, that is the question.\n" * 5, encoding="utf-8")
    return path


def build(write_spec, corpus, model_text, check=True):
    from builder.build.model import build_model
    loaded = load_spec(write_spec(HEAD % corpus + model_text), check=check)
    return build_model(loaded)


GPT = """
model:
  input: [16]
  layers:
    - token_position_embedding: {vocab_size: 20, output_dim: 16}
    - transformer_block: {num_heads: 2, ff_dim: 32, causal: %s}
    - layer_norm
    - dense: {units: 20, activation: softmax}
"""

# the same block written from its parts: residual + named inputs
GPT_FROM_PARTS = """
model:
  input: [16]
  layers:
    - embedding: {input_dim: 20, output_dim: 16}
    - position_embedding
    - residual:
        layers:
          - layer_norm: {name: n1}
          - multi_head_attention: {num_heads: 2, key_dim: 8, causal: true, inputs: [n1, n1]}
          - dropout: 0.1
    - residual:
        layers:
          - layer_norm
          - dense: {units: 32, activation: gelu}
          - dense: 16
    - dense: {units: 20, activation: softmax}
"""


def future_changes_past(model, position=10):
    """Largest change of the predictions before `position` when the token there changes."""
    rng = np.random.default_rng(0)
    x = rng.integers(0, 20, size=(4, 16))
    changed = x.copy()
    changed[:, position] = (changed[:, position] + 7) % 20
    a, b = np.asarray(model(x)), np.asarray(model(changed))
    return float(np.abs(a[:, :position] - b[:, :position]).max()), \
        float(np.abs(a[:, position:] - b[:, position:]).max())


@pytest.mark.parametrize("text", [GPT % "true", GPT_FROM_PARTS], ids=["block", "from_parts"])
def test_causal_mask_hides_later_tokens(write_spec, corpus, text):
    model, _ = build(write_spec, corpus, text)
    before, after = future_changes_past(model)
    assert before == 0.0  # nothing earlier than the changed token moves
    assert after > 1e-4  # ...while the changed position itself and later ones do


def test_without_the_mask_the_future_leaks(write_spec, corpus):
    model, _ = build(write_spec, corpus, GPT % "false", check=False)
    before, _ = future_changes_past(model)
    assert before > 1e-4


def test_planned_shapes_and_params_are_keras_own(write_spec, corpus):
    model, plan = build(write_spec, corpus, GPT % "true")
    for node in plan.nodes:
        assert tuple(model.get_layer(node.name).output.shape[1:]) == node.shape
    # embedding 20x16 + positions 16x16; block: attention 4*(16*16+16) = 1088, two norms
    # 64, feed-forward 16*32+32 + 32*16+16 = 1072; final norm 32; dense 16*20+20 = 340
    assert model.count_params() == 320 + 256 + 1088 + 64 + 1072 + 32 + 340


def test_gpt_saves_and_loads_in_safe_mode(write_spec, corpus, tmp_path):
    import keras
    model, _ = build(write_spec, corpus, GPT % "true")
    x = np.arange(32).reshape(2, 16) % 20
    model.save(tmp_path / "m.keras")
    again = keras.models.load_model(tmp_path / "m.keras", safe_mode=True)
    np.testing.assert_array_equal(np.asarray(again(x)), np.asarray(model(x)))


@pytest.mark.parametrize("layers, message", [
    ("- transformer_block: {num_heads: 2, ff_dim: 8}",
     "expects a sequence (steps, features)"),
    ("- token_position_embedding: {vocab_size: 20, output_dim: 10}\n"
     "    - transformer_block: {num_heads: 3, ff_dim: 8}",
     "10 features do not split into 3 heads"),
    ("- token_position_embedding: {vocab_size: 20, output_dim: 8, max_length: 8}",
     "longer than max_length 8"),
])
def test_shape_mistakes_are_reported_at_the_layer(write_spec, corpus, layers, message):
    text = f"model:\n  input: [16]\n  layers:\n    {layers}\n    - dense: 20\n"
    with pytest.raises(SpecError) as exc:
        load_spec(write_spec(HEAD % corpus + text))
    assert message in str(exc.value)
    assert "model.layers[" in str(exc.value)


SEQ2SEQ = """
kspec: 1
name: s2s
data:
  source: {synthetic: {type: sequences, shape: [10, 3]}}
model:
  input: {source: [10, 3], target: [8, 2], features: [16]}
  layers:
    - lstm: {units: 16, return_state: true, name: encoder, inputs: source}
    - lstm: {units: 16, return_sequences: true, inputs: [target, encoder], name: decoder}
    - gru: {units: 16, return_sequences: true, inputs: [target, features], name: captioner}
    - concatenate: {inputs: [decoder, captioner]}
    - dense: 4
train:
  loss: mse
"""


def test_rnn_state_passes_from_encoder_to_decoder(write_spec, tmp_path):
    import keras
    from builder.build.model import build_model
    model, _ = build_model(load_spec(write_spec(SEQ2SEQ)))
    rng = np.random.default_rng(1)
    src, tgt, feats = (rng.random((2, 10, 3), "float32"), rng.random((2, 8, 2), "float32"),
                       rng.random((2, 16), "float32"))
    out = np.asarray(model([src, tgt, feats]))
    # the decoder never sees `source` except through the encoder's final h and c
    other = np.asarray(model([src + 1, tgt, feats]))
    assert np.abs(out - other).max() > 1e-4
    model.save(tmp_path / "s2s.keras")
    again = keras.models.load_model(tmp_path / "s2s.keras", safe_mode=True)
    np.testing.assert_allclose(np.asarray(again([src, tgt, feats])), out, atol=1e-6)


def test_initial_state_width_must_match_units(write_spec):
    text = SEQ2SEQ.replace("gru: {units: 16", "gru: {units: 8")
    with pytest.raises(SpecError) as exc:
        load_spec(write_spec(text))
    assert "an initial state must have the RNN's 8 units, got (16,)" in str(exc.value)
    assert "spec.yaml:10:7: model.layers[2].gru" in str(exc.value)  # the gru's line


CAUSAL_CONV = """
kspec: 1
name: c
data:
  source: {synthetic: {type: sequences, shape: [32, 1]}}
model:
  input: [32, 1]
  layers:
    - conv1d: {filters: 4, kernel_size: 3, padding: causal, dilation_rate: 2}
    - conv1d: {filters: 1, kernel_size: 3, padding: causal, dilation_rate: 4}
    - global_average_pooling1d
    - dense: {units: 10, activation: softmax}
train:
  loss: sparse_categorical_crossentropy
"""


def test_causal_dilated_conv1d_keeps_length_and_looks_only_back(write_spec):
    from builder.build.model import build_model
    model, plan = build_model(load_spec(write_spec(CAUSAL_CONV)))
    assert plan.node("conv1d_1").shape == (32, 1)
    conv = model.get_layer("conv1d_1").output
    import keras
    probe = keras.Model(model.input, conv)
    x = np.random.default_rng(2).random((1, 32, 1), "float32")
    changed = x.copy()
    changed[0, 20] += 1
    a, b = np.asarray(probe(x))[0, :, 0], np.asarray(probe(changed))[0, :, 0]
    assert np.abs(a[:20] - b[:20]).max() == 0.0
    assert np.abs(a[20:] - b[20:]).max() > 0
