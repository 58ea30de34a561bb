"""Optimizers, schedules, losses with parameters and callbacks all reach Keras."""
from __future__ import annotations

import json

import pytest

from builder.catalog.callbacks import CALLBACKS
from builder.catalog.losses import LOSSES
from builder.catalog.optimizers import OPTIMIZERS, SCHEDULES
from builder.spec.load import load_spec
from builder.tasks.supervised.trainer import train


@pytest.mark.parametrize("name", OPTIMIZERS.names())
def test_every_optimizer_builds_with_its_parameters(name):
    opt = OPTIMIZERS.parse({name: {"learning_rate": 0.02, "clipnorm": 1.0}}).build()
    assert float(opt.learning_rate) == pytest.approx(0.02)
    assert opt.clipnorm == 1.0


def test_sgd_momentum_and_nesterov_reach_keras():
    opt = OPTIMIZERS.parse({"sgd": {"momentum": 0.9, "nesterov": True}}).build()
    assert opt.momentum == 0.9 and opt.nesterov is True


@pytest.mark.parametrize("schedule, step, lr", [
    ({"exponential_decay": {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5}}, 10, 0.05),
    ({"cosine_decay": {"initial_learning_rate": 0.1, "decay_steps": 10}}, 10, 0.0),
    ({"piecewise_constant_decay": {"boundaries": [5], "values": [0.1, 0.01]}}, 6, 0.01),
])
def test_learning_rate_schedules(schedule, step, lr):
    opt = OPTIMIZERS.parse({"adam": {"learning_rate": schedule}}).build()
    assert float(opt.learning_rate_schedule(step) if hasattr(opt, "learning_rate_schedule")
                 else opt._learning_rate(step)) == pytest.approx(lr, abs=1e-6)
    assert SCHEDULES.lookup(next(iter(schedule))) is not None


def test_piecewise_needs_one_more_value_than_boundaries(cli):
    result = cli("validate", "breast_cancer_mlp", "--set",
                 "train.optimizer={adam: {learning_rate: {piecewise: {boundaries: [5, 9], values: [0.1]}}}}")
    assert result.exit_code == 1 and "one more value than boundaries" in result.stderr


@pytest.mark.parametrize("name", LOSSES.names())
def test_every_loss_builds(name):
    assert callable(LOSSES.parse(name).build())


def test_loss_parameters_reach_keras():
    loss = LOSSES.parse({"categorical_crossentropy": {"label_smoothing": 0.1, "from_logits": True}}).build()
    config = loss.get_config()
    assert config["label_smoothing"] == 0.1 and config["from_logits"] is True


def test_callbacks_write_inside_the_run_folder(tmp_path):
    assert set(CALLBACKS.names()) == {"early_stopping", "reduce_lr_on_plateau", "model_checkpoint",
                                      "csv_logger", "tensorboard"}
    loaded = load_spec("breast_cancer_mlp", [
        "train.epochs=3",
        "train.callbacks=[model_checkpoint, csv_logger, tensorboard, "
        "{reduce_lr_on_plateau: {patience: 1}}, {early_stopping: {patience: 1}}]"])
    run = train(loaded, out=tmp_path / "run", verbose=0).path
    assert (run / "checkpoint.keras").is_file()
    assert (run / "epochs.csv").read_text().startswith("epoch")
    assert any((run / "tensorboard").rglob("*events*"))
    assert json.loads((run / "metrics.json").read_text())["epochs_run"] >= 1


def test_list_and_show(cli):
    listing = cli("list")
    assert listing.exit_code == 0
    lines = listing.stdout.splitlines()
    names = [line.split()[0] for line in lines if line.startswith("  ")]
    assert {"breast_cancer_mlp", "digits_cnn", "diabetes_mlp"} <= set(names)
    topics = [line for line in lines if not line.startswith(" ")]
    assert topics[:3] == ["neurons/", "mlp/", "cnn/"]
    assert max(len(line) for line in lines) <= 160, "one short line per spec"
    shown = cli("show", "digits_cnn")
    assert shown.exit_code == 0 and shown.stdout.startswith("digits_cnn (cnn; lectures L18")
    as_file = cli("show", "digits_cnn", "--yaml")
    assert as_file.exit_code == 0 and "name: digits_cnn" in as_file.stdout


def test_catalog_lists_layers_with_parameters(cli):
    result = cli("catalog", "layers")
    assert result.exit_code == 0
    conv = next(line for line in result.stdout.splitlines() if line.startswith("conv2d "))
    assert "filters" in conv and "kernel_size" in conv
    assert cli("catalog", "nonsense").exit_code == 2


def test_help_lists_every_command_in_exactly_one_section(cli):
    from cli import SECTIONS, main
    placed = [name for names in SECTIONS.values() for name in names]
    assert sorted(placed) == sorted(main.commands), "each command in exactly one section"
    text = cli("--help").output
    titles = ["Write and check:", "Train and use:", "See inside:", "Share:", "Grade:",
              "Studio:"]
    assert [t for t in titles if t in text] == titles
    assert [text.index(t) for t in titles] == sorted(text.index(t) for t in titles)
    for title, names in SECTIONS.items():
        block = text.split(title[0].upper() + title[1:] + ":")[1].split("\n\n")[0]
        listed = [line.split()[0] for line in block.strip().splitlines()]
        assert listed == names, title
