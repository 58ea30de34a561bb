"""Grading by spec: a rubric (YAML) says what a submission must have and reach;
the runner grades a folder of submissions, each in its own limited process, and
writes Gradescope results, student feedback, a grade book and a similarity report.

Like builder/spec, importing this package loads no TensorFlow: only the grading
processes that build or train a model import Keras.
"""
