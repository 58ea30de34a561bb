"""Every data source on shipped or generated data: arrays, labels, static info, errors."""
from __future__ import annotations

import socket

import numpy as np
import pytest

from builder.data.errors import DataLoadError
from builder.data.sources import SOURCES

SPECS_DATA = __import__("pathlib").Path(__file__).resolve().parents[1] / "specs"


def source(data):
    return SOURCES.parse(data)


def load_error(data, base_dir) -> DataLoadError:
    with pytest.raises(DataLoadError) as info:
        source(data).load(base_dir)
    return info.value


# ---- keras ------------------------------------------------------------------

def test_keras_source_uses_keras_datasets_with_their_test_split(monkeypatch):
    from builder.core.keras_env import keras
    k = keras()
    rng = np.random.default_rng(0)
    fake = ((rng.integers(0, 256, (20, 28, 28), dtype="uint8"), rng.integers(0, 10, 20)),
            (rng.integers(0, 256, (6, 28, 28), dtype="uint8"), rng.integers(0, 10, 6)))
    monkeypatch.setattr(k.datasets.mnist, "load_data", lambda **kw: fake)
    src = source({"keras": "mnist"})
    got = src.load(SPECS_DATA)
    assert got.x.shape == (20, 28, 28) and got.y.dtype == np.int64
    np.testing.assert_array_equal(got.test[0], fake[1][0])
    np.testing.assert_array_equal(got.test[1], fake[1][1])
    info = src.info()
    assert info.x_shape == (28, 28) and info.n_classes == 10 and info.labels == "integer"


def test_keras_word_sequences_are_padded_to_maxlen(monkeypatch):
    from builder.core.keras_env import keras
    k = keras()
    seqs = np.empty(3, dtype=object)
    seqs[:] = [[1, 2, 3], [4, 5], list(range(1, 30))]
    monkeypatch.setattr(k.datasets.imdb, "load_data",
                        lambda **kw: ((seqs, np.array([0, 1, 0])), (seqs[:2], np.array([1, 0]))))
    got = source({"keras": {"name": "imdb", "maxlen": 10}}).load(SPECS_DATA)
    assert got.x.shape == (3, 10) and got.test[0].shape == (2, 10)
    assert list(got.x[0][-3:]) == [1, 2, 3] and got.x[0][0] == 0  # padded in front
    assert got.class_names == ["negative", "positive"]


def test_keras_source_offline_gives_one_clear_line(monkeypatch, tmp_path):
    """The real download path with the network cut: one line naming the way out."""
    from builder.core.keras_env import keras
    keras()
    import keras.src.backend.config as kconfig
    monkeypatch.setattr(kconfig, "_KERAS_DIR", str(tmp_path), raising=False)  # empty cache

    def no_network(*args, **kwargs):
        raise socket.gaierror(-2, "Name or service not known")
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    err = load_error({"keras": "boston_housing"}, tmp_path)
    text = str(err)
    assert "\n" not in text
    assert err.path == ("data", "source", "keras")
    assert "could not download the Keras data set 'boston_housing'" in text
    assert "~/.keras/datasets" in text and "npz" in text


# ---- sklearn -----------------------------------------------------------------

def test_sklearn_source_keeps_feature_and_class_names():
    got = source({"sklearn": "breast_cancer"}).load(SPECS_DATA)
    assert got.x.shape == (569, 30) and set(np.unique(got.y)) == {0, 1}
    assert got.feature_names[0] == "mean radius" and got.class_names == ["malignant", "benign"]
    assert got.state["table"]["features"] == got.feature_names


def test_sample_images_are_patches_labelled_by_photograph(cli, write_spec):
    """One source for the photo patches of L23's twin, L27 and L35: each patch's label
    is its photograph, so a random split is stratified by photograph."""
    from builder.data.pipeline import prepare
    from builder.spec.load import load_spec
    small = source({"sample_images": {"size": 16}})
    got = small.load(SPECS_DATA)
    assert got.x.shape == (2080, 16, 16, 3) and got.x.dtype == np.uint8
    assert got.class_names == ["china", "flower"] and np.bincount(got.y).tolist() == [1040, 1040]
    assert (small.info().labels, small.info().n_classes) == ("integer", 2)
    # rows of tiles, photograph by photograph: the second tile starts 16 pixels right
    from sklearn.datasets import load_sample_images
    china = load_sample_images().images[0]
    assert np.array_equal(got.x[1], china[:16, 16:32])
    overlapping = source({"sample_images": {"size": 32, "stride": 16}}).load(SPECS_DATA)
    assert len(overlapping.x) == 2 * 25 * 39 and np.array_equal(overlapping.x[1], china[:32, 16:48])
    # the colorization spec's split keeps the photographs' proportions in every part
    spec = load_spec("photo_colorization").spec
    parts = prepare(spec.data, spec.seed).indices
    for part in parts.values():
        assert abs(np.bincount(got.y[part]).tolist()[0] - len(part) / 2) <= 1
    # the old spelling is one line saying what to write instead
    old = write_spec("kspec: 1\nname: old\ndata:\n  source: {sklearn: sample_images}\n"
                     "model: {input: [16, 16, 3], layers: [flatten, {dense: {units: 2}}]}\n"
                     "train: {loss: sparse_categorical_crossentropy}\n")
    result = cli("validate", old)
    assert result.exit_code == 1
    line = next(l for l in result.stderr.splitlines() if "sample_images" in l)
    assert line.startswith(f"{old}:4:") and "`source: {sample_images: {size: 16}}`" in line


# ---- csv ---------------------------------------------------------------------

def test_csv_target_features_and_one_hot_categories():
    src = source({"csv": {"path": "data/houses.csv", "target": "price",
                          "categorical": ["neighbourhood"]}})
    got = src.load(SPECS_DATA)
    assert got.feature_names == ["area", "rooms", "neighbourhood=center",
                                 "neighbourhood=suburb", "neighbourhood=village", "age",
                                 "renovated"]
    assert got.x.shape == (60, 7) and got.y.dtype == np.float32  # prices are not whole classes
    onehot = got.x[:, 2:5]
    assert set(onehot.sum(axis=1)) == {1.0}
    first = (SPECS_DATA / "data/houses.csv").read_text().splitlines()[1].split(",")
    assert got.x[0, 0] == float(first[0]) and got.y[0] == float(first[5])
    assert got.x[0, 2 + ["center", "suburb", "village"].index(first[2])] == 1.0


def test_csv_integer_encoding_selected_features_and_text_classes(tmp_path):
    (tmp_path / "pets.csv").write_text("name,weight,colour,kind\n"
                                       "a,4.0,black,cat\nb,30,brown,dog\nc,5,white,cat\n"
                                       "d,25,black,dog\ne,0.1,green,fish\n")
    got = source({"csv": {"path": "pets.csv", "target": "kind", "features": ["colour", "weight"],
                          "categorical": ["colour"], "encoding": "integer"}}).load(tmp_path)
    assert got.class_names == ["cat", "dog", "fish"]
    assert list(got.y) == [0, 1, 0, 1, 2]
    assert got.feature_names == ["colour", "weight"]
    # colours numbered in sorted order: black 0, brown 1, green 2, white 3
    np.testing.assert_array_equal(got.x[:, 0], [0, 1, 3, 0, 2])
    assert source({"csv": {"path": "p.csv", "target": "kind", "target_type": "class"}}
                  ).info().labels == "integer"


def test_csv_missing_values_are_reported_with_line_numbers(tmp_path):
    (tmp_path / "gaps.csv").write_text("a,b,y\n1,2,0\n,3,1\n4,NA,0\n5,6,1\n")
    err = load_error({"csv": {"path": "gaps.csv", "target": "y"}}, tmp_path)
    assert "'a' at line 3" in err.message and "'b' at line 4" in err.message
    assert "missing: drop" in err.message
    dropped = source({"csv": {"path": "gaps.csv", "target": "y", "missing": "drop"}}).load(tmp_path)
    np.testing.assert_array_equal(dropped.x, [[1, 2], [5, 6]])
    kept = source({"csv": {"path": "gaps.csv", "target": "y", "missing": "keep"}}).load(tmp_path)
    assert np.isnan(kept.x[1, 0]) and np.isnan(kept.x[2, 1])


def test_csv_ragged_row_unknown_column_and_missing_file(tmp_path):
    (tmp_path / "ragged.csv").write_text("a,b,y\n1,2,0\n3,4\n")
    err = load_error({"csv": {"path": "ragged.csv", "target": "y"}}, tmp_path)
    assert "line 3 has 2 fields but the header has 3" in err.message
    assert err.path == ("data", "source", "csv", "path")
    (tmp_path / "ok.csv").write_text("area,price\n1,2\n")
    err = load_error({"csv": {"path": "ok.csv", "target": "prize"}}, tmp_path)
    assert err.path == ("data", "source", "csv", "target")
    assert "no column 'prize'" in err.message and "did you mean 'price'" in err.message
    err = load_error({"csv": {"path": "nope.csv", "target": "y"}}, tmp_path)
    assert "nope.csv does not exist" in err.message and str(tmp_path) in err.message


def test_csv_text_in_a_numeric_column_names_the_fix(tmp_path):
    (tmp_path / "t.csv").write_text("city,y\nParis,1\n")
    err = load_error({"csv": {"path": "t.csv", "target": "y"}}, tmp_path)
    assert "line 2" in err.message and "categorical" in err.message


# ---- npz / npy ---------------------------------------------------------------

def test_npz_with_keras_style_keys_uses_its_test_split(tmp_path):
    rng = np.random.default_rng(1)
    arrays = dict(x_train=rng.random((8, 4, 4)), y_train=np.arange(8) % 3,
                  x_test=rng.random((3, 4, 4)), y_test=np.array([0, 1, 2]))
    np.savez(tmp_path / "mnist_like.npz", **arrays)
    got = source({"npz": "mnist_like.npz"}).load(tmp_path)
    np.testing.assert_array_equal(got.x, arrays["x_train"])
    assert got.y.dtype == np.int64 and got.test[0].shape == (3, 4, 4)
    err = load_error({"npz": {"path": "mnist_like.npz", "x": "images"}}, tmp_path)
    assert "no array 'images'" in err.message and "x_train" in err.message


def test_npy_files_and_no_pickles(tmp_path):
    np.save(tmp_path / "x.npy", np.ones((5, 2), dtype="float32"))
    np.save(tmp_path / "y.npy", np.array([0.5, 1, 2, 3, 4]))
    got = source({"npy": {"x": "x.npy", "y": "y.npy"}}).load(tmp_path)
    assert got.x.shape == (5, 2) and got.y.dtype == np.float32
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    err = load_error({"npy": "objects.npy"}, tmp_path)
    assert "cannot read" in err.message and "pickle" in err.message.lower()


# ---- image folder --------------------------------------------------------------

def make_image_folder(root, classes=("circle", "square"), per_class=3, size=12):
    from PIL import Image
    rng = np.random.default_rng(0)
    for k, name in enumerate(classes):
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            arr = np.full((size, size, 3), 40 + 150 * k, dtype="uint8")
            arr += rng.integers(0, 20, arr.shape, dtype="uint8")
            Image.fromarray(arr).save(root / name / f"{i}.png")
    return root


def test_image_folder_reads_classes_resizes_and_converts(tmp_path):
    make_image_folder(tmp_path / "shapes", size=12)
    src = source({"image_folder": {"path": "shapes", "image_size": [8, 6],
                                   "color_mode": "grayscale"}})
    got = src.load(tmp_path)
    assert got.x.shape == (6, 8, 6, 1) and got.x.dtype == np.uint8
    assert got.class_names == ["circle", "square"] and list(got.y) == [0, 0, 0, 1, 1, 1]
    assert got.x[got.y == 1].mean() > got.x[got.y == 0].mean() + 100
    assert src.info().x_shape == (8, 6, 1)


def test_image_folder_names_a_file_that_is_not_an_image(tmp_path):
    make_image_folder(tmp_path / "shapes")
    (tmp_path / "shapes" / "square" / "notes.txt").write_text("not a picture")
    (tmp_path / "shapes" / "circle" / ".DS_Store").write_bytes(b"\0\1")  # hidden: skipped
    err = load_error({"image_folder": "shapes"}, tmp_path)
    assert "notes.txt is not an image" in err.message
    assert err.path == ("data", "source", "image_folder", "path")
    err = load_error({"image_folder": "missing"}, tmp_path)
    assert "does not exist" in err.message


# ---- text ------------------------------------------------------------------------

def test_text_char_windows_predict_the_next_character(tmp_path):
    (tmp_path / "t.txt").write_text("to be or not to be")
    got = source({"text": {"path": "t.txt", "window": 5}}).load(tmp_path)
    vocab = got.state["vocab"]
    assert vocab == sorted(set("to be or not to be"))
    decode = lambda ids: "".join(vocab[i] for i in ids)  # noqa: E731
    assert decode(got.x[0]) == "to be" and vocab[got.y[0]] == " "
    assert decode(got.x[-1]) == " to b" and vocab[got.y[-1]] == "e"
    assert len(got.x) == len("to be or not to be") - 5


def test_text_word_level_on_the_shipped_shakespeare():
    src = source({"text": {"path": "data/shakespeare.txt", "level": "word", "window": 6,
                           "max_vocab": 500}})
    got = src.load(SPECS_DATA)
    vocab = got.state["vocab"]
    assert len(vocab) == 500 and vocab[0] == "<unk>" and "HAMLET" in vocab and "\n" in vocab
    assert got.x.shape[1] == 6 and got.y.max() < 500
    assert src.sequential and SPECS_DATA.joinpath("data/shakespeare.txt").stat().st_size > 20_000


# ---- timeseries ------------------------------------------------------------------

def test_timeseries_windows_on_the_airline_series():
    src = source({"timeseries": {"path": "data/airline_passengers.csv", "column": "Passengers",
                                 "window": 12, "horizon": 2}})
    got = src.load(SPECS_DATA)
    assert len(got.series) == 144 and got.series.sum() == 40363  # the classic's known total
    assert got.series[:12].tolist() == [112, 118, 132, 129, 121, 135, 148, 148, 136, 119, 104, 118]
    assert got.series[-2:].tolist() == [390, 432]
    assert got.x.shape == (131, 12, 1) and got.y.shape == (131, 2)
    np.testing.assert_array_equal(got.x[5, :, 0], got.series[5:17])
    np.testing.assert_array_equal(got.y[5], got.series[17:19])
    assert src.info().x_shape == (12, 1) and src.sequential


def test_timeseries_unknown_column(tmp_path):
    err = load_error({"timeseries": {"path": str(SPECS_DATA / "data/airline_passengers.csv"),
                                     "column": "passengers", "window": 3}}, tmp_path)
    assert err.path == ("data", "source", "timeseries", "column")
    assert "did you mean 'Passengers'" in err.message


# ---- inline and synthetic --------------------------------------------------------

def test_inline_tables_from_the_lectures():
    gate = source({"inline": {"x": [[0, 0], [0, 1], [1, 0], [1, 1]], "y": [0, 1, 1, 1],
                              "labels": "integer"}})
    got = gate.load(SPECS_DATA)
    assert got.x.shape == (4, 2) and got.y.dtype == np.int64
    assert gate.info().n_classes == 2 and gate.info().x_shape == (2,)
    line = source({"inline": {"x": [0, 1, 2, 3, 4], "y": [0, 2, 4, 6, 8]}})
    assert line.load(SPECS_DATA).x.shape == (5, 1) and line.info().x_shape == (1,)
    with pytest.raises(Exception, match="x has 2 examples but y has 3"):
        source({"inline": {"x": [1, 2], "y": [1, 2, 3]}})


@pytest.mark.parametrize("kind,shape,labels", [
    ("classification", (20,), "integer"), ("regression", (10,), "continuous"),
    ("images", (28, 28, 1), "integer"), ("sequences", (50, 1), "integer")])
def test_synthetic_data_has_the_declared_shape(kind, shape, labels):
    src = source({"synthetic": {"type": kind, "n": 64}})
    got = src.load(SPECS_DATA)
    assert got.x.shape == (64, *shape) and src.info().x_shape == shape
    assert src.info().labels == labels
    again = source({"synthetic": {"type": kind, "n": 64}}).load(SPECS_DATA)
    np.testing.assert_array_equal(got.x, again.x)  # seeded


def test_synthetic_classes_are_learnable_by_their_means():
    got = source({"synthetic": {"type": "images", "n": 600, "classes": 4}}).load(SPECS_DATA)
    x = got.x.reshape(600, -1).astype("float32")
    means = np.stack([x[got.y == k].mean(axis=0) for k in range(4)])
    nearest = np.argmin(((x[:, None, :] - means[None]) ** 2).sum(-1), axis=1)
    assert (nearest == got.y).mean() > 0.9
