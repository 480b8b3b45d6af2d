"""One time limit for one document wherever it is made: compiling the templates counts,
and happens in a worker that is killed when it overruns, never in the parent process;
a worker that cannot start fails the render within seconds, with a message."""

from __future__ import annotations

import copy
import functools
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import jinja2
import pytest
from conftest import BASE, docx_text, pdf_text

from expectmatrix.batch.runner import run_batch
from expectmatrix.errors import ExpectmatrixError, WorkerFailed
from expectmatrix.render.pipeline import RenderOptions, check_setup, render_file
from expectmatrix.render.workers import START_ATTEMPTS, ProcessExecutor, run_one

# Jinja folds a filter chain on constants while it compiles the template: each copy
# below builds a 1 MB string and walks it item by item (about 0.15 s, 30 MB at most),
# so 300 copies take far longer to compile than the limits here, using little memory.
# Compiled outside the limit, such a template made its document late and exited 0.
# Nothing but that compilation runs under the limits of 1 s below: short, since each
# compilation stopped burns a core until it is.
SLOW = '{{ "x"' + '|replace("x","xxxxxxxxxx")' * 6 + "|unique|list|length }}"
COPIES = 300


def templates(folder: Path, body: str) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "matrix.html").write_text('{% extends "builtin/matrix.html" %}'
                                        f"{{% block header %}}{body}{{{{ super() }}}}"
                                        "{% endblock %}")
    return folder


def slow_templates(tmp_path: Path) -> Path:
    return templates(tmp_path / "slow", SLOW * COPIES)


def spec_file(folder: Path, deal_id: str = "T-1") -> Path:
    data = copy.deepcopy(BASE)
    data["deal"]["id"] = deal_id
    folder.mkdir(exist_ok=True)
    path = folder / f"{deal_id}.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def documents(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# --- compiling the templates counts --------------------------------------------------


def test_render_stops_a_template_that_is_slow_to_compile(run, tmp_path):
    out = tmp_path / "out"
    started = time.monotonic()
    result = run("render", spec_file(tmp_path), "-o", out, "-f", "pdf", "--timeout", "1",
                 "--template-dir", slow_templates(tmp_path))
    assert time.monotonic() - started < 20
    assert result.exit_code == 1, result.stdout
    assert "took longer than 1 s and was stopped" in result.stderr, result.stderr
    assert "Traceback" not in result.output
    assert documents(out) == []


def test_batch_stops_a_template_that_is_slow_to_compile_once(run, tmp_path):
    inputs = tmp_path / "in"
    for deal in ("A-1", "B-1", "C-1"):
        spec_file(inputs, deal)
    out = tmp_path / "out"
    started = time.monotonic()
    result = run("batch", inputs, "-o", out, "-f", "pdf", "--timeout", "1", "--jobs", "2",
                 "--template-dir", slow_templates(tmp_path))
    assert time.monotonic() - started < 20
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stderr.count("preparing the templates took longer than 1 s") == 1, \
        result.stderr
    assert documents(out) == []  # no document, no manifest: the batch failed up front


def test_the_python_api_with_a_timeout_stops_a_slow_compilation(tmp_path):
    out = tmp_path / "out"
    options = RenderOptions(formats=("pdf",), template_dirs=(slow_templates(tmp_path),),
                            timeout=1)
    started = time.monotonic()
    with pytest.raises(ExpectmatrixError, match="took longer than 1 s"):
        render_file(spec_file(tmp_path), out, options)
    assert time.monotonic() - started < 20
    assert documents(out) == []
    with pytest.raises(ExpectmatrixError, match="preparing the templates took longer than 1 s"):
        check_setup(options)
    assert time.monotonic() - started < 40


def test_a_compilation_that_ignores_its_alarm_is_killed(tmp_path):
    """The limit holds by killing the worker, not only by the alarm (which cannot stop
    one long C-level step): here the workers block the alarm outright."""
    out = tmp_path / "out"
    options = RenderOptions(formats=("pdf",), template_dirs=(slow_templates(tmp_path),),
                            timeout=1)
    no_alarm = functools.partial(signal.pthread_sigmask, signal.SIG_BLOCK, {signal.SIGALRM})
    started = time.monotonic()
    with pytest.raises(ExpectmatrixError, match=r"stopped after 1 s.*slow to compile"):
        run_batch([spec_file(tmp_path)], out, options=options, jobs=1, worker_hook=no_alarm)
    assert time.monotonic() - started < 20
    assert documents(out) == []


@pytest.mark.parametrize("how", ["render", "batch"])
def test_this_process_never_compiles_a_user_template(tmp_path, monkeypatch, how):
    """With a time limit, templates are compiled in the workers only: here compiling
    fails in this process, and the documents are made all the same."""
    folder = templates(tmp_path / "tpl", "<p>Made by the user template</p>")

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a template was compiled outside a worker")

    monkeypatch.setattr(jinja2.Environment, "compile", refuse)
    options = RenderOptions(formats=("pdf",), template_dirs=(folder,), timeout=60)
    out = tmp_path / "out"
    if how == "render":
        result = render_file(spec_file(tmp_path), out, options)
        assert result.ok, result.findings
    else:
        batch = run_batch([spec_file(tmp_path)], out, options=options, jobs=1)
        assert batch.ok and batch.documents == 1, [r.error for r in batch.records]
    text, _ = pdf_text((out / "T-1-v1.pdf").read_bytes())
    assert "Made by the user template" in text


def test_a_broken_template_still_fails_the_batch_once_with_its_line(run, tmp_path):
    folder = templates(tmp_path / "tpl", "{% if %}")
    inputs = tmp_path / "in"
    for deal in ("A-1", "B-1"):
        spec_file(inputs, deal)
    result = run("batch", inputs, "-o", tmp_path / "out", "-f", "pdf", "--timeout", "30",
                 "--template-dir", folder)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "matrix.html:1: template syntax error" in result.stderr, result.stderr
    assert result.stderr.count("template syntax error") == 1
    assert documents(tmp_path / "out") == []


# --- workers that cannot start --------------------------------------------------------


def test_workers_that_die_at_start_are_not_restarted_forever():
    started = time.monotonic()
    executor = ProcessExecutor(1, functools.partial(os._exit, 3), (), timeout=5)
    with executor:
        futures = [executor.submit(str, "a"), executor.submit(str, "b")]
        failures = [f.exception() for f in futures]
        with pytest.raises(WorkerFailed, match="could not start"):
            executor.submit(str, "c")  # and every later job, at once
    assert time.monotonic() - started < 30
    assert executor.failed_starts == START_ATTEMPTS and executor.workers == []
    assert all(isinstance(f, WorkerFailed) for f in failures)
    assert str(failures[0]) == str(failures[1])
    message = str(failures[0])
    assert "could not start a worker process" in message and "exited with code 3" in message
    assert "timeout=None" in message and "--timeout 0" in message
    with pytest.raises(WorkerFailed, match="could not start a worker process"):
        run_one(functools.partial(os._exit, 3), (), str, "a", timeout=5)


RENDER_SCRIPT = """\
import sys
from expectmatrix.render.pipeline import RenderOptions, render_file
from expectmatrix.errors import ExpectmatrixError

try:
    result = render_file({spec!r}, {out!r}, RenderOptions(formats=("docx",), timeout={timeout}))
except ExpectmatrixError as e:
    print(f"error: {{e}}", file=sys.stderr)
    sys.exit(1)
print("ok" if result.ok else "failed")
"""


def _script(tmp_path: Path, timeout: float | None) -> str:
    return RENDER_SCRIPT.format(spec=str(spec_file(tmp_path)), out=str(tmp_path / "out"),
                                timeout=timeout)


def test_a_program_read_from_standard_input_gets_a_message_at_once(tmp_path):
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-"], input=_script(tmp_path, 5), cwd=tmp_path,
                            capture_output=True, text=True, timeout=120, check=False)
    assert time.monotonic() - started < 30
    assert result.returncode == 1
    assert "could not start a worker process" in result.stderr, result.stderr
    assert "save it as a file" in result.stderr and "timeout=None" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1
    assert documents(tmp_path / "out") == []
    # As the message says: without a time limit the same program renders.
    result = subprocess.run([sys.executable, "-"], input=_script(tmp_path, None),
                            cwd=tmp_path, capture_output=True, text=True, timeout=120,
                            check=False)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr
    text, _ = docx_text((tmp_path / "out" / "T-1-v1.docx").read_bytes())
    assert "Customer Co" in text


def test_a_program_whose_workers_die_at_start_gives_up_within_seconds(tmp_path):
    """A script that renders at module level: each spawned worker imports it again, tries
    to start workers of its own while starting, and dies."""
    script = tmp_path / "unguarded.py"
    script.write_text(_script(tmp_path, 5))
    started = time.monotonic()
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                            text=True, timeout=120, check=False)
    assert time.monotonic() - started < 30
    assert result.returncode == 1
    assert f"{START_ATTEMPTS} in a row stopped before they were ready" in result.stderr
    assert '__name__ == "__main__"' in result.stderr
    # each failed start may print its own error; there are only a few of them
    assert result.stderr.count("Traceback") <= START_ATTEMPTS, result.stderr
    assert documents(tmp_path / "out") == []


def test_the_same_script_under_a_main_guard_renders(tmp_path):
    code = textwrap.indent(_script(tmp_path, 30), "    ")
    script = tmp_path / "guarded.py"
    script.write_text(f'if __name__ == "__main__":\n{code}')
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr
    text, _ = docx_text((tmp_path / "out" / "T-1-v1.docx").read_bytes())
    assert "Customer Co" in text
