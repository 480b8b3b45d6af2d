"""CRM exports as CRMs write them: owner and stage columns, quoted commas, a byte order
mark, local dates; and a failures file people can fix in a spreadsheet."""

from __future__ import annotations

import csv
import json
import shutil
import zipfile

from conftest import SAMPLES, pdf_text

from expectmatrix.batch.csvrows import CsvOptions
from expectmatrix.batch.runner import run_batch
from expectmatrix.settings import column_map

EXPORT = ("\ufeffOpportunity ID,Opportunity Name,Account Name,Opportunity Owner,Stage,"
          "Amount,Amount Currency,Close Date\r\n"
          'SF-001,"Rollout, phase 1",Nordsee Brauhaus GmbH,Dana Reyes,Negotiation,14400,EUR,'
          "01/03/2027\r\n"
          "SF-002,Support renewal,Harbour Bakery Ltd,Sam Ortiz,Closed Won,9600,EUR,"
          "15/04/2027\r\n")


def test_a_salesforce_export_renders_with_its_column_map(run, tmp_path):
    export = tmp_path / "opportunities.csv"
    export.write_text(EXPORT, encoding="utf-8")
    out = tmp_path / "out"
    result = run("batch", export, "-o", out, "--base", SAMPLES / "minimal.yaml", "--columns",
                 "salesforce", "--date-format", "day-first", "-f", "pdf")
    assert result.exit_code == 0, result.stderr
    text, _ = pdf_text((out / "SF-001-v1.pdf").read_bytes())
    assert "Rollout, phase 1" in text and "Nordsee Brauhaus GmbH" in text
    assert "1 March 2027" in text and "14,400" in text
    assert "Dana Reyes" not in text  # an owner column mapped to nothing is left out
    assert (out / "SF-002-v1.pdf").exists()


def test_unmapped_columns_are_said_once_per_file_and_fail_it_under_strict(run, tmp_path):
    export = tmp_path / "opportunities.csv"
    export.write_text(EXPORT.replace("Opportunity ID", "deal.id").replace(
        "Opportunity Name", "deal.title").replace("Account Name", "parties.customer.name")
        .replace("Close Date", "deal.effective"), encoding="utf-8")
    out = tmp_path / "out"
    result = run("batch", export, "-o", out, "--base", SAMPLES / "minimal.yaml",
                 "--date-format", "day-first", "-f", "docx")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("neither a spec path nor mapped") == 1
    assert "'Opportunity Owner', 'Stage', 'Amount', 'Amount Currency'" in result.stderr
    strict = run("batch", export, "-o", tmp_path / "strict", "--base", SAMPLES / "minimal.yaml",
                 "--date-format", "day-first", "-f", "docx", "--strict")
    assert strict.exit_code == 1 and "neither a spec path nor mapped" in strict.stderr
    assert not list((tmp_path / "strict").glob("*.docx"))


def test_a_local_date_is_never_guessed(tmp_path):
    export = tmp_path / "deals.csv"
    export.write_text("deal.id,parties.customer.name,deal.effective\nX-1,Globex LLC,03/01/2027\n",
                      encoding="utf-8")
    [record] = run_batch([export], tmp_path / "out", ("docx",), base=SAMPLES / "minimal.yaml",
                         jobs=1).records
    assert record.status == "failed" and "--date-format day-first or month-first" in record.error
    us = run_batch([export], tmp_path / "us", ("docx",), base=SAMPLES / "minimal.yaml", jobs=1,
                   csv=CsvOptions(date_format="month-first"))
    assert us.records[0].status == "ok"
    data = json.loads((tmp_path / "us" / "X-1-v1.docx").with_name("manifest.json").read_text())
    assert data["items"][0]["status"] == "ok"


def test_an_empty_identity_cell_fails_its_row(tmp_path):
    export = tmp_path / "deals.csv"
    export.write_text("deal.id,parties.customer.name\n,Nordsee Brauhaus GmbH\nX-2,\nX-3,Ok GmbH\n")
    result = run_batch([export], tmp_path / "out", ("docx",), base=SAMPLES / "minimal.yaml",
                       jobs=1)
    assert [r.status for r in result.records] == ["failed", "failed", "ok"]
    assert "the deal.id cell is empty" in result.records[0].error
    assert "the parties.customer.name cell is empty" in result.records[1].error


def test_failures_csv_lists_each_problem_and_holds_no_formula(tmp_path):
    export = tmp_path / "deals.csv"
    export.write_text("deal.id,parties.customer.name,deal.title,deal.segment\n"
                      "X-1,Globex LLC,=HYPERLINK(\"http://x\"),tiny\n"
                      "X-2,Globex LLC,Fine,small\n", encoding="utf-8")
    out = tmp_path / "out"
    run_batch([export], out, ("docx",), base=SAMPLES / "minimal.yaml", jobs=1)
    with (out / "failures.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["source", "row", "field", "message"]
    assert [r[:3] for r in rows[1:]] == [[str(export), "2", "deal.segment"]]
    assert "'tiny' is not allowed here" in rows[1][3]
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_the_built_in_column_maps_name_real_spec_paths():
    from expectmatrix.spec.shape import parse_path

    for name in ("salesforce", "hubspot", "pipedrive"):
        columns = column_map(name)
        assert ("deal.id" in dict(columns).values()) and len(columns) >= 6
        for _, path in columns:
            assert path == "" or parse_path(path)[0] in ("deal", "parties")


def test_a_base_spec_is_a_template_not_another_customers_agreement(tmp_path):
    base = tmp_path / "base.yaml"
    base.write_text((SAMPLES / "small-bakery.yaml").read_text(encoding="utf-8"),
                    encoding="utf-8")
    export = tmp_path / "deals.csv"
    export.write_text(
        "deal.id,parties.customer.name,parties.customer.signatory.name,"
        "parties.customer.contacts[0].name,parties.customer.address,"
        "parties.customer.registration,deal.notes,readiness[0].note,readiness[1].note,"
        "readiness[2].note\n"
        # the base's own customer: everything of the base may stay
        "R-1,Harbour Bakery Ltd,,,,,,,,\n"
        # another customer that gives its own people, details and notes
        "R-2,Nordsee Brauhaus GmbH,Jens Ahlers,Jens Ahlers,Am Deich 3 Bremen,HRB 1,Two sites,"
        "Asked,Asked,Asked\n"
        # another customer that gives nothing of its own: the base's would leak
        "R-3,Kaffeerösterei Bremen,,,,,,,,\n", encoding="utf-8")
    result = run_batch([export], tmp_path / "out", ("pdf",), base=base, jobs=1)
    statuses = [r.status for r in result.records]
    assert statuses == ["ok", "ok", "failed"], [r.error for r in result.records]
    leak = result.records[2].error
    assert ("parties.customer.contacts, parties.customer.signatory, parties.customer.address, "
            "parties.customer.registration, deal.notes") in leak
    assert "readiness[].note" in leak and leak.startswith(f"{export}:4")
    text, _ = pdf_text((tmp_path / "out" / "R-2-v2.pdf").read_bytes())
    assert "Jens Ahlers" in text and "Siobhán" not in text and "harbourbakery" not in text
    assert "Am Deich 3" in text and "Quay Street" not in text and "654321" not in text
    # A base may share what is the same for every customer.
    shared = run_batch([export], tmp_path / "shared", ("pdf",), base=base, jobs=1,
                       csv=CsvOptions(shared=("parties.customer.contacts",
                                              "parties.customer.signatory",
                                              "parties.customer.address",
                                              "parties.customer.registration", "deal.notes",
                                              "readiness[].note")))
    assert [r.status for r in shared.records] == ["ok", "ok", "ok"]


def test_a_column_map_that_is_not_a_file_or_not_a_map_is_refused(run, tmp_path):
    import os

    export = tmp_path / "deals.csv"
    export.write_text("deal.id\nX-1\n", encoding="utf-8")
    fifo = tmp_path / "map.toml"
    os.mkfifo(fifo)
    result = run("batch", export, "-o", tmp_path / "out", "--columns", fifo)
    assert result.exit_code == 1 and "a pipe (FIFO)" in result.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text('[csv.columns]\n"Amount" = 3\n', encoding="utf-8")
    result = run("batch", export, "-o", tmp_path / "out", "--columns", bad)
    assert result.exit_code == 1 and "a column map is a table" in result.stderr
    unknown = run("batch", export, "-o", tmp_path / "out", "--columns", "zoho")
    assert unknown.exit_code == 2 and "salesforce" in unknown.stderr  # a usage error
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").glob("*.pdf"))


def test_a_csv_row_finds_its_base_specs_logo(tmp_path):
    from builders import png

    base_dir, csv_dir = tmp_path / "base", tmp_path / "crm"
    base_dir.mkdir()
    csv_dir.mkdir()
    (base_dir / "logo.png").write_bytes(png())
    base = base_dir / "base.yaml"
    shutil.copy(SAMPLES / "minimal.yaml", base)
    with base.open("a", encoding="utf-8") as f:
        f.write("branding:\n  logo: logo.png\n")
    csv_file = csv_dir / "deals.csv"
    csv_file.write_text("deal.id,parties.customer.name\nROW-1,Nordsee Brauhaus GmbH\n")
    result = run_batch([csv_file], tmp_path / "out", ("pdf", "docx"), base=base, jobs=1)
    [record] = result.records
    assert record.status == "ok", record.error
    with zipfile.ZipFile(tmp_path / "out" / "ROW-1-v1.docx") as z:
        assert any(n.startswith("word/media/") for n in z.namelist())
