"""Sharing and authoring specs: export with a fingerprint, semantic diff, a new spec
from a template, spec -> Keras code, Keras model -> spec, and `explain`.

Everything here starts from a validated spec (builder.spec.load) and, where it
needs Keras (parameter counts, code generation, import), imports it lazily.
"""
