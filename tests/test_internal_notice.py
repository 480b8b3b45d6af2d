"""The internal edition's notice is boxed in the DOCX as in the PDF: a border on all four
sides of its paragraph, in the colour matrix.css gives .internal-note; the counterparty
edition has neither the notice nor any such box."""

from __future__ import annotations

import re
import zipfile
from io import BytesIO
from typing import Any

import pytest
from conftest import ROOT, SAMPLES, pdf_text
from lxml import etree

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
SIDES = ("top", "left", "bottom", "right")


def _css_colour() -> str:
    css = (ROOT / "templates" / "matrix.css").read_text(encoding="utf-8")
    rule = re.search(r"\.internal-note\s*\{[^}]*border:[^;}]*#([0-9a-fA-F]{6})", css)
    assert rule is not None, "matrix.css no longer boxes .internal-note"
    return rule.group(1).upper()


@pytest.fixture(scope="module")
def editions(render_cache: Any) -> dict[str, dict[str, bytes]]:
    return {audience: render_cache.documents(SAMPLES / "medium-logistics.yaml",
                                             audience=audience)
            for audience in ("counterparty", "internal")}


def _boxed(docx: bytes) -> list[tuple[str, dict[str, dict[str, str]], etree._Element]]:
    """(text, {side: border attributes}, w:ind) of each body paragraph with a border."""
    with zipfile.ZipFile(BytesIO(docx)) as z:
        body = etree.fromstring(z.read("word/document.xml"))
    found = []
    for p in body.iter(f"{W}p"):
        borders = p.find(f"{W}pPr/{W}pBdr")
        if borders is None:
            continue
        sides = {side: {k.removeprefix(W): v for k, v in edge.attrib.items()}
                 for side in SIDES if (edge := borders.find(f"{W}{side}")) is not None}
        found.append(("".join(t.text or "" for t in p.iter(f"{W}t")), sides,
                      p.find(f"{W}pPr/{W}ind")))
    return found


def test_the_internal_docx_boxes_its_notice_as_the_pdf_does(editions):
    colour = _css_colour()
    pdf_words, _ = pdf_text(editions["internal"]["pdf"])
    boxes = [b for b in _boxed(editions["internal"]["docx"]) if len(b[1]) == 4]
    assert len(boxes) == 1, [b[0] for b in boxes]
    text, sides, indent = boxes[0]
    assert text.startswith("INTERNAL: Internal edition for Acme Software Ltd")
    # the same notice the PDF boxes
    assert " ".join(text.split()[:8]) in " ".join(pdf_words.split())
    for side in SIDES:
        assert sides[side]["val"] == "single", side
        assert sides[side]["color"] == colour, side
        assert int(sides[side]["sz"]) >= 4, side  # visible: half a point at least
    # drawn within the text width, not out into the page's margins
    assert indent is not None
    for edge, side in (("left", "left"), ("right", "right")):
        assert int(indent.get(f"{W}{edge}")) >= int(sides[side]["space"]) * 20


def test_the_counterparty_edition_has_no_notice_and_no_box(editions):
    colour = _css_colour()
    pdf_words, _ = pdf_text(editions["counterparty"]["pdf"])
    assert "INTERNAL" not in pdf_words
    for text, sides, _indent in _boxed(editions["counterparty"]["docx"]):
        assert "INTERNAL" not in text
        assert all(edge.get("color") != colour for edge in sides.values()), text
