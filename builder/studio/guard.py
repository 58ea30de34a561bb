"""Who may drive the studio: the person holding the token of the URL it printed.

A pure ASGI middleware in front of every route:
* the Host header must be 127.0.0.1:PORT or localhost:PORT, so a web page from another
  site that re-points its own name at 127.0.0.1 (DNS rebinding) is refused;
* every request carries the token: the header X-Kspec-Token (the page's API calls), or
  `?token=` on a GET (the page URL itself, EventSource streams, a report in a frame);
  a POST needs the header, which a form on another site cannot send;
* the page's own assets (GET /static/...) may come with the cookie that GET /?token=
  sets instead (a <script src> cannot send a header).
Refusals are 403 with a one-line JSON error. Every answer forbids framing by other
sites and sniffing; the page gets a Content-Security-Policy that runs only its own
script.
"""
from __future__ import annotations

import hmac
import json
from urllib.parse import parse_qs

HEADER = b"x-kspec-token"
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; connect-src 'self'; frame-src 'self'; "
            "frame-ancestors 'self'; base-uri 'none'; form-action 'none'")


def cookie_name(port: int) -> str:
    return f"kspec_studio_{port}"


class TokenGuard:
    def __init__(self, app, token: str, hosts):
        self.app = app
        self.token = token.encode()
        self.hosts = {h.lower().encode() for h in hosts}  # e.g. 127.0.0.1:8765
        self.port = int(next(iter(hosts)).rsplit(":", 1)[1]) if hosts else 0

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":  # lifespan
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        host = headers.get(b"host", b"").lower()
        if host not in self.hosts:
            return await _refuse(send, "this studio answers only at "
                                 f"http://127.0.0.1:{self.port}/ (Host header refused)")
        if not self._allowed(scope, headers):
            return await _refuse(send, "missing or wrong token: open the URL that "
                                 "`kspec studio` printed (with its ?token=...)")
        await self.app(scope, receive, _secured(send, scope["path"]))

    def _allowed(self, scope, headers) -> bool:
        given = headers.get(HEADER)
        if given is not None:
            return hmac.compare_digest(given, self.token)
        if scope["method"] not in ("GET", "HEAD"):
            return False  # no query tokens or cookies for anything that changes state
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if "token" in query:
            return hmac.compare_digest(query["token"][-1].encode(), self.token)
        if scope["path"].startswith("/static/"):
            return hmac.compare_digest(_cookie(headers, cookie_name(self.port)), self.token)
        return False


def _cookie(headers, name: str) -> bytes:
    for part in headers.get(b"cookie", b"").split(b";"):
        key, _, value = part.strip().partition(b"=")
        if key == name.encode():
            return value
    return b""


def _secured(send, path: str):
    async def wrapped(message):
        if message["type"] == "http.response.start":
            headers = list(message.get("headers") or [])
            names = {k.lower() for k, _ in headers}
            extra = [(b"x-content-type-options", b"nosniff"),
                     (b"referrer-policy", b"no-referrer"),
                     (b"cache-control", b"no-store")]
            if b"content-security-policy" not in names:
                extra.append((b"content-security-policy", PAGE_CSP.encode()))
            message = dict(message, headers=headers + [h for h in extra if h[0] not in names])
        await send(message)
    return wrapped


async def _refuse(send, message: str):
    body = json.dumps({"error": message}).encode()
    await send({"type": "http.response.start", "status": 403,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
