"""`image_folder: {path, image_size, color_mode}`: one subfolder of images per class."""
from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

import numpy as np
from pydantic import Field

from ..images import CHANNELS, NotAnImage, read_image, visible_files
from ..info import DataInfo
from .base import SOURCES, Loaded, Source


@SOURCES.register("image_folder")
class ImageFolder(Source):
    doc: ClassVar[str] = ("a folder with one subfolder of images per class (the subfolder "
                          "names are the class names), read into memory once")
    positional: ClassVar[str] = "path"
    path: str = Field(..., description="folder of class subfolders, relative to the spec")
    image_size: list[int] = Field([64, 64], min_length=2, max_length=2,
                                  description="[height, width] every image is resized to")
    color_mode: Literal["grayscale", "rgb", "rgba"] = "rgb"
    test_path: str | None = Field(None, description="a second folder (same classes) for testing")

    def info(self):
        return DataInfo((*self.image_size, CHANNELS[self.color_mode]), "integer", x_dtype="uint8")

    def load(self, base_dir):
        folder = self.file(base_dir, self.path, kind="folder")
        classes = sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
        if not classes:
            self.fail(f"{folder} has no class subfolders; put the images of each class in a "
                      "subfolder named after the class", "path")
        x, y = self._read(folder, classes, "path")
        test = None
        if self.test_path:
            tfolder = self.file(base_dir, self.test_path, "test_path", kind="folder")
            extra = sorted(p.name for p in tfolder.iterdir() if p.is_dir() and p.name not in classes
                           and not p.name.startswith("."))
            if extra:
                self.fail(f"{tfolder} has classes the training folder lacks: {', '.join(extra)}",
                          "test_path")
            test = self._read(tfolder, classes, "test_path")
        state = {"image_size": list(self.image_size), "color_mode": self.color_mode}
        return Loaded(x, y, test=test, class_names=classes, state=state)

    def _read(self, folder: Path, classes, field_name):
        size = tuple(self.image_size)
        images, labels = [], []
        for k, name in enumerate(classes):
            sub = folder / name
            if not sub.is_dir():
                continue
            for file in visible_files(sub):
                try:
                    images.append(read_image(file, size, self.color_mode))
                except NotAnImage as exc:
                    self.fail(f"{exc}; an image folder holds only images (move it out of "
                              f"{sub})", field_name)
                labels.append(k)
        if not images:
            self.fail(f"no images in the class subfolders of {folder}", field_name)
        return np.stack(images), np.array(labels, dtype="int64")
