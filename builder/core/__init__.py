"""The vocabulary every folder of builder/ shares, importing nothing else of kspec:
the strict pydantic base and the catalog of entries (base.py), problems with a
position in the spec (problems.py), writing a file whole or not at all
(atomic.py), reading a file kspec is handed only if it is a regular file of bounded
size (files.py), writing CSV with formula cells neutralised (csv_out.py), and the
one lazy door to Keras (keras_env.py).

Everything else imports from here; this folder imports from nowhere in builder/
(tests/test_layout.py checks it), so no folder's import can loop back through it.
"""
