"""A worker is kept warm for the next job set up the same way, and only then: a render's
template check and its documents run in one process, a changed template, environment
or failed worker means a fresh one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from builders import spec_file, template
from conftest import pdf_text
from slowjob import fail, init, pid

from expectmatrix.errors import WorkerFailed
from expectmatrix.render.pipeline import RenderOptions, render_file
from expectmatrix.render.workers import run_one


def test_jobs_set_up_alike_share_a_worker_and_others_do_not(monkeypatch):
    first = run_one(init, (), pid, "a", timeout=30)
    assert first != os.getpid()  # a worker, not this process
    assert run_one(init, (), pid, "b", timeout=30) == first
    with pytest.raises(WorkerFailed, match="b is refused"):
        run_one(init, (), fail, "b", timeout=30)  # a job's own error keeps its worker
    assert run_one(init, (), pid, "c", timeout=30) == first
    assert run_one(init, (), pid, "d", timeout=31) != first  # another time limit
    monkeypatch.setenv("EXPECTMATRIX_TEST_REUSE", "changed")
    assert run_one(init, (), pid, "e", timeout=30) != first  # another environment


def test_a_changed_template_is_read_again_by_the_python_api(tmp_path):
    spec = spec_file(tmp_path)
    folder = template(tmp_path / "tpl", "<p>first header</p>{{ super() }}")
    # PDF: a fresh worker makes its first one sooner than its first page (no fonts to cut)
    options = RenderOptions(formats=("pdf",), template_dirs=(folder,), timeout=60)
    out = tmp_path / "out"
    assert render_file(spec, out, options).ok
    assert "first header" in pdf_text((out / "T-1-v1.pdf").read_bytes())[0]
    template(folder, "<p>second header</p>{{ super() }}")
    assert render_file(spec, out, options).ok
    text = pdf_text((out / "T-1-v1.pdf").read_bytes())[0]
    assert "second header" in text and "first header" not in text


def test_a_render_starts_one_worker_for_its_check_and_its_documents(tmp_path, monkeypatch):
    from expectmatrix.render import workers

    started: list[int] = []
    original = workers.ProcessExecutor._start

    def counted(self: workers.ProcessExecutor) -> None:
        original(self)
        started.append(self.workers[-1].process.pid)

    monkeypatch.setattr(workers.ProcessExecutor, "_start", counted)
    monkeypatch.setenv("EXPECTMATRIX_TEST_REUSE", str(tmp_path))  # no worker of earlier tests
    result = render_file(spec_file(tmp_path), tmp_path / "out",
                         RenderOptions(formats=("pdf",), timeout=60))
    assert result.ok and [p.suffix for p in result.outputs] == [".pdf"]
    assert len(started) == 1


def test_a_program_that_used_a_worker_exits_cleanly(tmp_path):
    import subprocess
    import sys

    code = ("import sys; from expectmatrix.render.pipeline import RenderOptions, render_file; "
            "r = render_file(sys.argv[1], sys.argv[2], RenderOptions(formats=('docx',), "
            "timeout=60)); print('ok' if r.ok else 'failed')")
    done = subprocess.run([sys.executable, "-c", code, str(spec_file(tmp_path)),
                           str(tmp_path / "out")], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "ok" and done.stderr == "", done.stderr
    assert Path(tmp_path / "out" / "T-1-v1.docx").exists()
