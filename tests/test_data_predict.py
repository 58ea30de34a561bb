"""kspec evaluate / predict apply the preprocessing saved with the run to new raw data."""
from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from builder.spec.load import load_spec


def train_run(spec, out, epochs, overrides=()):
    from builder.tasks import TASKS  # as kspec train does: the spec's task trains it
    loaded = load_spec(spec, overrides)
    return TASKS[loaded.spec.task].train(loaded, out=out, epochs=epochs, verbose=0)


@pytest.fixture(scope="module")
def cancer_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "cancer"
    train_run("breast_cancer_mlp", out, epochs=3)
    return out


def test_predict_on_raw_csv_rows_equals_the_model_on_the_preprocessed_test_split(
        cancer_run, tmp_path, cli):
    import sklearn.datasets

    from builder.data.pipeline import prepare_spec
    from builder.core.keras_env import keras
    loaded = load_spec("breast_cancer_mlp")
    prepared = prepare_spec(loaded)  # the same seed: the same split as the run
    x_test = prepared.splits["test"][0]
    model = keras().models.load_model(cancer_run / "model.keras")
    expected = model.predict(x_test, verbose=0)[:, 0]

    bunch = sklearn.datasets.load_breast_cancer()
    raw = bunch.data[prepared.indices["test"]]  # raw, unscaled measurements
    names = list(bunch.feature_names)
    order = names[::-1]  # columns in another order: matched by name
    path = tmp_path / "new_patients.csv"
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(order)
        for row in raw:
            writer.writerow([repr(float(row[names.index(c)])) for c in order])
    result = cli("predict", cancer_run, "--input", path, "--out", tmp_path / "pred.csv")
    assert result.exit_code == 0, result.stderr
    with open(tmp_path / "pred.csv") as fh:
        rows = list(csv.DictReader(fh))
    got = np.array([float(r["p(benign)"]) for r in rows])
    np.testing.assert_allclose(got, expected, atol=1e-5)
    assert [r["prediction"] for r in rows] == ["benign" if p > 0.5 else "malignant"
                                               for p in expected]
    assert rows[0]["example"] == "line 2"


def test_evaluate_reproduces_the_runs_test_metrics(cancer_run, cli):
    saved = json.loads((cancer_run / "metrics.json").read_text())
    result = cli("evaluate", cancer_run)
    assert result.exit_code == 0, result.stderr
    line = next(ln for ln in result.stdout.splitlines() if ln.strip().startswith("test:"))
    acc = float(line.split("accuracy ")[1].split(",")[0])
    assert acc == pytest.approx(saved["test"]["accuracy"], abs=1e-4)


def test_evaluate_on_a_labelled_csv(cancer_run, tmp_path):
    import sklearn.datasets

    from builder.tasks.supervised.use import evaluate_run
    bunch = sklearn.datasets.load_breast_cancer()
    path = tmp_path / "labelled.csv"
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(list(bunch.feature_names) + ["target"])
        for row, t in zip(bunch.data[:40], bunch.target[:40]):
            writer.writerow(list(row) + [bunch.target_names[t]])  # class names, not ids
    out = evaluate_run(cancer_run, str(path))
    assert out["data"]["examples"] == 40 and 0 <= out["data"]["accuracy"] <= 1


def test_evaluate_on_another_specs_data_and_predict_from_npy(cancer_run, tmp_path, write_spec):
    import sklearn.datasets

    from builder.tasks.supervised.use import evaluate_run, predict_run
    spec = write_spec("""
        kspec: 1
        name: held_out
        data: {source: {sklearn: breast_cancer}}
        model: {input: [30], layers: [{dense: {units: 1, activation: sigmoid}}]}
        train: {loss: binary_crossentropy}
        """)
    out = evaluate_run(cancer_run, str(spec))
    assert out["data"]["examples"] == 569
    raw = sklearn.datasets.load_breast_cancer().data[:7]
    np.save(tmp_path / "rows.npy", raw)
    from_npy = predict_run(cancer_run, tmp_path / "rows.npy")
    assert [r[0] for r in from_npy.rows] == [f"index {i}" for i in range(7)]
    with open(tmp_path / "rows.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(sklearn.datasets.load_breast_cancer().feature_names)
        writer.writerows(raw.tolist())
    from_csv = predict_run(cancer_run, tmp_path / "rows.csv")
    np.testing.assert_allclose(from_npy.outputs, from_csv.outputs, atol=1e-6)


def test_predict_errors_are_one_line(cancer_run, tmp_path, cli):
    path = tmp_path / "short.csv"
    path.write_text("mean radius,mean texture\n1,2\n")
    result = cli("predict", cancer_run, "--input", path)
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert "lacks the column(s) the model was trained on: mean perimeter" in line
    result = cli("predict", tmp_path, "--input", path)
    assert result.exit_code == 1 and "has no model.keras" in result.stderr
    assert not list(tmp_path.glob(".*tmp*"))


def test_house_price_predictions_come_back_in_the_targets_units(tmp_path):
    """CSV source with a categorical column and a standardised target."""
    from builder.tasks.supervised.use import predict_run
    run = tmp_path / "houses"
    train_run("house_price_neuron", run, epochs=150)
    rows = (load_spec("house_price_neuron").path.parent / "../data/houses.csv").read_text().splitlines()
    (tmp_path / "new.csv").write_text("\n".join(rows[:11]) + "\n")
    pred = predict_run(run, tmp_path / "new.csv")
    prices = np.array([float(r.split(",")[-1]) for r in rows[1:11]])
    got = pred.outputs[:, 0]
    assert np.abs(got - prices).mean() < 30  # thousands; prices are 130..700
    assert pred.header == ["example", "prediction"]


def test_image_folder_run_predicts_a_folder_of_images(tmp_path, write_spec):
    from test_data_sources import make_image_folder

    from builder.tasks.supervised.use import predict_run
    make_image_folder(tmp_path / "pics", per_class=12, size=10)
    spec = write_spec("""
        kspec: 1
        name: pics
        data:
          source: {image_folder: {path: pics, image_size: [10, 10]}}
          preprocess: [{scale: 255}]
          split: {validation: 0, test: 0.25}
        model:
          input: [10, 10, 3]
          layers: [flatten, {dense: {units: 2, activation: softmax}}]
        train: {loss: sparse_categorical_crossentropy, optimizer: {adam: {learning_rate: 0.05}},
                epochs: 15, batch_size: 8}
        """)
    run = tmp_path / "run"
    train_run(spec, run, epochs=15)
    pred = predict_run(run, tmp_path / "pics" / "square")
    assert pred.header == ["example", "prediction", "p(circle)", "p(square)"]
    assert len(pred.rows) == 12 and all(r[1] == "square" for r in pred.rows)
    assert pred.rows[0][0].endswith("0.png")


def test_language_model_run_saves_its_vocabulary_and_writes_text(tmp_path):
    from builder.tasks.base import use  # what `kspec predict` calls: the run's task answers
    from builder.tasks.supervised.use import write_predictions
    run = tmp_path / "lm"
    train_run("shakespeare_char_lstm", run, epochs=1,
              overrides=["data.source.text.step=25", "model.layers[1].lstm.units=16"])
    vocab = json.loads((run / "vocab.json").read_text())
    assert vocab["level"] == "char" and len(vocab["tokens"]) == 60
    (tmp_path / "prompt.txt").write_text("ROMEO:\nBut, soft! what light through yonder window")
    pred = use("predict", run, input_path=tmp_path / "prompt.txt", length=30, temperature=0.8,
               seed=1)
    assert len(pred.text) == 30 and set(pred.text) <= set(vocab["tokens"])
    assert write_predictions(pred, None) == pred.text
    (tmp_path / "bad.txt").write_text("ROMEO: ~~~ this has a tilde, unseen in training ~~~~~~~")
    from builder.data.errors import DataLoadError
    with pytest.raises(DataLoadError, match="not in the vocabulary"):
        use("predict", run, input_path=tmp_path / "bad.txt")
