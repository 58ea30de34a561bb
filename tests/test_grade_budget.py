"""A submission far over the parameter budget (`units: 900000000`) is graded, not
crashed: it scores 0 on the budget with its count in the feedback, is not trained, and
the grader never builds it (the count comes from the plan, without TensorFlow)."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "assignment-digits"
# the reference solution with its hidden layer made 900 million units wide
TOTAL = (2 * 2 * 32 + 1) * 900_000_000 + (900_000_000 + 1) * 10 + (9 + 1) * 16 + (9 * 16 + 1) * 32


def huge_submission(folder: Path) -> Path:
    text = (EXAMPLE / "solution.yaml").read_text()
    assert "units: 32, activation: relu" in text
    path = folder / "zed.yaml"
    path.write_text(text.replace("units: 32, activation: relu", "units: 900000000, activation: relu"))
    return path


def test_a_huge_submission_scores_zero_on_the_budget_with_its_count(tmp_path):
    assignment = tmp_path / "assignment"
    shutil.copytree(EXAMPLE, assignment, ignore=shutil.ignore_patterns("submissions"))
    (assignment / "submissions").mkdir()
    huge_submission(assignment / "submissions")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["grade", str(assignment / "rubric.yaml"),
                                       str(assignment / "submissions"), "--out", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    tests = {t["name"]: t for t in json.loads((out / "zed" / "results.json").read_text())["tests"]}
    budget = tests["Parameter budget"]
    assert budget["score"] == 0
    assert budget["output"].startswith(f"failed: the model has {TOTAL:,} parameters\n"
                                       "expected: parameters: at most 40,000")
    assert tests["Test accuracy"]["output"].startswith(
        f"not trained: the model has {TOTAL:,} parameters; the assignment allows at most 40,000")
    valid = tests["Valid spec, loss fits the task"]
    assert valid["score"] == 0 and "zed.yaml:20:7: model.layers[5].dense: dense has " \
        "116,100,000,000 parameters" in valid["output"]
    assert tests["Convolution and pooling"]["score"] == 2  # the rest is still graded


def test_the_static_phase_never_loads_tensorflow(tmp_path):
    spec = huge_submission(tmp_path)
    code = ("import json, sys\nfrom builder.grade.phases import static_phase\n"
            f"out = static_phase({str(EXAMPLE / 'rubric.yaml')!r}, {{'student': 'zed', "
            f"'spec': {str(spec)!r}, 'folder': None, 'root': {str(tmp_path)!r}}})\n"
            "print(json.dumps(out['outcomes']['Parameter budget']))\n"
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    budget = json.loads(run.stdout)
    assert budget["score"] == 0 and budget["found"] == [f"failed: the model has {TOTAL:,} parameters"]
