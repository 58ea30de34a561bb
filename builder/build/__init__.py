"""Spec -> keras.Model(s)."""
