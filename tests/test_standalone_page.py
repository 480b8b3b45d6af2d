"""The standalone HTML page: markup that would fetch is refused, and a browser opening the
page fetches nothing."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from builders import png, spec_file, template


@pytest.mark.parametrize("markup", [
    "<style>body { background: u\\72l(http://127.0.0.1:9/a.png) }</style>",
    "<style>@\\69mport url(http://127.0.0.1:9/a.css);</style>",
    "<style>body { background: image-set('http://127.0.0.1:9/a.png' 1x) }</style>",
    "<style>@font-face { font-family: X; src: u\\72l(http://127.0.0.1:9/f.woff) }</style>",
    "<p style=\"background: u\\72l(//127.0.0.1:9/a.png)\">x</p>",
    "<link rel=stylesheet href=\"data:text/css,body{background:url(http://127.0.0.1:9/a)}\">",
    "<iframe srcdoc=\"<img src=http://127.0.0.1:9/a.png>\"></iframe>",
    "<iframe src=\"data:text/html,<img src=http://127.0.0.1:9/a.png>\"></iframe>",
    "<object data=\"data:text/html,<img src=http://127.0.0.1:9/a.png>\"></object>",
    "<meta http-equiv=refresh content=\"0;url=http://127.0.0.1:9/\">",
    "<svg><image href=\"http://127.0.0.1:9/a.png\"/></svg>",
    "<img src=x onerror=\"fetch('http://127.0.0.1:9/')\">",
    "<base href=\"http://127.0.0.1:9/\">",
    "<a href=\"javascript:fetch('http://127.0.0.1:9/')\">x</a>",
    "<img src=\"&#104;ttp://127.0.0.1:9/a.png\">",
])
def test_the_standalone_page_refuses_what_would_fetch(run, tmp_path, markup):
    folder = template(tmp_path / "tpl", markup + "{{ super() }}")
    out = tmp_path / "out"
    # --timeout 0: made in this process; the refusal is the page's, not the worker's
    result = run("render", spec_file(tmp_path), "-o", out, "-f", "html", "--template-dir", folder,
                 "--timeout", "0")
    assert result.exit_code == 1, markup
    assert not out.exists() or not list(out.iterdir())


def _browser() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        for folder in os.environ.get("PATH", "").split(os.pathsep):
            if os.access(os.path.join(folder, name), os.X_OK):
                return os.path.join(folder, name)
    return None


def _open_in_browser(page: bytes, tmp_path: Path) -> list[str]:
    """Serve ``page`` on loopback, open it in headless Chromium, and return every other
    path the browser asked the server for."""
    import http.server
    import threading

    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/page.html":
                body, kind = page, "text/html; charset=utf-8"
            elif self.path == "/favicon.ico":  # the browser's own, not the page's
                body, kind = b"", "image/x-icon"
            else:
                seen.append(self.path)
                body, kind = b"", "text/plain"
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        subprocess.run([_browser(), "--headless", "--no-sandbox", "--disable-gpu",
                        "--disable-quic", "--no-first-run", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync",
                        f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=3000",
                        "--dump-dom", f"http://127.0.0.1:{server.server_port}/page.html"],
                       capture_output=True, timeout=120, check=False)
    finally:
        server.shutdown()
    return seen


@pytest.mark.skipif(_browser() is None and not os.environ.get("CI"),
                    reason="needs Chromium (.ci/run installs it; under CI this test runs)")
def test_a_browser_opening_the_page_fetches_nothing(run, tmp_path):
    (tmp_path / "logo.png").write_bytes(png())
    spec = spec_file(tmp_path)
    data = json.loads(spec.read_text())
    data["branding"] = {"logo": "logo.png"}
    spec.write_text(json.dumps(data))
    assert run("render", spec, "-o", tmp_path / "out", "-f", "html", "--timeout", "0").exit_code == 0
    page = (tmp_path / "out" / "T-1-v1.html").read_bytes()
    assert _open_in_browser(page, tmp_path) == []
    # What got past every check would still be stopped by the page's policy...
    beacon = b'<img src="/beacon.png"><link rel=stylesheet href="/beacon.css"></body>'
    assert _open_in_browser(page.replace(b"</body>", beacon), tmp_path) == []
    # ...and without the policy the browser does fetch it: the test can see a fetch.
    open_page = page.replace(b'http-equiv="Content-Security-Policy"', b'name="x"')
    assert sorted(_open_in_browser(open_page.replace(b"</body>", beacon), tmp_path)) == [
        "/beacon.css", "/beacon.png"]
