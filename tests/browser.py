"""A real headless browser for tests: Debian's chromium, driven by the DevTools
protocol over a pipe (--remote-debugging-pipe: NUL-separated JSON on file
descriptors 3 and 4), so nothing beyond the standard library is needed.

`open_page(file)` loads a local file and returns what a reader would meet: every
request the page made, console messages and errors, the ids of its sections, whether
its images decoded, and a full-page screenshot (PNG bytes)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--disable-default-apps", "--disable-extensions", "--mute-audio",
         "--remote-debugging-pipe"]


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass
class Page:
    requests: list = field(default_factory=list)  # every URL the page asked for
    errors: list = field(default_factory=list)  # console errors, exceptions, error logs
    sections: list = field(default_factory=list)
    images_ok: bool = False
    svg_count: int = 0
    screenshot: bytes = b""


class _Pipe:
    def __init__(self, exe: str, profile: str):
        to_child_r, self._w = os.pipe()
        self._r, from_child_w = os.pipe()

        def fds():  # the browser reads commands on fd 3 and answers on fd 4
            r, w = os.dup(to_child_r), os.dup(from_child_w)  # above 4: no clash below
            os.dup2(r, 3)
            os.dup2(w, 4)

        self.proc = subprocess.Popen([exe, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, preexec_fn=fds,
                                     pass_fds=(3, 4))  # kept open after fds()
        os.close(to_child_r)
        os.close(from_child_w)
        self._buf = b""
        self._id = 0
        self.events = []

    def send(self, method, params=None, session=None, timeout=30.0):
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._w, json.dumps(msg).encode() + b"\0")
        while True:
            reply = self._read(timeout)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method, timeout=30.0):
        end = time.monotonic() + timeout
        while True:
            if any(e.get("method") == method for e in self.events):
                return
            self.events.append(self._read(max(0.1, end - time.monotonic())))
            if time.monotonic() > end:
                raise TimeoutError(method)

    def _read(self, timeout):
        import select
        end = time.monotonic() + timeout
        while b"\0" not in self._buf:
            left = end - time.monotonic()
            if left <= 0 or not select.select([self._r], [], [], left)[0]:
                raise TimeoutError("the browser did not answer")
            chunk = os.read(self._r, 1 << 20)
            if not chunk:
                raise RuntimeError("the browser closed its pipe")
            self._buf += chunk
        msg, self._buf = self._buf.split(b"\0", 1)
        return json.loads(msg)

    def close(self):
        try:
            self.send("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._w)
        os.close(self._r)


def open_page(file: Path, width: int = 1280) -> Page:
    exe = chromium()
    if exe is None:
        raise FileNotFoundError("chromium is not installed")
    profile = tempfile.mkdtemp(prefix="kspec-chromium-")  # a fresh profile every time
    pipe = _Pipe(exe, profile)
    page = Page()
    try:
        target = pipe.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        s = pipe.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            pipe.send(f"{domain}.enable", session=s)
        pipe.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": 900,
                                                         "deviceScaleFactor": 1,
                                                         "mobile": False}, session=s)
        pipe.events.clear()
        pipe.send("Page.navigate", {"url": Path(file).resolve().as_uri()}, session=s)
        pipe.wait_for("Page.loadEventFired")
        time.sleep(0.3)  # late console messages
        info = pipe.send("Runtime.evaluate", {"returnByValue": True, "expression": (
            "JSON.stringify({sections: [...document.querySelectorAll('section')].map(e => e.id),"
            " images: [...document.images].every(i => i.complete && i.naturalWidth > 0),"
            " svgs: document.querySelectorAll('svg').length,"
            " height: document.documentElement.scrollHeight})")}, session=s)
        facts = json.loads(info["result"]["value"])
        page.sections, page.images_ok, page.svg_count = (facts["sections"], facts["images"],
                                                         facts["svgs"])
        height = min(int(facts["height"]), 12000)
        pipe.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": height,
                                                         "deviceScaleFactor": 1,
                                                         "mobile": False}, session=s)
        shot = pipe.send("Page.captureScreenshot", {"format": "png"}, session=s)
        import base64
        page.screenshot = base64.b64decode(shot["data"])
        for e in pipe.events:
            m, p = e.get("method"), e.get("params", {})
            if m == "Network.requestWillBeSent":
                page.requests.append(p["request"]["url"])
            elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                page.errors.append(" ".join(str(a.get("value", a.get("description", "")))
                                            for a in p.get("args", [])))
            elif m == "Runtime.exceptionThrown":
                page.errors.append(p["exceptionDetails"].get("text", "exception"))
            elif m == "Log.entryAdded" and p["entry"].get("level") == "error":
                page.errors.append(p["entry"].get("text", ""))
    finally:
        pipe.close()
        shutil.rmtree(profile, ignore_errors=True)
    return page


def blank(png: bytes) -> bool:
    """A screenshot with (almost) one colour: nothing drawn."""
    import io

    import numpy as np
    from PIL import Image
    a = np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype="float64")
    return a.std() < 5 or len(np.unique(a)) < 16


class Tab:
    """One page of a live headless chromium, for tests that drive a page (the studio):
    navigate, evaluate JavaScript, wait for a condition, type, click, screenshot.

        with Tab() as tab:
            tab.navigate(url); tab.wait("window.ready === true"); tab.insert_text("x")
    """

    def __init__(self, width: int = 1400, height: int = 900):
        exe = chromium()
        if exe is None:
            raise FileNotFoundError("chromium is not installed")
        self.profile = tempfile.mkdtemp(prefix="kspec-chromium-")
        self.pipe = _Pipe(exe, self.profile)
        target = self.pipe.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.s = self.pipe.send("Target.attachToTarget", {"targetId": target,
                                                          "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")
        self.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": height,
                                                         "deviceScaleFactor": 1,
                                                         "mobile": False})

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, method, params=None, timeout=30.0):
        return self.pipe.send(method, params, session=self.s, timeout=timeout)

    def navigate(self, url: str):
        self.pipe.events.clear()
        self.send("Page.navigate", {"url": url})
        self.pipe.wait_for("Page.loadEventFired")

    def js(self, expression: str, timeout: float = 30.0):
        """The value of a JavaScript expression (promises awaited); a page exception
        raises RuntimeError with its message."""
        r = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                           "awaitPromise": True}, timeout=timeout)
        if "exceptionDetails" in r:
            d = r["exceptionDetails"]
            raise RuntimeError(d.get("exception", {}).get("description") or d.get("text"))
        return r.get("result", {}).get("value")

    def wait(self, expression: str, timeout: float = 10.0, poll: float = 0.02):
        """Wait until the expression is truthy; returns its value (TimeoutError naming it)."""
        end = time.monotonic() + timeout
        while True:
            value = self.js(expression)
            if value:
                return value
            if time.monotonic() > end:
                raise TimeoutError(f"waited {timeout:.0f} s for: {expression}")
            time.sleep(poll)

    def insert_text(self, text: str):
        """Type text at the focused element's cursor, as an input method does."""
        self.send("Input.insertText", {"text": text})

    def key(self, key: str, code: str, keycode: int):
        for kind in ("keyDown", "keyUp"):
            self.send("Input.dispatchKeyEvent", {"type": kind, "key": key, "code": code,
                                                 "windowsVirtualKeyCode": keycode})

    def center(self, selector: str) -> tuple[float, float]:
        box = self.js(f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
                      " if (!e) return null; e.scrollIntoView({block: 'center'});"
                      " const r = e.getBoundingClientRect();"
                      " return [r.x + r.width / 2, r.y + r.height / 2]; })()")
        if box is None:
            raise LookupError(f"no element {selector}")
        return box[0], box[1]

    def hover(self, selector: str):
        x, y = self.center(selector)
        self.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y})
        return x, y

    def click(self, selector: str):
        """A real mouse click in the middle of the element (moves, presses, releases)."""
        x, y = self.hover(selector)
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y,
                                                   "button": "left", "clickCount": 1})

    def screenshot(self, path) -> bytes:
        import base64
        png = base64.b64decode(self.send("Page.captureScreenshot", {"format": "png"})["data"])
        Path(path).write_bytes(png)
        return png

    def requests(self) -> list:
        """Every URL the page asked for since the last navigate()."""
        return [e["params"]["request"]["url"] for e in self.pipe.events
                if e.get("method") == "Network.requestWillBeSent"]

    def errors(self) -> list:
        """Console errors and uncaught exceptions seen so far."""
        out = []
        for e in self.pipe.events:
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.exceptionThrown":
                d = p["exceptionDetails"]
                out.append(d.get("exception", {}).get("description") or d.get("text"))
            elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append(" ".join(str(a.get("value", a.get("description", "")))
                                    for a in p.get("args", [])))
            elif m == "Log.entryAdded" and p["entry"].get("level") == "error":
                out.append(p["entry"].get("text", ""))
        return out

    def close(self):
        self.pipe.close()
        shutil.rmtree(self.profile, ignore_errors=True)
