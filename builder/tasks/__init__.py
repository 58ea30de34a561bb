"""Task kinds: what a spec's networks are trained to do.

A task says which networks a spec has (one `model:` or named `models:` roles), what
its `train:` section holds, what must agree between roles, how to train, and which
commands its runs answer (evaluate, predict, forecast, generate, ...; one dispatch:
base.use). Each task's folder holds all of it: supervised/, forecast/,
language_model/, generative/ (autoencoder, vae, gan, cgan, diffusion, flow). The
schema parts are Keras-free; training and use import Keras lazily. Importing this
package registers every task.
"""
from .base import TASKS, Task  # noqa: F401
from . import supervised  # noqa: F401,E402
from . import forecast, language_model  # noqa: F401,E402  (sequence tasks)
from . import generative  # noqa: F401,E402  (autoencoder, vae, gan, cgan, diffusion, flow)
from . import super_resolution  # noqa: F401,E402  (image -> larger image)
from . import transfer  # noqa: F401,E402  (a pre-trained base under a new head)
from . import dqn  # noqa: F401,E402  (reinforcement learning)
