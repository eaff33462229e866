"""A headless Chromium driven over the DevTools protocol pipe, to load a page and watch it.

Chromium reads protocol messages on fd 3 and writes on fd 4 (`--remote-debugging-pipe`), each
a JSON object ended by a NUL byte. Only the stdlib is needed.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars", "--remote-debugging-pipe")
TIMEOUT_S = 60.0
_TRAMPOLINE = ("import os, sys; os.dup2(int(sys.argv[1]), 3); os.dup2(int(sys.argv[2]), 4); "
               "os.execvp(sys.argv[3], sys.argv[3:])")


def find_chromium() -> str | None:
    """$TRADLOOPD_CHROMIUM, or the first Chromium/Chrome binary on PATH."""
    override = os.environ.get("TRADLOOPD_CHROMIUM")
    if override:
        return override
    return next((found for name in CANDIDATES if (found := shutil.which(name))), None)


@dataclass
class PageVisit:
    """What a page did while loading, and how it looked."""

    screenshot_png: bytes = b""
    console_errors: list[str] = field(default_factory=list)
    requested_urls: list[str] = field(default_factory=list)
    images: list[dict[str, Any]] = field(default_factory=list)


def visit(binary: str, url: str, profile: Path, width: int = 1280, height: int = 4200
          ) -> PageVisit:
    """Load `url` in a fresh headless Chromium and report errors, requests and a screenshot."""
    to_chrome_r, to_chrome_w = _high_pipe()
    from_chrome_r, from_chrome_w = _high_pipe()

    # a tiny Python trampoline moves our pipe ends to fds 3 and 4, then execs Chromium
    process = subprocess.Popen(
        [sys.executable, "-c", _TRAMPOLINE, str(to_chrome_r), str(from_chrome_w), binary, *FLAGS,
         f"--user-data-dir={profile}", "about:blank"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        pass_fds=(to_chrome_r, from_chrome_w),
    )
    os.close(to_chrome_r)
    os.close(from_chrome_w)
    try:
        with _Session(to_chrome_w, from_chrome_r) as session:
            return _drive(session, url, width, height)
    finally:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _high_pipe() -> tuple[int, int]:
    """A pipe whose ends are numbered 10 or more, so moving them to 3 and 4 clobbers neither."""
    ends = []
    for fd in os.pipe():
        ends.append(fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10))
        os.close(fd)
    return ends[0], ends[1]


def _drive(session: _Session, url: str, width: int, height: int) -> PageVisit:
    target = session.call("Target.createTarget", {"url": "about:blank"})["targetId"]
    sid = session.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for domain in ("Runtime", "Log", "Network", "Page"):
        session.call(f"{domain}.enable", session_id=sid)
    session.call("Emulation.setDeviceMetricsOverride", {"width": width, "height": height,
                 "deviceScaleFactor": 1, "mobile": False}, session_id=sid)
    session.call("Page.navigate", {"url": url}, session_id=sid)
    session.wait_for("Page.loadEventFired")
    probe = ("JSON.stringify([...document.images].map(i => ({complete: i.complete, "
             "width: i.naturalWidth, height: i.naturalHeight})))")
    result = session.call("Runtime.evaluate", {"expression": probe, "returnByValue": True},
                          session_id=sid)
    shot = session.call("Page.captureScreenshot", {"format": "png"}, session_id=sid)
    session.call("Browser.close")
    page = session.page
    page.images = json.loads(result["result"]["value"])
    page.screenshot_png = base64.b64decode(shot["data"])
    return page


class _Session:
    """Request/response and event bookkeeping over the two pipe ends."""

    def __init__(self, write_fd: int, read_fd: int) -> None:
        self.write_fd, self.read_fd = write_fd, read_fd
        self.buffer = b""
        self.next_id = 0
        self.seen: set[str] = set()
        self.page = PageVisit()
        self.deadline = time.monotonic() + TIMEOUT_S

    def __enter__(self) -> _Session:
        return self

    def __exit__(self, *exc: object) -> None:
        os.close(self.write_fd)
        os.close(self.read_fd)

    def call(self, method: str, params: dict | None = None, session_id: str | None = None
             ) -> dict:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session_id:
            message["sessionId"] = session_id
        os.write(self.write_fd, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def wait_for(self, event: str) -> None:
        while event not in self.seen:
            self._read()

    def _read(self) -> dict:
        while b"\0" not in self.buffer:
            remaining = self.deadline - time.monotonic()
            ready, _, _ = select.select([self.read_fd], [], [], max(remaining, 0))
            if not ready:
                raise TimeoutError("Chromium did not answer over the DevTools pipe")
            chunk = os.read(self.read_fd, 1 << 16)
            if not chunk:
                raise ConnectionError("Chromium closed the DevTools pipe")
            self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\0", 1)
        message = json.loads(raw)
        if "method" in message:
            self._record(message["method"], message.get("params", {}))
        return message

    def _record(self, method: str, params: dict) -> None:
        self.seen.add(method)
        errors = self.page.console_errors
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            errors.append(" ".join(str(a.get("value", a.get("description", "")))
                                   for a in params.get("args", [])))
        elif method == "Runtime.exceptionThrown":
            errors.append(params["exceptionDetails"].get("text", "exception"))
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            errors.append(params["entry"].get("text", ""))
        elif method == "Network.loadingFailed":
            errors.append(f"loading failed: {params.get('errorText')}")
        elif method == "Network.requestWillBeSent":
            self.page.requested_urls.append(params["request"]["url"])
