"""CRM exports and the CSV files we write: a row must name its own customer, and no cell
we write may be taken for a formula by a spreadsheet, however it is disguised."""

from __future__ import annotations

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
    assert result.stderr.count("no column gives the customer's name") == 2  # item, summary
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
