"""`kspec diff A B` on every ordered pair of bundled specs: text out, no traceback.

In-process (one load per spec, then 35 x 34 diffs) so the whole matrix takes seconds;
a crash here was `kspec diff digits_cnn digits_resnet` (a learning rate that differs).
"""
from __future__ import annotations

import itertools

from builder.share.diff import diff_text
from builder.spec.library import bundled
from builder.spec.load import load_spec


def test_diff_works_on_every_pair_of_bundled_specs():
    loaded = {name: load_spec(path) for name, path in bundled().items()}
    assert len(loaded) >= 30
    failures = []
    names = sorted(loaded)
    # every pair for the fields and layers; the parameter counts (the same code for any
    # pair, planned per spec) for each spec against its neighbour, both ways
    neighbours = set(zip(names, names[1:] + names[:1])) | set(zip(names[1:] + names[:1], names))
    for a, b in itertools.permutations(names, 2):
        try:
            text = diff_text(loaded[a], loaded[b], counts=(a, b) in neighbours)
        except Exception as exc:  # noqa: BLE001 - any escape is the failure we report
            failures.append(f"kspec diff {a} {b}: {type(exc).__name__}: {exc}")
            continue
        assert isinstance(text, str) and text.strip(), f"kspec diff {a} {b} printed nothing"
    assert not failures, "\n".join(failures[:20])
    # a spec against itself says so, and a learning-rate change is shown as one
    assert diff_text(loaded["digits_cnn"], loaded["digits_cnn"]).strip()
    lr = diff_text(loaded["digits_cnn"], loaded["digits_resnet"])
    assert "learning_rate" in lr or "optimizer" in lr
