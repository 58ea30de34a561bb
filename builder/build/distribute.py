"""train.distribute -> a tf.distribute strategy; the model is built and compiled inside
its scope (README "Scaling out").

train.batch_size is the batch of ONE replica (device): a step of a strategy with N
replicas takes N * batch_size examples, split evenly, so a spec keeps its per-device
memory and its per-device learning dynamics when it moves to more devices.
"""
from __future__ import annotations

import json
import os

from ..core.keras_env import tf
from ..data.errors import DataLoadError


def make_strategy(distribute):
    """The strategy for a validated DistributeSpec. multi_worker must be made before
    TensorFlow runs any op (collective ops are configured at start-up), so the
    trainer calls this right after seeding, before data or models exist."""
    t = tf()
    kind, devices = distribute.strategy, distribute.devices
    if kind == "default":
        return t.distribute.get_strategy()
    if kind == "one_device":
        gpus = t.config.list_logical_devices("GPU")
        return t.distribute.OneDeviceStrategy(
            devices[0] if devices else (gpus[0].name if gpus else "/cpu:0"))
    if kind == "mirrored":
        def key(name):
            d = t.DeviceSpec.from_string(name)
            return (d.device_type or "").upper(), d.device_index or 0
        have = {key(d.name): d.name for d in t.config.list_logical_devices()}
        for d in devices or []:
            if key(d) not in have:
                raise DataLoadError(f"device {d} is not on this machine (it has "
                                    f"{', '.join(sorted(have.values()))}); fix "
                                    "train.distribute.devices", ("train", "distribute", "devices"))
        return t.distribute.MirroredStrategy(devices=devices or None)
    # multi_worker: the cluster comes from TF_CONFIG, as in every TensorFlow program
    if not os.environ.get("TF_CONFIG"):
        raise DataLoadError("strategy multi_worker reads the cluster from the TF_CONFIG "
                            "environment variable, which is not set; set it on every "
                            "machine (README, Scaling out)", ("train", "distribute", "strategy"))
    return t.distribute.MultiWorkerMirroredStrategy()


def is_chief() -> bool:
    """Whether this process writes the run folder: always, except on the non-chief
    workers of a multi-worker cluster (they train in step with the chief)."""
    config = json.loads(os.environ.get("TF_CONFIG") or "{}")
    task = config.get("task") or {}
    if not task:
        return True
    has_chief = "chief" in (config.get("cluster") or {})
    return task.get("type") == "chief" or (not has_chief and task.get("type") == "worker"
                                           and int(task.get("index", 0)) == 0)


def replicas(strategy) -> int:
    return int(strategy.num_replicas_in_sync)


def describe(strategy, distribute, batch_size: int) -> str | None:
    """The console line that says how a distributed run batches; None on one device."""
    if distribute.strategy == "default":
        return None
    n = replicas(strategy)
    return (f"distribute: {distribute.strategy} over {n} replica(s); batch_size {batch_size} "
            f"per replica, {batch_size * n} examples per step")
