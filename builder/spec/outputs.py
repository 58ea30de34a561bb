"""Several outputs that train (supervised): `train.outputs` gives each output of the model
its loss, loss weight and metrics; the data source names each output's target
(`target: {NAME: COLUMN}`, an npz's `y: {NAME: KEY}`). Validate checks that the three
agree by name, then each output on its own with the lint rules, at its own lines."""
from __future__ import annotations

from ..core.base import did_you_mean
from ..core.problems import Report
from ..data.info import DataInfo
from .graph import Plan


def several(spec, plan: Plan) -> bool:
    """True when the spec trains outputs one by one (train.outputs, or more than one)."""
    return len(plan.outputs) > 1 or getattr(spec.train, "outputs", None) is not None


def check_one_target(spec, plan: Plan, report: Report) -> bool:
    """A one-output model takes train.loss and one target; a target per output (a
    mapping) would hand Keras a dict it cannot fit. True when fine."""
    source = spec.data.source
    targets = source.target_names()
    if targets is None:
        return True
    report.error(("data", "source", source.kind, source.targets_field),
                 f"a target per output is for a model with several outputs; this one has one "
                 f"({', '.join(plan.outputs)}): write {source.targets_field}: "
                 f"{next(iter(targets.values()))}")
    return False


def logged_names(spec) -> list[str]:
    """What Keras logs for per-output training: the total loss, NAME_loss for each output
    (when there are several), NAME_metric for each of its metrics."""
    outputs = spec.train.outputs
    names = ["loss"] + [f"{name}_loss" for name in outputs]
    return names + [f"{name}_{m.kind}" for name, o in outputs.items() for m in o.metrics]


def _example(names) -> str:
    return "{" + ", ".join(f"{n}: {{loss: ...}}" for n in names) + "}"


def check_outputs(spec, plan: Plan, info: DataInfo, report: Report) -> bool:
    """Model outputs vs train.outputs vs the source's targets, by name. True when they agree
    (then each output can be checked against its own target)."""
    names = list(plan.outputs)
    train = spec.train.outputs
    if len(names) == 1:
        report.error(("train", "outputs"), f"train.outputs is for a model with several outputs; "
                     f"this one has one ({names[0]}): use train.loss and train.metrics")
        return False
    if train is None:
        report.error(("model", "outputs"),
                     f"this model has {len(names)} outputs ({', '.join(names)}); give each its "
                     f"loss under train.outputs, e.g. train: {{outputs: {_example(names)}}} "
                     "(and a target per output in data.source)")
        return False
    ok = True
    for key in train:
        if key not in names:
            report.error(("train", "outputs", key),
                         f"'{key}' is not an output of the model{did_you_mean(key, names)} "
                         f"(model.outputs: {', '.join(names)})")
            ok = False
    missing = [n for n in names if n not in train]
    if missing:
        report.error(("train", "outputs"), f"the output{'s' if len(missing) > 1 else ''} "
                     f"{', '.join(missing)} {'have' if len(missing) > 1 else 'has'} no loss; "
                     f"add {', '.join(f'{n}: {{loss: ...}}' for n in missing)}")
        ok = False
    return _check_targets(spec, names, report) and ok


def _check_targets(spec, names, report: Report) -> bool:
    source = spec.data.source
    field = source.targets_field
    if field is None:
        report.error(("data", "source", source.kind),
                     f"the {source.kind} source gives one target, but the model trains "
                     f"{len(names)} outputs ({', '.join(names)}); use a source that names a "
                     "target per output (csv, npz or sklearn: target: {NAME: COLUMN})")
        return False
    targets = source.target_names()
    where = ("data", "source", source.kind, field)
    if targets is None:
        example = "{" + ", ".join(f"{n}: {'KEY' if field == 'y' else 'COLUMN'}"
                                  for n in names) + "}"
        report.error(where if getattr(source, field, None) is not None else
                     ("data", "source", source.kind),
                     f"the model trains {len(names)} output{'s' if len(names) > 1 else ''} "
                     f"({', '.join(names)}): name each one's target, e.g. {field}: {example}")
        return False
    ok = True
    for key in targets:
        if key not in names:
            report.error(where + (key,), f"'{key}' is not an output of the model"
                         f"{did_you_mean(key, names)} (model.outputs: {', '.join(names)})")
            ok = False
    missing = [n for n in names if n not in targets]
    if missing:
        report.error(where, f"no target for the output{'s' if len(missing) > 1 else ''} "
                     f"{', '.join(missing)}; add {', '.join(f'{n}: ...' for n in missing)}")
        ok = False
    for i, step in enumerate(spec.data.preprocess):
        if step.changes_target():
            report.error(("data", "preprocess", i, step.kind),
                         f"{step.kind} changes the target, but with several outputs each "
                         "output's target is read as the source gives it; apply the step to the "
                         "inputs only (or drop it) and balance the outputs' losses with "
                         "train.outputs.NAME.weight")
            ok = False
    return ok


def lint_outputs(spec, plan: Plan, info: DataInfo, report: Report):
    """Each output against its own target: per-example shape, then the lint table."""
    from .lint import check_node_per_example, learns_something, lint_output
    targets = info.targets or {}
    for name, node in zip(plan.outputs, plan.output_nodes()):
        out = spec.train.outputs[name]
        target = targets.get(name, DataInfo(None, None))
        section = ("train", "outputs", name)
        if len(plan.inputs) == 1:
            check_node_per_example(plan, node, target, report)
        if learns_something(plan):
            lint_output(out.loss, out.metrics, node, target, report, section,
                        f"the output layer {name}")
