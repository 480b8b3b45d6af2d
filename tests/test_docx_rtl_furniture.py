"""The DOCX's header and footer put the deal id, the status, the fingerprint and the page
number on the sides of the page the PDF puts them on, in a right-to-left language too:
read from the DOCX's XML, and from where LibreOffice prints them in its PDF of the DOCX."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from builders import in_language
from lxml import etree

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
SAMPLE = "medium-logistics"
DEAL_ID = "NLX-2026-031"
HEX64 = re.compile(r"[0-9a-f]{64}")


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory, render_cache: Any
              ) -> dict[str, dict[str, bytes]]:
    folder = tmp_path_factory.mktemp("furniture")
    return {language: render_cache.documents(in_language(SAMPLE, language, folder),
                                             ("pdf", "docx") if language != "he" else ("docx",))
            for language in ("en", "ar", "he")}


# --- the XML ---------------------------------------------------------------------------


def _paragraphs(docx: bytes, part: str) -> list[etree._Element]:
    with zipfile.ZipFile(BytesIO(docx)) as z:
        names = sorted(n for n in z.namelist() if re.fullmatch(rf"word/{part}\d*\.xml", n))
        return [p for n in names for p in etree.fromstring(z.read(n)).iter(f"{W}p")]


def _bidi(docx: bytes, paragraph: etree._Element) -> bool:
    """Whether the paragraph is right to left: its own w:bidi, else the Normal style's."""
    own = paragraph.find(f"{W}pPr/{W}bidi")
    if own is not None:
        return own.get(f"{W}val", "1") not in ("0", "false")
    with zipfile.ZipFile(BytesIO(docx)) as z:
        styles = etree.fromstring(z.read("word/styles.xml"))
    normal = styles.find(f"{W}style[@{W}styleId='Normal']/{W}pPr/{W}bidi")
    return normal is not None


def _side_in_xml(docx: bytes, part: str, needle: str) -> str:
    """The side of the page ``needle`` is printed on: text before a paragraph's tab is at
    its start, text after the (end-aligned) tab at its end; a bidi paragraph starts on the
    right."""
    for p in _paragraphs(docx, part):
        # a field (the page number) reads as PAGE, a tab run as a tab
        line = "".join("PAGE" if e.tag == f"{W}fldSimple" else "\t" if e.tag == f"{W}tab"
                       else e.text or "" for e in p.iter(f"{W}t", f"{W}tab", f"{W}fldSimple")
                       if e.tag != f"{W}tab" or e.getparent().tag == f"{W}r")
        line = line.replace("PAGE1", "PAGE")
        if needle not in line:
            continue
        tab = line.find("\t")
        at_end = tab != -1 and line.find(needle) > tab
        rtl = _bidi(docx, p)
        assert p.find(f"{W}pPr/{W}jc") is None  # no alignment that would move it again
        return ("left" if at_end else "right") if rtl else ("right" if at_end else "left")
    raise AssertionError(f"{needle!r} is not in the {part}")


@pytest.mark.parametrize("language", ["en", "ar", "he"])
def test_the_docx_xml_puts_each_item_on_the_pdfs_side(documents, language):
    docx = documents[language]["docx"]
    assert _side_in_xml(docx, "header", DEAL_ID) == "left"  # @top-left
    assert _side_in_xml(docx, "footer", "PAGE") == "right"  # @bottom-right
    fingerprint = HEX64.search(
        "".join(t.text or "" for p in _paragraphs(docx, "footer") for t in p.iter(f"{W}t")))
    assert fingerprint is not None
    assert _side_in_xml(docx, "footer", fingerprint.group()) == "left"  # @bottom-left


# --- where a reader sees them ----------------------------------------------------------


def _sides_on_page_one(pdf: Path) -> dict[str, set[str]]:
    """Which half of the first page the deal id (top band), the fingerprint and the page
    numbers (bottom band) are printed in, as poppler reads the words' boxes."""
    xhtml = subprocess.run(["pdftotext", "-bbox", "-f", "1", "-l", "1", str(pdf), "-"],
                           check=True, capture_output=True, text=True, timeout=60).stdout
    page = re.search(r'<page width="([\d.]+)" height="([\d.]+)"', xhtml)
    assert page is not None
    width, height = float(page.group(1)), float(page.group(2))
    found: dict[str, set[str]] = {"id": set(), "fingerprint": set(), "page": set()}
    for x0, y0, x1, y1, word in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<',
            xhtml):
        side = "left" if (float(x0) + float(x1)) / 2 < width / 2 else "right"
        top, bottom = float(y1) < height * 0.08, float(y0) > height * 0.9
        if top and DEAL_ID in word:
            found["id"].add(side)
        elif bottom and HEX64.search(word):
            found["fingerprint"].add(side)
        elif bottom and word.isdigit():
            found["page"].add(side)
    return found


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_prints_them_where_the_pdf_does(documents, printed_samples, tmp_path):
    folder = tmp_path / "docx"
    folder.mkdir()
    for language in ("en", "ar"):
        (tmp_path / f"{language}.pdf").write_bytes(documents[language]["pdf"])
        # LibreOffice's PDF of the very DOCX read above (the same spec, made once)
        (folder / f"{language}.pdf").write_bytes(printed_samples[SAMPLE, language,
                                                                 "counterparty"])
    expected = {"id": {"left"}, "fingerprint": {"left"}, "page": {"right"}}
    for language in ("en", "ar"):
        assert _sides_on_page_one(tmp_path / f"{language}.pdf") == expected, language
        assert _sides_on_page_one(folder / f"{language}.pdf") == expected, language
