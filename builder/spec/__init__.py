"""The spec language: schema, YAML loading with positions, graph planning, lint.

Nothing in this package imports TensorFlow or Keras: `kspec validate` stays instant.
"""
