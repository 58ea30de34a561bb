"""Data sources (`data.source`): where the examples come from.

Each source lives in its own module (arrays, csv, environment, image_folder, inline,
keras_sets, sklearn, synthetic, text, timeseries), imported when a spec names it
(catalog/index.py): validating a CSV spec never loads scikit-learn's tables.
"""
from ..errors import DataLoadError
from .base import SOURCES, Loaded, Source, SourceRef

__all__ = ["SOURCES", "Loaded", "Source", "SourceRef", "DataLoadError", "SKLEARN_SETS"]


def __getattr__(name):  # SKLEARN_SETS without importing the sklearn source up front
    if name == "SKLEARN_SETS":
        from .sklearn import SKLEARN_SETS
        return SKLEARN_SETS
    raise AttributeError(name)
