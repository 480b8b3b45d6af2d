"""The web app as `serve` runs it, on uvicorn on an ephemeral port of 127.0.0.1, and a
headless Chromium (Debian's, driven through Playwright) to open it: shared by the tests
of the app over HTTP and in the browser."""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def require_browser() -> None:
    """Skip the calling module where no browser can run; on CI the browser tests must
    run, never skip."""
    if os.environ.get("CI") == "true":
        return
    pytest.importorskip("playwright.sync_api")
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed", allow_module_level=True)


class Started:
    """ASGI middleware that tells when a request whose query holds ``query`` has reached
    the app."""

    def __init__(self, app: Any, query: str = "never") -> None:
        self.app, self.query = app, query.encode()
        self.seen = threading.Event()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and self.query in scope.get("query_string", b""):
            self.seen.set()
        await self.app(scope, receive, send)

    def stop(self) -> None:
        self.app.stop()


@contextmanager
def live(folder: Path, timeout: float = 120, started_on: str = "never", token: str | None = None
         ) -> Iterator[tuple[str, Started, Any, threading.Thread]]:
    """The app serving ``folder``: its address, the app, the uvicorn server and its
    thread. Returns once the server listens, or fails the test."""
    from expectmatrix.serve.app import create_app, server

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = Started(create_app(folder, frozenset({f"127.0.0.1:{port}"}), token, timeout=timeout),
                  started_on)
    # log_config=None: uvicorn's records reach the test's log capture
    running = server(app, "127.0.0.1", port, log_config=None)
    thread = threading.Thread(target=running.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not running.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)  # polls the condition asserted below
    assert running.started, "the server did not start"
    try:
        yield f"http://127.0.0.1:{port}", app, running, thread
    finally:
        running.should_exit = True
        thread.join(30)
        sock.close()


HOST = "127.0.0.1:8750"  # what in-process clients call the app


def app_client(folder: Path, token: str | None = None, host: str = HOST, timeout: float = 120) -> Any:
    """A Starlette test client of the app serving ``folder``, in this process."""
    from starlette.testclient import TestClient

    from expectmatrix.serve.app import create_app

    return TestClient(create_app(folder, frozenset({host}), token, timeout=timeout),
                      base_url=f"http://{host}")


def deals_folder(tmp_path: Path, *files: Path) -> Path:
    """A new folder for the app to serve, with copies of ``files``."""
    folder = tmp_path / "deals"
    folder.mkdir()
    for file in files:
        shutil.copy(file, folder)
    return folder


@contextmanager
def serving(tmp_path: Path, *files: Path, timeout: float = 120) -> Iterator[tuple[str, Path]]:
    """The app on uvicorn serving a new folder with copies of ``files``: its address and
    the folder."""
    folder = deals_folder(tmp_path, *files)
    with live(folder, timeout) as (base, *_):
        yield base, folder


def csrf_token(client: Any, **params: str) -> str:
    """The CSRF token of the app's start page, for a client of ``httpx`` or Starlette;
    ``params``: the page's query (an access token)."""
    found = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/", params=params).text)
    assert found, "the start page carries no CSRF token"
    return found.group(1)


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium: a module's tests share one (a launch costs more than a page),
    each test in a context of its own (cookies, storage and cache of its own)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def browser_page(expected: Callable[[str], bool] = lambda error: False,
                 browser: Any = None, **context: Any) -> Iterator[Any]:
    """A page in a fresh context of ``browser`` (of a Chromium of its own if None). On
    leaving, the test fails if a script raised or the console reported an error (anything
    the page's policy refused among them), except the errors ``expected`` accepts."""
    if browser is None:
        with chromium() as own, browser_page(expected, own, **context) as page:
            yield page
        return
    opened = browser.new_context(viewport={"width": 1400, "height": 1000}, **context)
    try:
        page = opened.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        yield page
    finally:
        opened.close()
    assert [e for e in errors if not expected(e)] == []


def in_thread(fn: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    """Call ``fn`` (a request) on a thread: its answer, or the HTTP error it raised, is
    put in the dict once the thread is joined."""
    import httpx

    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["response"] = fn()
        except httpx.HTTPError as e:
            result["error"] = e

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, result
