"""absorb of rows legal moved: a move is listed as a move (not a removal and an addition),
the expectation keeps its id and fields, and the new spec prints it where legal put it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from wordedit import AUTHOR, DATE, Edited, expectations, order

SPEC = """\
deal:
  id: T-2
  title: Moves
  segment: medium
  effective: 2026-12-01
  version: 1
parties:
  vendor: {name: Vendor Co, registration: Company no. 1, signatory: {name: Val, title: CEO}}
  customer: {name: Customer Co, registration: Company no. 2, signatory: {name: Cas, title: COO}}
expectations:
  of_vendor:
    # kick-off first
    - {id: V1, area: Setup, text: Vendor holds the kick-off., measure: Held}
    - {id: V2, area: Support, text: Vendor answers tickets., measure: SLA}
    # the access the vendor gives
    - {id: V3, area: Setup, text: Vendor gives access., measure: Logins sent}
    - {id: V4, area: Setup, text: Vendor trains the admins., measure: Trained}
  of_customer:
    - {id: C1, area: Setup, text: Customer names a lead., measure: Named}
    - {id: C2, area: Support, text: Customer reports issues., measure: Tickets}
    - {id: C3, area: Setup, text: Customer books rooms., measure: Booked}
    - {id: C4, area: Setup, text: Customer sends the admins., measure: Attended}
"""


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> tuple[Path, bytes]:
    from expectmatrix.render.pipeline import RenderOptions, render_file

    root = tmp_path_factory.mktemp("moves")
    spec = root / "deal.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    result = render_file(spec, root / "out", RenderOptions(("docx",)))
    assert result.ok, result.findings
    return spec, result.outputs[0].read_bytes()


def _absorb(run: Any, edited: Path, spec: Path, out: Path) -> dict[str, Any]:
    result = run("absorb", edited, spec, "-o", out, "--json", "--timeout", "0")
    assert "Traceback" not in result.output
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def _printed(run: Any, spec: Path, folder: Path) -> list[str]:
    """The ids in the order a rendering of ``spec`` prints them."""
    result = run("render", spec, "-f", "docx", "-o", folder)
    assert result.exit_code == 0, result.output
    (docx,) = folder.glob("*.docx")
    return Edited(docx.read_bytes()).ids()


def test_a_word_tracked_move_within_an_area_is_a_move(made, run, tmp_path):
    spec, docx = made
    doc = Edited(docx)
    doc.move_row("V1", after="V4")  # the kick-off row moved to the end of Setup
    out = tmp_path / "new.yaml"
    data = _absorb(run, doc.save(tmp_path / "e.docx"), spec, out)
    kinds = {(c["id"], c["field"], c["kind"]) for c in data["changes"]}
    assert kinds == {("V1", "row", "moved"), ("C1", "row", "moved")}
    v1 = next(c for c in data["changes"] if c["id"] == "V1")
    assert (v1["old"], v1["new"], v1["author"], v1["date"]) == (
        "Setup, row 1", "Setup, row 3", AUTHOR, DATE)
    text = out.read_text(encoding="utf-8")
    assert expectations(text) == expectations(SPEC)  # same fields, only the order moved
    assert order(text)["vendor"] == ["V3", "V2", "V4", "V1"]
    assert "# kick-off first" in text and "# the access the vendor gives" in text
    doc.accept_all()
    assert _printed(run, out, tmp_path / "again") == doc.ids()
    plain = run("absorb", tmp_path / "e.docx", spec, "-o", out)
    assert f"V1 moved (by {AUTHOR} on {DATE}): Setup, row 1 -> Setup, row 3" in plain.output


def test_a_row_moved_to_another_area_takes_that_area(made, run, tmp_path):
    spec, docx = made
    doc = Edited(docx)
    doc.move_row("V3", after="V2", tracked=False)  # cut and pasted, not tracked
    out = tmp_path / "new.yaml"
    data = _absorb(run, doc.save(tmp_path / "e.docx"), spec, out)
    moved = {c["id"]: (c["old"], c["new"]) for c in data["changes"]}
    assert moved == {"V3": ("Setup, row 2", "Support, row 2"),
                     "C3": ("Setup, row 2", "Support, row 2")}
    got = expectations(out)
    assert got["V3"]["area"] == "Support" and got["C3"]["area"] == "Support"
    assert {k: v for k, v in got.items() if k not in ("V3", "C3")} == \
        {k: v for k, v in expectations(SPEC).items() if k not in ("V3", "C3")}
    assert _printed(run, out, tmp_path / "again") == doc.ids()


def test_a_row_deleted_and_its_text_typed_elsewhere_is_a_move(made, run, tmp_path):
    """Legal deleted the row and typed it again higher up (no ids printed there): the
    expectations keep their ids, and a changed measure on the way is an edit."""
    spec, docx = made
    doc = Edited(docx)
    doc.delete_row("V4")
    doc.insert_row_after("V1", "Vendor trains the admins.", "Customer sends the admins.",
                         detail=("Measure", "Trained twice"))
    out = tmp_path / "new.yaml"
    data = _absorb(run, doc.save(tmp_path / "e.docx"), spec, out)
    kinds = {(c["id"], c["field"], c["kind"]) for c in data["changes"]}
    assert kinds == {("V4", "row", "moved"), ("C4", "row", "moved"),
                     ("V4", "measure", "edited"), ("C4", "measure", "edited")}
    got = expectations(out)
    assert sorted(got) == sorted(expectations(SPEC))
    assert got["V4"]["measure"] == "Trained twice" and got["C4"]["measure"] == "Trained twice"
    assert order(out.read_text(encoding="utf-8"))["vendor"] == ["V1", "V2", "V4", "V3"]
    assert _printed(run, out, tmp_path / "again") == [
        "V1", "C1", "V4", "C4", "V3", "C3", "V2", "C2"]


def test_rows_deleted_and_added_around_others_move_nothing(made, run, tmp_path):
    spec, docx = made
    doc = Edited(docx)
    doc.delete_row("V1")
    doc.insert_row_after("V4", "Vendor checks the rooms.", "Customer opens the rooms.")
    data = _absorb(run, doc.save(tmp_path / "e.docx"), spec, tmp_path / "new.yaml")
    assert not [c for c in data["changes"] if c["kind"] == "moved"]
    assert {(c["id"], c["kind"]) for c in data["changes"]} == {
        ("V1", "removed"), ("C1", "removed"), ("V5", "added"), ("C5", "added")}
