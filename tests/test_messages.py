"""Messages and help a new user reads: what a wrong file is, what a missing passphrase
needs, usage errors exit 2, a tamper report quoted with its spaces, a closed pipe is no
error, no warning of a dependency on the terminal, and help that fits its command."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

import click
import pytest
from conftest import ROOT, SAMPLES
from test_signing import _ca, approved_spec


def cli(*args: object, env: dict[str, str] | None = None, **kwargs: object
        ) -> subprocess.CompletedProcess[str]:
    """The command line as a person runs it, in its own process, with no terminal."""
    clean = {k: v for k, v in os.environ.items()
             if k not in ("EXPECTMATRIX_P12_PASSPHRASE", "PYTHONWARNINGS")}
    return subprocess.run([sys.executable, "-m", "expectmatrix", *map(str, args)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300,
                          stdin=subprocess.DEVNULL, env={**clean, **(env or {})},
                          **kwargs)  # type: ignore[call-overload]


@pytest.fixture(scope="module")
def documents(tmp_path_factory, render_cache):
    made = render_cache.files(SAMPLES / "large-hospital.yaml", tmp_path_factory.mktemp("documents"))
    return made["pdf"], made["docx"]


def test_a_document_given_for_a_spec_is_named_for_what_it_is(run, documents, tmp_path):
    pdf, docx = documents
    result = run("render", pdf, "-o", tmp_path / "out")
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert "this is a PDF document, not a spec; give the spec (YAML or JSON)" in result.stderr
    assert "expectmatrix extract" in result.stderr and "UTF-8" not in result.stderr
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())
    result = run("validate", docx)
    assert result.exit_code == 1 and "this is a Word document (DOCX), not a spec" in result.stderr
    workbook = tmp_path / "deals.csv"  # a document saved under a .csv name
    workbook.write_bytes(docx.read_bytes())
    result = run("batch", workbook, "-o", tmp_path / "batch")
    assert result.exit_code == 1
    assert ("this is a Word document (DOCX), not a CSV export; give the CSV export (saved as "
            "CSV UTF-8)") in result.stderr
    utf16 = tmp_path / "deal.yaml"
    utf16.write_bytes(SAMPLES.joinpath("minimal.yaml").read_text().encode("utf-16"))
    result = run("validate", utf16)
    assert result.exit_code == 1 and "saved as UTF-16 text; save it as UTF-8" in result.stderr


def test_sign_without_a_passphrase_or_a_terminal_says_what_it_needs(run, documents, tmp_path,
                                                                    monkeypatch):
    pdf, _ = documents
    _, p12 = _ca(tmp_path, "acme")
    out = tmp_path / "signed.pdf"
    result = cli("sign", pdf, "-o", out, "--p12", p12)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert ("the certificate is protected by a passphrase and none was given; set it in "
            "EXPECTMATRIX_P12_PASSPHRASE") in result.stderr
    assert "wrong passphrase" not in result.stderr and not out.exists()
    # what the messages say of a wrong passphrase and of a file that is no certificate
    # needs no process of its own
    monkeypatch.setenv("EXPECTMATRIX_P12_PASSPHRASE", "no")
    result = run("sign", pdf, "-o", out, "--p12", p12)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "the passphrase given does not open the certificate" in result.stderr
    monkeypatch.delenv("EXPECTMATRIX_P12_PASSPHRASE")
    fake = tmp_path / "fake.p12"
    fake.write_bytes(b"not a certificate")
    result = run("sign", pdf, "-o", out, "--p12", fake)
    assert result.exit_code == 1 and "not a PKCS#12 certificate" in result.stderr
    assert "none was given" not in result.stderr and not out.exists()


def test_sign_and_verify_print_no_warnings_of_their_libraries(tmp_path, render_cache):
    pdf = render_cache.files(approved_spec(tmp_path), tmp_path, ("pdf",))["pdf"]
    root, p12 = _ca(tmp_path, "acme")
    out = tmp_path / "signed.pdf"
    signed = cli("sign", pdf, "-o", out, "--p12", p12,
                 env={"EXPECTMATRIX_P12_PASSPHRASE": "secret"})
    assert signed.returncode == 0, signed.stderr
    verified = cli("verify", out, "--trust", root)
    assert verified.returncode == 0, verified.stderr
    for result in (signed, verified):
        assert "Warning" not in result.stderr and "warn" not in result.stderr.lower()
    assert signed.stderr == ""


def test_an_unknown_column_map_is_a_usage_error(run, tmp_path):
    export = tmp_path / "deals.csv"
    export.write_text("deal.id,parties.customer.name\nX-1,Initech\n", encoding="utf-8")
    for command in (("batch", export, "-o", tmp_path / "out"),
                    ("report", export, "-o", tmp_path / "r.json")):
        result = run(*command, "--columns", "nosuchmap")
        assert result.exit_code == 2, result.stderr
        assert "'nosuchmap' is neither a column map file nor a built-in map" in result.stderr
        assert "salesforce" in result.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "r.json").exists()
    # a map named like a built-in one, but as a path, is not looked up among them
    assert run("batch", export, "-o", tmp_path / "out", "--columns",
               "../crm/salesforce").exit_code == 2


def test_the_tamper_report_quotes_the_text_with_its_spaces(run, documents, tmp_path):
    _, docx = documents
    edited = tmp_path / "edited.docx"
    with zipfile.ZipFile(docx) as z, zipfile.ZipFile(edited, "w", zipfile.ZIP_DEFLATED) as out:
        for info in z.infolist():
            data = z.read(info.filename)
            if info.filename == "word/document.xml":
                assert b"Hold a quarterly business review" in data
                data = data.replace(b"Hold a quarterly business review",
                                    b"Hold a yearly business review")
            out.writestr(info, data)
    result = run("verify", edited)
    assert result.exit_code == 1
    assert "document has “…" in result.stderr
    assert "Hold a yearly business review" in result.stderr
    assert "Hold a quarterly business review" in result.stderr
    assert "Holdayearlybusinessreview" not in result.stderr


@pytest.mark.parametrize("command", [("templates",), ("clauses",), ("schema",),
                                     ("clauses", "--json")])
def test_a_reader_that_stops_early_is_no_error(command):
    """`expectmatrix templates | head -1`: the reader is gone before all is written."""
    process = subprocess.Popen([sys.executable, "-m", "expectmatrix", *command], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               stdin=subprocess.DEVNULL)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # nobody reads: every write meets a closed pipe
    error = process.stderr.read().decode()
    process.wait(timeout=60)
    assert error == "", error


def test_help_fits_each_command(run):
    main = run("--help").stdout
    commands = main[main.index("Commands:"):]
    assert "..." not in commands and "…" not in commands  # none cut off
    from expectmatrix.cli import cli as group

    for name in group.list_commands(click.Context(group)):
        assert f"\n  {name} " in commands
    diff = run("diff", "--help").stdout
    audience = diff[diff.index("--audience"):diff.index("--timeout")]
    assert "-internal." not in audience and "written as" not in audience
    assert "redline" in audience
    verify, render = run("verify", "--help").stdout, run("render", "--help").stdout

    def option(text: str, name: str) -> str:
        start = text.index(name)
        return " ".join(text[start:text.index("\n  -", start + 1)].split())

    assert option(verify, "--docx-base") != option(render, "--docx-base")
    assert "checked" in option(verify, "--docx-base")
    serve = run("serve", "--help").stdout
    assert "Port to listen on" in option(serve, "--port")
