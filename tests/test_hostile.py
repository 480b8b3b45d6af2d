"""The hostile-input corpus: templates, specs, CSV exports and documents written by an
attacker. Each test asserts the outcome: refused with a clear error, bounded, nothing
written, nothing run, nothing fetched."""

from __future__ import annotations

import copy
import io
import json
import os
import pickle
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from conftest import BASE, SAMPLES

from expectmatrix.batch.runner import run_batch
from expectmatrix.errors import OutputError
from expectmatrix.writing import folder_lock, write_documents

CLI = [sys.executable, "-m", "expectmatrix"]


def spec_file(folder: Path, name: str = "deal.json", **deal: object) -> Path:
    data = copy.deepcopy(BASE)
    data["deal"].update(deal)
    data["readiness"] = [{"question": "Admin time?", "answer": "yes"}]
    path = folder / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def template(folder: Path, body: str, block: str = "header") -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "matrix.html").write_text('{% extends "builtin/matrix.html" %}'
                                        f"{{% block {block} %}}{body}{{% endblock %}}")
    return folder


def cli(*args: object, timeout: float = 120, **kwargs: object) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True,
                            timeout=timeout, **kwargs)  # type: ignore[call-overload]
    assert "Traceback" not in result.stderr, result.stderr
    return result


class _RunsCode:
    """A pickle that, when loaded, creates a marker file (as `id` would run)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, ...]:
        return (Path.touch, (self.marker,))


# --- templates that try to leave the sandbox ------------------------------------------


def test_a_template_cannot_run_code_through_a_model(run, tmp_path):
    marker = tmp_path / "ran"
    payload = pickle.dumps(_RunsCode(marker)).hex()
    folder = template(tmp_path / "tpl",
                      "{% set _ = view.readiness[0].parse_raw('" + payload + "', proto='pickle', "
                      "allow_pickle=True) %}{{ super() }}")
    spec = spec_file(tmp_path)
    out = tmp_path / "out"
    result = run("render", spec, "-o", out, "--template-dir", folder)
    assert result.exit_code == 1 and "has no attribute 'parse_raw'" in result.stderr
    batch = run("batch", spec, "-o", tmp_path / "batch", "--template-dir", folder)
    assert batch.exit_code == 1
    assert not marker.exists() and not out.exists()
    assert not list((tmp_path / "batch").glob("*.pdf"))


def test_verify_with_a_hostile_template_runs_nothing(run, tmp_path):
    marker = tmp_path / "ran"
    spec = spec_file(tmp_path)
    assert run("render", spec, "-o", tmp_path / "out").exit_code == 0
    payload = pickle.dumps(_RunsCode(marker)).hex()
    folder = template(tmp_path / "tpl", "{{ view.readiness[0].parse_raw('" + payload
                      + "', proto='pickle', allow_pickle=True) }}")
    result = run("verify", tmp_path / "out" / "T-1-v1.pdf", "--template-dir", folder)
    assert result.exit_code == 1 and not marker.exists()


@pytest.mark.parametrize("expression", [
    "view.look.logo.path.parent.joinpath('/etc/passwd').read_text()",
    "view.look.logo.path.write_text('owned')",
    "view.created.strftime('%Y')",
    "view.title.upper()",
    "view.__class__",
    "view.items()",
    "view.labels.months.__class__.__mro__",
    "cycler.__init__.__globals__",
    "''.__class__.__mro__[1].__subclasses__()",
    "lipsum(n=100000)",
    "range.__self__",
])
def test_templates_read_data_and_nothing_else(run, tmp_path, expression):
    (tmp_path / "logo.png").write_bytes(_png())
    spec = spec_file(tmp_path)
    data = json.loads(spec.read_text())
    data["branding"] = {"logo": "logo.png"}
    spec.write_text(json.dumps(data))
    folder = template(tmp_path / "tpl", "<p>{{ " + expression + " }}</p>")
    out = tmp_path / "out"
    result = run("render", spec, "-o", out, "-f", "pdf", "-f", "html", "--template-dir", folder)
    assert result.exit_code == 1, result.stdout
    assert "root:" not in result.stderr and not out.exists()


@pytest.mark.parametrize("expression, words", [
    ("(9**(9**9)) % 7", "too large a number"),
    ("'x' * 10**9", "too large"),
    ("[1] * 10**8", "too large"),
    ("'%999999999d' % 1", "printf-style formatting"),
])
def test_unbounded_operations_are_refused_at_once(run, tmp_path, expression, words):
    folder = template(tmp_path / "tpl", "{{ " + expression + " }}")
    started = time.monotonic()
    result = run("render", spec_file(tmp_path), "-o", tmp_path / "out", "--timeout", "5",
                 "--template-dir", folder)
    assert result.exit_code == 1 and words in result.stderr, result.stderr
    assert time.monotonic() - started < 60


def test_a_doubling_text_stops_at_the_bound(run, tmp_path):
    folder = template(tmp_path / "tpl", "{% set ns = namespace(s='xxxxxxxxxx') %}"
                      "{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}"
                      "{{ ns.s | length }}")
    result = run("render", spec_file(tmp_path), "-o", tmp_path / "out", "--template-dir", folder)
    assert result.exit_code == 1 and "too large for a template" in result.stderr


def test_the_time_limit_stops_a_template_that_loops(tmp_path):
    folder = template(tmp_path / "tpl", "{% for i in range(100000) %}{% for j in range(100000) %}"
                      "{% endfor %}{% endfor %}")
    started = time.monotonic()
    result = cli("render", spec_file(tmp_path), "-o", tmp_path / "out", "--timeout", "2",
                 "--template-dir", folder)
    assert result.returncode == 1 and "took longer than 2 s" in result.stderr
    assert time.monotonic() - started < 60 and not (tmp_path / "out").exists()


def test_a_job_that_ignores_its_alarm_is_killed(tmp_path):
    from slowjob import init, stuck

    from expectmatrix.errors import WorkerFailed
    from expectmatrix.render.workers import ProcessExecutor

    started = time.monotonic()
    with ProcessExecutor(1, init, (), timeout=1) as executor:
        first, second = executor.submit(stuck, "stuck"), executor.submit(stuck, "quick")
        assert isinstance(first.exception(), WorkerFailed)
        assert "stopped after 1 s" in str(first.exception())
        assert second.result() == "quick done"  # a fresh worker took the next job
    assert time.monotonic() - started < 30


def test_in_a_batch_a_slow_item_fails_alone_and_the_manifest_is_written(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    for deal in ("A-1", "SLOW-1", "B-1"):
        spec_file(inp, f"{deal}.json", id=deal)
    folder = template(tmp_path / "tpl", "{% if view.deal_id == 'SLOW-1' %}{% for i in "
                      "range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
                      "{% endif %}{{ super() }}")
    result = cli("batch", inp, "-o", tmp_path / "out", "-f", "pdf", "--timeout", "2", "--jobs",
                 "2", "--template-dir", folder)
    assert result.returncode == 1
    items = {Path(i["source"]).stem: i for i in
             json.loads((tmp_path / "out" / "manifest.json").read_text())["items"]}
    assert items["SLOW-1"]["status"] == "failed" and "2 s" in items["SLOW-1"]["error"]
    assert items["A-1"]["status"] == items["B-1"]["status"] == "ok"
    assert sorted(p.name for p in (tmp_path / "out").glob("*.pdf")) == ["A-1-v1.pdf", "B-1-v1.pdf"]


# --- the standalone page ------------------------------------------------------------------


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
    result = run("render", spec_file(tmp_path), "-o", out, "-f", "html", "--template-dir", folder)
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
    (tmp_path / "logo.png").write_bytes(_png())
    spec = spec_file(tmp_path)
    data = json.loads(spec.read_text())
    data["branding"] = {"logo": "logo.png"}
    spec.write_text(json.dumps(data))
    assert run("render", spec, "-o", tmp_path / "out", "-f", "html").exit_code == 0
    page = (tmp_path / "out" / "T-1-v1.html").read_bytes()
    assert _open_in_browser(page, tmp_path) == []
    # What got past every check would still be stopped by the page's policy...
    beacon = b'<img src="/beacon.png"><link rel=stylesheet href="/beacon.css"></body>'
    assert _open_in_browser(page.replace(b"</body>", beacon), tmp_path) == []
    # ...and without the policy the browser does fetch it: the test can see a fetch.
    open_page = page.replace(b'http-equiv="Content-Security-Policy"', b'name="x"')
    assert sorted(_open_in_browser(open_page.replace(b"</body>", beacon), tmp_path)) == [
        "/beacon.css", "/beacon.png"]


# --- inputs that are not what they claim ----------------------------------------------------


def test_a_fifo_as_spec_is_refused_without_waiting(tmp_path):
    fifo = tmp_path / "deal.yaml"
    os.mkfifo(fifo)
    for command in (["validate", fifo], ["render", fifo, "-o", tmp_path / "out"]):
        result = cli(*command, timeout=60)
        assert result.returncode == 1 and "a pipe (FIFO)" in result.stderr
    spec_file(tmp_path, "good.json")
    batch = cli("batch", fifo, tmp_path / "good.json", "-o", tmp_path / "b", "-f", "docx",
                timeout=120)
    assert batch.returncode == 1 and (tmp_path / "b" / "T-1-v1.docx").exists()


def test_a_device_as_spec_is_refused(tmp_path):
    result = cli("validate", "/dev/zero", timeout=60)
    assert result.returncode == 1 and "a device" in result.stderr


def test_a_sparse_giant_font_is_not_read(run, tmp_path):
    font = tmp_path / "huge.ttf"
    with open(font, "wb") as f:
        f.truncate(3_000_000_000)
    spec = spec_file(tmp_path)
    data = json.loads(spec.read_text())
    data["branding"] = {"font": "huge.ttf"}
    spec.write_text(json.dumps(data))
    result = run("validate", spec)
    assert result.exit_code == 1 and "3,000.0 MB; at most 30.0 MB" in result.stderr


def _zip_bomb(path: Path, size: int = 300_000_000) -> None:
    import docx

    buffer = io.BytesIO()
    docx.Document().save(buffer)
    with zipfile.ZipFile(buffer.getvalue() and io.BytesIO(buffer.getvalue())) as src, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            out.writestr(info, src.read(info.filename))
        with out.open("word/media/image1.png", "w", force_zip64=True) as member:
            chunk = b"\0" * 1_000_000
            for _ in range(size // len(chunk)):
                member.write(chunk)


def test_a_zip_bomb_letterhead_is_refused_before_it_unpacks(run, tmp_path):
    bomb = tmp_path / "letterhead.docx"
    _zip_bomb(bomb)
    assert bomb.stat().st_size < 2_000_000
    result = run("render", spec_file(tmp_path), "-o", tmp_path / "out", "--docx-base", bomb)
    assert result.exit_code == 1 and "word/media/image1.png" in result.stderr
    assert "at most 50.0 MB a part" in result.stderr and not (tmp_path / "out").exists()


def test_a_zip_bomb_document_is_refused_by_verify(run, tmp_path):
    bomb = tmp_path / "deal.docx"
    _zip_bomb(bomb)
    result = run("verify", bomb)
    assert result.exit_code == 1 and "at most 50.0 MB a part" in result.stderr


def test_a_csv_index_beyond_the_models_limits_is_refused(tmp_path):
    csv_file = tmp_path / "deals.csv"
    csv_file.write_text("deal.id,parties.customer.name,expectations.of_vendor[999999].text\n"
                        "X-1,Globex LLC,Hello\n")
    result = run_batch([csv_file], tmp_path / "out", ("pdf",), base=SAMPLES / "minimal.yaml",
                       jobs=1)
    [record] = result.records
    assert record.status == "failed"
    assert "at most 500 items in expectations.of_vendor" in record.error


def test_a_csv_base_cell_naming_a_device_fails_that_row(tmp_path):
    csv_file = tmp_path / "deals.csv"
    csv_file.write_text(f"base,deal.id,parties.customer.name\n/dev/zero,X-1,Globex LLC\n"
                        f"{SAMPLES / 'minimal.yaml'},X-2,Globex LLC\n")
    result = run_batch([csv_file], tmp_path / "out", ("docx",), jobs=1)
    statuses = [r.status for r in result.records]
    assert statuses == ["failed", "ok"] and "a device" in result.records[0].error


def test_a_huge_csv_cell_fails_its_row_only(tmp_path):
    csv_file = tmp_path / "deals.csv"
    csv_file.write_text("deal.id,parties.customer.name,deal.title\nX-1,Globex LLC,"
                        + "t" * 200_000 + "\nX-2,Globex LLC,Fine\n")
    result = run_batch([csv_file], tmp_path / "out", ("docx",), base=SAMPLES / "minimal.yaml",
                       jobs=1)
    assert [r.status for r in result.records] == ["failed", "ok"]
    assert "longer than 100,000 characters" in result.records[0].error
    assert result.records[0].error.startswith(f"{csv_file}:2")


# --- outputs as one unit ----------------------------------------------------------------------


def test_a_failed_write_keeps_the_earlier_pair(tmp_path, monkeypatch):
    import tempfile

    (tmp_path / "D-v1.pdf").write_bytes(b"old pdf")
    (tmp_path / "D-v1.docx").write_bytes(b"old docx")
    real = tempfile.mkstemp
    calls = []

    def full_disk(*args: object, **kwargs: object) -> tuple[int, str]:
        calls.append(1)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(tempfile, "mkstemp", full_disk)
    with pytest.raises(OutputError, match="No space left"):
        write_documents(tmp_path, {"D-v1.pdf": b"new pdf", "D-v1.docx": b"new docx"})
    assert (tmp_path / "D-v1.pdf").read_bytes() == b"old pdf"
    assert (tmp_path / "D-v1.docx").read_bytes() == b"old docx"
    assert sorted(os.listdir(tmp_path)) == ["D-v1.docx", "D-v1.pdf"]


def test_a_failed_item_leaves_nothing_in_a_batch(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    for deal in ("A-1", "BAD-1"):
        spec_file(inp, f"{deal}.json", id=deal)
    folder = template(tmp_path / "tpl", "{% if view.deal_id == 'BAD-1' %}{{ view.nope }}"
                      "{% endif %}{{ super() }}")
    result = run_batch([inp], tmp_path / "out", ("docx", "pdf"), jobs=1,
                       options=_options(template_dirs=(folder,)))
    assert [r.status for r in result.records] == ["ok", "failed"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "A-1-v1.docx", "A-1-v1.pdf", "failures.csv", "manifest.json"]


def _options(**changes: object):  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from expectmatrix.render.pipeline import RenderOptions

    return replace(RenderOptions(timeout=60), **changes)


def test_a_second_batch_into_a_folder_in_use_is_refused(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    with folder_lock(out), pytest.raises(OutputError, match="in use by another"):
        run_batch([SAMPLES / "minimal.yaml"], out, ("docx",), jobs=1)
    assert not list(out.iterdir())


def test_a_killed_batch_leaves_nothing_the_next_run_does_not_clean(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / ".manifest.json.abcd1234.tmp").write_text("{")  # as kill -9 leaves it
    (out / ".X-v1.pdf.k2j3h4g5.tmp").write_bytes(b"%PDF")
    result = run_batch([SAMPLES / "minimal.yaml"], out, ("docx",), jobs=1)
    assert result.ok
    assert sorted(p.name for p in out.iterdir()) == ["MIN-1-v1.docx", "failures.csv",
                                                      "manifest.json"]


def test_an_interrupted_resume_keeps_the_earlier_items(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    for i in range(6):
        spec_file(inp, f"s{i}.json", id=f"S-{i}")
    out = tmp_path / "out"
    first = run_batch([inp], out, ("docx",), jobs=1)
    assert first.count("ok") == 6
    # A resume over just one input is a run that ends early, as a killed one would:
    # the manifest still lists the five documents it did not touch.
    run_batch([inp / "s0.json"], out, ("docx",), jobs=1, resume=True)
    items = json.loads((out / "manifest.json").read_text())["items"]
    assert sorted(i["source"] for i in items) == sorted(str(p) for p in inp.iterdir())
    again = run_batch([inp], out, ("docx",), jobs=1, resume=True)
    assert again.count("skipped") == 6 and again.count("ok") == 0


def test_ctrl_c_lets_running_items_finish_and_lists_every_document(tmp_path):
    from slowjob import GATE

    inp, out = tmp_path / "in", tmp_path / "out"
    inp.mkdir()
    for i in range(12):
        spec_file(inp, f"s{i:02}.json", id=f"I-{i:02}")
    gate = tmp_path / "gate"
    env = {**os.environ, GATE: str(gate),
           "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), os.environ["PYTHONPATH"]])}
    code = ("import sys, slowjob; from expectmatrix.cli import main; "
            "sys.argv = ['expectmatrix', 'batch', sys.argv[1], '-o', sys.argv[2], '-f', 'docx', "
            "'--jobs', '2']; slowjob.patch_batch(); main()")
    proc = subprocess.Popen([sys.executable, "-c", code, str(inp), str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True, env=env)
    deadline = time.monotonic() + 120
    # Each render waits at the gate: wait until both workers hold an item.
    while time.monotonic() < deadline and len(list(tmp_path.glob("gate.*"))) < 2:
        time.sleep(0.05)
    assert len(list(tmp_path.glob("gate.*"))) == 2
    os.killpg(proc.pid, 2)  # SIGINT to the whole group, as a terminal's Ctrl-C does
    assert proc.stderr is not None
    heard = []  # the batch says it heard the Ctrl-C before the gate opens
    while not heard or not (heard[-1].startswith(b"interrupted:") or heard[-1] == b""):
        heard.append(proc.stderr.readline())
    assert heard[-1].startswith(b"interrupted:"), heard
    gate.touch()  # let the two held items finish
    _, rest = proc.communicate(timeout=120)
    err = b"".join(heard) + rest
    assert proc.returncode == 130, err.decode()
    assert "interrupted" in err.decode() and "Traceback" not in err.decode()
    data = json.loads((out / "manifest.json").read_text())
    assert data["summary"]["interrupted"] is True
    listed = {o["file"] for i in data["items"] for o in i["outputs"]}
    on_disk = {p.name for p in out.glob("*.docx")}
    assert on_disk == listed and len(on_disk) == 2  # the two in flight, nothing after
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


# --- inputs that lie -------------------------------------------------------------------------


def test_bidi_controls_are_an_error_at_their_line(run, tmp_path):
    spec = tmp_path / "deal.yaml"
    text = (SAMPLES / "minimal.yaml").read_text()
    assert "\n" in text
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if "title:" in line)
    lines[at] = '  title: "Customer pays USD \u202e000,01\u202c per month"'
    spec.write_text("\n".join(lines) + "\n")
    result = run("validate", spec)
    assert result.exit_code == 1
    assert f"{spec}:{at + 1}:" in result.stderr and "U+202E" in result.stderr
    csv_file = tmp_path / "deals.csv"
    csv_file.write_text("deal.id,parties.customer.name,deal.title\n"
                        "X-1,Globex LLC,Pays \u2066USD\u2069 10\n")
    [record] = run_batch([csv_file], tmp_path / "out", ("docx",), base=SAMPLES / "minimal.yaml",
                         jobs=1).records
    assert record.status == "failed" and "U+2066" in record.error
    assert record.error.startswith(f"{csv_file}:2")


def test_a_document_with_two_specs_is_refused(run, tmp_path):
    spec = spec_file(tmp_path)
    assert run("render", spec, "-o", tmp_path).exit_code == 0
    doc = tmp_path / "T-1-v1.docx"
    with zipfile.ZipFile(doc) as z:
        parts = {i.filename: z.read(i.filename) for i in z.infolist()}
    spec_part = next(n for n, d in parts.items() if n.startswith("customXml/item")
                     and b"urn:expectmatrix:spec:1" in d)
    forged = parts[spec_part].replace(b'"title":"Test deal"', b'"title":"Forged"')
    with zipfile.ZipFile(tmp_path / "two.docx", "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
        z.writestr("customXml/item99.xml", forged)
    for command in ("verify", "extract"):
        result = run(command, tmp_path / "two.docx")
        assert result.exit_code == 1 and "carries 2 spec parts" in result.stderr


def test_letterhead_macros_are_left_out_and_said(run, tmp_path):
    import docx

    buffer = io.BytesIO()
    docx.Document().save(buffer)
    letterhead = tmp_path / "letterhead.docx"
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as src, \
            zipfile.ZipFile(letterhead, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "word/_rels/document.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdVba" Type="http:'
                                    b'//schemas.microsoft.com/office/2006/relationships/'
                                    b'vbaProject" Target="vbaProject.bin"/></Relationships>')
            if info.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", b'<Default Extension="bin" ContentType='
                                    b'"application/vnd.ms-office.vbaProject"/></Types>')
            out.writestr(info, data)
        out.writestr("word/vbaProject.bin", b"\xd0\xcf\x11\xe0 macro")
    result = run("render", spec_file(tmp_path), "-o", tmp_path / "out", "-f", "docx",
                 "--docx-base", letterhead)
    assert result.exit_code == 0 and "macro parts were left out" in result.stderr
    with zipfile.ZipFile(tmp_path / "out" / "T-1-v1.docx") as z:
        names = z.namelist()
        assert not [n for n in names if "vba" in n.lower()]
        assert b"vbaProject" not in z.read("word/_rels/document.xml.rels")


# --- no traceback, ever -------------------------------------------------------------------


def _pdf_with_stream(data: bytes, attach_spec: bool) -> bytes:
    """A well-formed PDF whose one page's content inflates to ``data``."""
    import zlib

    stream = zlib.compress(data, 9)
    names = b"/Names<</EmbeddedFiles<</Names[(expectmatrix-spec.json) 5 0 R]>>>>" \
        if attach_spec else b""
    objs = [b"<</Type/Catalog/Pages 2 0 R" + names + b">>",
            b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
            b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Contents 4 0 R>>",
            b"<</Length %d/Filter/FlateDecode>>stream\n" % len(stream) + stream + b"\nendstream",
            b"<</Type/Filespec/F(expectmatrix-spec.json)/EF<</F 6 0 R>>>>",
            b"<</Type/EmbeddedFile/Length 2>>stream\n{}\nendstream"]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for n, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


@pytest.mark.parametrize("attach_spec", [False, True])
def test_a_pdf_whose_stream_inflates_to_a_gigabyte_is_bounded(tmp_path, attach_spec):
    (tmp_path / "big.pdf").write_bytes(_pdf_with_stream(b"0" * 1_000_000_000, attach_spec))
    code = ("import resource, sys\n"
            "resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000))\n"
            "from expectmatrix.cli import main\n"
            "sys.argv = ['expectmatrix', 'verify', *sys.argv[1:]]\nmain()")
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path / "big.pdf")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    if attach_spec:  # read, and found to match nothing expectmatrix would print
        assert "FAIL the embedded spec is valid" in result.stderr
    else:
        assert result.stderr.startswith(f"error: {tmp_path / 'big.pdf'}: carries no expectmatrix")
        # Compared with a spec file, its text is read: within pypdf's bound per stream.
        with_spec = subprocess.run([sys.executable, "-c", code, str(tmp_path / "big.pdf"),
                                    str(SAMPLES / "minimal.yaml")],
                                   capture_output=True, text=True, timeout=300)
        assert with_spec.returncode == 1 and "Traceback" not in with_spec.stderr
        assert "FAIL" in with_spec.stderr


def test_a_docx_with_an_entity_bomb_is_refused(run, tmp_path):
    bomb = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
            + b"".join(b'<!ENTITY %s "&%s;&%s;&%s;&%s;&%s;&%s;&%s;&%s;&%s;&%s;">'
                       % ((chr(98 + i).encode(),) + (chr(97 + i).encode(),) * 10)
                       for i in range(8))
            + b']><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/'
            b'2006/main"><w:body><w:p><w:r><w:t>&i;</w:t></w:r></w:p></w:body></w:document>')
    with zipfile.ZipFile(tmp_path / "bomb.docx", "w") as z:
        z.writestr("word/document.xml", bomb)
    result = run("verify", tmp_path / "bomb.docx")
    assert result.exit_code == 1 and "bomb.docx" in result.stderr


@pytest.mark.parametrize("command", [
    ["render", "{spec}", "-o", "{blocked}"],
    ["schema", "-o", "{blocked}/schema.json"],
    ["extract", "{doc}", "-o", "{blocked}/spec.json"],
    ["init", "--segment", "small", "--vendor", "V", "--customer", "C", "-o", "{blocked}/d.yaml"],
    ["diff", "{spec}", "{spec}", "-f", "docx", "-o", "{blocked}/d.docx"],
    ["templates", "copy", "{blocked}"],
])
def test_an_unwritable_output_is_an_error_not_a_traceback(run, tmp_path, command):
    spec = spec_file(tmp_path)
    assert run("render", spec, "-o", tmp_path, "-f", "docx").exit_code == 0
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    args = [a.format(spec=spec, blocked=blocker / "sub", doc=tmp_path / "T-1-v1.docx")
            for a in command]
    result = run(*args)
    assert result.exit_code == 1 and result.stderr.startswith("error: "), result.stderr
    assert "Not a directory" in result.stderr


def test_running_out_of_memory_is_an_error(run, tmp_path, monkeypatch):
    from expectmatrix.spec import loading

    def exhausted(path: object) -> None:
        raise MemoryError

    monkeypatch.setattr(loading, "load", exhausted)
    result = run("validate", spec_file(tmp_path))
    assert result.exit_code == 1 and "out of memory" in result.stderr


@pytest.mark.parametrize("epoch", ["99999999999999999999", "-5", "soon", "100"])
def test_source_date_epoch_out_of_range_is_an_error(run, tmp_path, monkeypatch, epoch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
    result = run("render", spec_file(tmp_path), "-o", tmp_path / "out", "--timeout", "0")
    assert result.exit_code == 1 and "SOURCE_DATE_EPOCH" in result.stderr
    assert not (tmp_path / "out").exists()


def _png() -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    raw = b"\x00\xff\x00\x00" * 1
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


# --- the agreement frame and the parties' details ----------------------------------------

MARKUP = '<b>{{ 7 * 7 }}</b> {vendor} </span><script>x()</script> \\ "q" ; }'


def test_frame_texts_addresses_and_terms_are_printed_literally(run, tmp_path):
    from conftest import docx_text, pdf_text

    data = copy.deepcopy(BASE)
    data["deal"]["term"] = MARKUP
    data["deal"]["agreement"] = {"title": MARKUP, "reference": "{{ x }}"}
    data["parties"]["vendor"]["address"] = MARKUP + "\nLine two"
    data["parties"]["customer"]["registration"] = MARKUP
    data["frame"] = {"missed": {"text": MARKUP}}
    spec = tmp_path / "deal.json"
    spec.write_text(json.dumps(data))
    out = tmp_path / "out"
    result = run("render", spec, "-o", out, "-f", "pdf", "-f", "docx", "-f", "html")
    assert result.exit_code == 0, result.stderr
    html = (out / "T-1-v1.html").read_text()
    assert "<script>" not in html and "<b>" not in html and "&lt;b&gt;{{ 7 * 7 }}" in html
    [missed] = re.findall(r'class="frame frame-missed">(.*?)</p>', html, re.S)
    assert "{vendor}" in missed and "Vendor Co" not in missed
    for text in (pdf_text((out / "T-1-v1.pdf").read_bytes())[0],
                 docx_text((out / "T-1-v1.docx").read_bytes())[0]):
        flat = "".join(text.split())
        assert "<b>{{7*7}}</b>" in flat and "49" not in re.sub(r"[0-9a-f]{64}", "", flat)
        # {vendor} in the spec's own wording stays as written: only the library's
        # clauses are filled in with the parties' names.
        assert "{vendor}" in flat


def test_a_frame_parameter_value_is_never_read_as_a_placeholder_of_the_spec(tmp_path):
    from expectmatrix.checks import check_loaded
    from expectmatrix.spec.loading import load

    data = copy.deepcopy(BASE)
    data["frame"] = {"missed": {"clause": "missed-expectation",
                                "params": {"answer_days": "{customer}"}}}
    spec = tmp_path / "deal.json"
    spec.write_text(json.dumps(data))
    loaded = check_loaded(load(spec))
    assert loaded.spec is None  # answer_days is a whole number: text is refused
    assert any(f.code == "param-type" and f.path == ("frame", "missed", "params", "answer_days")
               for f in loaded.findings)


def test_bidi_controls_in_the_new_fields_are_refused(run, tmp_path):
    data = copy.deepcopy(BASE)
    data["parties"]["vendor"]["address"] = "Hafenstrasse \u20684\u2069"
    data["frame"] = {"term": {"text": "For \u202e21 months"}}
    spec = tmp_path / "deal.json"
    spec.write_text(json.dumps(data))
    result = run("validate", spec, "--json")
    codes = {(f["path"], f["code"]) for f in json.loads(result.stdout)[0]["findings"]}
    assert result.exit_code == 1
    assert ("parties.vendor.address", "bidi-control") in codes
    assert ("frame.term.text", "bidi-control") in codes


def test_a_hostile_company_frame_file_is_read_as_data(run, tmp_path):
    lib = tmp_path / "frame.yaml"
    lib.write_text('frame:\n  - id: own-missed\n    part: missed\n    text:\n'
                   '      en: "Raise it {{ 7 * 7 }} <script>x()</script> within {days} days."\n'
                   '    params: {days: {type: integer, default: 3}}\n'
                   'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
                   'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n')
    (tmp_path / "expectmatrix.toml").write_text('[library]\nclauses = ["frame.yaml"]\n')
    spec = spec_file(tmp_path)
    bad = run("--config", tmp_path / "expectmatrix.toml", "validate", spec)
    assert bad.exit_code == 1 and "frame.yaml" in bad.stderr  # unknown keys a and b, located
    lib.write_text(lib.read_text().split("a: &a")[0])
    data = json.loads(spec.read_text())
    data["frame"] = {"missed": {"clause": "own-missed"}}
    spec.write_text(json.dumps(data))
    out = tmp_path / "out"
    ok = run("--config", tmp_path / "expectmatrix.toml", "render", spec, "-o", out, "-f", "html")
    assert ok.exit_code == 0, ok.stderr
    html = next(out.glob("*.html")).read_text()
    assert "Raise it {{ 7 * 7 }} &lt;script&gt;x()&lt;/script&gt; within 3 days." in html


def test_a_pdf_of_thousands_of_pages_is_refused_before_its_text_is_read(run, tmp_path):
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(2001):
        writer.add_blank_page(10, 10)
    writer.write(tmp_path / "many.pdf")
    result = run("verify", tmp_path / "many.pdf", SAMPLES / "minimal.yaml")
    assert result.exit_code == 1 and "2001 pages" in result.stderr


def test_redlines_keep_hostile_text_as_text(run, tmp_path):
    """Private-use characters are the PDF redline's own marks: a spec's cannot open a
    <del> or <ins>; an author's name cannot break the DOCX's XML."""
    from conftest import pdf_text

    old = SAMPLES / "minimal.yaml"
    text = old.read_text(encoding="utf-8")
    assert "Enable the reporting module for ten named users." in text
    new = tmp_path / "new.yaml"
    new.write_text(text.replace("Enable the reporting module for ten named users.",
                                "Enable \ue000the\ue001 module \ue002<b>now</b>\ue003."),
                   encoding="utf-8")
    out = tmp_path / "r.pdf"
    assert run("diff", old, new, "-f", "pdf", "-o", out).exit_code == 0
    # the summary (which quotes the changed words) and the agreement share the first page
    agreement = pdf_text(out.read_bytes())[0]
    assert agreement.count("<b>now</b>") >= 2
    from expectmatrix.render.view import build_view
    from expectmatrix.review.compare import read_for_compare
    from expectmatrix.review.merged import merged_view

    merged = merged_view(build_view(read_for_compare(old)), build_view(read_for_compare(new)))
    [cell] = [r.vendor for a in merged.areas for r in a.rows if r.vendor and r.vendor.id == "V1"]
    # the spec's own mark characters are gone; the marks left are the merge's
    assert "\ue000the\ue001" not in cell.text and cell.text.startswith("Enable the ")
    assert re.search("\ue002[^\ue003]*<b>now</b>[^\ue003]*\ue003", cell.text)  # inserted
    docx = tmp_path / "r.docx"
    result = run("diff", old, new, "-f", "docx", "-o", docx, "--author", '"><w:t>x</w:t>&')
    assert result.exit_code == 0
    import docx as python_docx

    with zipfile.ZipFile(docx) as z:
        body = z.read("word/document.xml").decode()
    assert 'w:author="&quot;&gt;&lt;w:t&gt;x&lt;/w:t&gt;&amp;"' in body
    python_docx.Document(str(docx))  # well-formed
