"""train.distribute: a mirrored strategy over two logical CPU devices trains a spec and
says how it batches; two worker processes on loopback train digits_cnn under
multi_worker; what a strategy cannot do is refused in one line."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

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


def _free_loopback_ports(n):
    """n ports free on 127.0.0.1 now (bound to port 0, then let go for the workers)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    except OSError as exc:
        pytest.skip(f"this environment cannot open loopback ports ({exc})")
    finally:
        for s in socks:
            s.close()


def test_multi_worker_trains_digits_cnn_on_two_loopback_workers(tmp_path):
    # two processes, as two machines would run them: the same command, a TF_CONFIG each
    ports = _free_loopback_ports(2)
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    procs = []
    for index in range(2):
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=str(ROOT),
                   TF_CONFIG=json.dumps({"cluster": cluster,
                                         "task": {"type": "worker", "index": index}}))
        procs.append(subprocess.Popen(
            [sys.executable, "cli.py", "train", "specs/cnn/digits_cnn.yaml",
             "--out", str(tmp_path / f"w{index}"), "--set", "train.epochs=1",
             "--set", "train.distribute=multi_worker"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outs = []
    try:
        outs = [p.communicate(timeout=300) for p in procs]
    finally:
        for p in procs:
            p.kill()
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err[-3000:]
        assert ("distribute: multi_worker over 2 replica(s); batch_size 32 per replica, "
                "64 examples per step") in err
        assert "Traceback" not in err and "unhealthy" not in err
    (out0, err0), (out1, err1) = outs
    assert "worker 0 of 2 worker(s); the chief: it writes the run folder" in err0
    assert "worker 1 of 2 worker(s)" in err1
    # the chief writes the run folder a one-device run writes; worker 1 writes nothing
    run = tmp_path / "w0"
    assert f"saved run: {run}" in out0 and "saved run" not in out1
    assert {"model.keras", "metrics.json", "history.csv", "spec.yaml", "learning_curves.png",
            "report.html", "preprocess.json", "evaluation.json"} <= {f.name for f in
                                                                      run.iterdir()}
    assert not list(tmp_path.glob("w1*")) and not list(tmp_path.glob("w0.partial"))
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["epochs_run"] == 1 and metrics["workers"] == 2
    assert metrics["test"]["accuracy"] > 0.3  # 10 classes, one epoch: it learned
    history = (run / "history.csv").read_text().splitlines()
    assert history[0] == "epoch,accuracy,loss,val_accuracy,val_loss" and len(history) == 2
    # the loop's validation (each worker its share, summed across them) is the chief's
    # one-device evaluation of the whole split afterwards: every example counted once
    val_accuracy, val_loss = map(float, history[1].split(",")[3:])
    assert abs(val_loss - metrics["validation"]["loss"]) < 1e-4
    assert abs(val_accuracy - metrics["validation"]["accuracy"]) < 1e-6


@pytest.mark.parametrize("change, words", [
    ({}, "needs the environment variable TF_CONFIG"),
    ({"devices": ["/cpu:0"]}, "train.distribute.devices is for mirrored and one_device"),
])
def test_multi_worker_mistakes_are_one_line(write_spec, cli, tmp_path, monkeypatch,
                                            change, words):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    path = write_spec(SPEC.replace("{strategy: mirrored, devices: [/cpu:0, /cpu:1]}",
                                   json.dumps({"strategy": "multi_worker", **change})))
    result = cli("train", path, "--out", tmp_path / "r", "-q")
    assert result.exit_code == 1
    line, = result.stderr.strip().splitlines()
    assert "train.distribute" in line and words in line
    assert not (tmp_path / "r").exists()


def test_multi_worker_other_tasks_are_refused_in_one_line(write_spec, cli, tmp_path):
    from builder.tasks import TASKS
    spec = TASKS["forecast"].example_spec()
    spec["train"]["distribute"] = "multi_worker"
    path = write_spec(json.dumps(spec))
    result = cli("train", path, "--out", tmp_path / "r", "-q")
    assert result.exit_code == 1
    line, = result.stderr.strip().splitlines()
    assert "train.distribute.strategy" in line
    assert "multi_worker trains task supervised only, not forecast; use mirrored" in line
    assert not (tmp_path / "r").exists()


def test_generative_tasks_refuse_distribute(write_spec, cli):
    from builder.tasks import TASKS
    spec = TASKS["autoencoder"].example_spec()
    spec["train"]["distribute"] = "mirrored"
    path = write_spec(json.dumps(spec))
    result = cli("validate", path)
    assert result.exit_code == 1 and "train.distribute" in result.stderr
