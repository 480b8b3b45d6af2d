"""templates/parts.html: the masthead, facts table and look that the matrix and the
fulfilment statement share. A copy in a template folder changes both documents; a block
override still replaces its whole piece; a template reaches an imported file's macros
and nothing else of it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from builders import spec_file
from conftest import SAMPLES, pdf_text

from expectmatrix.resources import builtin_templates

DEAL = SAMPLES / "after-signing" / "deal.yaml"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A template folder whose copy of parts.html names the kind of document otherwise."""
    folder = tmp_path / "tpl"
    folder.mkdir()
    parts = (builtin_templates() / "parts.html").read_text(encoding="utf-8")
    assert '<p class="kind">{{ kind }}</p>' in parts
    (folder / "parts.html").write_text(
        parts.replace('<p class="kind">{{ kind }}</p>', '<p class="kind">Restyled {{ kind }}</p>'),
        encoding="utf-8")
    return folder


def _statement(run, tmp_path: Path, folder: Path) -> str:
    shutil.copytree(DEAL.parent, tmp_path / "deal")
    out = tmp_path / "statement.pdf"
    result = run("statement", tmp_path / "deal" / "deal.yaml", "-o", out, "--today",
                 "2026-04-08", "--template-dir", folder, "--timeout", "0")
    assert result.exit_code == 0, result.stderr
    return pdf_text(out.read_bytes())[0]


def test_a_copy_of_the_parts_changes_the_matrix_and_the_statement(run, tmp_path, folder):
    out = tmp_path / "out"
    result = run("render", spec_file(tmp_path), "-o", out, "-f", "pdf", "--template-dir", folder,
                 "--timeout", "0")
    assert result.exit_code == 0, result.stderr
    matrix = pdf_text(next(out.glob("*.pdf")).read_bytes())[0]
    # The stylesheet prints the kind in capitals.
    assert "RESTYLED EXPECTATIONS MATRIX" in matrix
    assert "RESTYLED FULFILMENT STATEMENT" in _statement(run, tmp_path, folder)


def test_a_block_override_of_the_statement_still_replaces_its_masthead(run, tmp_path):
    folder = tmp_path / "tpl"
    folder.mkdir()
    (folder / "statement.html").write_text(
        '{% extends "builtin/statement.html" %}{% block header %}<h1>Our own masthead</h1>'
        '{{ parts.facts([("Owner", "Deal desk")]) }}{% endblock %}', encoding="utf-8")
    text = _statement(run, tmp_path, folder)
    assert "Our own masthead" in text and "Deal desk" in text
    assert "FULFILMENT STATEMENT" not in text.upper().split("OUR OWN MASTHEAD")[0]


@pytest.mark.parametrize("expression", ["parts._body_stream", "parts.__dict__",
                                        "parts.__class__", "parts.missing"])
def test_an_imported_file_offers_its_macros_and_nothing_else(run, tmp_path, expression):
    folder = tmp_path / "tpl"
    folder.mkdir()
    (folder / "matrix.html").write_text(
        '{% extends "builtin/matrix.html" %}{% block header %}'
        f'{{{{ {expression} }}}}{{% endblock %}}', encoding="utf-8")
    out = tmp_path / "out"
    result = run("render", spec_file(tmp_path), "-o", out, "-f", "pdf", "--template-dir", folder,
                 "--timeout", "0")
    assert result.exit_code == 1
    assert "matrix.html:1" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists() or not list(out.iterdir())
