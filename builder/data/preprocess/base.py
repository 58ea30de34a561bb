"""What every preprocessing step shares (`data.preprocess`, ordered one-key steps).

A step is fitted on the training split only (`fit` returns a JSON-able state that
is saved with the run, so prediction reuses the very same statistics) and then
applied to every split. A step may change the input x, the target y, or both:
`add_noise` and `grayscale` can make the *clean input* the target (denoising and
colorizing autoencoders); scaling steps can apply to the target as well (then
`invert_target` maps predictions back to the original units).
"""

from typing import ClassVar

from ...catalog.index import CATALOGS as INDEX
from ...core.base import Catalog, Entry
from ..info import DataInfo

STEPS = Catalog("preprocessing step", "scale: 255 or standardize",
                index=INDEX["preprocessing step"])


class StepError(ValueError):
    """The data does not suit the step; the message says what it got and what to do."""


class Step(Entry):
    # False for steps that only make training data (add_noise): `kspec predict`
    # gets inputs that are already what the model should see
    at_predict: ClassVar[bool] = True

    def fit(self, x, y) -> dict:
        return {}

    def apply(self, x, y, state: dict, rng=None):
        """-> (x, y); y may be None (unlabelled data, prediction inputs)."""
        return x, y

    def changes_target(self) -> bool:
        """True for a step that rewrites the target (a model with several outputs keeps
        each output's target as the source gives it, so validate refuses such a step)."""
        return False

    def invert_target(self, y, state: dict):
        """Predictions back to the target's original units (identity unless the step
        changed the target's scale)."""
        return y

    def info(self, info: DataInfo) -> DataInfo:
        return info


def need_target(y, step: str):
    if y is None:
        raise StepError(f"{step} works on the target, but this data has no target")
    return y
