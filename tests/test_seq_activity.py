"""Sequence classification (L36): a 1-D CNN on sensor windows of six activities.

The shipped windows are exactly what the documented generator makes; the shipped
spec reaches 90% test accuracy on them; the UCI HAR converter turns the real data
set's layout into what activity_cnn1d_uci reads, and that spec trains on it."""
from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest

from builder.spec.library import specs_dir


def script(name):
    path = specs_dir() / "data" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"kspec_data_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shipped_windows_are_what_the_documented_generator_makes():
    make = script("make_activity")
    x, y = make.make_windows()
    shipped = np.load(specs_dir() / "data" / "activity_windows.npz")
    np.testing.assert_array_equal(shipped["x"], x.astype("float16"))
    np.testing.assert_array_equal(shipped["y"], y)
    assert list(shipped["classes"]) == make.ACTIVITIES
    assert shipped["x"].shape == (600, 128, 6) and np.bincount(y).tolist() == [100] * 6


def test_the_activities_differ_the_way_real_ones_do():
    make = script("make_activity")
    x, y = make.make_windows(per_class=20, seed=1)
    acc = x[:, :, :3]
    moving = np.isin(y, [0, 1, 2])
    # the gait shakes the phone; still postures do not
    assert acc[moving].std(axis=1).mean() > 5 * acc[~moving].std(axis=1).mean()
    # laying: gravity leaves the body's up axis (x); standing keeps it there
    up = acc[:, :, 0].mean(axis=1)
    assert up[y == 5].mean() < 0.3 < 0.9 < up[y == 4].mean()
    # downstairs lands harder than upstairs
    peak = acc[:, :, :].max(axis=(1, 2))
    assert peak[y == 2].mean() > peak[y == 1].mean() + 0.2


def test_activity_cnn1d_reaches_90_percent(tmp_path, cli):
    result = cli("train", "activity_cnn1d", "--out", tmp_path / "run", "-q")
    assert result.exit_code == 0, result.stderr
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["test"]["accuracy"] >= 0.9


def write_uci_layout(root, make, per_class: int, part: str, rng):
    """The real data set's files: one text file of windows per channel, labels 1..6."""
    y = np.repeat(np.arange(6), per_class)
    x = np.stack([make.one_window(make.ACTIVITIES[c], rng) for c in y])
    signals = root / part / "Inertial Signals"
    signals.mkdir(parents=True)
    for k, channel in enumerate(make.CHANNELS):
        np.savetxt(signals / f"{channel}_{part}.txt", x[:, :, k], fmt="%15.7e")
    np.savetxt(root / part / f"y_{part}.txt", y + 1, fmt="%d")
    return x, y


def test_uci_har_converter_and_spec(tmp_path, cli):
    make, convert = script("make_activity"), script("uci_har_to_npz")
    root = tmp_path / "UCI HAR Dataset"
    rng = np.random.default_rng(0)
    x_train, _ = write_uci_layout(root, make, 8, "train", rng)
    write_uci_layout(root, make, 4, "test", rng)
    (root / "activity_labels.txt").write_text(
        "1 WALKING\n2 WALKING_UPSTAIRS\n3 WALKING_DOWNSTAIRS\n4 SITTING\n5 STANDING\n6 LAYING\n")
    out = tmp_path / "uci_har.npz"
    convert.main([str(root), "--out", str(out)])
    data = np.load(out)
    assert data["x_train"].shape == (48, 128, 6) and data["x_test"].shape == (24, 128, 6)
    np.testing.assert_allclose(data["x_train"], x_train, rtol=1e-6)
    assert sorted(set(data["y_train"].tolist())) == list(range(6))
    assert list(data["classes"]) == make.ACTIVITIES
    result = cli("train", "activity_cnn1d_uci", "--set", f"data.source.npz.path={out}",
                 "--epochs", 2, "--out", tmp_path / "run", "-q")
    assert result.exit_code == 0, result.stderr
    saved = json.loads((tmp_path / "run" / "preprocess.json").read_text())
    assert saved["sizes"]["test"] == 24  # the data set's own test volunteers


def test_uci_spec_without_the_download_says_what_to_do(cli):
    if (specs_dir() / "data" / "uci_har.npz").exists():
        pytest.skip("the real data is here")
    result = cli("train", "activity_cnn1d_uci")
    assert result.exit_code == 1
    assert "uci_har.npz does not exist" in result.stderr and "Traceback" not in result.stderr
