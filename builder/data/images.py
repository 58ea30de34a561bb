"""Reading image files into arrays (Pillow, which Keras' own image utilities use)."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..core.files import DATA_MAX, IMAGE_PIXELS_MAX, FileRefused, open_user_file

CHANNELS = {"grayscale": 1, "rgb": 3, "rgba": 4}
PIL_MODES = {"grayscale": "L", "rgb": "RGB", "rgba": "RGBA"}


class NotAnImage(ValueError):
    pass


def read_image(file: Path, size: tuple[int, int], color_mode: str,
               resize: bool = True) -> np.ndarray:
    """One image file -> uint8 array (height, width, channels), resized bilinearly
    (without `resize`, an image of another size is refused in one line).

    The file is checked first (a regular file: core/files.py) and its pixel count
    read from the header before anything is decoded, so a 30,000 x 30,000 image is
    refused instead of expanded."""
    import warnings

    from PIL import Image, UnidentifiedImageError
    try:
        with open_user_file(file, DATA_MAX, "image") as fh, warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(fh) as img:
                width, height = img.size
                if width * height > IMAGE_PIXELS_MAX:
                    raise NotAnImage(f"{file} is {width} x {height} pixels; kspec reads images "
                                     f"of at most {IMAGE_PIXELS_MAX // 10**6} megapixels")
                if not resize and (width, height) != (size[1], size[0]):
                    raise NotAnImage(f"{file} is {width} x {height} pixels but the model takes "
                                     f"{size[1]} x {size[0]} images (width x height); resize "
                                     "it, or pass --resize to resize it bilinearly")
                img = img.convert(PIL_MODES[color_mode])
                if img.size != (size[1], size[0]):
                    img = img.resize((size[1], size[0]), Image.BILINEAR)
                arr = np.asarray(img, dtype="uint8")
    except NotAnImage:
        raise
    except FileRefused as exc:
        raise NotAnImage(str(exc)) from None
    except Image.DecompressionBombError as exc:  # Pillow's own limit, hit while opening
        pixels = re.search(r"\((\d+) pixels\)", str(exc))
        raise NotAnImage(f"{file} is an image of {pixels.group(1) if pixels else 'too many'} "
                         f"pixels; kspec reads images of at most "
                         f"{IMAGE_PIXELS_MAX // 10**6} megapixels") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError,
            Image.DecompressionBombWarning) as exc:
        raise NotAnImage(f"{file} is not an image that can be read ({type(exc).__name__})") from None
    return arr.reshape(size[0], size[1], CHANNELS[color_mode])


def visible_files(folder: Path) -> list[Path]:
    """Files of a folder in name order, skipping hidden ones (.DS_Store and the like)."""
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
