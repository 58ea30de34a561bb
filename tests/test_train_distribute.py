"""train.distribute: a mirrored strategy over two logical CPU devices trains a spec and
says how it batches; what a strategy cannot do is refused in one line."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = """
kspec: 1
name: mirrored
seed: 2
data:
  source: {synthetic: {type: classification, n: 240, shape: [6], classes: 3}}
  split: {validation: 0.2, test: 0.2}
model:
  input: [6]
  layers:
    - dense: {units: 16, activation: relu}
    - dense: {units: 3, activation: softmax}
train:
  loss: sparse_categorical_crossentropy
  optimizer: {adam: {learning_rate: 0.02}}
  metrics: [accuracy]
  epochs: 4
  batch_size: 8
  distribute: {strategy: mirrored, devices: [/cpu:0, /cpu:1]}
"""

# TensorFlow splits the CPU into logical devices only before it initialises them, so
# the split happens first thing in a fresh process, then kspec trains as usual
SCRIPT = """
import sys
sys.path.insert(0, {root!r})
from builder.core.keras_env import tf
cpu = tf().config.list_physical_devices("CPU")[0]
tf().config.set_logical_device_configuration(
    cpu, [tf().config.LogicalDeviceConfiguration()] * 2)
sys.argv = ["kspec", "train", {spec!r}, "--out", {out!r}, "-q"]
import cli
cli.main()
"""


def test_mirrored_over_two_cpu_devices_trains(write_spec, tmp_path):
    path = write_spec(SPEC)
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-c", SCRIPT.format(root=str(ROOT), spec=str(path),
                                                               out=str(out))],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert ("distribute: mirrored over 2 replica(s); batch_size 8 per replica, "
            "16 examples per step") in proc.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs_run"] == 4
    assert metrics["test"]["accuracy"] > 0.5  # 3 classes: it learned
    assert 0 < metrics["train"]["loss"] < 1.1  # below chance (ln 3) and finite


def test_a_device_that_is_not_there_is_one_line(write_spec, cli, tmp_path):
    path = write_spec(SPEC.replace("/cpu:1", "/gpu:7"))
    result = cli("train", path, "--out", tmp_path / "r", "-q")
    assert result.exit_code == 1
    line, = result.stderr.strip().splitlines()
    assert "train.distribute.devices" in line and "/gpu:7 is not on this machine" in line


def test_multi_worker_is_refused_in_one_line(write_spec, cli, tmp_path):
    # Keras 3's fit cannot train under MultiWorkerMirroredStrategy (keras-team/keras#20585)
    path = write_spec(SPEC.replace("{strategy: mirrored, devices: [/cpu:0, /cpu:1]}",
                                   "multi_worker"))
    result = cli("train", path, "--out", tmp_path / "r", "-q")
    assert result.exit_code == 1
    line, = result.stderr.strip().splitlines()
    assert "train.distribute.strategy" in line and "multi_worker" in line
    assert not (tmp_path / "r").exists()


def test_generative_tasks_refuse_distribute(write_spec, cli):
    from builder.tasks import TASKS
    spec = TASKS["autoencoder"].example_spec()
    spec["train"]["distribute"] = "mirrored"
    path = write_spec(json.dumps(spec))
    result = cli("validate", path)
    assert result.exit_code == 1 and "train.distribute" in result.stderr
