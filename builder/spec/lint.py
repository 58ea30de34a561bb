"""The lectures' table as lint: loss vs last activation vs output width vs labels.

Mismatches that Keras would run but that make no sense are warnings; ones that
cannot run (or would silently broadcast into garbage) are errors.
"""
from __future__ import annotations

from ..catalog.activations import Activation
from ..core.base import plural
from ..catalog.layers.base import Layer
from .graph import Plan
from ..core.problems import Report

LOSS_PATH = ("train", "loss")


def last_activation(layer: Layer) -> str | None:
    """The activation a node's output ends with, or None if kspec cannot tell."""
    if isinstance(layer, Activation):  # `- sigmoid` standing as a layer
        return layer.kind
    act = getattr(layer, "activation", "absent")
    if act == "absent":
        return None
    if act is None:
        return "linear"
    return act.kind if isinstance(act, Activation) else str(act)


def learns_something(plan: Plan) -> bool:
    """False for a network whose weighted layers are all frozen (hand-set weights,
    lectures L07 and L16): its loss only measures, so the pairing rules don't apply."""
    from .counts import node_count
    return any(node_count(plan, n).trainable for n in plan.nodes)


LINT = "lint"  # Problem.source of what these rules find (the studio marks them as lint)


def lint(spec, plan: Plan, info, report: Report):
    start = len(report.problems)
    _lint(spec, plan, info, report)
    for problem in report.problems[start:]:
        problem.source = LINT


def _lint(spec, plan: Plan, info, report: Report):
    if not learns_something(plan):
        return
    outputs = plan.output_nodes()
    if len(outputs) != 1 or outputs[0].shape is None:
        return
    lint_output(spec.train.loss, spec.train.metrics, outputs[0], info, report, ("train",),
                f"the last layer ({outputs[0].name})")


def lint_output(loss, metrics, node, info, report: Report, section: tuple, where: str):
    """One output's loss vs its last activation vs its width vs its target's labels; the
    problems are reported at `section`'s loss (train, or train.outputs.NAME)."""
    if node.shape is None:
        return
    loss_path = section + ("loss",)
    act = last_activation(node.layer)
    width = node.shape[-1]
    logits = getattr(loss, "from_logits", False)
    labels, n = info.labels, info.n_classes
    task = loss.task

    def err(msg):
        report.error(loss_path, msg)

    def warn(msg):
        report.warn(loss_path, msg)

    if act == "softmax" and width == 1:  # not a style question: it cannot learn
        err(f"softmax over 1 unit always outputs 1.0, so {where} learns nothing; use "
            "activation: sigmoid for one unit (two classes), or one unit per class")
        return
    if task == "multiclass" and width == 1:
        err(f"{loss.kind} on 1 unit is always 0 (one class always has probability 1), so "
            "nothing trains; for two classes use binary_crossentropy with units: 1 and "
            "sigmoid, else one softmax unit per class")
        return

    if task == "regression":
        if act in ("sigmoid", "softmax", "tanh", "relu", "step") :
            warn(f"{loss.kind} is a regression loss and wants a linear output; {where} applies "
                 f"{act}, which bounds the predictions")
        if labels == "integer":
            warn(f"{loss.kind} is a regression loss but the labels are class ids; for "
                 "classification use sparse_categorical_crossentropy (or binary_crossentropy)")
        y_width = info.y_shape[-1] if info.y_shape else 1
        if labels == "continuous" and width != y_width:
            what = "one number" if y_width == 1 else f"{y_width} numbers"
            err(f"the target is {what} per example but {where} has {width} {plural(width, 'unit')}; "
                f"use units: {y_width}")
        for i, m in enumerate(metrics):
            if "accuracy" in m.kind:
                report.warn(section + ("metrics", i), "accuracy means nothing for a regression "
                            "target; use mae or rmse")
        return

    if labels == "continuous":
        err(f"{loss.kind} is a classification loss but the target is continuous; use "
            "mean_squared_error for regression")
        return

    expected_act = loss.last_activation
    if expected_act and act is not None:
        if logits and act != "linear":
            warn(f"from_logits: true expects raw scores, but {where} applies {act}; "
                 "drop the activation or set from_logits: false")
        elif not logits and act != expected_act:
            if act == "linear":
                warn(f"{where} has no activation, so it outputs raw scores; add "
                     f"activation: {expected_act} or set {loss.kind}: {{from_logits: true}}")
            elif task == "multiclass" and act == "sigmoid":
                warn(f"{loss.kind} wants softmax over the classes (one label per example); "
                     f"{where} applies sigmoid")
            else:
                warn(f"{loss.kind} expects a {expected_act} output; {where} applies {act}")

    if task == "binary":
        if labels == "integer" and n is not None and n > 2:
            err(f"{loss.kind} is for two classes but the data has {n}; use "
                f"sparse_categorical_crossentropy with {n} softmax units")
        elif width != 1 and labels != "one_hot":
            err(f"{loss.kind} needs one output unit (the probability of class 1); {where} has "
                f"{width}; use units: 1 with sigmoid")
    elif task == "multiclass":
        if labels == "integer":
            err(f"{loss.kind} needs one-hot labels but the data has integer class ids; add "
                "`- one_hot` to data.preprocess, or use sparse_categorical_crossentropy")
        elif n is not None and width != n:
            err(f"the data has {n} classes but {where} has {width} {plural(width, 'unit')}; use units: {n}")
    elif task == "sparse_multiclass":
        if labels == "one_hot":
            err(f"{loss.kind} needs integer class ids but the labels are one-hot; use "
                "categorical_crossentropy, or drop `one_hot` from data.preprocess")
        elif n is not None and width < n:
            err(f"the data has {n} classes (ids 0..{n - 1}) but {where} has {width} {plural(width, 'unit')}; "
                f"use units: {n}")
        elif n is not None and width > n:
            warn(f"the data has {n} classes but {where} has {width} {plural(width, 'unit')}; the extra units "
                 "never get a label")
        if width == 1 and n is None:
            err(f"{loss.kind} needs one unit per class; {where} has 1")


def check_output_per_example(plan: Plan, info, report: Report):
    """A per-example target (a class id, one-hot row or a few numbers) against an output
    with a step axis: Keras broadcasts the target over the steps and trains on nonsense.
    The usual cause is an RNN left at return_sequences: true before the output layer."""
    outputs = plan.output_nodes()
    if len(outputs) != 1 or outputs[0].shape is None or len(plan.inputs) != 1:
        return  # several inputs: the data is not the model's one input (as check_data_vs_model)
    check_node_per_example(plan, outputs[0], info, report)


def check_node_per_example(plan: Plan, node, info, report: Report):
    """check_output_per_example for one output node and its target's info."""
    if node.shape is None:
        return
    if info.labels not in ("integer", "one_hot", "continuous"):
        return
    target_rank = max(1, len(info.y_shape) if info.y_shape else 1)
    if len(node.shape) <= target_rank:
        return
    rnn, todo = None, list(node.inputs)
    while todo and rnn is None:  # the nearest RNN above the output that keeps its steps
        above = plan.node(todo.pop(0))
        if above is None:
            continue
        if getattr(above.layer, "return_sequences", False):
            rnn = above
        todo += above.inputs
    width = info.y_shape[-1] if info.y_shape else 1
    what = {"integer": "one class id", "one_hot": "one one-hot row"}.get(
        info.labels, "one number" if width == 1 else f"{width} numbers")
    if rnn is not None:
        report.error(rnn.path, f"the target is {what} per example, but with return_sequences: "
                     f"true the output ({node.name}) has shape {list(node.shape)}, one per time "
                     "step, and Keras would broadcast the target over the steps; set "
                     "return_sequences: false on this layer (keep it true on RNNs that feed "
                     "another RNN)")
    else:
        report.error(node.path, f"the target is {what} per example, but the output has shape "
                     f"{list(node.shape)}; add `- flatten` or a global pooling layer before it")
