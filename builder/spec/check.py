"""Checks beyond the schema: the layer graph, shapes, data vs model, lint."""
from __future__ import annotations

from .graph import Plan, plan_model
from ..core.base import did_you_mean
from ..core.problems import Report


def data_info(data, report: Report, base_dir=None):
    """What the data looks like after preprocessing, known without loading it; with the
    spec's folder, the source's files are opened briefly (Source.peek) as well."""
    info = data.source.info()
    if base_dir is not None:
        from ..data.errors import DataLoadError, MissingFile
        try:
            info = data.source.peek(base_dir, info)
        except MissingFile as exc:  # a download not made yet: train will say so too
            report.warn(exc.path, f"{exc.message}; the data cannot be checked against the "
                        "model, and train fails until the file is there", data_missing=True)
        except DataLoadError as exc:
            report.error(exc.path, exc.message)
            return info.with_(x_shape=None)
    if data.preprocess:
        info = info.with_(x_max=None)  # the steps may change the values read
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
    if len(plan.inputs) == 1:
        check_token_ids(info, plan, report)
    if info.x_shape is None or len(plan.inputs) != 1:
        return
    want = next(iter(plan.inputs.values()))
    have = tuple(info.x_shape)
    if len(want) != len(have) or any(w is not None and w != h for w, h in zip(want, have)):
        fix = (f"add `- reshape: {list(want)}` to data.preprocess"
               if _size(want) == _size(have) else f"change model.input to {list(have)}")
        report.error(("model", "input"),
                     f"the data gives examples of shape {list(have)} but model.input is "
                     f"{list(want)}; {fix}")


def check_token_ids(info, plan: Plan, report: Report):
    """Token ids at or above an embedding's vocabulary size look up rows that do not exist
    (TensorFlow fails mid-epoch on CPU, and reads zeros on GPU)."""
    if info.x_max is None:
        return
    first = next(iter(plan.inputs))
    for node in plan.nodes:
        size_field = next((f for f in ("input_dim", "vocab_size")
                           if isinstance(getattr(node.layer, f, None), int)), None)
        if first in node.inputs and size_field:
            size = getattr(node.layer, size_field)
            if info.x_max >= size:
                report.error(node.path + (size_field,),
                             f"the data's token ids go up to {info.x_max} but {size_field} is "
                             f"{size} (ids 0..{size - 1}); use {size_field}: {info.x_max + 1}")


def check_one_output(task: str, plan: Plan, report: Report) -> bool:
    """A single-network task fits one output against the data's one target; a model with
    several outputs would reach Keras' fit and crash there (its KeyError on the loss), so
    it is refused here. True when the plan has exactly one output."""
    if len(plan.outputs) <= 1:
        return True
    report.error(("model", "outputs"),
                 f"task {task} trains one output against the data's target, but this model has "
                 f"{len(plan.outputs)} ({', '.join(plan.outputs)}); keep one name in `outputs:`, "
                 "or use a task that gives each output its own role (vae: the encoder's "
                 "[z_mean, z_log_var])")
    return False


def logged_names(spec, extra=()) -> list[str]:
    """What Keras' fit will log each epoch: the loss, each metric by its kind (kspec names
    Keras' metric objects so), the task's own metrics, their val_ forms when there is a
    validation split, and the learning rate when a callback changes it."""
    if getattr(spec.train, "outputs", None):  # several outputs: NAME_loss, NAME_metric
        from .outputs import logged_names as per_output
        names = per_output(spec) + list(extra)
    else:
        names = ["loss"] + [m.kind for m in spec.train.metrics] + list(extra)
    if spec.data.split.validation > 0:
        names += [f"val_{n}" for n in names]
    if any(cb.kind == "reduce_lr_on_plateau" for cb in spec.train.callbacks):
        names.append("learning_rate")
    return names


def check_monitors(spec, report: Report, extra=()):
    """A callback's `monitor` must name a logged quantity: Keras would crash after the
    first epoch (early stopping) or silently never act on a misspelt one."""
    logged = logged_names(spec, extra)
    for i, cb in enumerate(spec.train.callbacks):
        monitor = getattr(cb, "monitor", None)
        if monitor is None or monitor in logged:
            continue
        path = ("train", "callbacks", i, cb.kind, "monitor")
        if monitor.startswith("val_") and spec.data.split.validation == 0:
            report.error(path, f"'{monitor}' needs a validation split, and "
                         "data.split.validation is 0; monitor "
                         f"'{monitor[4:]}' or set data.split.validation: 0.2")
            continue
        from ..catalog.metrics import METRICS
        base = monitor[4:] if monitor.startswith("val_") else monitor
        fix = (f"; add {base} to train.metrics to log it" if base in METRICS.entries
               else did_you_mean(monitor, logged))
        report.error(path, f"'{monitor}' is not logged during training (logged: "
                     f"{', '.join(logged)}){fix}")


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


def check_spec(spec, base_dir=None) -> Report:
    from ..tasks import TASKS
    report = Report()
    plans = plan_networks(spec, report)
    from .counts import check_weight_cap
    check_weight_cap(plans, report)  # before anything would allocate them
    if spec.data is None:  # a model-only spec (spec/parts.py): nothing to check it against
        return report
    info = data_info(spec.data, report, base_dir)
    from .parts import complete
    if not report.errors and complete(spec):  # the task's checks relate all three parts
        TASKS[spec.task].check(spec, plans, info, report)
    return report
