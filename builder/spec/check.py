"""Checks beyond the schema: the layer graph, shapes, data vs model, lint."""
from __future__ import annotations

from .graph import Plan, plan_model
from ..core.problems import Report


def data_info(data, report: Report):
    """What the data looks like after preprocessing, known without loading it."""
    info = data.source.info()
    for i, step in enumerate(data.preprocess):
        try:
            info = step.info(info)
        except ValueError as exc:
            report.error(("data", "preprocess", i, step.kind), str(exc))
            return info.with_(x_shape=None)
    from ..data.augment import check_augment
    check_augment(data.augment, info.x_shape, report.error)
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


def plan_networks(spec, report: Report) -> dict:
    """role -> Plan for every network of the spec."""
    from ..tasks import TASKS
    from ..tasks.base import role_plan_path
    task = TASKS[spec.task]
    return {role: plan_model(model, role_plan_path(task, role), report)
            for role, model in spec.networks().items()}


def check_spec(spec) -> Report:
    from ..tasks import TASKS
    report = Report()
    plans = plan_networks(spec, report)
    from .counts import check_weight_cap
    check_weight_cap(plans, report)  # before anything would allocate them
    info = data_info(spec.data, report)
    if not report.errors:
        TASKS[spec.task].check(spec, plans, info, report)
    return report
