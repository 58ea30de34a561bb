"""Trainers, one per task kind; the run folder they all write."""
