"""Behaviour that was wrong while a concept had more than one owner: each test failed
before its concept got one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import SAMPLES, docx_text, pdf_text

from expectmatrix.batch.runner import run_batch


def _in_language(tmp_path: Path, language: str) -> Path:
    text = (SAMPLES / "small-bakery.yaml").read_text(encoding="utf-8")
    assert "  language:" not in text
    spec = tmp_path / f"bakery-{language}.yaml"
    spec.write_text(text.replace("deal:\n", f"deal:\n  language: {language}\n", 1),
                    encoding="utf-8")
    return spec


@pytest.mark.parametrize("language", ["de", "ar"])
def test_verify_reads_the_fingerprint_printed_in_the_documents_language(run, tmp_path,
                                                                          language):
    spec = _in_language(tmp_path, language)
    out = tmp_path / "out"
    assert run("render", spec, "-o", out).exit_code == 0
    for doc in sorted(out.iterdir()):
        result = run("verify", doc, spec)
        assert result.exit_code == 0, (doc.name, result.stdout, result.stderr)
        assert "ok   every printed fingerprint is the" in result.stdout
    label = {"de": "Fingerabdruck", "ar": "بصمة"}[language]
    pdf = next(out.glob("*.pdf")).read_bytes()
    assert label in pdf_text(pdf)[0]
    assert label in docx_text(next(out.glob("*.docx")).read_bytes())[0]


def test_a_csv_row_finds_its_base_specs_logo(tmp_path):
    from test_hostile import _png

    base_dir, csv_dir = tmp_path / "base", tmp_path / "crm"
    base_dir.mkdir()
    csv_dir.mkdir()
    (base_dir / "logo.png").write_bytes(_png())
    base = base_dir / "base.yaml"
    shutil.copy(SAMPLES / "minimal.yaml", base)
    with base.open("a", encoding="utf-8") as f:
        f.write("branding:\n  logo: logo.png\n")
    csv_file = csv_dir / "deals.csv"
    csv_file.write_text("deal.id,parties.customer.name\nROW-1,Nordsee Brauhaus GmbH\n")
    result = run_batch([csv_file], tmp_path / "out", ("pdf", "docx"), base=base, jobs=1)
    [record] = result.records
    assert record.status == "ok", record.error
    with __import__("zipfile").ZipFile(tmp_path / "out" / "ROW-1-v1.docx") as z:
        assert any(n.startswith("word/media/") for n in z.namelist())


def test_validate_and_render_report_the_language_warning_alike(run, tmp_path):
    spec = _in_language(tmp_path, "it")
    validated = run("validate", spec)
    assert validated.exit_code == 0
    assert "no labels for language 'it'" in validated.stderr
    as_json = json.loads(run("validate", "--json", spec).stdout)
    assert "language" in [f["code"] for f in as_json[0]["findings"]]
    rendered = run("render", spec, "-o", tmp_path / "out", "-f", "docx")
    assert rendered.stderr.count("no labels for language 'it'") == 1
    # A template folder with Italian labels puts the warning away in both.
    folder = tmp_path / "tpl" / "labels"
    folder.mkdir(parents=True)
    (folder / "it.yaml").write_text("draft: BOZZA\n", encoding="utf-8")
    config = tmp_path / "expectmatrix.toml"
    config.write_text('[templates]\ndirs = ["tpl"]\n', encoding="utf-8")
    assert "no labels" not in run("--config", config, "validate", spec).stderr
    assert "no labels" not in run("--config", config, "render", spec, "-o", tmp_path / "o2",
                                  "-f", "docx").stderr


def test_a_missing_harfbuzz_subset_library_is_said_once(run, tmp_path, monkeypatch):
    from expectmatrix.render import pipeline as rendering

    monkeypatch.setattr(rendering, "harfbuzz_subset_available", lambda: False)
    spec = SAMPLES / "minimal.yaml"
    result = run("render", spec, "-o", tmp_path / "out", "-f", "pdf")
    assert result.exit_code == 0
    assert result.stderr.count("no HarfBuzz subsetting library") == 1
    assert any(line.startswith("warning: this machine has no HarfBuzz")
               for line in result.stderr.splitlines())  # about the machine: no file named
    data = json.loads(run("render", spec, "-o", tmp_path / "out", "-f", "pdf", "--json").stdout)
    assert "harfbuzz-subset" in [f["code"] for f in data["findings"]]
    # DOCX output does not depend on it: nothing said.
    docx = run("render", spec, "-o", tmp_path / "out", "-f", "docx")
    assert "HarfBuzz" not in docx.stderr
    batch = run("batch", spec, "-o", tmp_path / "batch", "-f", "pdf")
    assert batch.stderr.count("no HarfBuzz subsetting library") == 1
