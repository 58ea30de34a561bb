"""cgan task: the shipped conditional GAN, trained as shipped, draws the class it is
asked for; the label reaches both networks as an input named label."""
from __future__ import annotations

import numpy as np
import pytest

from gen_helpers import generated, judge, kspec, trained


@pytest.fixture(scope="module")
def cgan(tmp_path_factory):
    return trained("digits_cgan", tmp_path_factory)


def test_samples_match_the_requested_label(cgan, tmp_path):
    hits = []
    for label in range(10):
        report = judge().report(generated(cgan, tmp_path, 30, ("--label", label)))
        hits.append((report["guess"] == label).mean())
    # measured: 0.92 on average over the classes
    assert np.mean(hits) >= 0.7, hits
    assert min(hits) >= 0.3, hits


def test_without_a_label_every_class_is_drawn_in_turn(cgan, tmp_path):
    x = generated(cgan, tmp_path, 200)
    report = judge().report(x)
    assert judge().looks_like_digits(report)
    assert (report["guess"] == np.arange(200) % 10).mean() >= 0.7


def test_label_outside_the_classes_is_a_usage_error(cgan):
    result = kspec("generate", cgan, "--label", 12)
    assert result.exit_code == 2 and "from 0 to 9" in result.output
