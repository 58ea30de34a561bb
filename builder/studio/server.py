"""`kspec studio`: the working folder, the token, the socket on 127.0.0.1, uvicorn."""
from __future__ import annotations

import os
import secrets
import socket
import sys
from pathlib import Path

HOST = "127.0.0.1"  # never 0.0.0.0: other machines must not reach a student's studio


class StartError(Exception):
    """The studio cannot start: the command prints this one line and exits 1."""


def working_folder(target) -> tuple[Path, str | None]:
    """(the folder the studio works in, the spec to open first relative to it or None):
    FOLDER itself, a SPEC's folder, or the current folder."""
    if target is None:
        return Path.cwd().resolve(), None
    path = Path(target)
    if path.is_dir():
        return path.resolve(), None
    if path.is_file() and path.suffix.lower() in (".yaml", ".yml"):
        return path.resolve().parent, path.name
    raise StartError(f"{target} is neither a folder nor a .yaml spec file; give the folder "
                     "to work in (default: the current one) or a spec in it")


def bind(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as exc:
        sock.close()
        raise StartError(f"cannot listen on {HOST}:{port}: {exc.strerror or exc}; choose "
                         "another --port (or none: a free one is picked)") from None
    sock.listen(64)
    return sock


def warm_up(studio) -> None:
    """Validate and plan a bundled spec once, so the first keystroke's answer does not
    pay for importing the schema and catalogs (~100 ms)."""
    from ..spec.library import bundled
    from .specs import plan
    path = bundled().get("digits_cnn")
    if path is not None:
        plan(studio.ws, {"text": path.read_text(encoding="utf-8"),
                         "path": "studio/.warm-up.yaml"})


def serve(target=None, port: int = 0, echo=print) -> None:
    import uvicorn

    from .app import make_app
    root, first = working_folder(target)
    sock = bind(port)
    port = sock.getsockname()[1]
    token = secrets.token_urlsafe(24)
    app = make_app(root, token, port)
    warm_up(app.app.state.studio)
    url = f"http://{HOST}:{port}/?token={token}" + (f"&open={first}" if first else "")
    echo(f"kspec studio: working folder {root}")
    echo(f"open this URL in your browser (it holds the token; keep it to yourself):\n{url}")
    echo("Ctrl-C stops the studio (and any training it started, which keeps RUN.partial)")
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                            timeout_graceful_shutdown=3)
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn passes the Ctrl-C on once it has shut down
        pass
    finally:
        stop_trainings(app.app.state.studio.runs, echo)
    echo("kspec studio stopped")
    if "tensorflow" in sys.modules:
        # Inside loaded Keras into this process: the interpreter's teardown of TensorFlow
        # then took 6-10 s after the line above, the terminal silent. Every file is
        # written (atomically) and every training has ended: leave at once.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def stop_trainings(runs, echo) -> None:
    """Ctrl-C in the studio's terminal: each training it started stops as after Ctrl-C,
    and the terminal says where its last finished epoch is kept."""
    from ..run.folder import resume_command
    running = [r for r in runs.runs.values() if r.state == "running"]
    if not running:
        return
    echo(f"stopping {len(running)} training(s) the studio started ...")
    runs.stop_all(wait=60)
    for run in running:
        partial = run.folder.with_name(run.folder.name + ".partial")
        if partial.is_dir():
            rel = runs.ws.rel(partial)
            echo(f"  {run.id} stopped; its last finished epoch is kept in {rel}; continue "
                 f"with: {resume_command(rel)}")
        else:
            echo(f"  {run.id} stopped before its first epoch ended; nothing was kept")
