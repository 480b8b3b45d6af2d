"""absorb of German and Arabic documents, both editions: the details are read by the
labels the document prints in its language, and the bidi isolates and direction marks of
a right-to-left document are no part of what it says."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from test_resaved import _spec_in
from wordedit import BIDI, Edited, edit_every_way, expectations


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> list[tuple[Path, str, Path]]:
    from expectmatrix.render.pipeline import Renderers, RenderOptions, render_file

    root = tmp_path_factory.mktemp("languages")
    renderers = Renderers()
    out = []
    for language, sample in (("de", "medium-logistics"), ("ar", "small-bakery")):
        spec = _spec_in(language, sample, root)
        for audience in ("counterparty", "internal"):
            result = render_file(spec, root / f"{language}-{audience}",
                                 RenderOptions(("docx",), audience=audience), renderers=renderers)
            assert result.ok, result.findings
            out.append((spec, language, result.outputs[0]))
    return out


def _absorb(run: Any, *args: Any) -> tuple[Any, dict[str, Any]]:
    result = run("absorb", *args, "--json", "--timeout", "0")
    assert "Traceback" not in result.output
    return result, json.loads(result.stdout)


def test_the_arabic_document_isolates_its_left_to_right_text(rendered):
    """What the Arabic cases test: the cells hold U+2068 ... U+2069 around the English."""
    _, _, docx = next(r for r in rendered if r[1] == "ar")
    with zipfile.ZipFile(docx) as z:
        assert "\u2068".encode() in z.read("word/document.xml")


def test_an_unedited_document_gives_the_same_spec(run, rendered, tmp_path):
    for spec, _, docx in rendered:
        out = tmp_path / f"{docx.stem}.yaml"
        result, data = _absorb(run, docx, spec, "-o", out)
        assert result.exit_code == 0, (docx.name, result.output)
        assert (data["changes"], data["not_absorbed"]) == ([], []), (docx.name, data)
        assert expectations(out) == expectations(spec), docx.name
        # and from the spec the document carries
        alone, _ = _absorb(run, docx, "-o", tmp_path / "alone.yaml")
        assert alone.exit_code == 0, (docx.name, alone.output)
        assert expectations(tmp_path / "alone.yaml") == expectations(spec), docx.name


@pytest.mark.parametrize("tracked", [True, False], ids=["tracked", "typed-over"])
def test_edits_give_the_expected_spec_field_by_field(run, rendered, tmp_path, tracked):
    for spec, language, docx in rendered:
        doc = Edited(docx.read_bytes())
        want = edit_every_way(doc, spec, language, tracked=tracked)
        out = tmp_path / f"{docx.stem}.yaml"
        _, data = _absorb(run, doc.save(tmp_path / docx.name), spec, "-o", out)
        assert data["not_absorbed"] == [], (docx.name, data["not_absorbed"])
        assert expectations(out) == want, docx.name
        text = out.read_text(encoding="utf-8")
        assert not any(c in text for c in BIDI), docx.name


def test_direction_marks_legal_typed_in_arabic_are_left_out(run, rendered, tmp_path):
    """Word puts a right-to-left mark after text typed in a right-to-left paragraph."""
    spec, _, docx = next(r for r in rendered if r[1] == "ar" and "internal" in r[2].name)
    doc = Edited(docx.read_bytes())
    doc.tracked_replace("V2", "\u2068Vendor trains the staff.\u2069\u200f")
    doc.typed_over("C1", "\u200fالمدير\u200f", paragraph=3)
    out = tmp_path / "new.yaml"
    result, data = _absorb(run, doc.save(tmp_path / "e.docx"), spec, "-o", out)
    assert result.exit_code == 0, result.output
    got = expectations(out)
    assert got["V2"]["text"] == "Vendor trains the staff."
    assert got["C1"]["owner"] == "المدير"
    assert {(c["id"], c["field"], c["new"]) for c in data["changes"]} == {
        ("V2", "text", "Vendor trains the staff."), ("C1", "owner", "المدير")}
