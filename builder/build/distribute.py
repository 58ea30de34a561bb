"""train.distribute -> a tf.distribute strategy; the model is built and compiled inside
its scope (README "Scaling out").

train.batch_size is the batch of ONE replica (device): a step of a strategy with N
replicas takes N * batch_size examples, split evenly, so a spec keeps its per-device
memory and its per-device learning dynamics when it moves to more devices.
"""
from __future__ import annotations

import os

from ..core.keras_env import tf
from ..data.errors import DataLoadError


def make_strategy(distribute, task: str = "supervised"):
    """The strategy for a validated DistributeSpec. The trainer calls this right after
    seeding, before data or models exist (a collective-ops strategy must be made
    before TensorFlow runs any op)."""
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
    # multi_worker: TF_CONFIG names the cluster and this process's place in it. Keras 3's
    # fit cannot train under this strategy (keras-team/keras#20585), so the supervised
    # trainer runs its own loop (tasks/supervised/multi_worker.py); the other tasks'
    # hooks (sequence targets, transfer's second phase, extra reports) are not in it
    if task != "supervised":
        raise DataLoadError(f"strategy multi_worker trains task supervised only, not {task}; "
                            "use mirrored for the GPUs of one machine",
                            ("train", "distribute", "strategy"))
    if devices:
        raise DataLoadError("train.distribute.devices is for mirrored and one_device; "
                            "multi_worker trains on every GPU of each worker (else its CPU): "
                            "remove devices", ("train", "distribute", "devices"))
    if not os.environ.get("TF_CONFIG"):
        raise DataLoadError("strategy multi_worker needs the environment variable TF_CONFIG "
                            "(the cluster's workers and this one's index; README \"Scaling "
                            "out\"); set it, or use mirrored on one machine",
                            ("train", "distribute", "strategy"))
    try:
        strategy = t.distribute.MultiWorkerMirroredStrategy()
        problem = None if workers(strategy) else "it names no cluster of workers"
    except (ValueError, KeyError, TypeError) as exc:  # TF_CONFIG not JSON, or no such task
        problem = " ".join(str(exc).split())[:160]
    if problem:
        raise DataLoadError(f"TF_CONFIG is not a cluster TensorFlow can use ({problem}); fix "
                            "the environment variable TF_CONFIG (README \"Scaling out\")",
                            ("train", "distribute", "strategy"))
    return strategy


def workers(strategy) -> int:
    """The processes of a multi-worker cluster (its chief, if named, and workers)."""
    cluster = strategy.cluster_resolver.cluster_spec().as_dict()
    return len(cluster.get("chief", [])) + len(cluster.get("worker", []))


def replicas(strategy) -> int:
    return int(strategy.num_replicas_in_sync)


def describe(strategy, distribute, batch_size: int) -> str | None:
    """The console line that says how a distributed run batches; None on one device."""
    if distribute.strategy == "default":
        return None
    n = replicas(strategy)
    return (f"distribute: {distribute.strategy} over {n} replica(s); batch_size {batch_size} "
            f"per replica, {batch_size * n} examples per step")
