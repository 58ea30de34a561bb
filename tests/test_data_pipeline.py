"""tf.data input, training-only augmentation, `kspec data`, and bad data as one clear line."""
from __future__ import annotations

import re

import numpy as np
import pytest

from builder.data.pipeline import fit_datasets, prepare, to_dataset
from builder.spec.schema import DataSpec

LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<path>\S+): (?P<msg>.+)$")


def batches(ds):
    return [tuple(np.asarray(t) for t in b) for b in ds]


def test_every_example_once_per_epoch_reshuffled_and_seeded():
    x = np.arange(50, dtype="float32")[:, None]
    y = np.arange(50)
    ds = to_dataset(x, y, batch_size=8, shuffle=True, seed=3)
    epoch1 = np.concatenate([b[1] for b in batches(ds)])
    epoch2 = np.concatenate([b[1] for b in batches(ds)])
    assert sorted(epoch1) == list(range(50)) and sorted(epoch2) == list(range(50))
    assert not np.array_equal(epoch1, epoch2)  # a new order each epoch
    again = np.concatenate([b[1] for b in batches(to_dataset(x, y, 8, True, 3))])
    np.testing.assert_array_equal(epoch1, again)  # seeded
    for bx, by in batches(ds):
        np.testing.assert_array_equal(bx[:, 0], by)  # inputs stay with their labels
    plain = np.concatenate([b[1] for b in batches(to_dataset(x, y, 8, False, 3))])
    np.testing.assert_array_equal(plain, y)


def test_augmentation_changes_training_batches_only():
    spec = DataSpec.model_validate({
        "source": {"synthetic": {"type": "images", "n": 60, "shape": [16, 16, 1], "classes": 3}},
        "preprocess": [{"scale": 255}],
        "augment": [{"random_flip": "horizontal"}, {"random_rotation": 0.2},
                    {"random_zoom": 0.2}, {"random_translation": {"height_factor": 0.2,
                                                                   "width_factor": 0.2}},
                    {"random_contrast": 0.5}],
        "split": {"validation": 0.25, "test": 0.25}})
    prep = prepare(spec, seed=0)
    train_ds, steps, val_ds = fit_datasets(prep, spec, batch_size=64, shuffle=False, seed=0)
    assert steps == 1
    (tx, ty), = batches(train_ds.take(steps))
    x_train, y_train = prep.splits["train"]
    np.testing.assert_array_equal(ty, y_train)
    assert tx.shape == x_train.shape and np.abs(tx - x_train).mean() > 0.01  # augmented
    (vx, vy), = batches(val_ds)
    np.testing.assert_array_equal(vx, prep.splits["validation"][0])  # validation untouched
    np.testing.assert_array_equal(vy, prep.splits["validation"][1])


def test_augmentation_on_non_images_is_a_spec_error(cli, write_spec):
    path = write_spec("""
        kspec: 1
        name: t
        data:
          source: {sklearn: iris}
          augment: [{random_flip: horizontal}]
        model: {input: [4], layers: [{dense: {units: 3, activation: softmax}}]}
        train: {loss: sparse_categorical_crossentropy}
        """)
    result = cli("validate", path)
    assert result.exit_code == 1
    m = LINE.match(result.stderr.strip())
    assert m and m["path"] == "data.augment[0].random_flip" and "image" in m["msg"]


# ---- kspec data ------------------------------------------------------------------

def offline_bundled():
    from builder.spec.library import bundled
    from builder.spec.load import load_spec
    out = []
    for name, path in bundled().items():
        try:
            spec = load_spec(path).spec
        except Exception:  # another issue's spec that does not load here: not ours to test
            continue
        file = getattr(spec.data.source, "path", None)  # a file the user downloads first
        if spec.data.source.kind not in ("keras", "gymnasium") and (
                file is None or (path.parent / file).exists()):
            out.append(name)
    return out


def test_kspec_data_on_an_environment_says_why_in_one_line(cli):
    """An agent's spec has an environment, not examples: kspec data refuses in one line."""
    result = cli("data", "cartpole_dqn")
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "is an environment, not a data set" in result.stderr


@pytest.mark.parametrize("name", offline_bundled())
def test_kspec_data_works_on_every_offline_bundled_spec(cli, name):
    result = cli("data", name)
    assert result.exit_code == 0, result.stderr
    assert "split:" in result.stdout and "train" in result.stdout
    assert "examples (training split):" in result.stdout


def test_kspec_data_report_and_plots(cli, tmp_path):
    result = cli("data", "digits_cnn", "--plot", tmp_path / "digits.png")
    out = result.stdout
    assert result.exit_code == 0, result.stderr
    assert re.search(r"train\s+\d+\s+\[8, 8, 1\]\s+float32\s+0 \.\. 1", out)
    sizes = re.search(r"split: .*: train (\d+), validation (\d+), test (\d+)", out)
    assert sum(map(int, sizes.groups())) == 1797
    assert "stratified" in out and "class balance" in out
    assert (tmp_path / "digits.png").stat().st_size > 5000
    result = cli("data", "airline_lstm", "--plot", tmp_path / "air.png")
    assert "in time order" in result.stdout and (tmp_path / "air.png").stat().st_size > 5000
    result = cli("data", "shakespeare_char_lstm")
    assert "vocabulary: 60 char tokens" in result.stdout and "'HAMLET:" in result.stdout


# ---- bad data: one clear line, exit 1, no run folder -------------------------------

HEAD = """
kspec: 1
name: bad
data:
  source:
    {source}
model:
  input: {input}
  layers:
    - flatten
    - dense: {{units: {units}, activation: softmax}}
train:
  loss: sparse_categorical_crossentropy
  epochs: 1
"""


def train_fails(cli, write_spec, tmp_path, source, input="[2]", units=3):
    path = write_spec(HEAD.format(source=source, input=input, units=units))
    out = tmp_path / "run"
    result = cli("train", path, "--out", out, "-q")
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, lines
    m = LINE.match(lines[0])
    assert m and m["file"] == str(path), lines[0]
    assert not out.exists() and not out.with_name("run.partial").exists()  # nothing half-written
    return m, path.read_text().splitlines()


def test_missing_data_file(cli, write_spec, tmp_path):
    m, lines = train_fails(cli, write_spec, tmp_path, "csv: {path: nowhere.csv, target: y}")
    assert m["path"] == "data.source.csv.path" and "nowhere.csv does not exist" in m["msg"]
    assert "nowhere.csv" in lines[int(m["line"]) - 1]


def test_unknown_column(cli, write_spec, tmp_path):
    (tmp_path / "d.csv").write_text("a,b,label\n1,2,0\n3,4,1\n5,6,2\n7,8,0\n9,9,1\n")
    m, lines = train_fails(cli, write_spec, tmp_path, "csv: {path: d.csv, target: labels}")
    assert m["path"] == "data.source.csv.target"
    assert "no column 'labels'" in m["msg"] and "did you mean 'label'" in m["msg"]


def test_ragged_csv_row(cli, write_spec, tmp_path):
    (tmp_path / "d.csv").write_text("a,b,label\n1,2,0\n3,4,1,9\n")
    m, _ = train_fails(cli, write_spec, tmp_path, "csv: {path: d.csv, target: label}")
    assert "d.csv line 3 has 4 fields but the header has 3" in m["msg"]


def test_non_image_file_in_an_image_folder(cli, write_spec, tmp_path):
    from test_data_sources import make_image_folder
    make_image_folder(tmp_path / "pics")
    (tmp_path / "pics" / "circle" / "readme.md").write_text("# hello")
    m, _ = train_fails(cli, write_spec, tmp_path,
                       "image_folder: {path: pics, image_size: [8, 8]}", input="[8, 8, 3]")
    assert m["path"] == "data.source.image_folder.path"
    assert "readme.md is not an image" in m["msg"]


def test_data_shape_not_matching_model_input_says_both(cli, write_spec, tmp_path):
    (tmp_path / "d.csv").write_text("a,b,c,label\n1,2,3,0\n3,4,5,1\n5,6,7,2\n7,8,9,0\n9,9,9,1\n")
    m, lines = train_fails(cli, write_spec, tmp_path, "csv: {path: d.csv, target: label}",
                           input="[2]")
    assert m["path"] == "model.input"
    assert "gives examples of shape [3]" in m["msg"] and "model.input is [2]" in m["msg"]
    assert "input:" in lines[int(m["line"]) - 1]


def test_labels_out_of_range_for_the_output_width(cli, write_spec, tmp_path):
    (tmp_path / "d.csv").write_text("a,b,label\n1,2,0\n3,4,1\n5,6,4\n7,8,0\n9,9,1\n")
    m, lines = train_fails(cli, write_spec, tmp_path, "csv: {path: d.csv, target: label}")
    assert m["path"].startswith("model.layers[1].dense")
    assert "class labels up to 4 (5 classes)" in m["msg"] and "use units: 5" in m["msg"]


def test_training_with_data_augment_keeps_augmentation_out_of_the_saved_model(write_spec, tmp_path):
    from builder.core.keras_env import keras
    from builder.spec.load import load_spec
    from builder.tasks.supervised.trainer import train
    spec = write_spec("""
        kspec: 1
        name: aug
        data:
          source: {synthetic: {type: images, n: 96, shape: [12, 12, 1], classes: 3}}
          preprocess: [{scale: 255}]
          augment: [{random_flip: horizontal}, {random_rotation: 0.1}]
        model:
          input: [12, 12, 1]
          layers: [flatten, {dense: {units: 3, activation: softmax}}]
        train: {loss: sparse_categorical_crossentropy, epochs: 2, batch_size: 16}
        """)
    result = train(load_spec(spec), out=tmp_path / "run", verbose=0)
    model = keras().models.load_model(result.path / "model.keras")
    assert [type(layer).__name__ for layer in model.layers] == ["InputLayer", "Flatten", "Dense"]
    assert len(result.history["loss"]) == 2
