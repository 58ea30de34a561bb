"""`kspec apply`: a fixed-kernel spec (lecture L16) applied to an image file at the
image's own size.

A model whose layers take any height and width (convolutions, pooling, element-wise
layers: "fully convolutional") is rebuilt with the image's size as its input, so
nothing is resized. A model that cannot take that size says so in one line. The
input and the last feature map are written as pictures and as numbers (CSV, NPY)."""
from __future__ import annotations

from pathlib import Path


from ..core.problems import SpecError
from ..data.errors import DataLoadError
from .values import read_values, table


def apply_spec(spec: str, given: str, out_dir: Path | None = None, overrides=()) -> str:
    from ..spec.load import load_spec
    base = load_spec(spec, overrides)
    from ..spec.parts import require
    require(base, "model", doing="kspec apply")
    model_spec = base.spec.model
    if model_spec is None:
        raise DataLoadError(f"{base.spec.name} has several networks; kspec apply takes a "
                            "spec with one `model:`")
    want = tuple(model_spec.input_shapes()[next(iter(model_spec.input_shapes()))])
    if len(want) != 3:
        raise DataLoadError(f"{base.spec.name} takes inputs of shape {list(want)}, not images "
                            "(height, width, channels); kspec apply is for convolutions")
    raw, kind = read_values(given, channels=want[2])
    if raw.ndim == 2:
        raw = raw[..., None]
    if raw.ndim != 3 or raw.shape[2] != want[2]:
        raise DataLoadError(f"{given} has shape {list(raw.shape)}; {base.spec.name} takes "
                            f"{want[2]}-channel images (height, width, {want[2]})")
    h, w = raw.shape[:2]
    sized = tuple(overrides) + (f"model.input=[{h}, {w}, {want[2]}]",)
    from ..core.problems import Report
    from ..spec.check import plan_networks
    report = Report()
    try:  # the data's own shape no longer matters: only whether the layers take the size
        loaded = load_spec(spec, sized, check=False)
        plan = plan_networks(loaded.spec, report)["model"]
    except SpecError as exc:
        report.problems.extend(exc.problems)
    if not report.errors and (h, w) != want[:2]:
        from ..spec.counts import plan_count
        before = plan_count(plan_networks(base.spec, Report())["model"]).total
        if plan_count(plan).total != before:  # e.g. a dense layer after flatten
            report.error(("model", "input"), "its weights depend on the input size (a layer "
                         "after flatten), so it is not fully convolutional")
    if report.errors:
        first = report.errors[0].message
        raise DataLoadError(f"{given} is {h}x{w} but {base.spec.name} takes "
                            f"{want[0]}x{want[1]} images and cannot take another size "
                            f"({first}); give a {want[0]}x{want[1]} image") from None
    from .inspect import layer_values, spec_target
    target = spec_target(loaded)
    values = layer_values(target, raw.astype("float32"))
    maps = [v for v in values if v.output.ndim == 3]
    if not maps:
        raise DataLoadError(f"{base.spec.name} has no layer with a 2-D output to show")
    last = maps[-1]
    out_dir = Path(out_dir) if out_dir is not None else \
        Path(f"{Path(given).stem}-{base.spec.name}")
    written = write_apply(out_dir, raw, last, base.spec.name)
    lines = [f"{base.spec.name} on {given} ({h}x{w}, {target.how}):",
             f"{last.name} -> {last.output.shape[0]}x{last.output.shape[1]}"
             f"{'' if last.output.shape[2] == 1 else f' x {last.output.shape[2]} channels'}"]
    for c in range(min(last.output.shape[2], 4)):
        m = last.output[..., c]
        if max(m.shape) <= 16:
            lines.append((f"channel {c + 1}:\n" if last.output.shape[2] > 1 else "")
                         + table(m))
        else:
            lines.append(f"  channel {c + 1}: min {m.min():.4g}, max {m.max():.4g}")
    lines.append("wrote " + ", ".join(str(p) for p in written))
    return "\n".join(lines)


def write_apply(out_dir: Path, raw, layer, name: str) -> list[Path]:
    from .inspect import _save_array
    from .pictures import save_maps
    out_dir.mkdir(parents=True, exist_ok=True)
    grey = raw[..., 0] if raw.shape[2] == 1 else raw.mean(axis=2)
    maps = [grey] + [layer.output[..., c] for c in range(layer.output.shape[2])]
    titles = [f"input ({raw.shape[0]}x{raw.shape[1]})"] + [
        f"{layer.name}{'' if layer.output.shape[2] == 1 else f' channel {c + 1}'} "
        f"({layer.output.shape[0]}x{layer.output.shape[1]})"
        for c in range(layer.output.shape[2])]
    picture = out_dir / "apply.png"
    save_maps(maps, titles, picture, suptitle=name)
    _save_array(out_dir / "input", raw)
    _save_array(out_dir / "output", layer.output)
    return [picture] + sorted(p for p in out_dir.glob("*put*.*") if p.suffix in (".csv", ".npy"))
