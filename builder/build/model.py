"""Plan -> keras.Model. The planner already checked the graph and shapes; this
module only creates Keras objects, node by node, and sets hand-given weights."""
from __future__ import annotations

import numpy as np

from ..core.keras_env import keras
from ..spec.graph import Plan
from ..core.problems import Problem, Report, SpecError


class BuildError(SpecError):
    """Keras refused something the planner let through; reported like a spec problem."""


def build_from_plan(plan: Plan, name: str, positions=None):
    k = keras()
    tensors = {n: k.Input(shape=shape, name=n) for n, shape in plan.inputs.items()}
    inputs = list(tensors.values())
    layers_of = {}
    for node in plan.nodes:
        try:
            layers = node.layer.make(node.name)
            out = node.layer.call(layers[0], [tensors[i] for i in node.inputs])
            for extra in layers[1:]:
                out = extra(out)
        except Exception as exc:  # Keras' own complaint, placed on the layer's line
            raise _problem(node.path, f"Keras cannot build {node.layer.kind}: {exc}",
                           positions) from None
        tensors[node.name] = out
        layers_of[node.name] = layers[0]
    outputs = [tensors[n] for n in plan.outputs]
    model = k.Model(inputs=inputs[0] if len(inputs) == 1 else inputs,
                    outputs=outputs[0] if len(outputs) == 1 else outputs, name=name)
    for node in plan.nodes:
        if node.layer.weights:
            set_weights(layers_of[node.name], node, positions)
    return model


def set_weights(layer, node, positions):
    by_name = {v.path.split("/")[-1]: v for v in layer.weights}
    for key, value in node.layer.weights.items():
        var = by_name.get(key)
        if var is None:
            raise _problem(node.path + ("weights", key),
                           f"{layer.name} has no weight '{key}'; it has {', '.join(by_name)}",
                           positions)
        array = np.asarray(value, dtype="float32")
        if tuple(array.shape) != tuple(var.shape):
            raise _problem(node.path + ("weights", key),
                           f"'{key}' must have shape {tuple(var.shape)}, got {array.shape}",
                           positions)
        var.assign(array)


def _problem(path, message, positions):
    problem = Problem(tuple(path), message)
    if positions is not None:
        positions.place([problem])
    return BuildError([problem])


def build_models(loaded) -> dict:
    """role -> (keras.Model, Plan) for every network of a loaded (validated) spec."""
    from ..spec.check import plan_networks
    from ..spec.parts import require
    require(loaded, "model", doing="building the model")
    spec = loaded.spec
    report = Report()
    plans = plan_networks(spec, report)
    if report.errors:  # load_spec already checked; this guards direct callers
        raise SpecError(loaded.positions.place(report.errors))
    single = spec.model is not None
    return {role: (build_from_plan(plan, spec.name if single else f"{spec.name}_{role}",
                                   loaded.positions), plan)
            for role, plan in plans.items()}


def build_model(loaded):
    """The Keras model and plan of a single-network spec."""
    return build_models(loaded)["model"]
