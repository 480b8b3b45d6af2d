"""CRM exports and the CSV files we write: a row must name its own customer, and no cell
we write may be taken for a formula by a spreadsheet, however it is disguised."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from conftest import SAMPLES

# minimal.yaml's customer is Globex LLC and it has no customer contacts to leak.
BASE = SAMPLES / "minimal.yaml"


def _rendered(out: Path) -> list[str]:
    return sorted(p.name for p in out.glob("*.pdf")) if out.exists() else []


# --- 7. every row names its customer -----------------------------------------------------


def test_an_export_without_a_customer_column_is_refused_before_any_row(run, tmp_path):
    export = tmp_path / "deals.csv"
    export.write_text("deal.id,deal.title\nA-1,Rollout\nB-1,Renewal\n")
    out = tmp_path / "out"
    result = run("batch", export, "--base", BASE, "-o", out, "-f", "pdf")
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert (f"{export}:1: no column gives the customer's name (parties.customer.name), so "
            "every row would go to the base spec's customer") in result.stderr
    assert result.stderr.count("no column gives the customer's name") == 1  # said once
    assert _rendered(out) == []
    manifest = json.loads((out / "manifest.json").read_text())
    assert [i["source"] for i in manifest["items"]] == [str(export)]  # the file, no rows
    report = tmp_path / "report.json"
    result = run("report", export, "--base", BASE, "-o", report)
    assert result.exit_code == 1 and "no column gives the customer's name" in result.stderr
    assert json.loads(report.read_text())["accounts"] == []


def test_a_customer_column_mapped_from_the_export_is_enough(run, tmp_path):
    columns = tmp_path / "columns.toml"
    columns.write_text('"Account" = "parties.customer.name"\n"Id" = "deal.id"\n')
    export = tmp_path / "deals.csv"
    export.write_text("Id,Account\nA-1,Alpha GmbH\n")
    out = tmp_path / "out"
    result = run("batch", export, "--base", BASE, "-o", out, "-f", "pdf", "--columns", columns)
    assert result.exit_code == 0, result.stderr
    assert _rendered(out) == ["A-1-v1.pdf"]


@pytest.mark.parametrize("cell", ["", "   ", "\t"])
def test_a_row_with_an_empty_customer_cell_fails_alone(run, tmp_path, cell):
    export = tmp_path / "deals.csv"
    export.write_text(f"deal.id,parties.customer.name\nA-1,{cell}\nB-1,Beta GmbH\n")
    out = tmp_path / "out"
    result = run("batch", export, "--base", BASE, "-o", out, "-f", "pdf")
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert f"{export}:2: parties.customer.name: the parties.customer.name cell is empty" \
        in result.stderr
    assert _rendered(out) == ["B-1-v1.pdf"]


# --- 8. no cell we write is a formula, however disguised -----------------------------------

DISGUISED = [
    "=HYPERLINK(\"http://x\")", " =1+1", "  +1", "\u00a0-1", "\u3000@SUM(A1)", "\u2003=1",
    "\u200b=1", "\ufeff=1", "\t=1", "\r=1", "\n=1",
    "\uff1d1+1", "\uff0b1", "\uff0d1", "\uff20SUM(A1)",  # full-width ＝ ＋ － ＠
    "\u22121", "\ufe621", "\ufe631", "\ufe661", "\ufe6bSUM(A1)",  # − ﹢ ﹣ ﹦ ﹫
    "\u207a1", "\u208c1", " \uff1d1",  # superscript plus, subscript equals, space then ＝
]
PLAIN = ["Acme GmbH", "  Acme GmbH", "O'Brien & Sons", "1-2 Ltd", "a=b", "", " "]


@pytest.mark.parametrize("text", DISGUISED)
def test_a_disguised_formula_is_made_text(text):
    from expectmatrix.batch.manifest import spreadsheet_cell

    assert spreadsheet_cell(text) == "'" + text


@pytest.mark.parametrize("text", PLAIN)
def test_plain_text_is_left_as_it_is(text):
    from expectmatrix.batch.manifest import spreadsheet_cell

    assert spreadsheet_cell(text) == text


def _read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def test_the_report_csv_neutralises_disguised_names_and_the_pdf_shows_them_plainly(
        run, tmp_path):
    from conftest import pdf_text

    names = [n for n in DISGUISED if n.strip("\t\r\n\u200b\ufeff") == n][:12]
    export = tmp_path / "deals.csv"
    with export.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["deal.id", "parties.customer.name"])
        writer.writerows([f"D-{i}", name] for i, name in enumerate([*names, "Acme GmbH"]))
    table = tmp_path / "report.csv"
    result = run("report", export, "--base", BASE, "-o", table)
    assert result.exit_code == 0, result.stderr
    customers = [row[0] for row in _read_csv(table)[1:]]
    assert sorted(customers) == sorted(["'" + n for n in names] + ["Acme GmbH"])
    # The PDF is no spreadsheet: it shows each name without the apostrophe.
    document = tmp_path / "report.pdf"
    assert run("report", export, "--base", BASE, "-o", document).exit_code == 0
    text, _ = pdf_text(document.read_bytes())
    assert "'=HYPERLINK" not in text and '=HYPERLINK("http://x")' in text
    assert "=1+1" in text and "'=1+1" not in text


def test_failures_csv_neutralises_a_source_named_like_a_formula(run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    name = "\uff1dcmd.csv"  # ＝cmd.csv
    Path(name).write_text("deal.id,parties.customer.name,deal.segment\nX-1,Alpha,tiny\n",
                          encoding="utf-8")
    result = run("batch", name, "--base", BASE, "-o", "out", "-f", "pdf")
    assert result.exit_code == 1
    rows = _read_csv(tmp_path / "out" / "failures.csv")
    assert rows[1][0] == "'" + name
    assert rows[1][2] == "deal.segment"
