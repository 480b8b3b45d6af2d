"""CSV exports as CRMs write them: amounts with thousands grouped, read per an explicit
--number-format (never guessed); a base spec that carries one customer's people refused
once, before any row; identical inputs rendered once, the repeat said to be a duplicate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SAMPLES

MINIMAL = SAMPLES / "minimal.yaml"  # its customer has no contacts or notes to carry


def _export(tmp_path: Path, amount: str, name: str = "deals.csv") -> Path:
    export = tmp_path / name
    export.write_text("deal.id,parties.customer.name,deal.value.amount,deal.value.currency\n"
                      f'N-1,Initech,"{amount}",EUR\nN-2,Hooli,12000,EUR\n', encoding="utf-8")
    return export


def _manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def test_a_grouped_amount_without_the_option_names_the_option(run, tmp_path):
    export = _export(tmp_path, "48,000.00")
    out = tmp_path / "out"
    result = run("batch", export, "--base", MINIMAL, "-o", out, "-f", "docx")
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert (f"{export}:2: deal.value.amount: '48,000.00' in column deal.value.amount: a number "
            "written with a thousands separator") in result.stderr
    assert "--number-format 1,234.56" in result.stderr
    assert result.stderr.count("thousands separator") == 1  # said once, not per line twice
    assert sorted(p.name for p in out.glob("*.docx")) == ["N-2-v1.docx"]


@pytest.mark.parametrize(("written", "number_format"), [
    ("48,000.50", "1,234.56"), ("48.000,50", "1.234,56"), ("48\u00a0000,50", "1 234,56"),
    ("48 000,50", "1 234,56"), ("48'000.50", "1'234.56"), ("48000.50", "plain"),
])
def test_each_number_format_reads_its_amounts(run, tmp_path, written, number_format):
    export = _export(tmp_path, written)
    report = tmp_path / "r.json"
    result = run("report", export, "--base", MINIMAL, "-o", report,
                 "--number-format", number_format)
    assert result.exit_code == 0, result.stderr
    revenue = {a["customer"]: a["revenue"] for a in json.loads(report.read_text())["accounts"]}
    assert revenue == {"Initech": 48000.5, "Hooli": 12000}


def test_a_number_not_written_as_the_format_says_is_refused(run, tmp_path):
    export = _export(tmp_path, "48.000,50")
    result = run("batch", export, "--base", MINIMAL, "-o", tmp_path / "out", "-f", "docx",
                 "--number-format", "1,234.56")
    assert result.exit_code == 1
    assert ("'48.000,50' in column deal.value.amount: not a number as --number-format "
            "1,234.56 writes them (48,000.50 or 48000.50)") in result.stderr


def test_the_number_format_may_come_from_the_settings(run, tmp_path):
    config = tmp_path / "expectmatrix.toml"
    config.write_text('[csv]\nnumber_format = "1.234,56"\n', encoding="utf-8")
    export = _export(tmp_path, "48.000,50")
    out = tmp_path / "out"
    result = run("--config", config, "batch", export, "--base", MINIMAL, "-o", out, "-f", "docx")
    assert result.exit_code == 0, result.stderr
    assert {i["status"] for i in _manifest(out)["items"]} == {"ok"}
    assert run("batch", export, "-o", tmp_path / "x", "--number-format", "1.234.56").exit_code == 2


def test_a_base_with_its_customers_people_is_refused_once_before_any_row(run, tmp_path):
    export = _export(tmp_path, "48000")
    out = tmp_path / "out"
    base = SAMPLES / "small-bakery.yaml"  # Harbour Bakery's contacts, signatory, notes
    result = run("batch", export, "--base", base, "-o", out, "-f", "docx")
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert result.stderr.count("the base spec carries its customer's") == 1
    assert (f"{base}:26: parties.customer.contacts: the base spec carries its customer's "
            "(Harbour Bakery Ltd) parties.customer.contacts, parties.customer.signatory, "
            "parties.customer.address, parties.customer.registration, deal.notes, "
            "readiness[].note") in result.stderr
    assert "take them out of it" in result.stderr and "[csv] shared" in result.stderr
    assert [i["source"] for i in _manifest(out)["items"]] == [str(export)]  # no row ran
    assert not list(out.glob("*.docx"))
    report = run("report", export, "--base", base, "-o", tmp_path / "r.json")
    assert report.exit_code == 1 and report.stderr.count("the base spec carries") == 1


def test_identical_specs_are_rendered_once_and_the_repeat_called_a_duplicate(run, tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    for name in ("a.yaml", "b.yaml"):
        (inputs / name).write_text(MINIMAL.read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "out"
    result = run("batch", inputs, "-o", out, "-f", "docx")
    assert result.exit_code == 0, result.stderr
    items = {Path(i["source"]).name: i for i in _manifest(out)["items"]}
    assert items["a.yaml"]["status"] == "ok" and items["b.yaml"]["status"] == "skipped"
    assert items["b.yaml"]["findings"][0]["code"] == "duplicate"
    assert result.stderr.count("a duplicate of") == 1
    assert "1 ok, 0 failed, 0 conflict, 1 skipped" in result.stderr
    assert sorted(p.name for p in out.glob("*.docx")) == ["MIN-1-v1.docx"]
    # the same file names from different content still conflict: neither is written
    (inputs / "b.yaml").write_text(MINIMAL.read_text(encoding="utf-8").replace(
        "ten named users", "twelve named users"), encoding="utf-8")
    result = run("batch", inputs, "-o", tmp_path / "again", "-f", "docx")
    assert result.exit_code == 1 and "1 ok" not in result.stderr
    assert "0 ok, 0 failed, 2 conflict" in result.stderr
