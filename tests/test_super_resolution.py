"""L35 super resolution: the pixel-shuffle layer, the downscale step that makes the
(small, full-size) pairs, and the bundled sub-pixel CNN beating bicubic upscaling
(PSNR on the same test patches) with a before/after grid in the run folder."""
from __future__ import annotations

import json

import numpy as np
import yaml
from click.testing import CliRunner

from builder.data.preprocess.targets import Downscale


def kspec(*args):
    from cli import main
    return CliRunner().invoke(main, [str(a) for a in args])


def test_depth_to_space_is_tensorflows_pixel_shuffle():
    import tensorflow as tf

    from builder.catalog.keras.custom import DepthToSpace
    x = np.random.default_rng(0).random((2, 3, 4, 12)).astype("float32")
    for r in (2,):
        assert np.array_equal(DepthToSpace(r)(x).numpy(), tf.nn.depth_to_space(x, r).numpy())
    # the 4 channels of one pixel become its 2 x 2 block, row by row
    one = np.arange(4, dtype="float32").reshape(1, 1, 1, 4)
    assert DepthToSpace(2)(one).numpy()[0, :, :, 0].tolist() == [[0, 1], [2, 3]]


def test_downscale_averages_blocks_and_keeps_the_full_image_as_target():
    x = np.arange(2 * 4 * 4 * 3, dtype="float32").reshape(2, 4, 4, 3)
    small, target = Downscale(factor=2).apply(x, None, {})
    assert small.shape == (2, 2, 2, 3) and np.array_equal(target, x)
    assert small[0, 0, 0, 0] == np.mean(x[0, :2, :2, 0])


def test_an_output_of_the_wrong_size_is_found_by_validate(tmp_path):
    spec = yaml.safe_load(open_spec())
    spec["model"]["layers"] = spec["model"]["layers"][:3]  # no depth_to_space, no add
    path = tmp_path / "sr.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    result = kspec("validate", path)
    assert result.exit_code == 1
    assert "must output the full-size image [32, 32, 3]" in result.output
    assert "depth_to_space: 2" in result.output


def open_spec() -> str:
    from builder.spec.library import bundled
    return bundled()["photo_super_resolution"].read_text()


def test_the_sub_pixel_cnn_beats_bicubic_upscaling(tmp_path):
    result = kspec("train", "photo_super_resolution", "--out", tmp_path / "run", "--epochs", 10,
                   "-q")
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    ours, bicubic = metrics["test"]["psnr"], metrics["baselines"]["bicubic"]["psnr"]
    assert ours > bicubic, (ours, bicubic)
    assert bicubic > 30  # a real baseline: bicubic on these photos is already good
    assert "(the model beats bicubic upscaling)" in result.output
    assert (tmp_path / "run" / "super_resolution.png").stat().st_size > 10_000
