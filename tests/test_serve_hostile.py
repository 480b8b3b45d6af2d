"""`expectmatrix serve` under attack: a configured template that loops is stopped at the
time limit and the app keeps serving; slow requests never hold the event loop; SIGTERM
stops the server, a render in flight or not; and every malformed request is refused
with a 4xx and a message, never a traceback."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import SAMPLES, pdf_text
from liveserver import HOST, app_client, csrf_token, deals_folder, in_thread, live

LOOP = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return deals_folder(tmp_path, SAMPLES / "small-bakery.yaml", SAMPLES / "minimal.yaml")


@pytest.fixture
def hostile(folder: Path) -> Path:
    """The folder's settings name a template that loops for deal SLOW-1 (two versions
    of it are in the folder); every other deal renders as usual."""
    tpl = folder / "tpl"
    tpl.mkdir()
    (tpl / "matrix.html").write_text(
        '{% extends "builtin/matrix.html" %}{% block header %}'
        "{% if view.deal_id == 'SLOW-1' %}" + LOOP + "{% endif %}{{ super() }}{% endblock %}")
    (folder / "expectmatrix.toml").write_text('[templates]\ndirs = ["tpl"]\n')
    text = (folder / "minimal.yaml").read_text().replace("id: MIN-1", "id: SLOW-1")
    (folder / "slow.yaml").write_text(text)
    (folder / "slow-v2.yaml").write_text(text.replace("  segment: medium\n",
                                                      "  segment: medium\n  version: 2\n"))
    return folder


@pytest.fixture(autouse=True)
def no_tracebacks(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Whatever a test sends, nothing is logged as an error or with a traceback."""
    yield
    records = [r for phase in ("setup", "call") for r in caplog.get_records(phase)]
    assert [r.getMessage() for r in records if r.levelname in ("ERROR", "CRITICAL")] == []
    assert not any(r.exc_info or "Traceback" in r.getMessage() for r in records)


# --- a configured template that loops ---------------------------------------------------


def test_a_looping_template_is_stopped_and_later_documents_are_made(hostile):
    # A looping document burns a core until the limit: a short one, that a fresh worker's
    # first PDF still fits in, loaded (about 1 s on a busy machine).
    client = app_client(hostile, timeout=3)
    started = time.monotonic()
    slow = client.get("/api/render", params={"format": "pdf", "name": "slow.yaml"})
    assert slow.status_code == 504
    assert slow.json()["error"].startswith("rendering took longer than 3 s and was stopped")
    assert time.monotonic() - started < 60
    # The worker that overran was replaced: the next documents are made as usual.
    download = client.get("/api/render", params={"format": "pdf", "name": "minimal.yaml"})
    assert download.status_code == 200 and "Pilot of the reporting module" in pdf_text(
        download.content)[0]
    csrf = {"X-CSRF-Token": csrf_token(client)}
    slow_text = (hostile / "slow.yaml").read_text()
    preview = client.post("/api/preview?name=slow.yaml", headers=csrf,
                          content=json.dumps({"text": slow_text}))
    assert preview.status_code == 504 and "took longer than 3 s" in preview.json()["error"]
    redline = client.get("/deals/slow-v2.yaml/compare")
    assert redline.status_code == 504 and "took longer than 3 s" in redline.json()["error"]
    # A PDF again, not a preview: a fresh worker's first page embeds subsets of the fonts,
    # which takes it longer than its first PDF, too near this short limit.
    again = client.get("/api/render", params={"format": "pdf", "name": "minimal.yaml"})
    assert again.status_code == 200 and "Pilot of the reporting module" in pdf_text(
        again.content)[0]


def test_while_a_template_loops_the_app_answers_and_downloads(hostile):
    # The loop holds a worker for the limit, which the listing must fit in, and a fresh
    # worker's first DOCX (the looping template has no part in it), loaded.
    with (live(hostile, timeout=3, started_on="name=slow.yaml") as (base, app, _, _),
          httpx.Client(base_url=base, timeout=120) as client):
        thread, slow = in_thread(lambda: client.get(
            "/api/render", params={"format": "pdf", "name": "slow.yaml"}))
        assert app.seen.wait(60), "the slow download never reached the app"
        listing = client.get("/", timeout=30)
        assert listing.status_code == 200 and "slow.yaml" in listing.text
        assert thread.is_alive()  # the looping document is still being made
        other = client.get("/api/render", params={"format": "docx", "name": "minimal.yaml"},
                           timeout=60)
        assert other.status_code == 200 and other.content[:2] == b"PK"
        thread.join(120)
    assert slow["response"].status_code == 504


def test_a_configured_template_folder_does_not_replace_the_apps_pages(hostile):
    (hostile / "tpl" / "serve").mkdir()
    (hostile / "tpl" / "serve" / "deals.html").write_text("OVERRIDDEN")
    listing = app_client(hostile).get("/")
    assert listing.status_code == 200
    assert "OVERRIDDEN" not in listing.text and "Harbour Bakery" in listing.text


# --- the event loop -----------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ["/api/validate", "/api/edit", "/api/render"])
def test_a_slow_check_does_not_hold_other_requests(folder, monkeypatch, endpoint):
    """While a spec is being checked (held at a gate, as a big body's check is held by
    its size), the deals list answers."""
    from expectmatrix import checks

    checking, gate = threading.Event(), threading.Event()
    original = checks.check_loaded

    def held(loaded: Any, *args: Any, **kwargs: Any) -> Any:
        if loaded.file in ("big.yaml", "request"):
            checking.set()
            assert gate.wait(60)
        return original(loaded, *args, **kwargs)

    monkeypatch.setattr(checks, "check_loaded", held)
    text = (folder / "small-bakery.yaml").read_text()
    big = text + "".join(f"# {'x' * 90}\n" for _ in range(19_000))  # 1.9 MB of comments
    with live(folder) as (base, _, _, _), httpx.Client(base_url=base, timeout=120) as client:
        csrf = {"X-CSRF-Token": csrf_token(client)}
        body = json.dumps({"text": big}) if endpoint == "/api/edit" else big
        query = "" if endpoint == "/api/render" else "?name=big.yaml"  # a body, not a file
        thread, slow = in_thread(lambda: client.post(f"{endpoint}{query}",
                                                      content=body.encode(), headers=csrf))
        assert checking.wait(60), "the check never started"
        listing = client.get("/", timeout=30)  # with the loop held, this would time out
        assert listing.status_code == 200 and "Harbour Bakery" in listing.text
        assert thread.is_alive()
        gate.set()
        thread.join(120)
    assert slow["response"].status_code == 200, slow


# --- SIGTERM ------------------------------------------------------------------------------


def test_serve_stops_on_sigterm(folder):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "expectmatrix", "serve", str(folder),
                                "--port", str(port), "--timeout", "60"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        answered = None
        for _ in range(300):
            try:
                answered = httpx.get(base + "/", timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert answered is not None and answered.status_code == 200, "serve did not start"
        process.send_signal(signal.SIGTERM)
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
    _, err = process.communicate()
    # uvicorn shuts down cleanly, then lets the signal end the process, as it would have
    assert process.returncode in (0, -signal.SIGTERM) and "Traceback" not in err, err


def test_a_render_in_flight_does_not_hold_the_shutdown(hostile, monkeypatch):
    """SIGTERM while a looping document is being made: the server stops within seconds,
    and the request's thread is freed (a process ends only when its threads have)."""
    from expectmatrix.serve.rendering import Rendering

    making, made = threading.Event(), threading.Event()
    original = Rendering.document

    def document(self: Any, *args: Any, **kwargs: Any) -> bytes:
        making.set()
        try:
            return original(self, *args, **kwargs)
        finally:
            made.set()

    monkeypatch.setattr(Rendering, "document", document)
    with live(hostile, timeout=60) as (base, _, server, running):
        client = httpx.Client(base_url=base, timeout=120)
        request, answer = in_thread(lambda: client.get("/api/render",
                                                        params={"name": "slow.yaml"}))
        assert making.wait(60), "the slow download never started"
        started = time.monotonic()
        server.handle_exit(signal.SIGTERM, None)  # what uvicorn does on SIGTERM
        running.join(30)
        assert made.wait(30)
        request.join(30)
        stopped = time.monotonic() - started
        client.close()
    assert not running.is_alive()
    assert stopped < 20  # the render's own limit is 60 s
    assert answer["response"].status_code == 503
    assert "shutting down" in answer["response"].json()["error"]


# --- requests that once ended in a traceback ---------------------------------------------


@pytest.mark.parametrize("edit, words", [
    ({"op": "set", "path": "deal.title.x", "value": "a"}, "deal.title holds a value"),
    ({"op": "set", "path": "deal.title[0]", "value": "a"}, "deal.title holds a value"),
    ({"op": "set", "path": "deal[0]", "value": "a"}, "no such field"),
    ({"op": "move", "path": "expectations.of_vendor[0]", "delta": 1.0}, "delta is -1 or 1"),
    ({"op": "move", "path": "expectations.of_vendor[0]", "delta": True}, "delta is -1 or 1"),
    ({"op": "move", "path": "deal.title", "delta": 1}, "is not a row of a list"),
])
def test_an_edit_that_cannot_apply_is_refused(folder, edit, words):
    client = app_client(folder)
    text = (folder / "small-bakery.yaml").read_text()
    answer = client.post("/api/edit?name=small-bakery.yaml", headers={
        "X-CSRF-Token": csrf_token(client)}, content=json.dumps({"text": text, "edit": edit}))
    assert answer.status_code == 400 and words in answer.json()["error"]


@pytest.mark.parametrize("body", [b"[]", b'"text"', b"null", b"1", b"[" * 100_000])
@pytest.mark.parametrize("method, path", [
    ("PUT", "/deals/minimal.yaml"), ("POST", "/new"), ("POST", "/api/edit"),
    ("POST", "/api/preview"), ("POST", "/deals/minimal.yaml/versions")])
def test_a_json_body_that_is_no_object_is_refused(folder, method, path, body):
    client = app_client(folder)
    before = sorted(p.name for p in folder.iterdir())
    answer = client.request(method, path, content=body, headers={"X-CSRF-Token": csrf_token(client)})
    assert answer.status_code == 400
    assert answer.json()["error"] in ("the request is not a JSON object",
                                      "the request is not JSON",
                                      "the request needs the spec's text")
    assert sorted(p.name for p in folder.iterdir()) == before


@pytest.mark.parametrize("form, status, words", [
    ({"id": "NEW-1", "segment": "nope"}, 400, "choose a segment: large, medium, small"),
    ({"id": "NEW-1"}, 400, "choose a segment"),
    ({"segment": "small"}, 400, "the new deal needs an id"),
    ({"id": "NEW-1", "segment": ["small"]}, 400, "the new deal's fields are text"),
])
def test_a_new_deal_that_cannot_be_drafted_is_refused(folder, form, status, words):
    client = app_client(folder)
    answer = client.post("/new", content=json.dumps(form),
                         headers={"X-CSRF-Token": csrf_token(client)})
    assert answer.status_code == status and words in answer.json()["error"]
    assert not (folder / "NEW-1.yaml").exists()


@pytest.mark.parametrize("headers", [
    {"Authorization": "Bearer é".encode()},
    {"Cookie": "expectmatrix-token=é".encode()},
    {"Authorization": "Bearer \u65e5\u672c".encode()},
])
def test_a_token_that_is_not_ascii_is_refused(folder, headers):
    client = app_client(folder, token="the-real-token")
    answer = client.get("/", headers=headers)
    assert answer.status_code == 403 and "access token" in answer.text
    api = client.post("/api/validate", content=b"deal: {}", headers=headers)
    assert api.status_code == 403 and "access token" in api.json()["error"]


def test_a_csrf_header_that_is_not_ascii_is_refused(folder):
    client = app_client(folder)
    answer = client.put("/deals/minimal.yaml", content=b"{}",
                        headers={"X-CSRF-Token": "\u65e5\u672c".encode()})
    assert answer.status_code == 403 and "CSRF token" in answer.json()["error"]


def test_a_content_length_that_is_no_number_is_refused(folder):
    client = app_client(folder)
    request = client.build_request("POST", "/api/validate", content=b"x")
    request.headers["Content-Length"] = "\u00b2"  # a digit to str.isdigit, not to int()
    answer = client.send(request)
    assert answer.status_code == 413 and "limited to" in answer.json()["error"]


def test_a_chunked_body_over_the_limit_is_refused_once(folder):
    """At the ASGI level: the body comes in chunks, with no Content-Length; the app
    answers 413 once, and starts no response before or after."""
    import anyio

    from expectmatrix.serve.app import create_app
    from expectmatrix.serve.guard import MAX_BODY_BYTES

    app = create_app(folder, frozenset({HOST}))
    chunk = b"#" * 65_536
    chunks = [chunk] * (MAX_BODY_BYTES // len(chunk) + 2)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if chunks:
            return {"type": "http.request", "body": chunks.pop(), "more_body": bool(chunks)}
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/api/validate", "query_string": b"",
             "headers": [(b"host", HOST.encode()), (b"transfer-encoding", b"chunked")]}
    anyio.run(app, scope, receive, send)
    starts = [m for m in sent if m["type"] == "http.response.start"]
    assert [m["status"] for m in starts] == [413]
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    assert b"limited to 2000000 bytes" in body


def test_a_chunked_body_over_the_limit_on_a_real_server(folder):
    from expectmatrix.serve.guard import MAX_BODY_BYTES

    def chunks() -> Iterator[bytes]:
        for _ in range(MAX_BODY_BYTES // 65_536 + 2):
            yield b"#" * 65_536

    with live(folder) as (base, _, _, _), httpx.Client(base_url=base, timeout=60) as client:
        answer = client.post("/api/validate", content=chunks())
        assert answer.status_code == 413 and "limited to" in answer.json()["error"]
        assert client.get("/").status_code == 200


def test_a_file_named_in_any_script_downloads_with_its_name(folder):
    text = (folder / "minimal.yaml").read_text()
    (folder / "\u65e5\u672c.yaml").write_text(text.replace(
        "  segment: medium\n", "  segment: medium\n  version: 2\n").replace(
        "Pilot of the reporting module", "Pilot of the planning module"))
    client = app_client(folder)
    made = {}
    for fmt in ("pdf", "docx"):  # a PDF unless asked
        answer = client.get("/deals/%E6%97%A5%E6%9C%AC.yaml/compare",
                            params={"format": fmt} if fmt == "docx" else {})
        assert answer.status_code == 200, answer.text
        disposition = answer.headers["content-disposition"]
        assert f'filename="__-changes.{fmt}"' in disposition
        assert f"filename*=UTF-8''%E6%97%A5%E6%9C%AC-changes.{fmt}" in disposition
        made[fmt] = answer.content
    assert "planning" in pdf_text(made["pdf"])[0]
