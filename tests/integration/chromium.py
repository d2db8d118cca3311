"""Headless Chromium over the DevTools protocol on a pipe: load a page, collect its errors, screenshot a region."""
from __future__ import annotations

import base64
import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import time

ERROR_EVENTS = ("Runtime.exceptionThrown", "Runtime.consoleAPICalled", "Log.entryAdded")


class Chromium:
    """One headless browser with one page; DevTools messages are NUL-separated JSON on fds 3 (in) and 4 (out)."""

    def __init__(self, width: int = 1300, height: int = 1400) -> None:
        binary = shutil.which("chromium")
        assert binary, "Debian's chromium is not installed (.ci/run installs it)"
        self.profile = tempfile.mkdtemp(prefix="chromium-")
        (browser_in, self.writer), (self.reader, browser_out) = os.pipe(), os.pipe()
        self.process = subprocess.Popen(
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe", "--no-first-run",
             f"--user-data-dir={self.profile}", f"--window-size={width},{height}", "about:blank"],
            pass_fds=(3, 4), preexec_fn=lambda: attach(browser_in, browser_out),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(browser_in), os.close(browser_out)
        self.next_id, self.events, self.buffer = 0, [], b""
        page = next(t for t in self.send("Target.getTargets")["targetInfos"] if t["type"] == "page")
        self.session = self.send("Target.attachToTarget", {"targetId": page["targetId"], "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable", session=self.session)

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.writer, json.dumps(message).encode() + b"\0")
        while (reply := self.read()).get("id") != self.next_id:
            self.events.append(reply)
        assert "error" not in reply, reply["error"]
        return reply["result"]

    def read(self) -> dict:
        while b"\0" not in self.buffer:
            chunk = os.read(self.reader, 1 << 16)
            assert chunk, "chromium closed the DevTools pipe"
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def open(self, url: str, timeout_s: float = 15) -> list[str]:
        """Load a page and return every console error, uncaught exception and failed load it produced."""
        self.events.clear()
        self.send("Page.navigate", {"url": url}, session=self.session)
        deadline = time.monotonic() + timeout_s
        while not any(event.get("method") == "Page.loadEventFired" for event in self.events):
            assert time.monotonic() < deadline, f"{url} did not load in {timeout_s} s"
            self.events.append(self.read())
        self.send("Runtime.evaluate", {"expression": "1"}, session=self.session)  # flush late events
        return [describe(event) for event in self.events if is_error(event)]

    def evaluate(self, expression: str):
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=self.session)
        return result["result"].get("value")

    def screenshot(self, clip: dict | None = None) -> bytes:
        params = {"format": "png", "captureBeyondViewport": True}
        if clip:
            params["clip"] = {**clip, "scale": 1}
        return base64.b64decode(self.send("Page.captureScreenshot", params, session=self.session)["data"])

    def close(self) -> None:
        os.write(self.writer, json.dumps({"id": 0, "method": "Browser.close"}).encode() + b"\0")
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self.writer), os.close(self.reader)
        shutil.rmtree(self.profile, ignore_errors=True)


def attach(browser_in: int, browser_out: int) -> None:
    """In the child: the pipe ends on fds 3 and 4, where --remote-debugging-pipe expects them."""
    high_in, high_out = fcntl.fcntl(browser_in, fcntl.F_DUPFD, 10), fcntl.fcntl(browser_out, fcntl.F_DUPFD, 10)
    os.dup2(high_in, 3)
    os.dup2(high_out, 4)


def is_error(event: dict) -> bool:
    method, params = event.get("method"), event.get("params", {})
    if method == "Runtime.exceptionThrown":
        return True
    if method == "Runtime.consoleAPICalled":
        return params.get("type") in ("error", "assert")
    return method == "Log.entryAdded" and params["entry"]["level"] == "error"


def describe(event: dict) -> str:
    params = event["params"]
    if "entry" in params:
        return params["entry"]["text"]
    if "exceptionDetails" in params:
        return params["exceptionDetails"].get("exception", {}).get("description") or params["exceptionDetails"]["text"]
    return " ".join(str(arg.get("value", arg.get("description"))) for arg in params.get("args", []))
