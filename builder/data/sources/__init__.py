"""Data sources (`data.source`): where the examples come from.

Each source lives in its own module; importing this package registers them all
in the closed SOURCES catalog.
"""
from ..errors import DataLoadError
from . import arrays, csv, environment, image_folder, inline, keras_sets, sklearn, synthetic, text, timeseries  # noqa: F401  (registration)
from .base import SOURCES, Loaded, Source, SourceRef
from .sklearn import SKLEARN_SETS

__all__ = ["SOURCES", "Loaded", "Source", "SourceRef", "DataLoadError", "SKLEARN_SETS"]
