"""`kspec rubric calibrate`: the reference solution trained K times exactly as the
grader trains submissions; each run is reported, with the spread and the credit
the solution would earn."""
from __future__ import annotations

import re
import subprocess
import sys
import textwrap

from click.testing import CliRunner

from cli import main

RUBRIC = """
assignment: calib
seed: 4
data:
  source: {sklearn: digits}
  preprocess: [{scale: 16}]
  split: {validation: 0.1, test: 0.3}
limits: {time: 120, memory: 2048, max_epochs: 3}
checks:
  - name: accuracy
    points: 1
    train: {metric: accuracy, floor: 0.5, target: 0.99}
"""

SOLUTION = """
kspec: 1
name: solution
data:
  source: {sklearn: digits}
model:
  input: [64]
  layers:
    - dense: {units: 32, activation: relu}
    - dense: {units: 10, activation: softmax}
train:
  loss: sparse_categorical_crossentropy
  optimizer: {adam: {learning_rate: 0.01}}
  epochs: 30
"""


def write(path, text):
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def test_calibrate_reports_each_run_and_the_spread(tmp_path):
    rubric = write(tmp_path / "rubric.yaml", RUBRIC)
    solution = write(tmp_path / "solution.yaml", SOLUTION)
    result = CliRunner().invoke(main, ["rubric", "calibrate", str(rubric), str(solution),
                                       "--runs", "2", "--jobs", "2"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "trained 2 time(s) (seeds 4, 5), 3 epoch(s) each" in out  # capped by max_epochs
    values = [float(v) for v in re.search(r"test accuracy: ([\d. ]+)\n", out).group(1).split()]
    assert len(values) == 2 and all(0.8 < v <= 1 for v in values)  # an MLP learns digits
    assert f"range {min(values):.4f} .. {max(values):.4f}" in out
    assert "check 'accuracy' (floor 0.5, target 0.99)" in out
    assert "training noise alone would cost the reference solution points" in out  # 0.99 is high
    # progress: a line first, one as each training ends, and the total last
    lines = out.splitlines()
    assert lines[0] == "training the solution 2 time(s) (2 at once)"
    ends = [l for l in lines if re.fullmatch(r"\[[12]/2\] seed [45] +[\d.]+ s", l)]
    assert len(ends) == 2 and {l.split()[2] for l in ends} == {"4", "5"}
    assert lines.index(ends[1]) < lines.index(next(l for l in lines if "trained 2 time(s)" in l))
    total = re.fullmatch(r"total: 2 training\(s\) in ([\d.]+) s \(2 at once\), 3 epoch\(s\) each",
                         lines[-1])
    assert total, lines[-1]
    each = [float(l.split()[-2]) for l in ends]
    assert max(each) <= float(total.group(1)) < 120 + sum(each)  # the whole wall time


def test_calibrate_refuses_an_invalid_solution(tmp_path):
    rubric = write(tmp_path / "rubric.yaml", RUBRIC)
    bad = write(tmp_path / "bad.yaml", SOLUTION.replace("units: 10", "units: 3"))
    result = CliRunner().invoke(main, ["rubric", "calibrate", str(rubric), str(bad)])
    assert result.exit_code == 1
    assert "would not be trained" in result.output and "bad.yaml:" in result.output


def test_grading_processes_are_offline():
    code = ("from builder.grade.worker import python_guard\npython_guard()\nimport socket\n"
            "for call in (lambda: socket.create_connection(('127.0.0.1', 9)),\n"
            "             lambda: socket.getaddrinfo('example.com', 80)):\n"
            "    try:\n        call()\n    except OSError as exc:\n        print(exc)\n"
            "a, b = socket.socketpair()\nprint('local sockets still work')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.count("network access is disabled while grading") == 2
    assert "local sockets still work" in out
