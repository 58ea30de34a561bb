"""Look inside from the studio: `kspec inspect`'s layer values and feature maps for an
input the student picks, and what a trained run makes (samples, walks through the
latent space, text, a forecast), through the task's own use commands
(tasks/base.use). These load Keras in the studio's process, once, on first use.

Inputs come as numbers typed in the page or as the index of a test example: never as a
file path (see/values.read_values would read any file it is given)."""
from __future__ import annotations

import base64
import uuid
from pathlib import Path

import numpy as np

from ..core.files import confined
from .workspace import COPIES, Refused

MAX_INPUT = 1_000_000  # values in a typed input
VALUES_SHOWN = 64  # a layer's values sent in full up to this many
CHANNELS_DRAWN = 16


def _scratch(studio) -> Path:
    return studio.ws.folder(f"{COPIES}/.inside")


def _png_uri(path: Path) -> str:
    data = path.read_bytes()
    path.unlink(missing_ok=True)
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def _target(studio, body):
    """(inspect's Target, the Loaded spec or None, the run folder or None)."""
    from ..see.inspect import open_target, spec_target
    from . import specs
    if body.get("run") is not None:
        folder = studio.runs.folder_of(body["run"])
        with confined(studio.ws.root):
            return open_target(str(folder)), None, folder
    loaded, problems, _ = specs.load(studio.ws, body)
    if loaded is None:
        errors = [p["text"] for p in problems if p["severity"] == "error"]
        raise Refused("the spec has errors; fix them first: " + (errors[0] if errors else "?"))
    role = body.get("role")
    return spec_target(loaded, role if isinstance(role, str) else None), loaded, None


def _test_example(studio, loaded, folder, index):
    """The raw test example `index` (a run: its saved preprocessing applies later), or,
    for a spec, the preprocessed one (the model's input as built)."""
    from ..data.pipeline import prepare
    from ..spec.load import load_spec
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        raise Refused("test_index is a whole number from 0")
    with confined(studio.ws.root):
        if folder is not None:
            loaded = load_spec(folder / "spec.yaml")
            base = _data_dir(folder)
        else:
            base = loaded.path.parent
        spec = loaded.spec
        prepared = prepare(spec.data, spec.seed, base)
        if folder is None:
            x = prepared.splits.get("test", (None,))[0]
        else:
            raw = spec.data.source.load(base)
            x = raw.test[0] if prepared.own_test else (
                raw.x[prepared.indices["test"]] if len(prepared.indices.get("test", ())) else None)
    if x is None or not len(x):
        raise Refused("this spec's data has no test split; type values instead")
    if index >= len(x):
        raise Refused(f"test_index {index} is past the test split's {len(x)} examples "
                      f"(0..{len(x) - 1})")
    return np.asarray(x[index])


def _data_dir(folder: Path) -> Path:
    """The folder a run's data paths count from (preprocess.json records it)."""
    import json
    try:
        saved = json.loads((folder / "preprocess.json").read_text(encoding="utf-8"))
        return Path(saved.get("data_dir") or folder)
    except (OSError, ValueError, AttributeError):
        return folder


def inspect_layers(studio, body: dict) -> dict:
    from ..see.inspect import layer_values, summary
    from ..see.pictures import save_maps
    target, loaded, folder = _target(studio, body)
    given = body.get("input")
    if isinstance(given, dict) and "test_index" in given:
        raw = _test_example(studio, loaded, folder, given["test_index"])
    elif isinstance(given, (list, int, float)) and not isinstance(given, bool):
        try:
            raw = np.asarray(given, dtype="float32")
        except (ValueError, TypeError):
            raise Refused("input: give numbers, e.g. [0, 1] or [[1, 2], [3, 4]]") from None
        if raw.size > MAX_INPUT:
            raise Refused(f"input: {raw.size:,} values, over the limit of {MAX_INPUT:,}")
    else:
        raise Refused("give an input: numbers (\"input\": [0, 1]) or a test example "
                      "(\"input\": {\"test_index\": 3})")
    layer = body.get("layer") if isinstance(body.get("layer"), str) else None
    x = target.prepare(raw)
    values = layer_values(target, x, layer)
    scratch = _scratch(studio)
    out = {"name": target.name, "how": target.how, "input": _layer_json(
        "input", "input", np.asarray(x), scratch, save_maps, summary), "layers": []}
    for v in values:
        item = _layer_json(v.name, v.kind, v.output, scratch, save_maps, summary)
        if v.before is not None and v.before.size <= VALUES_SHOWN:
            item["before"] = np.asarray(v.before, dtype=float).round(6).tolist()
            item["activation"] = v.activation
        out["layers"].append(item)
    return out


def _layer_json(name, kind, a, scratch, save_maps, summary) -> dict:
    a = np.asarray(a)
    item = {"name": name, "kind": kind, "shape": list(a.shape), "summary": summary(a)}
    if a.size <= VALUES_SHOWN:
        item["values"] = np.asarray(a, dtype=float).round(6).tolist()
    maps = None
    if a.ndim == 3:
        maps = [a[..., c] for c in range(min(a.shape[2], CHANNELS_DRAWN))]
    elif a.ndim == 2 and a.size > VALUES_SHOWN:
        maps = [a]
    if maps:
        file = scratch / f"{uuid.uuid4().hex}.png"
        titles = [f"channel {c + 1}" for c in range(len(maps))] if a.ndim == 3 else [name]
        save_maps(maps, titles, file, f"{name} {tuple(a.shape)}")
        item["png"] = _png_uri(file)
    return item


def generate_for(studio, body: dict) -> dict:
    """What the run's task makes: `mode` generate (default), interpolate or reconstruct for
    image models, generate for language models (text), forecast for forecasting runs."""
    from ..tasks.base import TaskUsageError, task_of_run, use
    folder = studio.runs.folder_of(body.get("run"))
    with confined(studio.ws.root):
        task = task_of_run(folder)
    mode = body.get("mode")
    if mode is None:
        mode = next((m for m in ("generate", "forecast") if m in task.use_commands), None)
    allowed = ("generate", "interpolate", "reconstruct", "forecast")
    if mode not in allowed:
        raise Refused(f"mode is one of {', '.join(allowed)}" if mode is not None else
                      f"a {task.name} run makes nothing new; try Inspect")
    file = _scratch(studio) / uuid.uuid4().hex
    # the options each command takes (kspec generate/interpolate/... --help); the page's
    # form sends what it has, and the rest is named in `ignored`
    takes = {"forecast": ("steps",), "interpolate": ("steps", "n", "label", "seed"),
             "reconstruct": ("n", "seed"), "generate": ("n", "label", "seed", "temperature")}
    if task.name == "language_model":
        takes["generate"] = ("prompt", "length", "temperature", "top_k", "seed")
    kinds = {"prompt": str, "temperature": (int, float)}
    options, ignored = {}, []
    for key in ("n", "steps", "length", "seed", "top_k", "label", "temperature", "prompt"):
        value = body.get(key)
        if value is None or value == "":
            continue
        if key not in takes[mode]:
            ignored.append(key)
            continue
        kind = kinds.get(key, int)
        if not isinstance(value, kind) or isinstance(value, bool):
            what = {str: "text", int: "whole number"}.get(kind, "number")
            raise Refused(f"{key} must be a {what}")
        options[key] = value
    try:
        with confined(studio.ws.root):
            if mode == "forecast":
                steps = options.get("steps") or 12
                path, plot, rows = use("forecast", folder, steps=steps, out=file.with_suffix(".csv"))
                Path(path).unlink(missing_ok=True)
                return {"mode": mode, "png": _png_uri(Path(plot)), "ignored": ignored,
                        "rows": [[int(s), str(t), float(v)] for s, t, v in rows]}
            if task.name == "language_model" and mode == "generate":
                text = use("generate", folder, **options)
                return {"mode": mode, "text": text, "ignored": ignored}
            message = use(mode, folder, out=file.with_suffix(".png"), **options)
            return {"mode": mode, "message": str(message).replace(str(file), "(picture)"),
                    "png": _png_uri(file.with_suffix(".png")), "ignored": ignored}
    except TaskUsageError as exc:
        raise Refused(str(exc)) from None
