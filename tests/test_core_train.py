"""Training end to end: the bundled specs learn, the run folder is complete and
loads in plain Keras, runs are deterministic, failures leave nothing that looks whole."""
from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest
import yaml

from builder.spec.load import load_spec
from builder.tasks.supervised.trainer import train
from conftest import DIGITS_HEAD


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Train each offline bundled spec once, as shipped, through the CLI."""
    from click.testing import CliRunner

    from cli import main
    root = tmp_path_factory.mktemp("runs")
    out = {}
    for name in ("breast_cancer_mlp", "digits_cnn", "diabetes_mlp"):
        result = CliRunner().invoke(main, ["train", name, "--out", str(root / name), "-q"],
                                    catch_exceptions=False)
        assert result.exit_code == 0, result.stderr
        assert f"saved run: {root / name}" in result.stdout
        out[name] = root / name
    return out


def metrics(run):
    return json.loads((run / "metrics.json").read_text())


def test_breast_cancer_mlp_reaches_95_percent(runs):
    assert metrics(runs["breast_cancer_mlp"])["test"]["accuracy"] >= 0.95


def test_digits_cnn_reaches_95_percent(runs):
    assert metrics(runs["digits_cnn"])["test"]["accuracy"] >= 0.95


def test_diabetes_mlp_beats_predicting_the_training_mean(runs):
    from builder.data.pipeline import prepare
    spec = load_spec("diabetes_mlp").spec
    data = prepare(spec.data, spec.seed)
    mean = data.splits["train"][1].mean()
    y_test = data.splits["test"][1]
    baseline = float(((y_test - mean) ** 2).mean())
    assert metrics(runs["diabetes_mlp"])["test"]["loss"] < 0.75 * baseline


def test_run_folder_holds_everything(runs):
    run = runs["breast_cancer_mlp"]
    for name in ("model.keras", "spec.yaml", "history.csv", "metrics.json",
                 "learning_curves.png", "preprocess.json"):
        assert (run / name).is_file(), name
    m = metrics(run)
    assert set(m["train"]) == set(m["validation"]) == set(m["test"]) == {"loss", "accuracy"}
    assert m["seed"] == 42 and {"keras", "tensorflow", "kspec"} <= set(m["versions"])
    with open(run / "history.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == m["epochs_run"] and {"loss", "val_loss", "accuracy"} <= set(rows[0])
    assert (run / "learning_curves.png").read_bytes()[:4] == b"\x89PNG"
    assert not list(run.parent.glob("*.partial"))


def test_resolved_spec_is_a_valid_spec_with_defaults_filled(runs, tmp_path):
    resolved = yaml.safe_load((runs["digits_cnn"] / "spec.yaml").read_text())
    assert resolved["train"]["shuffle"] is True and resolved["data"]["split"]["stratify"] == "auto"
    path = tmp_path / "again.yaml"
    path.write_text((runs["digits_cnn"] / "spec.yaml").read_text())
    assert load_spec(path).spec == load_spec("digits_cnn").spec


def test_saved_model_loads_in_plain_keras_without_kspec(runs):
    code = ("import sys, keras\n"
            f"m = keras.models.load_model(r'{runs['digits_cnn'] / 'model.keras'}', safe_mode=True)\n"
            "assert 'builder' not in sys.modules\nprint(m.count_params())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert int(out.stdout.split()[-1]) == metrics(runs["digits_cnn"])["params"]


def test_same_spec_and_seed_give_same_metrics(tmp_path):
    loaded = load_spec("breast_cancer_mlp", ["train.epochs=3", "train.callbacks=[]"])
    a = train(loaded, out=tmp_path / "a", verbose=0).metrics
    b = train(loaded, out=tmp_path / "b", verbose=0).metrics
    assert a["train"] == b["train"] and a["test"] == b["test"]
    c = train(load_spec("breast_cancer_mlp", ["train.epochs=3", "train.callbacks=[]", "seed=7"]),
              out=tmp_path / "c", verbose=0).metrics
    assert c["train"] != a["train"]


RESNET = DIGITS_HEAD + """
model:
  input: [8, 8, 1]
  layers:
    - conv2d: {filters: 8, kernel_size: 3, padding: same, activation: relu}
    - repeat:
        times: 2
        layers:
          - residual:
              layers:
                - conv2d: {filters: 8, kernel_size: 3, padding: same, activation: relu}
                - conv2d: {filters: 8, kernel_size: 3, padding: same}
          - relu
    - global_average_pooling2d
    - dense: {units: 10, activation: softmax}
train:
  loss: sparse_categorical_crossentropy
  optimizer: {adam: {learning_rate: 0.01}}
  metrics: [accuracy]
  epochs: 4
"""

BRANCHES = DIGITS_HEAD + """
model:
  input: [8, 8, 1]
  layers:
    - conv2d: {filters: 4, kernel_size: 3, padding: same, activation: relu, name: small}
    - conv2d: {filters: 4, kernel_size: 5, padding: same, activation: relu, inputs: input, name: wide}
    - concatenate: {inputs: [small, wide]}
    - flatten
    - dense: {units: 10, activation: softmax}
train:
  loss: sparse_categorical_crossentropy
  metrics: [accuracy]
  epochs: 2
"""


@pytest.mark.parametrize("text", [RESNET, BRANCHES], ids=["repeat-residual", "concatenate"])
def test_graph_models_build_train_and_save(cli, write_spec, tmp_path, text):
    out = tmp_path / "run"
    result = cli("train", write_spec(text), "--out", out, "-q")
    assert result.exit_code == 0, result.stderr
    m = json.loads((out / "metrics.json").read_text())
    assert m["test"]["accuracy"] > 0.3  # a few epochs: well above chance (0.1)
    import keras
    reloaded = keras.models.load_model(out / "model.keras", safe_mode=True)
    assert reloaded.count_params() == m["params"]


def test_existing_run_folder_is_never_overwritten(cli, tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = cli("train", "breast_cancer_mlp", "--out", out, "--epochs", "1", "-q")
    assert result.exit_code == 1 and "already exists" in result.stderr
    assert (out / "keep.txt").read_text() == "mine"


def test_a_crash_mid_training_leaves_no_run_folder_but_keeps_its_checkpoint(tmp_path,
                                                                            monkeypatch):
    """Updated for resumable runs (issue 17): the crash after the last epoch leaves no
    finished run, but the .partial folder keeps the checkpoint and says how to resume."""
    import builder.tasks.supervised.trainer as sup

    def boom(*a, **k):
        raise RuntimeError("disk full")
    monkeypatch.setattr(sup, "write_run", boom)
    with pytest.raises(RuntimeError) as caught:
        train(load_spec("breast_cancer_mlp", ["train.epochs=1"]), out=tmp_path / "run", verbose=0)
    assert [p.name for p in tmp_path.iterdir()] == ["run.partial"]
    assert (tmp_path / "run.partial" / "checkpoint.npz").is_file()
    assert f"kspec train --resume {tmp_path / 'run.partial'}" in " ".join(caught.value.__notes__)


def test_ctrl_c_before_the_first_epoch_ends_says_so_and_saves_nothing(cli, tmp_path,
                                                                       monkeypatch):
    import builder.tasks.supervised.trainer as sup

    def interrupted(*a, **k):
        raise KeyboardInterrupt
    monkeypatch.setattr(sup, "_fit", interrupted)
    result = cli("train", "breast_cancer_mlp", "--out", tmp_path / "run", "-q")
    assert result.exit_code == 130
    assert "interrupted; nothing was saved" in result.stderr and "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []
