"""Task kinds: what a spec's networks are trained to do.

A task says which networks a spec has (one `model:` or named `models:` roles), what
its `train:` section holds, what must agree between roles, how to train, and which
commands its runs answer (evaluate, predict, forecast, generate, ...; one dispatch:
base.use). Each task's folder holds all of it: supervised/, forecast/,
language_model/, generative/ (autoencoder, vae, gan, cgan, diffusion, flow). The
schema parts are Keras-free; training and use import Keras lazily. The task
registry imports a task's package when a spec or a run names it
(catalog/index.py); `TASKS.load_all()` imports them all.
"""
from .base import TASKS, Task  # noqa: F401
