"""`kspec summary`: the layer table, with Keras' own shapes and parameter counts."""
from __future__ import annotations


def summary_rows(model, plan):
    kinds = {n.name: n.layer.kind for n in plan.nodes}
    rows = []
    for layer in model.layers:
        out = getattr(layer, "output", None)
        if isinstance(out, (list, tuple)):  # an RNN with return_state: its output first
            out = out[0]
        shape = out.shape if out is not None else None
        shape = tuple(shape)[1:] if shape is not None else ()
        kind = kinds.get(layer.name, "input" if layer.__class__.__name__ == "InputLayer"
                         else layer.__class__.__name__)
        rows.append((layer.name, kind, "(" + ", ".join(str(d) for d in shape) + ")",
                     int(layer.count_params())))
    return rows


def summary_text(model, plan) -> str:
    rows = summary_rows(model, plan)
    header = ("layer", "type", "output shape", "params")
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(4)]

    def line(r):
        return (f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  "
                f"{r[3]:>{widths[3]}}")

    trainable = sum(int(w.numpy().size) for w in model.trainable_weights)
    out = [line(header), "-" * (sum(widths) + 6)] + [line(r) for r in rows]
    out += ["-" * (sum(widths) + 6),
            f"Total params: {model.count_params()}",
            f"Trainable params: {trainable}",
            f"Non-trainable params: {model.count_params() - trainable}"]
    return "\n".join(out)
