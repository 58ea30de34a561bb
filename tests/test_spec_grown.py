"""Issue 12, the spec language grown on real models: each test is a user's action that
failed (or was silently wrong) before and works, or is refused on its line, now."""
from __future__ import annotations

import pytest

from builder.core.problems import Report
from builder.spec.counts import plan_count
from builder.spec.graph import plan_model
from builder.spec.schema import ModelSpec

from conftest import DIGITS_HEAD


def plan_problems(model_data):
    report = Report()
    plan = plan_model(ModelSpec.model_validate(model_data), ("model",), report)
    return plan, [p.render() for p in report.errors]


def plan_of(model_data):
    plan, errors = plan_problems(model_data)
    assert not errors, errors
    return plan


def built(model_data):
    from builder.build.model import build_from_plan
    plan = plan_of(model_data)
    return plan, build_from_plan(plan, "t")


def trainable_count(model):
    return sum(int(w.numpy().size) for w in model.trainable_weights)


# ---- 1. layers: depthwise_conv2d, group_normalization ----------------------------------

def test_depthwise_and_group_norm_are_layers():
    plan = plan_of({"input": [16, 16, 8], "layers": [
        {"depthwise_conv2d": {"kernel_size": 3, "padding": "same", "use_bias": False}},
        {"group_normalization": {"groups": 4}}]})
    assert [n.layer.kind for n in plan.nodes] == ["depthwise_conv2d", "group_normalization"]
    assert plan.nodes[-1].shape == (16, 16, 8)
    assert plan_count(plan).total == 3 * 3 * 8 + 2 * 8


def test_group_norm_that_does_not_divide_names_a_divisor():
    _, errors = plan_problems({"input": [8, 8, 6], "layers": [{"group_normalization": 4}]})
    (msg,) = errors
    assert "6 channels cannot be split into 4 groups; use groups: 3" in msg


# ---- 2. broadcasting merges -------------------------------------------------------------

SQUEEZE_EXCITE = {"input": [16, 16, 8], "layers": [
    {"conv2d": {"filters": 8, "kernel_size": 3, "padding": "same", "name": "features"}},
    {"global_average_pooling2d": {"keepdims": True}},
    {"conv2d": {"filters": 2, "kernel_size": 1, "activation": "swish"}},
    {"conv2d": {"filters": 8, "kernel_size": 1, "activation": "sigmoid", "name": "gate"}},
    {"multiply": {"inputs": ["features", "gate"]}}]}


def test_squeeze_and_excite_broadcast_multiply_plans_as_keras_builds():
    plan, model = built(SQUEEZE_EXCITE)
    assert plan.node("gate").shape == (1, 1, 8)
    assert plan.node("multiply").shape == (16, 16, 8)
    assert tuple(model.output.shape[1:]) == (16, 16, 8)
    assert plan_count(plan).total == model.count_params()


@pytest.mark.parametrize("kind", ["add", "subtract", "average", "maximum", "minimum"])
def test_every_elementwise_merge_broadcasts(kind):
    plan = plan_of({"input": {"a": [4, 4, 3], "b": [1, 1, 3]},
                    "layers": [{kind: {"inputs": ["a", "b"]}}]})
    assert plan.nodes[0].shape == (4, 4, 3)


def test_merge_that_cannot_broadcast_says_why_and_a_real_fix():
    _, errors = plan_problems({"input": {"a": [16, 16, 8], "b": [16, 16, 4]},
                               "layers": [{"multiply": {"inputs": ["a", "b"]}}]})
    (msg,) = errors
    assert "differ on axis 3 (8 vs 4)" in msg
    assert "same number of channels (units or filters: 8)" in msg
    assert "padding: same ... or concatenate" not in msg
    _, errors = plan_problems({"input": {"a": [16, 16, 8], "b": [15, 16, 8]},
                               "layers": [{"add": {"inputs": ["a", "b"]}}]})
    assert "differ on axis 1 (16 vs 15)" in errors[0] and "make one of them 1" in errors[0]


# ---- 3. trainable: false on a block or a whole network ----------------------------------

RES_BLOCK = {"residual": {"trainable": False, "layers": [
    {"conv2d": {"filters": 8, "kernel_size": 3, "padding": "same"}},
    "batch_normalization", "relu",
    {"conv2d": {"filters": 16, "kernel_size": 3, "padding": "same"}}]}}  # projected


def test_frozen_residual_block_freezes_everything_inside_as_keras_counts():
    plan, model = built({"input": [8, 8, 4], "layers": [RES_BLOCK, "flatten", {"dense": 2}]})
    count = plan_count(plan)
    dense = 8 * 8 * 16 * 2 + 2
    assert trainable_count(model) == count.trainable == dense
    assert model.count_params() - trainable_count(model) == count.total - count.trainable
    assert count.total - count.trainable > 400  # both convolutions, the norm, the projection


def test_frozen_repeat_and_frozen_network():
    frozen_repeat = {"repeat": {"times": 2, "trainable": False, "layers": [{"dense": 4}]}}
    plan, model = built({"input": [4], "layers": [frozen_repeat, {"dense": 1}]})
    assert trainable_count(model) == plan_count(plan).trainable == 5
    plan, model = built({"input": [4], "trainable": False, "layers": [{"dense": 3}, {"dense": 1}]})
    assert trainable_count(model) == plan_count(plan).trainable == 0
    assert model.count_params() == 19


def test_summary_shows_the_frozen_split(cli, write_spec):
    path = write_spec(DIGITS_HEAD + """
    model:
      input: [8, 8, 1]
      layers:
        - residual:
            trainable: false
            layers:
              - conv2d: {filters: 1, kernel_size: 3, padding: same}
        - flatten
        - dense: {units: 10, activation: softmax}
    train: {loss: sparse_categorical_crossentropy}
    """.replace("\n    ", "\n"))
    result = cli("summary", path)
    assert result.exit_code == 0, result.stderr
    assert "Trainable params: 650" in result.stdout
    assert "Non-trainable params: 10" in result.stdout


# ---- 4. unused layers ---------------------------------------------------------------------

def test_layer_no_output_uses_is_an_error_with_the_fix():
    _, errors = plan_problems({"input": [4], "layers": [
        {"dense": {"units": 8, "name": "h"}}, {"dense": {"units": 2, "name": "z_mean"}},
        {"dense": {"units": 2, "name": "z_log_var", "inputs": "h"}}]})
    (msg,) = errors
    assert msg.startswith("model.layers[1].dense: layer 'z_mean' is not used")
    assert "name it in `outputs:` or use it in a later layer's `inputs:`" in msg
    plan_of({"input": [4], "outputs": ["z_mean", "z_log_var"], "layers": [
        {"dense": {"units": 8, "name": "h"}}, {"dense": {"units": 2, "name": "z_mean"}},
        {"dense": {"units": 2, "name": "z_log_var", "inputs": "h"}}]})


# ---- 5. several outputs: refused at validate, on the outputs line --------------------------

IRIS_HEAD = """
kspec: 1
name: t
data: {source: {sklearn: iris}}
"""


def validate_lines(cli, write_spec, text):
    result = cli("validate", write_spec(text))
    assert "Traceback" not in result.stderr
    return result.exit_code, [ln for ln in result.stderr.splitlines() if ln.strip()]


def test_two_output_model_is_refused_at_validate_not_in_keras_fit(cli, write_spec):
    code, lines = validate_lines(cli, write_spec, IRIS_HEAD + """
model:
  input: [4]
  layers:
    - dense: {units: 16, activation: relu, name: h}
    - dense: {units: 2, name: z_mean}
    - dense: {units: 2, name: z_log_var, inputs: h}
  outputs: [z_mean, z_log_var]
train: {loss: mse}
""")
    assert code == 1
    (line,) = lines
    # several outputs train with a loss per output (train.outputs): the message says how
    assert ":11:3: model.outputs: this model has 2 output" in line
    assert "train: {outputs: {z_mean: {loss: ...}, z_log_var: {loss: ...}}}" in line


# ---- 6. callback monitor names ----------------------------------------------------------------

CALLBACKS = IRIS_HEAD + """
model:
  input: [4]
  layers:
    - dense: {units: 3, activation: softmax}
train:
  loss: sparse_categorical_crossentropy
  metrics: [accuracy]
  callbacks:
    - early_stopping: {monitor: val_acc}
    - reduce_lr_on_plateau: {monitor: val_los}
    - model_checkpoint: {monitor: val_auc}
"""


def test_callback_monitor_names_are_checked_with_did_you_mean(cli, write_spec):
    code, lines = validate_lines(cli, write_spec, CALLBACKS)
    assert code == 1 and len(lines) == 3
    assert "train.callbacks[0].early_stopping.monitor: 'val_acc' is not logged during " \
           "training (logged: loss, accuracy, val_loss, val_accuracy" in lines[0]
    assert lines[0].endswith("did you mean 'val_accuracy'?")
    assert lines[1].endswith("did you mean 'val_loss'?")
    assert lines[2].endswith("add auc to train.metrics to log it")


def test_val_monitor_without_a_validation_split(cli, write_spec):
    text = CALLBACKS.replace("data: {source: {sklearn: iris}}",
                             "data: {source: {sklearn: iris}, split: {validation: 0}}")
    text = text.replace("val_los", "loss").replace("val_auc", "accuracy")
    code, lines = validate_lines(cli, write_spec, text)
    (line,) = lines
    assert "'val_acc' needs a validation split, and data.split.validation is 0; " \
           "monitor 'acc' or set data.split.validation: 0.2" in line


# ---- 7. lint errors for nonsense that Keras would train on ------------------------------------

def seq_spec(layers, loss="mean_squared_error", kind="regression"):
    return f"""
kspec: 1
name: t
data: {{source: {{synthetic: {{type: {kind}, n: 50, shape: [10, 3], classes: 3}}}}}}
model:
  input: [10, 3]
  layers:
{layers}
train: {{loss: {loss}}}
"""


def test_rnn_returning_sequences_before_a_per_example_target(cli, write_spec):
    code, lines = validate_lines(cli, write_spec, seq_spec(
        "    - lstm: {units: 8, return_sequences: true}\n    - dense: 1"))
    assert code == 1
    (line,) = lines
    assert "model.layers[0].lstm: the target is one number per example, but with " \
           "return_sequences: true the output (dense) has shape [10, 1]" in line
    assert "set return_sequences: false on this layer" in line


def test_stacked_lstm_without_return_sequences_names_the_first_one(cli, write_spec):
    code, lines = validate_lines(cli, write_spec, seq_spec(
        "    - lstm: 8\n    - lstm: 4\n    - dense: 1"))
    (line,) = lines
    assert line.endswith("model.layers[1].lstm: lstm on input (8,): expects a sequence (steps, "
                         "features), but lstm 'lstm' returns only its last step; set "
                         "return_sequences: true on layers[0]")


def test_softmax_on_one_unit_and_categorical_on_one_unit_are_errors(cli, write_spec):
    head = IRIS_HEAD.replace("{sklearn: iris}", "{sklearn: breast_cancer}")
    code, lines = validate_lines(cli, write_spec, head + """
model:
  input: [30]
  layers: [{dense: {units: 1, activation: softmax}}]
train: {loss: binary_crossentropy}
""")
    assert code == 1
    assert "softmax over 1 unit always outputs 1.0" in lines[0]
    assert "use activation: sigmoid for one unit" in lines[0]
    code, lines = validate_lines(cli, write_spec, head + """
model:
  input: [30]
  layers: [{dense: {units: 1, activation: sigmoid}}]
train: {loss: categorical_crossentropy}
""")
    assert code == 1
    assert "categorical_crossentropy on 1 unit is always 0" in lines[0]
    assert "use binary_crossentropy with units: 1 and sigmoid" in lines[0]


# ---- 8. residual shortcut options -----------------------------------------------------------

def odd_residual(shortcut=None):
    block = {"layers": [{"conv2d": {"filters": 8, "kernel_size": 3, "strides": 2,
                                    "padding": "same"}}], "name": "r"}
    if shortcut:
        block["shortcut"] = shortcut
    return {"input": [45, 45, 4], "layers": [{"residual": block}]}


@pytest.mark.parametrize("shortcut,kinds", [
    (None, ["conv2d"]),
    ({"downsample": "pooled"}, ["average_pooling2d", "conv2d"]),
    ({"batch_norm": True, "use_bias": False}, ["conv2d", "batch_normalization"])])
def test_odd_sizes_project_strided_or_pooled_as_keras_builds(shortcut, kinds):
    plan, model = built(odd_residual(shortcut))
    proj = [n for n in plan.nodes if n.name.startswith("r_projection")]
    assert [n.layer.kind for n in proj] == kinds
    assert plan.node("r").shape == (23, 23, 8) == tuple(model.output.shape[1:])
    assert plan_count(plan).total == model.count_params()


def test_residual_hints_name_a_real_fix():
    _, errors = plan_problems({"input": [8, 8, 4], "layers": [{"residual": {
        "projection": "none", "layers": [{"conv2d": {"filters": 16, "kernel_size": 1}}]}}]})
    assert "remove projection: none to add a 1x1 projection" in errors[0]
    assert "or use projection: auto" not in errors[0]
    _, errors = plan_problems({"input": [8, 8, 4], "layers": [{"residual": {
        "layers": [{"conv2d": {"filters": 4, "kernel_size": 3}}, "flatten"]}}]})
    assert "changes the rank of its input; keep the rank inside the block" in errors[0]


# ---- 11. small items ---------------------------------------------------------------------------

def test_catalog_activations_lists_swish_and_identity(cli):
    result = cli("catalog", "activations")
    lines = {ln.split()[0]: ln for ln in result.stdout.splitlines()}
    assert "(also: swish)" in lines["silu"]
    assert "(also: identity, none)" in lines["linear"]


def test_keras_habits_get_kspec_hints():
    from builder.catalog.layers import LAYERS
    with pytest.raises(Exception) as exc:
        LAYERS.parse("maxpool2d")
    assert "did you mean 'max_pooling2d'?" in str(exc.value)
    with pytest.raises(Exception) as exc:
        LAYERS.parse({"dense": {"units": 3, "input_shape": [4]}})
    assert "unknown key 'input_shape'; the input's shape is given once, as model.input" \
        in str(exc.value)
    with pytest.raises(Exception) as exc:
        ModelSpec.model_validate({"input_shape": [4], "layers": ["relu"]})
    assert "the shape of one example is model.input" in str(exc.value)


def test_messages_say_one_unit_and_one_filter():
    from builder.share.explain import explain_plan
    plan = plan_of({"input": [4, 4, 1], "layers": [
        {"conv2d": {"filters": 1, "kernel_size": 3}}, "flatten", {"dense": 1}]})
    text = " ".join(f"{line.params_text} {getattr(line, 'shape_text', '')}"
                    for line in explain_plan(plan))
    assert "1 filter makes 1 channel" in str([vars(x) for x in explain_plan(plan)])
    assert "x 1 unit" in text and "1 units" not in text and "1 filters" not in text


# ---- 9. validate opens a CSV's header and first rows ---------------------------------------------

HOUSES = """
kspec: 1
name: t
data:
  source:
    csv: {path: houses.csv, target: price, target_type: number, encoding: integer,
          categorical: [town]}
model:
  input: [3]
  layers: [{dense: 1}]
train: {loss: mse}
"""


@pytest.fixture
def houses(write_spec):
    def _write(text):
        path = write_spec(text)
        (path.parent / "houses.csv").write_text("area,rooms,town,price\n120,4,north,300\n"
                                                "80,2,south,210\n")
        return path
    return _write


def csv_lines(cli, path):
    result = cli("validate", path)
    assert "Traceback" not in result.stderr
    return result.exit_code, [ln for ln in result.stderr.splitlines() if ln.strip()]


def test_csv_checked_at_validate(cli, houses):
    assert csv_lines(cli, houses(HOUSES))[0] == 0
    code, (line,) = csv_lines(cli, houses(HOUSES.replace("target: price", "target: prise")))
    assert code == 1 and "data.source.csv.target: no column 'prise'" in line
    assert "did you mean 'price'?" in line
    code, (line,) = csv_lines(cli, houses(HOUSES.replace("houses.csv,", "house.csv,")))
    assert code == 0  # a file still to download or convert: a warning, and train refuses
    assert "warning: data.source.csv.path:" in line and "house.csv does not exist" in line
    assert "the data cannot be checked against the model" in line
    code, (line,) = csv_lines(cli, houses(HOUSES.replace("input: [3]", "input: [5]")))
    assert "model.input: the data gives examples of shape [3] but model.input is [5]" in line
    code, (line,) = csv_lines(cli, houses(HOUSES.replace(",\n          categorical: [town]", "")))
    assert "the input column 'town' holds text ('north'); a network reads numbers: add " \
           "categorical: ['town'] to encode it" in line


def test_npz_shapes_and_token_ids_checked_at_validate(cli, write_spec):
    import numpy as np
    text = """
kspec: 1
name: t
data: {source: {npz: {path: tokens.npz}}}
model:
  input: [6]
  layers:
    - embedding: {input_dim: 10, output_dim: 4}
    - global_average_pooling1d
    - dense: {units: 2, activation: softmax}
train: {loss: sparse_categorical_crossentropy}
"""
    path = write_spec(text)
    rng = np.random.default_rng(0)
    np.savez(path.parent / "tokens.npz", x=rng.integers(0, 12, (20, 6)), y=rng.integers(0, 2, 20))
    code, (line,) = csv_lines(cli, path)
    assert code == 1
    assert "model.layers[0].embedding.input_dim: the data's token ids go up to 11 but " \
           "input_dim is 10 (ids 0..9); use input_dim: 12" in line
    np.savez(path.parent / "tokens.npz", x=rng.integers(0, 10, (20, 7)), y=rng.integers(0, 2, 20))
    code, (line,) = csv_lines(cli, path)
    assert "the data gives examples of shape [7] but model.input is [6]" in line
    path = write_spec(text.replace("tokens.npz}", "tokens.npz, x: inputs}"))
    code, (line,) = csv_lines(cli, path)
    assert "data.source.npz.x:" in line and "has no array 'inputs' (it has x, y)" in line


def test_series_shorter_than_window_is_an_error_at_validate(cli, write_spec):
    path = write_spec("""
kspec: 1
name: t
task: forecast
data: {source: {timeseries: {path: s.csv, column: v, window: 12, horizon: 1}}}
model:
  input: [12, 1]
  layers: [{lstm: 4}, {dense: 1}]
train: {loss: mse}
""")
    path.with_name("s.csv").write_text("v\n" + "\n".join(str(i) for i in range(10)) + "\n")
    code, (line,) = csv_lines(cli, path)
    assert code == 1 and "has 10 values, too few for window 12 + horizon 1" in line


# ---- 10. reusable blocks: EfficientNet-B0 and a group-norm U-Net -----------------------------------

def test_efficientnet_b0_with_mbconv_blocks_counts_as_keras_application():
    """examples/efficientnet_b0.yaml: depthwise convolutions and squeeze-and-excite (a
    broadcast multiply) in a reusable block; its count equals Keras' own EfficientNetB0."""
    from pathlib import Path
    from builder.build.model import build_model
    from builder.core.keras_env import keras
    from builder.spec.load import load_spec
    loaded = load_spec(Path(__file__).parents[1] / "examples" / "efficientnet_b0.yaml")
    text = loaded.path.read_text()
    assert text.count("- depthwise_conv2d") == 2 and len(text.splitlines()) < 90
    model, plan = build_model(loaded)
    reference = keras().applications.EfficientNetB0(weights=None, classes=10)
    count = plan_count(plan)
    assert count.total == model.count_params() == reference.count_params() == 4_062_381
    assert count.trainable == trainable_count(reference) == trainable_count(model)


UNET = {"input": [16, 16, 3], "blocks": {
    "level": {"params": {"filters": 8, "groups": 4}, "layers": [
        {"conv2d": {"filters": "$filters", "kernel_size": 3, "padding": "same"}},
        {"group_normalization": "$groups"}, "swish",
        {"conv2d": {"filters": "$filters", "kernel_size": 3, "padding": "same"}},
        {"group_normalization": "$groups"}, {"activation": {"activation": "swish", "name": "out"}}]},
    "up": {"params": {"filters": 8, "skip": "input"}, "layers": [
        {"up_sampling2d": {"size": 2, "name": "up"}},
        {"concatenate": {"inputs": ["up", "$skip"]}},
        {"use": {"block": "level", "args": {"filters": "$filters"}}}]}},
    "layers": [
        {"use": {"block": "level", "name": "enc1"}}, "max_pooling2d",
        {"use": {"block": "level", "name": "enc2", "args": {"filters": 16}}}, "max_pooling2d",
        {"use": {"block": "level", "name": "mid", "args": {"filters": 32}}},
        {"use": {"block": "up", "name": "dec2", "args": {"filters": 16, "skip": "enc2/out"}}},
        {"use": {"block": "up", "name": "dec1", "args": {"filters": 8, "skip": "enc1/out"}}},
        {"conv2d": {"filters": 3, "kernel_size": 1}}]}


def test_unet_with_blocks_and_group_norm_scopes_names_and_builds():
    plan, model = built(UNET)
    names = [n.name for n in plan.nodes]
    assert "enc1_out" in names and "enc2_out" in names and "dec1_up" in names
    joins = [n.inputs for n in plan.nodes if n.layer.kind == "concatenate"]
    assert joins == [["dec2_up", "enc2_out"], ["dec1_up", "enc1_out"]]  # the skips, by scope
    assert sum(n.layer.kind == "group_normalization" for n in plan.nodes) == 10  # 5 levels x 2
    assert tuple(model.output.shape[1:]) == (16, 16, 3)
    assert plan_count(plan).total == model.count_params()


def test_block_mistakes_are_reported_on_their_lines():
    bad = {**UNET, "layers": [{"use": {"block": "levle"}},
                              {"use": {"block": "level", "args": {"filter": 4}}}]}
    _, errors = plan_problems(bad)
    assert "model.layers[0].use.block: no block named 'levle'; did you mean 'level'?" in errors[0]
    assert "model.layers[1].use.args.filter: block level has no parameter 'filter'; " \
           "did you mean 'filters'?" in errors[1]
    typo = {"input": [4], "blocks": {"b": {"params": {"units": 2}, "layers": [
        {"dense": {"units": "$unit"}}]}}, "layers": [{"use": "b"}]}
    _, errors = plan_problems(typo)
    assert errors == ["model.blocks.b.layers[0].dense.units: '$unit' is not a parameter of "
                      "this block; did you mean 'units'?; add it to params: with a default"]


def test_text_vocabulary_checked_against_the_model_at_validate(cli, write_spec):
    path = write_spec("""
kspec: 1
name: t
task: language_model
data: {source: {text: {path: t.txt, window: 8}}}
model:
  input: [8]
  layers:
    - embedding: {input_dim: 5, output_dim: 4}
    - lstm: 8
    - dense: {units: 10, activation: softmax}
train: {loss: sparse_categorical_crossentropy}
""")
    path.with_name("t.txt").write_text("abcdefghij" * 5)
    code, (line,) = csv_lines(cli, path)
    assert code == 1
    assert "model.layers[0].embedding.input_dim: the data's token ids go up to 9 but " \
           "input_dim is 5 (ids 0..4); use input_dim: 10" in line
