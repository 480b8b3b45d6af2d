"""The command line through click's CliRunner: output streams, JSON and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import SAMPLES

BAD_INPUTS = {
    "malformed.yaml": b"deal:\n  id: [oops\n",
    "syntax.json": b'{"deal": }',
    "wrong-type.yaml": b"deal: 42\n",
    "empty.yaml": b"",
    "list.yaml": b"- 1\n- 2\n",
    "latin1.yaml": "deal:\n  title: Caf\xe9\n".encode("latin-1"),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_exits_1_and_writes_nothing(run, tmp_path, name):
    spec = tmp_path / name
    spec.write_bytes(BAD_INPUTS[name])
    out = tmp_path / "out"
    result = run("render", spec, "-o", out)
    assert result.exit_code == 1
    assert str(spec) in result.stderr and result.stdout == ""
    assert not out.exists() or not any(out.iterdir())
    assert run("validate", spec).exit_code == 1


def test_unbalanced_spec_writes_nothing(run, write_spec, spec_data, tmp_path):
    spec_data["expectations"]["of_vendor"].pop()
    out = tmp_path / "out"
    result = run("render", write_spec(spec_data), "-o", out)
    assert result.exit_code == 1
    assert "unbalanced: 1 of vendor, 2 of customer" in result.stderr
    assert "nothing written" in result.stderr
    assert not out.exists()


def test_render_writes_named_files(run, tmp_path):
    result = run("render", SAMPLES / "minimal.yaml", "-o", tmp_path, "-f", "pdf", "-f", "html")
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["MIN-1-v1.html", "MIN-1-v1.pdf"]
    assert f"wrote {tmp_path / 'MIN-1-v1.pdf'}" in result.stdout


def test_render_default_formats_and_json(run, tmp_path):
    result = run("render", SAMPLES / "minimal.yaml", "-o", tmp_path, "--json")
    data = json.loads(result.stdout)
    assert result.exit_code == 0 and data["ok"] is True
    assert [p.rsplit(".", 1)[1] for p in data["outputs"]] == ["pdf", "docx"]
    assert len(data["fingerprint"]) == 64


def test_warnings_pass_unless_strict(run, tmp_path):
    sample = SAMPLES / "small-bakery.yaml"
    ok = run("validate", sample)
    assert ok.exit_code == 0 and "warning" in ok.stderr and "ok:" in ok.stdout
    strict = run("render", sample, "-o", tmp_path, "--strict")
    assert strict.exit_code == 1 and list(tmp_path.iterdir()) == []


def test_validate_json_lists_located_findings(run, write_spec):
    path = write_spec("deal:\n  id: X\n  titel: y\n")
    result = run("validate", "--json", path)
    assert result.exit_code == 1
    [report] = json.loads(result.stdout)
    assert report["ok"] is False
    unknown = next(f for f in report["findings"] if f["code"] == "unknown-field")
    assert unknown == {"code": "unknown-field", "severity": "error", "path": "deal.titel",
                       "file": str(path), "line": 3, "column": 3,
                       "message": "unknown field 'titel'; did you mean 'title'?"}


def test_validate_several_files(run, write_spec):
    bad = write_spec("deal: 1\n", "bad.yaml")
    result = run("validate", SAMPLES / "minimal.yaml", bad)
    assert result.exit_code == 1
    assert "ok: " in result.stdout and "bad.yaml:1:7 deal:" in result.stderr


def test_usage_errors_exit_2(run, tmp_path):
    assert run("render", tmp_path / "missing.yaml").exit_code == 2
    assert run("validate", "--nope", SAMPLES / "minimal.yaml").exit_code == 2
    assert run("render", SAMPLES / "minimal.yaml", "-f", "odt").exit_code == 2
    assert run("bogus").exit_code == 2


def test_output_folder_that_cannot_be_written(run, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run("render", SAMPLES / "minimal.yaml", "-o", blocker / "sub")
    assert result.exit_code == 1 and result.stderr.startswith("error: ")
    assert "Not a directory" in result.stderr


def test_schema_is_generated_from_the_models(run, tmp_path):
    result = run("schema")
    schema = json.loads(result.stdout)
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"deal", "parties", "expectations"}
    expectation = schema["$defs"]["Expectation"]
    assert set(expectation["required"]) == {"id"}  # area and text may come from a clause
    assert "unless `clause` is given" in expectation["properties"]["text"]["description"]
    assert run("schema", "-o", tmp_path / "s.json").exit_code == 0
    assert json.loads((tmp_path / "s.json").read_text()) == schema


def test_python_m_expectmatrix_answers_its_version():
    version = subprocess.run([sys.executable, "-m", "expectmatrix", "--version"],
                             capture_output=True, text=True)
    assert version.returncode == 0 and "expectmatrix" in version.stdout


def test_the_validate_command_ends_quickly_with_its_output_and_exit_code(tmp_path, write_spec):
    """The command skips the interpreter's teardown after validate: nothing may be lost."""
    good = SAMPLES / "large-hospital.yaml"
    bad = write_spec({"deal": {"id": "X"}}, "bad.yaml")
    out = tmp_path / "out.txt"
    with out.open("w") as f:  # a file, so stdout is block-buffered
        ok = subprocess.run([sys.executable, "-m", "expectmatrix", "validate", str(good), "--json"],
                            stdout=f, stderr=subprocess.PIPE, text=True)
    assert ok.returncode == 0
    assert json.loads(out.read_text())[0]["ok"] is True
    failed = subprocess.run([sys.executable, "-m", "expectmatrix", "validate", str(bad)],
                            capture_output=True, text=True)
    assert failed.returncode == 1 and f"{bad}:" in failed.stderr and not failed.stdout
