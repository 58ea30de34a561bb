"""forecast: a window of a series -> its next value(s), scored in the series' units
against the naive last-value and seasonal-naive baselines (L39).

Everything forecasting lives in this folder: the schema and checks (here), the
trainer (trainer.py), scoring and baselines (series.py), and `kspec forecast`
(use.py). The `timeseries` data source is in data/sources/timeseries.py."""
from __future__ import annotations

from pydantic import Field

from ...catalog.losses import LossRef
from ...spec.schema import TrainSpec
from ..base import TASKS, Task, bundled_example


class ForecastTrain(TrainSpec):
    loss: LossRef = Field("mean_squared_error", description="what training minimises")
    season: int | None = Field(
        None, ge=1, description="length of the season (12 for monthly data) for the "
                                "seasonal-naive baseline; null: no seasonal baseline")


@TASKS.register
class Forecast(Task):
    name = "forecast"
    doc = ("a window of a series -> its next `horizon` values; errors in the series' units "
           "next to the naive and seasonal-naive baselines; kspec forecast RUN --steps N")
    train_schema = ForecastTrain
    use_commands = ("evaluate", "predict", "forecast")
    run_files = Task.run_files + ("model.keras", "forecast.json", "forecast.png",
                                  "test_predictions.csv")

    def check(self, spec, plans, info, report):
        from ...spec.check import check_data_vs_model, check_monitors, check_one_output
        from ...spec.lint import lint
        source = spec.data.source
        if source.kind != "timeseries":
            report.error(("data", "source"), f"task forecast reads a series: use "
                         f"`timeseries: {{path, column, window, horizon}}`, not {source.kind}")
            return
        plan = plans["model"]
        check_monitors(spec, report)
        if not check_one_output(self.name, plan, report):
            return
        check_data_vs_model(info, plan, report)
        outputs = plan.output_nodes()
        if len(outputs) != 1 or outputs[0].shape is None:
            return
        node = outputs[0]
        if tuple(node.shape) != (source.horizon,):
            report.error(node.path, f"the model must output the next {source.horizon} value(s) "
                         f"(horizon {source.horizon}), shape ({source.horizon},), but the last "
                         f"layer ({node.name}) outputs {list(node.shape)}; end with "
                         f"`- dense: {source.horizon}`")
            return
        if spec.train.loss.task != "regression":
            report.error(("train", "loss"), f"{spec.train.loss.kind} is a classification loss; "
                         "a forecast is a number: use mean_squared_error or mean_absolute_error")
            return
        if source.horizon == 1:  # the lectures' regression lint (linear output, no
            lint(spec, plan, info, report)  # accuracy) assumes one number per example

    def train(self, loaded, out=None, epochs=None, verbose=None):
        from .trainer import train
        return train(loaded, out=out, epochs=epochs, verbose=verbose)

    def example_spec(self) -> dict:
        return bundled_example("airline_rnn", optimizer="adam")

    # ---- using a trained run ------------------------------------------------------
    def evaluate(self, run_dir, data=None):
        from ..supervised.use import evaluate_run
        return evaluate_run(run_dir, data)

    def predict(self, run_dir, input_path, **options):
        from ..supervised.use import predict_run
        return predict_run(run_dir, input_path, bool(options.get("resize")))

    def forecast(self, run_dir, steps, out=None):
        """`kspec forecast RUN --steps N [--out FILE.csv]` -> (csv, plot, rows)."""
        from .use import forecast_run
        return forecast_run(run_dir, steps, out)

