"""supervised: one network, inputs -> labels (classification, regression, ...).

trainer.py fits it and writes the run folder (the sequence tasks reuse its loop);
use.py answers `kspec evaluate` and `kspec predict` on its runs."""
from __future__ import annotations

from ...spec.schema import SupervisedTrain
from ..base import TASKS, Task


@TASKS.register
class Supervised(Task):
    name = "supervised"
    doc = "one model learns to map inputs to labels (classification or regression)"
    train_schema = SupervisedTrain
    use_commands = ("evaluate", "predict")
    run_files = Task.run_files + ("model.keras",)

    def check(self, spec, plans, info, report):
        from ...spec.check import check_data_vs_model, check_monitors, check_one_output
        from ...spec.lint import check_output_per_example, lint
        source = spec.data.source
        if source.kind == "inline" and source.y is None:  # else a traceback in train
            report.error(("data", "source", "inline", "y"),
                         "supervised training needs targets: add y, one per example of x "
                         "(e.g. y: [0, 1, 1, 0])")
        from ...spec.outputs import check_one_target, check_outputs, lint_outputs, several
        plan = plans["model"]
        check_monitors(spec, report)
        if several(spec, plan):  # train.outputs: a loss, weight and metrics per output
            if check_outputs(spec, plan, info, report):
                check_data_vs_model(info, plan, report)
                if not report.errors:
                    lint_outputs(spec, plan, info, report)
            return
        if not check_one_output(self.name, plan, report) or not check_one_target(
                spec, plan, report):
            return
        check_data_vs_model(info, plan, report)
        if not report.errors:
            check_output_per_example(plans["model"], info, report)
        if not report.errors:
            lint(spec, plans["model"], info, report)

    def train(self, loaded, out=None, epochs=None, verbose=None):
        from .trainer import train
        return train(loaded, out=out, epochs=epochs, verbose=verbose)

    def example_spec(self) -> dict:
        return {"kspec": 1, "name": "supervised_example", "seed": 0,
                "data": {"source": {"synthetic": {"type": "classification", "n": 200,
                                                  "shape": [4], "classes": 3}},
                         "split": {"validation": 0.2, "test": 0.2}},
                "model": {"input": [4], "layers": [{"dense": {"units": 8, "activation": "relu"}},
                                                   {"dense": {"units": 3,
                                                              "activation": "softmax"}}]},
                "train": {"loss": "sparse_categorical_crossentropy", "optimizer": "adam",
                          "metrics": ["accuracy"], "epochs": 1, "batch_size": 32}}

    # ---- using a trained run ------------------------------------------------------
    def evaluate(self, run_dir, data=None):
        """`kspec evaluate RUN [--data SPEC_OR_FILE]` -> {part: {metric: value}}."""
        from .use import evaluate_run
        return evaluate_run(run_dir, data)

    def predict(self, run_dir, input_path, **options):
        """`kspec predict RUN --input FILE` -> Predictions (use.write_predictions); the
        sampling options are for language models and have defaults, so they are ignored."""
        from .use import predict_run
        return predict_run(run_dir, input_path, bool(options.get("resize")))
