"""Templates written by an attacker: nothing runs, nothing but data is read, unbounded work
is refused or stopped by the time limit."""

from __future__ import annotations

import json
import pickle
import time
from pathlib import Path

import pytest
from builders import RunsCode, png, spec_file, template


def test_a_template_cannot_run_code_through_a_model(run, tmp_path):
    marker = tmp_path / "ran"
    payload = pickle.dumps(RunsCode(marker)).hex()
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
    payload = pickle.dumps(RunsCode(marker)).hex()
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
    (tmp_path / "logo.png").write_bytes(png())
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


def test_the_time_limit_stops_a_template_that_loops(run, tmp_path):
    folder = template(tmp_path / "tpl", "{% for i in range(100000) %}{% for j in range(100000) %}"
                      "{% endfor %}{% endfor %}")
    started = time.monotonic()
    # 1 s: the loop burns a core until it is stopped; compiling the templates first, in a
    # fresh worker, takes a tenth of that
    result = run("render", spec_file(tmp_path), "-o", tmp_path / "out", "--timeout", "1",
                 "--template-dir", folder)
    assert result.exit_code == 1 and "rendering took longer than 1 s" in result.stderr
    assert "Traceback" not in result.output
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


def test_in_a_batch_a_slow_item_fails_alone_and_the_manifest_is_written(run, tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    for deal in ("A-1", "SLOW-1", "B-1"):
        spec_file(inp, f"{deal}.json", id=deal)
    folder = template(tmp_path / "tpl", "{% if view.deal_id == 'SLOW-1' %}{% for i in "
                      "range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
                      "{% endif %}{{ super() }}")
    result = run("batch", inp, "-o", tmp_path / "out", "-f", "pdf", "--timeout", "2", "--jobs",
                 "2", "--template-dir", folder)
    assert result.exit_code == 1 and "Traceback" not in result.output
    items = {Path(i["source"]).stem: i for i in
             json.loads((tmp_path / "out" / "manifest.json").read_text())["items"]}
    assert items["SLOW-1"]["status"] == "failed" and "2 s" in items["SLOW-1"]["error"]
    assert items["A-1"]["status"] == items["B-1"]["status"] == "ok"
    assert sorted(p.name for p in (tmp_path / "out").glob("*.pdf")) == ["A-1-v1.pdf", "B-1-v1.pdf"]
