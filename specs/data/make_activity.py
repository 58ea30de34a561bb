"""Synthetic smartphone sensor windows of six activities, shaped like UCI HAR (L36).

    python specs/data/make_activity.py            # writes specs/data/activity_windows.npz

The real UCI HAR data (Anguita et al. 2013) is 2.56 s windows (128 samples at
50 Hz) of a waist-worn phone's accelerometer and gyroscope, labelled with six
activities. Downloading it is not possible offline, so the bundled spec
`activity_cnn1d` trains on windows simulated here with the same layout and the
same classes; `activity_cnn1d_uci` trains the same network on the real files
(see `uci_har_to_npz.py`).

Each window has 6 channels, as in UCI HAR's `total_acc_{x,y,z}` (in g, gravity
included) and `body_gyro_{x,y,z}` (rad/s); x points up along the body when
standing. What tells the activities apart, as in the real data:

* walking, walking upstairs, walking downstairs: a periodic gait at the step
  frequency (about 1.9, 1.6 and 2.1 steps/s), with harmonics, a sideways sway at
  half the step frequency (one stride = two steps) and heel-strike impacts;
  upstairs pitches the body more (larger gyro pitch rate, forward lean),
  downstairs lands harder (sharper, larger impacts);
* sitting, standing, laying: no gait, only slow postural sway and sensor noise;
  they differ by where gravity points in the phone's frame: upright when
  standing, tilted by the thighs when sitting, along the body's front axis when
  laying. Sitting and standing overlap a little, as they do in the real data.

Every window draws its own person-like variation (cadence, amplitude, tilt,
phase, sensor bias), so no two windows are alike. The function is seeded and
deterministic: the shipped file is exactly what `make_windows()` returns
(tests/test_seq_activity.py checks it).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

ACTIVITIES = ["walking", "walking_upstairs", "walking_downstairs", "sitting", "standing",
              "laying"]
RATE = 50.0  # samples per second
STEPS = 128  # 2.56 s windows, as in UCI HAR
CHANNELS = ["total_acc_x", "total_acc_y", "total_acc_z",
            "body_gyro_x", "body_gyro_y", "body_gyro_z"]

# gait: step frequency (mean, sd) in Hz, vertical amplitude (g), impact size (g),
# pitch-rate amplitude (rad/s), forward lean (degrees)
GAIT = {
    "walking": dict(freq=(1.9, 0.12), vertical=0.28, impact=0.25, pitch=0.45, lean=3.0),
    "walking_upstairs": dict(freq=(1.55, 0.12), vertical=0.22, impact=0.15, pitch=0.8, lean=12.0),
    "walking_downstairs": dict(freq=(2.1, 0.13), vertical=0.42, impact=0.55, pitch=0.55, lean=-4.0),
}
# posture: tilt of the body axis from vertical (mean, sd) in degrees
POSTURE = {"sitting": (24.0, 7.0), "standing": (6.0, 5.0), "laying": (84.0, 6.0)}


def _rotate(acc, tilt_deg, yaw_deg):
    """Gravity and motion seen by a phone tilted forward by `tilt` and turned by `yaw`
    about the body axis: rotate (up, side, front) vectors into the phone's frame."""
    t, y = np.radians(tilt_deg), np.radians(yaw_deg)
    tilt = np.array([[np.cos(t), 0, np.sin(t)], [0, 1, 0], [-np.sin(t), 0, np.cos(t)]])
    turn = np.array([[1, 0, 0], [0, np.cos(y), -np.sin(y)], [0, np.sin(y), np.cos(y)]])
    return acc @ (turn @ tilt).T


def _sway(rng, scale, n=STEPS):
    """Slow random drift (an AR(1) process): postural sway, breathing, hand tremor."""
    out = np.zeros(n)
    e = rng.normal(0, scale, n)
    for i in range(1, n):
        out[i] = 0.97 * out[i - 1] + e[i]
    return out


def one_window(activity: str, rng) -> np.ndarray:
    t = np.arange(STEPS) / RATE
    acc = np.zeros((STEPS, 3))  # body frame: up, side, front (in g)
    gyro = np.zeros((STEPS, 3))  # roll, pitch, yaw rates (rad/s)
    if activity in GAIT:
        g = GAIT[activity]
        f = rng.normal(*g["freq"])
        strength = rng.uniform(0.75, 1.25)  # people walk differently
        phase = rng.uniform(0, 2 * np.pi)
        step = 2 * np.pi * f * t + phase
        acc[:, 0] = strength * g["vertical"] * (np.sin(step) + 0.35 * np.sin(2 * step + 0.6))
        # heel strikes: a short sharp bump once per step
        impact = np.maximum(0, np.cos(step - 0.4)) ** 12
        acc[:, 0] += strength * g["impact"] * impact
        acc[:, 1] = strength * 0.12 * np.sin(step / 2 + rng.uniform(0, 2 * np.pi))  # stride sway
        acc[:, 2] = strength * 0.15 * np.sin(step + 1.2) + 0.05 * np.sin(2 * step)
        gyro[:, 0] = strength * 0.25 * np.sin(step / 2 + 0.3)
        gyro[:, 1] = strength * g["pitch"] * np.sin(step + 0.9)
        gyro[:, 2] = strength * 0.2 * np.sin(step / 2 + 1.7)
        tilt = g["lean"] + rng.normal(0, 4.0)
    else:
        mean, sd = POSTURE[activity]
        tilt = rng.normal(mean, sd)
        for k in range(3):
            acc[:, k] = _sway(rng, 0.004)
            gyro[:, k] = _sway(rng, 0.01)
    gravity = np.zeros((STEPS, 3))
    gravity[:, 0] = 1.0
    yaw = rng.normal(0, 15.0)  # how the phone sits in the belt clip
    total = _rotate(gravity + acc, tilt, yaw)
    total += rng.normal(0, 0.015, (STEPS, 3)) + rng.normal(0, 0.02, 3)  # noise + bias
    gyro = gyro + rng.normal(0, 0.03, (STEPS, 3)) + rng.normal(0, 0.01, 3)
    return np.concatenate([total, gyro], axis=1)


def make_windows(per_class: int = 100, seed: int = 36):
    """-> x (n, 128, 6) float32, y (n,) int64 class ids (order of ACTIVITIES), shuffled."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(len(ACTIVITIES)), per_class)
    y = y[rng.permutation(len(y))]
    x = np.stack([one_window(ACTIVITIES[c], rng) for c in y]).astype("float32")
    return x, y.astype("int64")


def main(out: Path = Path(__file__).with_name("activity_windows.npz")):
    x, y = make_windows()
    # float16 halves the file; the sensors themselves are not that precise
    np.savez_compressed(out, x=x.astype("float16"), y=y.astype("int8"),
                        classes=np.array(ACTIVITIES), channels=np.array(CHANNELS))
    print(f"wrote {out}: x {x.shape}, y {y.shape}, {len(ACTIVITIES)} classes")


if __name__ == "__main__":
    main()
