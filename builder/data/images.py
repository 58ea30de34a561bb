"""Reading image files into arrays (Pillow, which Keras' own image utilities use)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

CHANNELS = {"grayscale": 1, "rgb": 3, "rgba": 4}
PIL_MODES = {"grayscale": "L", "rgb": "RGB", "rgba": "RGBA"}


class NotAnImage(ValueError):
    pass


def read_image(file: Path, size: tuple[int, int], color_mode: str) -> np.ndarray:
    """One image file -> uint8 array (height, width, channels), resized bilinearly."""
    from PIL import Image, UnidentifiedImageError
    try:
        with Image.open(file) as img:
            img = img.convert(PIL_MODES[color_mode])
            if img.size != (size[1], size[0]):
                img = img.resize((size[1], size[0]), Image.BILINEAR)
            arr = np.asarray(img, dtype="uint8")
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise NotAnImage(f"{file} is not an image that can be read ({type(exc).__name__})") from None
    return arr.reshape(size[0], size[1], CHANNELS[color_mode])


def visible_files(folder: Path) -> list[Path]:
    """Files of a folder in name order, skipping hidden ones (.DS_Store and the like)."""
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
