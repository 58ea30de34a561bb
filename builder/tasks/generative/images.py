"""Samples as the source data looked: back to original units, then PNG grids or .npy.

A model works on preprocessed values (digits scaled to 0-1, reshaped to 8x8x1);
a student wants digits that look like the source's (0-16, 64 values per example).
`Original` undoes the preprocessing that can be undone (scaling, reshaping) in
reverse order, with the statistics fitted at training time, and clips to the
training data's range. Grids are drawn with Pillow: cheap enough for one PNG per
epoch.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...core.atomic import atomic_path
from ...data.preprocess import StepError
from ...data.preprocess.scaling import Affine


@dataclass
class Original:
    steps: list  # the spec's preprocessing steps
    states: list  # their fitted states
    raw_shape: tuple | None  # one example as the source gives it
    low: float | None = None  # the training data's range, in original units
    high: float | None = None

    def shapes(self) -> list | None:
        """Shape of one example before each step and after the last (None where unknown)."""
        if self.raw_shape is None:
            return None
        x = np.zeros((1,) + tuple(self.raw_shape), dtype="float32")
        out = [x.shape[1:]]
        for step, state in zip(self.steps, self.states):
            try:
                x, _ = step.apply(x, None, state)
            except (StepError, ValueError, TypeError):
                return None
            out.append(x.shape[1:])
        return out

    def __call__(self, x) -> np.ndarray:
        """Model-space examples -> original units and shape, clipped to the data's range."""
        x = np.asarray(x, dtype="float32")
        n = len(x)
        shapes = self.shapes()
        for i in reversed(range(len(self.steps))):
            step, state = self.steps[i], self.states[i]
            after = shapes[i + 1] if shapes else None
            before = shapes[i] if shapes else None
            if after is not None and math.prod(after) == x[0].size:
                x = x.reshape((n,) + tuple(after))
            if isinstance(step, Affine) and step.apply_to in ("input", "both"):
                x = x * np.asarray(state["factor"], "float32") + np.asarray(state["shift"], "float32")
            if before is not None and math.prod(before) == x[0].size:
                x = x.reshape((n,) + tuple(before))
        if self.low is not None:
            x = np.clip(x, self.low, self.high)
        return x.astype("float32")

    def with_range_of(self, x_model) -> "Original":
        """Set low/high from (training) data given in model space."""
        raw = self(x_model)
        return Original(self.steps, self.states, self.raw_shape, float(raw.min()), float(raw.max()))


def shows_as_image(shape) -> bool:
    """Whether examples of this shape can be drawn (as_images): images, 2-D arrays and
    flattened square images; other samples (a table's rows) are written as .npy."""
    shape = tuple(shape)
    return ((len(shape) == 3 and shape[-1] in (1, 3, 4)) or len(shape) == 2
            or math.isqrt(math.prod(shape)) ** 2 == math.prod(shape))


def as_images(x) -> np.ndarray:
    """Examples -> (n, H, W) gray or (n, H, W, 3) colour, for display."""
    x = np.asarray(x)
    shape = x.shape[1:]
    if len(shape) == 3 and shape[-1] in (1, 3, 4):
        return x[..., 0] if shape[-1] == 1 else x[..., :3]
    if len(shape) == 2:
        return x
    if shows_as_image(shape):  # a flattened square image, e.g. 64 = 8x8 digits
        side = math.isqrt(math.prod(shape))
        return x.reshape(len(x), side, side)
    raise ValueError(f"samples of shape {list(shape)} are not images; write them to a .npy "
                     "file instead (--out samples.npy)")


def matching_rows(rows: list) -> list:
    """Rows of one shape: gray rows next to colour ones (a colorization's input beside
    its output) get their one channel repeated three times."""
    rows = [np.asarray(r) for r in rows]
    shapes = {r.shape[1:] for r in rows}
    if len(shapes) == 1:
        return rows
    colour = next((s for s in shapes if s[-1:] == (3,)), None)
    out = []
    for r in rows:
        if colour is not None and r.shape[1:] == colour[:-1] + (1,):
            r = np.repeat(r, 3, axis=-1)
        out.append(r)
    if len({r.shape[1:] for r in out}) != 1:
        raise ValueError(f"rows of shapes {sorted(shapes)} do not fit in one grid or array")
    return out


def grid_image(rows: list, low: float, high: float, gap: int = 1):
    """rows: a list of example arrays (each row: n examples) -> a Pillow image."""
    from PIL import Image
    rows = [as_images(r) for r in matching_rows(rows)]
    h, w = rows[0].shape[1:3]
    zoom = max(1, 64 // max(h, w))  # small digits (8x8) get big enough to see
    cols = max(len(r) for r in rows)
    color = rows[0].ndim == 4
    canvas = np.ones((len(rows) * (h + gap) + gap, cols * (w + gap) + gap) + ((3,) if color else ()),
                     dtype="float32")
    span = (high - low) or 1.0
    for i, row in enumerate(rows):
        for j, img in enumerate(row):
            y, x = gap + i * (h + gap), gap + j * (w + gap)
            canvas[y:y + h, x:x + w] = np.clip((img - low) / span, 0, 1)
    pixels = (canvas * 255).round().astype("uint8")
    image = Image.fromarray(pixels)  # uint8 (h, w) -> gray, (h, w, 3) -> RGB
    return image.resize((image.width * zoom, image.height * zoom), Image.NEAREST)


def grid_rows(x, cols: int) -> list:
    return [x[i:i + cols] for i in range(0, len(x), cols)]


def write_samples(path: Path, x_original, low, high, cols: int | None = None, rows=None):
    """Write samples (original units) as a PNG grid or a .npy array, by the extension;
    through a temporary file, so an interrupted write never looks like a result."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".png", ".npy"):
        raise ValueError(f"write to a .png (image grid) or .npy (array) file, not '{path.name}'")
    with atomic_path(path) as tmp:
        if suffix == ".npy":
            np.save(tmp, np.asarray(x_original if rows is None else np.stack(matching_rows(rows))))
        else:
            if rows is None:
                rows = grid_rows(np.asarray(x_original),
                                 cols or math.ceil(math.sqrt(len(x_original))))
            grid_image(rows, low, high).save(tmp, format="PNG")
    return path
