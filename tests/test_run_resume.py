"""Nothing is lost: every finished epoch is kept in RUN.partial/ until the run ends;
a run killed (SIGKILL), interrupted (Ctrl-C) or crashed continues with
`kspec train --resume RUN.partial` and ends with the same numbers as a run that was
never stopped. kspec deletes no folder it did not create, and never reads a
.partial folder as a run."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from builder.spec.load import load_spec

REPO = Path(__file__).resolve().parents[1]

# kills its own process with SIGKILL right after the checkpoint of epoch 2 is written:
# no handler, no cleanup, as a power cut or the OOM killer would
KILL_AFTER_EPOCH_2 = textwrap.dedent("""
    import os, signal, sys
    sys.path.insert(0, sys.argv[1])
    import builder.run.checkpoint as ck
    real = ck.save
    def save(run_path, epoch, *a, **k):
        real(run_path, epoch, *a, **k)
        if epoch == 2:
            os.kill(os.getpid(), signal.SIGKILL)
    ck.save = save
    import cli
    sys.argv = ["kspec"] + sys.argv[2:]
    cli.main()
""")


def numbers(run: Path) -> dict:
    metrics = json.loads((run / "metrics.json").read_text())
    metrics.pop("versions")
    return {"metrics": metrics, "history": (run / "history.csv").read_text()}


def train_uninterrupted(spec, out, epochs):
    from builder.tasks import TASKS
    loaded = load_spec(spec)
    TASKS[loaded.spec.task].train(loaded, out=out, epochs=epochs, verbose=0)
    return numbers(out)


def test_a_run_killed_after_its_second_epoch_resumes_to_the_same_final_metrics(tmp_path, cli):
    killed = tmp_path / "killed"
    proc = subprocess.run([sys.executable, "-c", KILL_AFTER_EPOCH_2, str(REPO), "train",
                           "breast_cancer_mlp", "--out", str(killed), "--epochs", "3", "-q"],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == -9, proc.stderr[-2000:]
    partial = tmp_path / "killed.partial"
    assert not killed.exists() and (partial / "checkpoint.npz").is_file()

    # a .partial folder is never read as a run
    result = cli("evaluate", partial)
    assert result.exit_code == 1 and "unfinished run" in result.stderr
    assert f"kspec train --resume {partial}" in result.stderr

    result = cli("train", "--resume", partial, "-q")
    assert result.exit_code == 0, result.stderr
    assert f"saved run: {killed}" in result.stdout and not partial.exists()
    again = cli("train", "--resume", killed)
    assert again.exit_code == 1 and "is a finished run; there is nothing to resume" in again.stderr
    from builder.run.folder import CHECKPOINT, MARK, RESUME
    from builder.spec.load import load_spec
    from builder.tasks import TASKS
    names = {p.name for p in killed.iterdir()}
    assert not names & {CHECKPOINT, RESUME, MARK}  # the checkpoint is gone with the .partial name
    assert set(TASKS["supervised"].files_of_run(load_spec("breast_cancer_mlp").spec)) <= names

    # bit for bit: the weights, the optimizer's slots and step count, the dropout
    # generator's state and the data pipeline's position all continue exactly
    expected = train_uninterrupted("breast_cancer_mlp", tmp_path / "straight", 3)
    assert numbers(killed) == expected
    assert json.loads((killed / "metrics.json").read_text())["epochs_run"] == 3


def test_ctrl_c_keeps_the_checkpoint_and_prints_the_resume_command(cli, tmp_path, ctrl_c_after):
    ctrl_c_after(1)
    out = tmp_path / "run"
    result = cli("train", "breast_cancer_mlp", "--out", out, "--epochs", "2", "-q")
    assert result.exit_code == 130 and "Traceback" not in result.stderr
    partial = tmp_path / "run.partial"
    assert f"continue with: kspec train --resume {partial}" in result.stderr
    assert (partial / "checkpoint.npz").is_file() and not out.exists()
    ctrl_c_after(None)

    # the same --out again: refused, pointing at --resume; nothing deleted
    again = cli("train", "breast_cancer_mlp", "--out", out, "--epochs", "2", "-q")
    assert again.exit_code == 1 and "holds an interrupted run" in again.stderr
    assert (partial / "checkpoint.npz").is_file()
    for command in (("predict", partial, "--input", "x.csv"), ("generate", partial)):
        refused = cli(*command)
        assert refused.exit_code == 1 and "unfinished run" in refused.stderr, refused.stderr
    # (that --resume continues such a folder to the same numbers: the SIGKILL test above)


def test_a_generative_run_resumes_to_the_same_numbers(cli, tmp_path, ctrl_c_after):
    """The GAN's two networks, two optimizers and its noise generator all resume."""
    import yaml

    from builder.tasks import TASKS
    spec = TASKS["gan"].example_spec()
    spec["train"]["epochs"] = 2
    path = tmp_path / "gan.yaml"
    path.write_text(yaml.safe_dump(spec))
    ctrl_c_after(1)
    assert cli("train", path, "--out", tmp_path / "gan", "-q").exit_code == 130
    ctrl_c_after(None)
    assert cli("train", "--resume", tmp_path / "gan.partial", "-q").exit_code == 0
    assert numbers(tmp_path / "gan") == train_uninterrupted(path, tmp_path / "straight", None)


def test_resume_refuses_what_is_not_an_interrupted_run(cli, tmp_path):
    (tmp_path / "x.partial").mkdir()
    (tmp_path / "x.partial" / "mine.txt").write_text("mine")
    for target, words in ((tmp_path / "x.partial", "not made by kspec train"),
                          (tmp_path / "nothing.partial", "not a folder of an interrupted run")):
        result = cli("train", "--resume", target)
        assert result.exit_code == 1 and words in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    assert cli("train", "--resume", tmp_path / "x.partial", "breast_cancer_mlp").exit_code == 2
    assert cli("train").exit_code == 2  # neither a SPEC nor --resume
    assert (tmp_path / "x.partial" / "mine.txt").read_text() == "mine"


def test_out_with_a_foreign_or_linked_partial_folder_refuses_and_deletes_nothing(cli, tmp_path):
    foreign = tmp_path / "X.partial"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("years of work")
    result = cli("train", "breast_cancer_mlp", "--out", tmp_path / "X", "--epochs", "1", "-q")
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert "kspec deletes nothing it did not create" in result.stderr
    assert (foreign / "thesis.tex").read_text() == "years of work"

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("keep")
    (tmp_path / "Y.partial").symlink_to(elsewhere)
    result = cli("train", "breast_cancer_mlp", "--out", tmp_path / "Y", "--epochs", "1", "-q")
    assert result.exit_code == 1 and "is a link" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1
    assert sorted(os.listdir(elsewhere)) == ["keep.txt"]
    assert not (tmp_path / "X").exists() and not (tmp_path / "Y").exists()


# what decides the later epochs resumes too: early stopping's wait counter, best value and
# best weights (patience carries over instead of starting again); and the shuffle order of
# a dataset that ends with each epoch (a steps_per_execution set by hand that does not
# divide breast_cancer_mlp's 12 steps: its order depends on how many iterators were made)
RESUMES_EXACTLY = {
    "steps_per_execution": ["--epochs", "4", "--set", "train.steps_per_execution=5"],
    # min_delta 10: no epoch after the first improves, so patience 2 stops after epoch 3
    # and restores epoch 1's weights; a patience restarted at the resumed epoch 3 would
    # run to epoch 5
    "early_stopping": ["--epochs", "6", "--set",
                       "train.callbacks=[{early_stopping: {patience: 2, min_delta: 10, "
                       "monitor: val_loss, restore_best_weights: true}}]"],
}


@pytest.mark.parametrize("case", RESUMES_EXACTLY)
def test_interrupted_after_epoch_2_resumes_to_the_same_numbers(case, cli, tmp_path, ctrl_c_after):
    args = RESUMES_EXACTLY[case]
    ctrl_c_after(2)
    out = tmp_path / "run"
    assert cli("train", "breast_cancer_mlp", "--out", out, "-q", *args).exit_code == 130
    ctrl_c_after(None)
    result = cli("train", "--resume", tmp_path / "run.partial", "-q")
    assert result.exit_code == 0, result.stderr
    straight = cli("train", "breast_cancer_mlp", "--out", tmp_path / "straight", "-q", *args)
    assert straight.exit_code == 0, straight.stderr
    assert numbers(out) == numbers(tmp_path / "straight")
    if case == "early_stopping":
        assert json.loads((out / "metrics.json").read_text())["epochs_run"] == 3
