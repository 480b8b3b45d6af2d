"""`absorb`: a DOCX expectmatrix wrote, edited the way Word edits it (tracked changes,
typing over text, rows deleted and added, comments) -> the spec of what it now says."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from wordedit import AUTHOR, DATE, Edited, W, expectations

from expectmatrix.spec.loading import load

# absorb and diff in this process: what is checked is the spec they give, not the worker
# that renders a fresh copy of the document to compare with
HERE = ("--timeout", "0")

SPEC = """\
# The rep's own notes stay where they are.
deal:
  id: T-1
  title: Test deal
  segment: medium
  effective: 2026-12-01
  version: 2
parties:
  vendor:
    name: Vendor Co
    registration: Company no. 01234567
    signatory: {name: Val Vendor, title: CEO}
  customer:
    name: Customer Co
    registration: Company no. 07654321
    signatory: {name: Cas Customer, title: COO}
expectations:
  of_vendor:
    # setting up
    - id: V1
      area: Setup
      text: Vendor sets things up.
      measure: Done
    - id: V2
      area: Support
      text: Vendor answers tickets.
      measure: SLA
  of_customer:
    - id: C1
      area: Setup
      text: Customer names a lead.
      measure: Named
      owner: Lead
    - id: C2
      area: Support  # the helpdesk
      text: Customer reports issues.
      measure: Tickets
      owner: Admin
"""


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The DOCX rendered from SPEC, once for the tests that edit copies of it."""
    from click.testing import CliRunner

    from expectmatrix.cli import cli

    folder = tmp_path_factory.mktemp("absorb")
    spec = folder / "deal.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    result = CliRunner().invoke(cli, ["render", *HERE, str(spec), "-f", "docx", "-o",
                                      str(folder / "out")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    (docx,) = (folder / "out").glob("*.docx")
    return docx.read_bytes()


@pytest.fixture
def made(tmp_path: Path, rendered: bytes) -> tuple[Path, bytes]:
    """The rep's spec and the DOCX rendered from it."""
    spec = tmp_path / "deal.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    return spec, rendered


def _absorb(run: Any, *args: Any) -> tuple[Any, dict[str, Any]]:
    result = run("absorb", *args, "--json", *HERE)
    assert "Traceback" not in result.output
    return result, json.loads(result.stdout)


# --- tests ---------------------------------------------------------------------------------


def test_unedited_document_gives_the_same_spec_as_the_next_version(made, run, tmp_path):
    spec, docx = made
    (tmp_path / "doc.docx").write_bytes(docx)
    out = tmp_path / "new.yaml"
    result, data = _absorb(run, tmp_path / "doc.docx", spec, "-o", out)
    assert result.exit_code == 0, result.output
    assert data["changes"] == [] and data["not_absorbed"] == [] and data["version"] == 3
    text = out.read_text(encoding="utf-8")
    assert text == SPEC.replace("  version: 2\n", "  version: 3\n  status: review\n")
    # without SPEC, from the spec the document carries: the same expectations
    alone = tmp_path / "alone.yaml"
    result, data = _absorb(run, tmp_path / "doc.docx", "-o", alone)
    assert result.exit_code == 0, result.output
    assert expectations(alone) == expectations(spec)
    assert load(alone).spec.deal.version == 3


def test_word_edits_become_the_new_spec_field_by_field(made, run, tmp_path):
    spec, docx = made
    doc = Edited(docx)
    doc.tracked_replace("V1", "Vendor sets up every shop.")           # tracked text edit
    doc.typed_over("C1", "Named in writing", paragraph=1)              # untracked measure
    doc.delete_row("V2")                                                # V2 and C2 go
    doc.insert_row_after("V1", "Vendor trains staff.", "Customer attends training.",
                         detail=("Measure", "Attendance list"))
    doc.comment("C1", "Who is the lead?")
    edited = doc.save(tmp_path / "edited.docx")
    out = tmp_path / "new.yaml"
    result, data = _absorb(run, edited, spec, "-o", out)
    assert result.exit_code == 0, result.output
    got = expectations(out)
    assert sorted(got) == ["C1", "C3", "V1", "V3"]
    assert got["V1"]["text"] == "Vendor sets up every shop." and got["V1"]["measure"] == "Done"
    assert got["C1"]["measure"] == "Named in writing" and got["C1"]["owner"] == "Lead"
    assert got["V3"] == {"id": "V3", "area": "Setup", "text": "Vendor trains staff.",
                         "measure": "Attendance list", "weight": 1}
    assert got["C3"]["text"] == "Customer attends training." and got["C3"]["area"] == "Setup"
    changes = {(c["id"], c["field"], c["kind"]): c for c in data["changes"]}
    v1 = changes[("V1", "text", "edited")]
    assert (v1["old"], v1["new"], v1["author"], v1["date"]) == (
        "Vendor sets things up.", "Vendor sets up every shop.", AUTHOR, DATE)
    c1 = changes[("C1", "measure", "edited")]
    assert (c1["old"], c1["new"], c1["author"]) == ("Named", "Named in writing", None)
    assert changes[("V2", "expectation", "removed")]["author"] == AUTHOR
    assert ("C2", "expectation", "removed") in changes
    assert changes[("V3", "expectation", "added")]["new"] == "Vendor trains staff."
    assert data["comments"] == [{"id": "7", "anchor": "C1", "author": AUTHOR, "date": DATE,
                                 "text": "Who is the lead?"}]
    text = out.read_text(encoding="utf-8")
    assert "# The rep's own notes stay where they are." in text and "# setting up" in text
    assert "status: review" in text and "version: 3" in text
    # the text listing says the same
    plain = run("absorb", edited, spec, "-o", out, *HERE)
    assert "V1 text changed (by Lena Legal on 2027-01-05T10:00:00Z)" in plain.output
    assert "comment on C1 (by Lena Legal" in plain.output


def test_library_wording_changed_becomes_nonstandard(run, tmp_path):
    spec = tmp_path / "play.yaml"
    spec.write_text((Path(__file__).parent.parent / "samples" / "playbook-small.yaml")
                    .read_text(encoding="utf-8"), encoding="utf-8")
    rendered = run("render", *HERE, spec, "-f", "docx", "-o", tmp_path / "out")
    assert rendered.exit_code == 0, rendered.output
    (docx,) = (tmp_path / "out").glob("*.docx")
    doc = Edited(docx.read_bytes())
    doc.tracked_replace("V1", "Deliver a configured sandbox within 5 business days.")
    out = tmp_path / "new.yaml"
    result, data = _absorb(run, doc.save(tmp_path / "e.docx"), spec, "-o", out)
    assert result.exit_code == 0, result.output
    v1 = expectations(out)["V1"]
    assert v1["clause"] == "sandbox-delivery"
    (change,) = data["changes"]
    assert change["old"].startswith("Deliver a configured sandbox") and "10" in change["old"]
    assert v1["text"] == "Deliver a configured sandbox within 5 business days."
    check = run("validate", out, "--json")
    codes = {(f["code"], f["path"]) for f in json.loads(check.stdout)[0]["findings"]}
    assert ("nonstandard", "expectations.of_vendor[0]") in codes


def test_frame_edit_is_not_absorbed_and_fails_unless_partial(made, run, tmp_path):
    spec, docx = made
    doc = Edited(docx)
    doc.frame_insert(" (DRAFT FOR LEGAL)")
    edited = doc.save(tmp_path / "edited.docx")
    out = tmp_path / "new.yaml"
    result, data = _absorb(run, edited, spec, "-o", out)
    assert result.exit_code == 1
    assert data["not_absorbed"] == [{"place": "frame wording", "text": " (DRAFT FOR LEGAL)",
                                     "kind": "inserted", "author": AUTHOR, "date": DATE,
                                     "old": None}]
    assert out.exists()
    assert run("absorb", edited, spec, "-o", out, "--partial", *HERE).exit_code == 0
    assert "NOT ABSORBED, frame wording" in run("absorb", edited, spec, "-o", out,
                                                 *HERE).output


def test_untracked_edits_outside_the_matrix_are_not_absorbed(made, run, tmp_path):
    """Typed over without tracking: a party's name on the signature page and the
    fingerprint in the footer; found against a fresh rendering of the carried spec."""
    spec, docx = made
    doc = Edited(docx)
    for t in doc.root.iter(f"{W}t"):
        if t.text == "For Customer Co":
            t.text = "For Customer Company Ltd"
    edited = doc.save(tmp_path / "edited.docx")
    out = io.BytesIO()
    with zipfile.ZipFile(edited) as a, zipfile.ZipFile(out, "w") as b:
        for info in a.infolist():
            data = a.read(info.filename)
            if info.filename.startswith("word/footer"):
                data = re.sub(rb"[0-9a-f]{64}", b"0" * 64, data)
            b.writestr(info, data)
    edited.write_bytes(out.getvalue())
    result, data = _absorb(run, edited, spec, "-o", tmp_path / "new.yaml")
    assert result.exit_code == 1
    found = {(n["place"], n["old"], n["text"]) for n in data["not_absorbed"]}
    assert ("text after the matrix (readiness, remedies, approvals or signature page)",
            "For Customer Co", "For Customer Company Ltd") in found
    (footer,) = [n for n in data["not_absorbed"] if n["place"].startswith("page footer")]
    assert "0" * 64 in footer["text"] and footer["author"] is None
    assert data["changes"] == []


def test_unbalancing_edit_is_reported_and_the_spec_still_written(made, run, tmp_path):
    spec, docx = made
    doc = Edited(docx)
    doc.insert_row_after("V2", "Vendor keeps a status page.", None)
    out = tmp_path / "new.yaml"
    result, data = _absorb(run, doc.save(tmp_path / "e.docx"), spec, "-o", out)
    assert result.exit_code == 1
    assert any(f["code"] == "unbalanced" and f["severity"] == "error" for f in data["findings"])
    assert "Vendor keeps a status page." in out.read_text(encoding="utf-8")


def test_tracked_redline_accepted_gives_the_new_version(made, run, tmp_path):
    spec, _ = made
    newer = tmp_path / "newer.yaml"
    newer.write_text(SPEC.replace("Vendor answers tickets.", "Vendor answers tickets in 4h.")
                     .replace("measure: Named", "measure: Named by email"), encoding="utf-8")
    redline = tmp_path / "redline.docx"
    made_redline = run("diff", spec, newer, "-f", "docx", "-o", redline, "--author", "Rep",
                       *HERE)
    assert made_redline.exit_code == 0, made_redline.output
    out = tmp_path / "new.yaml"
    result, data = _absorb(run, redline, spec, "-o", out, "--partial")
    got = expectations(out)
    assert got == expectations(newer)
    edited = {(c["id"], c["field"]): c for c in data["changes"]}
    assert edited[("V2", "text")]["author"] == "Rep"
    assert edited[("C1", "measure")]["new"] == "Named by email"
    # the new fingerprint in the footer is tracked too, and is no spec field
    assert {n["place"] for n in data["not_absorbed"]} == {
        "page footer (fingerprint, page numbers)"}
    assert result.exit_code == 0, result.output  # --partial
    assert run("absorb", redline, spec, "-o", out, *HERE).exit_code == 1


# --- documents absorb refuses -----------------------------------------------------------


def _refused(run: Any, path: Path, tmp_path: Path, words: str) -> None:
    out = tmp_path / "never.yaml"
    result = run("absorb", path, "-o", out, *HERE)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert words in result.output
    assert not out.exists()


def test_docx_not_made_by_expectmatrix_is_refused(run, tmp_path):
    from docx import Document

    path = tmp_path / "letter.docx"
    Document().save(str(path))
    _refused(run, path, tmp_path, "carries no expectmatrix spec")


def test_zip_bomb_is_refused(run, tmp_path):
    path = tmp_path / "bomb.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", b"<a>" + b" " * 200_000_000 + b"</a>")
    _refused(run, path, tmp_path, "bomb.docx")


def test_entities_are_refused(made, run, tmp_path):
    _, docx = made
    path = tmp_path / "entities.docx"
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx)) as a, zipfile.ZipFile(out, "w") as b:
        for info in a.infolist():
            data = a.read(info.filename)
            if info.filename == "word/document.xml":
                data = data.replace(b"?>", b'?><!DOCTYPE w:document [<!ENTITY a "aaaa">'
                                    b'<!ENTITY b "&a;&a;&a;&a;">]>', 1)
            b.writestr(info, data)
    path.write_bytes(out.getvalue())
    _refused(run, path, tmp_path, "entities")
