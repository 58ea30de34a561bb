"""kspec studio: kspec's own engine behind a local web page (issue 16).

The top of the import order: it may use every folder of builder/, nothing imports it.
server.py starts it (127.0.0.1, a token), app.py routes, guard.py checks every request,
workspace.py confines paths to the working folder, specs.py validates and plans as you
type, runs.py trains in `kspec train` processes, share.py and inside.py do the rest.
"""
