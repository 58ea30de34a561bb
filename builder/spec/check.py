"""Checks beyond the schema: the layer graph, shapes, data vs model, lint."""
from __future__ import annotations

from .graph import Plan, plan_model
from .lint import lint
from .problems import Report


def data_info(data, report: Report):
    """What the data looks like after preprocessing, known without loading it."""
    info = data.source.info()
    for i, step in enumerate(data.preprocess):
        try:
            info = step.info(info)
        except ValueError as exc:
            report.error(("data", "preprocess", i, step.kind), str(exc))
            return info.with_(x_shape=None)
    return info


def check_data_vs_model(info, plan: Plan, report: Report):
    if info.x_shape is None or len(plan.inputs) != 1:
        return
    want = next(iter(plan.inputs.values()))
    have = tuple(info.x_shape)
    if len(want) != len(have) or any(w is not None and w != h for w, h in zip(want, have)):
        fix = (f"add `- reshape: {list(want)}` to data.preprocess"
               if _size(want) == _size(have) else "change model.input")
        report.error(("model", "input"),
                     f"the data gives examples of shape {list(have)} but model.input is "
                     f"{list(want)}; {fix}")


def _size(shape):
    out = 1
    for d in shape:
        if d is None:
            return None
        out *= d
    return out


def check_spec(spec) -> Report:
    report = Report()
    plan = plan_model(spec.model, ("model",), report)
    info = data_info(spec.data, report)
    check_data_vs_model(info, plan, report)
    if not report.errors:
        lint(spec, plan, info, report)
    return report
