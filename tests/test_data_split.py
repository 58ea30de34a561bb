"""Splits: seeded, stratified, chronological, the source's own test split; never overlapping."""
from __future__ import annotations

import numpy as np
import pytest

from builder.data.pipeline import prepare
from builder.data.split import split_indices
from builder.spec.schema import DataSpec

SPECS = __import__("pathlib").Path(__file__).resolve().parents[1] / "specs"


def data(source, **split):
    return DataSpec.model_validate({"source": source, "split": split})


def assert_partition(idx: dict, n: int):
    parts = [set(map(int, v)) for v in idx.values()]
    for i, a in enumerate(parts):
        for b in parts[i + 1:]:
            assert not a & b, "a split shares examples with another"
    assert set().union(*parts) == set(range(n))


@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("stratify", [True, False])
def test_parts_never_overlap_and_cover_everything(shuffle, stratify):
    labels = np.random.default_rng(0).integers(0, 4, 503)
    idx = split_indices(503, {"validation": 0.15, "test": 0.25}, seed=5,
                        labels=labels if stratify else None, shuffle=shuffle)
    assert_partition(idx, 503)
    assert abs(len(idx["test"]) - 0.25 * 503) <= 4 and abs(len(idx["validation"]) - 0.15 * 503) <= 4


def test_prepared_splits_of_real_data_share_no_example():
    """Rows of the prepared train/validation/test arrays are distinct examples."""
    prep = prepare(data({"sklearn": "breast_cancer"}, validation=0.2, test=0.2), seed=11)
    assert_partition(prep.indices, 569)
    rows = {part: {r.tobytes() for r in x} for part, (x, _) in prep.splits.items()}
    assert not rows["train"] & rows["validation"] and not rows["train"] & rows["test"]
    assert not rows["validation"] & rows["test"]


def test_seeded_and_stratified():
    a = prepare(data({"sklearn": "iris"}, validation=0.2, test=0.2), seed=1)
    b = prepare(data({"sklearn": "iris"}, validation=0.2, test=0.2), seed=1)
    c = prepare(data({"sklearn": "iris"}, validation=0.2, test=0.2), seed=2)
    for part in ("train", "validation", "test"):
        np.testing.assert_array_equal(a.indices[part], b.indices[part])
    assert not np.array_equal(a.indices["test"], c.indices["test"])
    for part in ("validation", "test"):  # iris: 50 per class -> 10 per class in each part
        assert np.bincount(a.splits[part][1]).tolist() == [10, 10, 10]


def test_a_series_splits_in_time_order_and_never_shuffles_across_the_split_point():
    spec = data({"timeseries": {"path": "data/airline_passengers.csv", "column": "Passengers",
                                "window": 12}}, validation=0.1, test=0.2)
    prep = prepare(spec, seed=0, base_dir=SPECS)
    assert prep.in_order
    idx = prep.indices
    assert_partition(idx, 132)
    assert idx["train"].max() < idx["validation"].min() <= idx["validation"].max() < idx["test"].min()
    for part in idx.values():
        assert np.all(np.diff(part) == 1)  # contiguous, in order
    # the last test window predicts December 1960
    assert prep.splits["test"][1][-1, 0] == 432


def test_text_splits_chronologically_by_default_but_can_be_told_otherwise():
    src = {"text": {"path": "data/shakespeare.txt", "window": 20, "step": 20}}
    ordered = prepare(data(src, validation=0.1, test=0.1), seed=0, base_dir=SPECS)
    assert ordered.indices["train"].max() < ordered.indices["test"].min()
    mixed = prepare(data(src, validation=0.1, test=0.1, chronological=False), seed=0,
                    base_dir=SPECS)
    assert mixed.indices["test"].min() < mixed.indices["train"].max()


def test_the_sources_own_test_split(tmp_path):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "d.npz", x_train=rng.random((40, 3)), y_train=np.arange(40) % 2,
             x_test=rng.random((7, 3)), y_test=np.arange(7) % 2)
    auto = prepare(data({"npz": "d.npz"}, validation=0.25), seed=0, base_dir=tmp_path)
    assert auto.own_test and len(auto.splits["test"][0]) == 7
    assert len(auto.splits["train"][0]) == 30 and len(auto.splits["validation"][0]) == 10
    carved = prepare(data({"npz": "d.npz"}, validation=0.25, test=0.25), seed=0,
                     base_dir=tmp_path)
    assert not carved.own_test and len(carved.splits["test"][0]) == 10


def test_no_training_examples_left_is_an_error(tmp_path):
    from builder.data.errors import DataLoadError
    spec = DataSpec.model_validate({"source": {"inline": {"x": [1, 2], "y": [1, 2]}},
                                    "split": {"validation": 0.5, "test": 0.4}})
    with pytest.raises(DataLoadError, match="no examples left for training"):
        prepare(spec, seed=0)
