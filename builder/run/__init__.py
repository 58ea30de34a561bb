"""The run folder: its format, written atomically (folder.py), read back (read.py),
the preprocessing saved with it (preprocessing.py), its plots (plots.py) and the
facts about the environment it was made in (environment.py)."""
