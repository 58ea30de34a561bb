"""Generative tasks (L24-L35): autoencoder, vae, gan, cgan, diffusion, flow.

Importing this package registers them. Each module holds one task: its `train:`
fields and role checks (Keras-free, part of the schema), its Trainer (the custom
training step) and its Sampler (samples, codes, reconstructions from a run).
"""
from . import autoencoder  # noqa: F401
from . import vae  # noqa: F401
from . import gan  # noqa: F401  (gan and cgan)
from . import diffusion  # noqa: F401
from . import flow  # noqa: F401
