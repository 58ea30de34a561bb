"""spec.data -> arrays and tf.data pipelines.

The parameter models (sources, preprocessing steps, splits) are Keras-free: they
are part of the schema. Loading and transforming happen in their methods.
"""
