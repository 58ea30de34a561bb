"""Preprocessing steps: statistics from the training split only, x and y both changeable."""
from __future__ import annotations

import numpy as np
import pytest

from builder.data.info import DataInfo
from builder.data.pipeline import invert_target, prepare
from builder.data.preprocess import STEPS, StepError
from builder.spec.schema import DataSpec


def step(entry):
    return STEPS.parse(entry)


def data(source, *steps, **split):
    return DataSpec.model_validate({"source": source, "preprocess": list(steps),
                                    "split": split or {"validation": 0.2, "test": 0.2}})


def test_standardize_uses_training_statistics_only():
    spec = data({"sklearn": "diabetes"}, "standardize")
    prep = prepare(spec, seed=3)
    x_train = prep.splits["train"][0]
    np.testing.assert_allclose(x_train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(x_train.std(axis=0), 1, atol=1e-4)
    # the saved state is the training split's raw statistics, not the whole set's
    import sklearn.datasets
    raw = sklearn.datasets.load_diabetes().data.astype("float32")
    train_idx = prep.indices["train"]
    np.testing.assert_allclose(prep.states[0]["shift"], raw[train_idx].mean(axis=0), atol=1e-6)
    assert not np.allclose(prep.states[0]["shift"], raw.mean(axis=0), atol=1e-6)
    # validation/test use the same (training) statistics, so they are not exactly 0/1
    assert abs(prep.splits["test"][0].mean()) > 1e-4


def test_min_max_and_scale_and_target_scaling_inverts():
    x = np.array([[0.0, 10], [5, 20], [10, 30]], dtype="float32")
    y = np.array([100.0, 200, 300], dtype="float32")
    mm = step({"min_max": {"feature_range": [-1, 1]}})
    st = mm.fit(x, y)
    out, _ = mm.apply(x, y, st)
    np.testing.assert_allclose(out, [[-1, -1], [0, 0], [1, 1]], atol=1e-6)
    tgt = step({"standardize": {"apply_to": "target"}})
    st2 = tgt.fit(x, y)
    x2, y2 = tgt.apply(x, y, st2)
    np.testing.assert_array_equal(x2, x)
    np.testing.assert_allclose(y2.mean(), 0, atol=1e-6)
    np.testing.assert_allclose(invert_target([tgt], [st2], y2), y, rtol=1e-6)
    sc = step({"scale": 255})
    assert sc.apply(np.array([[255]], dtype="uint8"), None, sc.fit(x, None))[0][0, 0] == 1.0


def test_one_hot_reshape_expand_dims_flatten_cast_clip():
    x = np.arange(2 * 6, dtype="float32").reshape(2, 6)
    y = np.array([2, 0])
    oh = step("one_hot")
    _, y1 = oh.apply(x, y, oh.fit(x, y))
    np.testing.assert_array_equal(y1, [[0, 0, 1], [1, 0, 0]])
    with pytest.raises(StepError, match="does not fit 3 one-hot columns"):
        oh.apply(x, np.array([5]), {"classes": 3})
    ids = np.array([[0, 2], [1, 1]], dtype="int32")
    ohx = step({"one_hot": {"apply_to": "input", "classes": 4}})
    assert ohx.apply(ids, None, ohx.fit(ids, None))[0].shape == (2, 2, 4)
    r = step({"reshape": [2, 3]})
    assert r.apply(x, y, {})[0].shape == (2, 2, 3)
    with pytest.raises(StepError, match=r"cannot reshape examples of shape \[6\]"):
        step({"reshape": [4]}).apply(x, y, {})
    e = step("expand_dims")
    assert e.apply(x, y, {})[0].shape == (2, 6, 1)
    assert step({"expand_dims": 0}).apply(x, y, {})[0].shape == (2, 1, 6)
    assert step("flatten").apply(x.reshape(2, 2, 3), y, {})[0].shape == (2, 6)
    assert step({"cast": "int32"}).apply(x, y, {})[0].dtype == np.int32
    c = step({"clip": {"min": 2, "max": 4}}).apply(x, y, {})[0]
    assert c.min() == 2 and c.max() == 4


def test_static_info_follows_the_steps():
    info = DataInfo((28, 28), "integer", 10, x_dtype="uint8")
    for entry in ["expand_dims", {"scale": 255}, "one_hot"]:
        info = step(entry).info(info)
    assert info.x_shape == (28, 28, 1) and info.labels == "one_hot" and info.y_shape == (10,)
    assert step("flatten").info(info).x_shape == (784,)
    assert step({"resize": [14, 14]}).info(info).x_shape == (14, 14, 1)
    with pytest.raises(StepError, match="grayscale needs colour images"):
        step("grayscale").info(info)


def test_add_noise_makes_a_noisy_input_and_keeps_the_clean_target():
    x = np.full((50, 4, 4, 1), 0.5, dtype="float32")
    labels = np.arange(50)
    s = step({"add_noise": {"stddev": 0.3}})
    noisy, target = s.apply(x, labels, s.fit(x, labels), rng=np.random.default_rng(0))
    np.testing.assert_array_equal(target, x)  # the target is the clean input
    assert noisy.std() > 0.2 and noisy.min() >= 0 and noisy.max() <= 1  # clipped to [0, 1]
    assert not s.at_predict  # new inputs to predict are already noisy
    keep = step({"add_noise": {"stddev": 0.3, "target": "labels", "clip": None}})
    assert keep.apply(x, labels, {}, rng=np.random.default_rng(0))[1] is labels
    info = s.info(DataInfo((4, 4, 1), "integer", 10))
    assert info.labels == "input" and info.y_shape == (4, 4, 1)


def test_grayscale_input_with_the_colour_image_as_target():
    rng = np.random.default_rng(0)
    color = rng.random((3, 5, 5, 3)).astype("float32")
    s = step("grayscale")
    gray, target = s.apply(color, None, {})
    assert gray.shape == (3, 5, 5, 1)
    np.testing.assert_allclose(gray[..., 0], color @ np.array([0.299, 0.587, 0.114]), rtol=1e-5)
    np.testing.assert_array_equal(target, color)
    with pytest.raises(StepError, match="3 channels"):
        s.apply(gray, None, {})


def test_resize_images():
    x = np.random.default_rng(0).random((2, 8, 8, 3)).astype("float32")
    out, _ = step({"resize": [4, 4]}).apply(x, None, {})
    assert out.shape == (2, 4, 4, 3)
    np.testing.assert_allclose(out.mean(axis=(1, 2)), x.mean(axis=(1, 2)), atol=0.05)


def test_fill_missing_with_training_means():
    x = np.array([[1.0, np.nan], [3.0, 4.0], [np.nan, 8.0]], dtype="float32")
    s = step("fill_missing")
    out, _ = s.apply(x, None, s.fit(x, None))
    np.testing.assert_allclose(out, [[1, 6], [3, 4], [2, 8]])


def test_a_step_error_in_prepare_names_the_step():
    from builder.data.errors import DataLoadError
    spec = data({"sklearn": "iris"}, {"reshape": [3]})
    with pytest.raises(DataLoadError) as info:
        prepare(spec, seed=0)
    assert info.value.path == ("data", "preprocess", 0, "reshape")
    assert "cannot reshape examples of shape [4]" in info.value.message
