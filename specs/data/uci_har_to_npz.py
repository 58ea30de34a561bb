"""Convert the downloaded UCI HAR data set into the .npz that activity_cnn1d_uci reads.

    1. download "Human Activity Recognition Using Smartphones" from the UCI
       Machine Learning Repository and unzip it (a folder "UCI HAR Dataset");
    2. python specs/data/uci_har_to_npz.py "path/to/UCI HAR Dataset"
       -> writes specs/data/uci_har.npz (or the path given with --out);
    3. kspec train activity_cnn1d_uci

The raw windows ("Inertial Signals": 128 samples at 50 Hz per window, one text
file per channel) become x_train (7352, 128, 6) and x_test (2947, 128, 6) with the
same six channels as the bundled synthetic windows (total_acc_x/y/z in g,
body_gyro_x/y/z in rad/s); labels 1..6 become 0..5 in the data set's own order
(walking, walking upstairs, walking downstairs, sitting, standing, laying). The
data set's own train/test split (by volunteer) is kept as x_test, y_test.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

CHANNELS = ["total_acc_x", "total_acc_y", "total_acc_z",
            "body_gyro_x", "body_gyro_y", "body_gyro_z"]


def read_part(root: Path, part: str):
    signals = root / part / "Inertial Signals"
    missing = [c for c in CHANNELS if not (signals / f"{c}_{part}.txt").is_file()]
    if missing:
        raise SystemExit(f"{signals} lacks {', '.join(f'{c}_{part}.txt' for c in missing)}; "
                         "give the unzipped 'UCI HAR Dataset' folder")
    x = np.stack([np.loadtxt(signals / f"{c}_{part}.txt", dtype="float32") for c in CHANNELS],
                 axis=-1)
    y = np.loadtxt(root / part / f"y_{part}.txt", dtype="int64").reshape(-1) - 1
    if len(y) != len(x):
        raise SystemExit(f"{part}: {len(x)} windows but {len(y)} labels")
    return x, y


def convert(root: Path, out: Path) -> dict:
    x_train, y_train = read_part(root, "train")
    x_test, y_test = read_part(root, "test")
    labels = root / "activity_labels.txt"
    classes = ([line.split()[1].lower() for line in labels.read_text().splitlines() if line.strip()]
               if labels.is_file() else [str(i) for i in range(6)])
    np.savez_compressed(out, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test,
                        classes=np.array(classes), channels=np.array(CHANNELS))
    return {"train": x_train.shape, "test": x_test.shape, "classes": classes}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="the unzipped 'UCI HAR Dataset' folder")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("uci_har.npz"))
    args = parser.parse_args(argv)
    shapes = convert(args.folder, args.out)
    print(f"wrote {args.out}: train {shapes['train']}, test {shapes['test']}, "
          f"classes {', '.join(shapes['classes'])}")


if __name__ == "__main__":
    main()
