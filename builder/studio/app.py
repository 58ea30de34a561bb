"""The studio's HTTP API (Starlette): JSON in, JSON out, one-line errors.

Routes are thin: each reads its JSON body, calls builder/ (spec/, see/, share/,
tasks/) through the modules beside this one, and answers. Everything a request
names is confined to the working folder (workspace.py); the token and Host checks sit
in front of every route (guard.py).
"""
from __future__ import annotations

import json
import traceback
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from ..core.problems import SpecError
from . import specs
from .guard import TokenGuard, cookie_name
from .workspace import Refused, Workspace, origin_of

STATIC = Path(__file__).resolve().parent / "static"
BODY_MAX = 4 << 20  # a spec is at most a few hundred KB; a JSON body beyond this is refused
_PLACEHOLDER = ("<!doctype html><meta charset=utf-8><title>kspec studio</title>"
                "<p>kspec studio is running, but its page (builder/studio/static/index.html) "
                "is not built.</p>")


def one_line(exc: BaseException) -> str:
    if isinstance(exc, SpecError):
        return exc.problems[0].render() if exc.problems else "the spec has errors"
    return " ".join(str(exc).split())[:500] or type(exc).__name__


def error(message: str, status: int = 400, **extra) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


async def body_of(request: Request) -> dict:
    chunks, size = [], 0
    async for chunk in request.stream():  # refused as soon as it is too large
        size += len(chunk)
        if size > BODY_MAX:
            raise Refused(f"the request is over {BODY_MAX >> 20} MB", 413)
        chunks.append(chunk)
    raw = b"".join(chunks)
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        raise Refused("the request body is not JSON") from None
    if not isinstance(data, dict):
        raise Refused("the request body must be a JSON object")
    return data


def _short(studio, message: str) -> str:
    """Paths inside the working folder named relative to it, as the page shows them."""
    return message.replace(str(studio.ws.root) + "/", "")


def api(fn, threaded: bool = False):
    """A route from `fn(studio, body_or_request) -> dict | Response`: errors become one
    line of JSON (a bug in kspec is logged here, not sent as a traceback)."""
    async def endpoint(request: Request):
        from ..core.files import FileRefused
        from ..data.errors import DataLoadError
        from ..run.folder import RunFolderError
        studio = request.app.state.studio
        try:
            arg = await body_of(request) if request.method == "POST" else request
            result = await run_in_threadpool(fn, studio, arg) if threaded else fn(studio, arg)
        except Refused as exc:
            return error(_short(studio, str(exc)), exc.status)
        except SpecError as exc:
            return error(_short(studio, one_line(exc)), 400)
        except (FileRefused, DataLoadError, RunFolderError, ValueError) as exc:
            return error(_short(studio, one_line(exc)), 400)
        except Exception as exc:  # noqa: BLE001 - the page shows the line; the log keeps the rest
            traceback.print_exc()
            return error(f"internal error: {one_line(exc)} (the studio's terminal has the "
                         "details)", 500)
        return result if isinstance(result, Response) else JSONResponse(result)
    return endpoint


class Studio:
    """The state behind the routes: the working folder and the runs started from it."""

    def __init__(self, root, token: str, port: int):
        from .runs import Runs
        self.ws = Workspace(root)
        self.token = token
        self.port = port
        self.runs = Runs(self.ws)


# ---- routes ---------------------------------------------------------------------------

def index(studio: Studio, request: Request):
    page = STATIC / "index.html"
    html = page.read_text(encoding="utf-8") if page.is_file() else _PLACEHOLDER
    response = HTMLResponse(html)
    # the page's <script>/<link> cannot send the token header: they may send this cookie
    response.set_cookie(cookie_name(studio.port), studio.token, httponly=True,
                        samesite="strict", path="/static/")
    return response


def static(studio: Studio, request: Request):
    name = request.path_params["name"]
    full = (STATIC / name).resolve()
    if not full.is_relative_to(STATIC) or not full.is_file() or full.name == "index.html":
        raise Refused(f"no static file {name!r}", 404)
    return FileResponse(full)


def schema(studio: Studio, request: Request):
    from ..spec.jsonschema import json_schema
    return json_schema()


def library(studio: Studio, request: Request):
    return specs.library()


def open_spec(studio: Studio, body: dict):
    if "name" in body:
        rel, text = studio.ws.copy_bundled(body["name"])
        return {"path": rel, "text": text, "origin": body["name"]}
    _, text = studio.ws.read_spec(body.get("path"))
    return {"path": body["path"], "text": text, "origin": origin_of(text)}


def files(studio: Studio, request: Request):
    return {"files": studio.ws.spec_files(), "folder": str(studio.ws.root)}


def validate(studio: Studio, body: dict):
    return specs.validate(studio.ws, body)


def plan(studio: Studio, body: dict):
    return specs.plan(studio.ws, body)


def save(studio: Studio, body: dict):
    full = studio.ws.save_spec(body.get("path"), body.get("text"))
    return {"path": studio.ws.rel(full), "bytes": full.stat().st_size}


def diff(studio: Studio, body: dict):
    from .share import diff_against_start
    return diff_against_start(studio.ws, body)


def export(studio: Studio, body: dict):
    from .share import export_copy
    return export_copy(studio.ws, body)


def train(studio: Studio, body: dict):
    return studio.runs.start(body)


def runs_list(studio: Studio, request: Request):
    return {"runs": studio.runs.listing()}


def run_stop(studio: Studio, body: dict):
    return studio.runs.stop(body["_id"])


async def run_events(request: Request):
    studio = request.app.state.studio
    try:
        run = studio.runs.get(request.path_params["run_id"])
    except Refused as exc:
        return error(str(exc), exc.status)
    from starlette.responses import StreamingResponse
    return StreamingResponse(studio.runs.events(run), media_type="text/event-stream",
                             headers={"x-accel-buffering": "no"})


def run_report(studio: Studio, request: Request):
    from .share import report_page
    return report_page(studio, request.path_params["run_id"])


def compare(studio: Studio, arg):
    from .share import compare_page
    refs = arg.get("runs") if isinstance(arg, dict) else arg.query_params.getlist("runs")
    return compare_page(studio, refs)


def inspect(studio: Studio, body: dict):
    from .inside import inspect_layers
    return inspect_layers(studio, body)


def generate(studio: Studio, body: dict):
    from .inside import generate_for
    return generate_for(studio, body)


def _with_id(fn):
    """POST /api/runs/{id}/stop: the id travels in the body handed to `fn`."""
    async def endpoint(request: Request):
        inner = api(lambda studio, body: fn(studio, {**body, "_id":
                                                     request.path_params["run_id"]}))
        return await inner(request)
    return endpoint


def make_app(root, token: str, port: int) -> Starlette:
    routes = [
        Route("/", api(index)),
        Route("/static/{name:path}", api(static)),
        Route("/api/schema", api(schema)),
        Route("/api/library", api(library, threaded=True)),
        Route("/api/open", api(open_spec), methods=["POST"]),
        Route("/api/files", api(files, threaded=True)),
        Route("/api/validate", api(validate), methods=["POST"]),
        Route("/api/plan", api(plan), methods=["POST"]),
        Route("/api/save", api(save), methods=["POST"]),
        Route("/api/diff", api(diff, threaded=True), methods=["POST"]),
        Route("/api/export", api(export, threaded=True), methods=["POST"]),
        Route("/api/train", api(train, threaded=True), methods=["POST"]),
        Route("/api/runs", api(runs_list)),
        Route("/api/runs/{run_id}/events", run_events),
        Route("/api/runs/{run_id}/stop", _with_id(run_stop), methods=["POST"]),
        Route("/api/runs/{run_id}/report", api(run_report, threaded=True)),
        Route("/api/compare", api(compare, threaded=True), methods=["GET", "POST"]),
        Route("/api/inspect", api(inspect, threaded=True), methods=["POST"]),
        Route("/api/generate", api(generate, threaded=True), methods=["POST"]),
    ]
    app = Starlette(routes=routes)
    app.state.studio = Studio(root, token, port)
    hosts = [f"127.0.0.1:{port}", f"localhost:{port}"]
    return TokenGuard(app, token, hosts)
