"""Closed catalogs: name -> validated parameters -> Keras object, each in one place.

Importing the catalogs imports no Keras; only ``build`` methods do, lazily.
"""
