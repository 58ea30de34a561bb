"""Every closed catalog, by the plural name users see in `kspec catalog`."""
from ..catalog.activations import ACTIVATIONS
from ..catalog.callbacks import CALLBACKS
from ..catalog.layers import LAYERS
from ..catalog.losses import LOSSES
from ..catalog.metrics import METRICS
from ..catalog.optimizers import OPTIMIZERS, SCHEDULES
from ..catalog.weights import CONSTRAINTS, INITIALIZERS, REGULARIZERS
from ..data.augment import AUGMENTS
from ..data.preprocess import STEPS
from ..data.sources import SOURCES

ALL = {
    "layers": LAYERS, "activations": ACTIVATIONS, "losses": LOSSES, "optimizers": OPTIMIZERS,
    "schedules": SCHEDULES, "metrics": METRICS, "callbacks": CALLBACKS,
    "initializers": INITIALIZERS, "regularizers": REGULARIZERS, "constraints": CONSTRAINTS,
    "sources": SOURCES, "preprocess": STEPS, "augmentations": AUGMENTS,
}
