"""How the agreement is laid out, read back from the PDF, the DOCX and the DOCX as
LibreOffice sets it: area headings on every page an area continues on, both formats in
one font and one pagination, lines to sign on, the language's typography."""

from __future__ import annotations

import copy
import io
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
from conftest import BASE, SAMPLES, docx_text, pdf_text

from expectmatrix.render.pipeline import RenderOptions, render_file

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
LIBREOFFICE = pytest.mark.skipif(shutil.which("soffice") is None,
                                 reason="LibreOffice is not installed")


def _long_area_spec() -> dict[str, Any]:
    """Fourteen rows in one area, far more than a page holds."""
    data = copy.deepcopy(BASE)
    for side, prefix in (("of_vendor", "V"), ("of_customer", "C")):
        for n in range(3, 17):
            data["expectations"][side].append({
                "id": f"{prefix}{n}", "area": "Support",
                "text": f"Handle support case type {n} as the runbook for it describes, "
                        f"with the escalation path agreed for type {n} cases.",
                "measure": f"Monthly report of type {n} cases", "due": "From go-live",
                "owner": f"Support lead {n}"})
    return data


def _render(path: Path, out: Path, formats: tuple[str, ...] = ("pdf", "docx"),
            **options: Any) -> dict[str, bytes]:
    chosen = RenderOptions(formats, **options)
    result = render_file(path, out, chosen, renderers=chosen.renderers())
    assert result.ok, result.findings
    return {p.suffix[1:]: p.read_bytes() for p in result.outputs}


def _pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in pdf_text(pdf)[1].pages]


@pytest.fixture(scope="module")
def long_spec(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("long") / "long.json"
    path.write_text(json.dumps(_long_area_spec()), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory, render_cache: Any,
            long_spec: Path) -> tuple[dict[str, dict[str, bytes]], dict[str, bytes]]:
    """The documents of the small, the large and the long deal, and the long one written
    into a Letter letterhead, with their DOCX files as LibreOffice sets them (one run):
    ({name: {fmt: bytes}}, {name: LibreOffice's PDF})."""
    import docx as python_docx
    from docx.shared import Mm

    folder = tmp_path_factory.mktemp("printed")
    docs = {name: render_cache.documents(path) for name, path in (
        ("small", SAMPLES / "small-bakery.yaml"), ("large", SAMPLES / "large-hospital.yaml"),
        ("long", long_spec))}
    base = python_docx.Document()
    section = base.sections[0]
    section.page_width, section.page_height = Mm(215.9), Mm(279.4)
    section.top_margin = section.bottom_margin = Mm(30)
    base.save(folder / "letter.docx")
    docs["letter"] = _render(long_spec, folder / "made", ("docx",),
                             docx_base=folder / "letter.docx")
    return docs, _as_libreoffice_sets_them({n: d["docx"] for n, d in docs.items()}, folder)


def _as_libreoffice_sets_them(docx: dict[str, bytes], tmp_path: Path) -> dict[str, bytes]:
    """Each DOCX converted to PDF by LibreOffice, in one run."""
    folder = tmp_path / "docx"
    folder.mkdir()
    for name, data in docx.items():
        (folder / f"{name}.docx").write_bytes(data)
    subprocess.run(["soffice", f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}",
                    "--headless", "--convert-to", "pdf", "--outdir", str(folder),
                    *map(str, sorted(folder.glob("*.docx")))],
                   check=True, capture_output=True, timeout=600)
    return {name: (folder / f"{name}.pdf").read_bytes() for name in docx}


_MARKS = re.compile(r"^(?:† )?([VC]\d+) |^(About this matrix|The matrix|Readiness|"
                    r"When an expectation is missed|Signatures)$", re.M)


def _layout(pdf: bytes) -> list[list[str]]:
    """Per page: the expectations and the section headings it starts, in order."""
    return [[a or b for a, b in _MARKS.findall(page)] for page in _pages(pdf)]


def test_an_area_continued_on_a_new_page_repeats_its_heading(render_cache, long_spec):
    docs = render_cache.documents(long_spec)
    pages = _pages(docs["pdf"])
    support = [p for p in pages if re.search(r"\b[VC](?:[3-9]|1[0-6]) ", p)]
    assert len(support) >= 2  # the area does continue on another page
    for page in support:
        assert "SUPPORT" in page and "What Customer Co can expect of Vendor Co" in page
    # The DOCX: a table per area, whose head rows (Word repeats them) name the area.
    body = zipfile.ZipFile(io.BytesIO(docs["docx"])).read("word/document.xml")
    from lxml import etree

    for table, area in zip([t for t in etree.fromstring(body).iter(f"{W}tbl")
                            if "can expect of" in "".join(t.itertext())],
                           ("SETUP", "SUPPORT"), strict=True):
        head = [r for r in table.findall(f"{W}tr")
                if r.find(f"{W}trPr/{W}tblHeader") is not None]
        assert ["".join(r.itertext()) for r in head][1:] == [area]
        assert "can expect of" in "".join(head[0].itertext())


@LIBREOFFICE
def test_pdf_and_docx_paginate_alike(printed):
    """In the same font, spaced as the PDF, the DOCX breaks its pages where the PDF does,
    as LibreOffice sets it from the font the DOCX embeds."""
    docs, converted = printed
    for name in ("small", "large", "long"):
        assert _layout(converted[name]) == _layout(docs[name]["pdf"]), name
    # Continued in Word too: every page of the long area names it.
    for page in _pages(converted["long"]):
        if re.search(r"\b[VC](?:[3-9]|1[0-6]) ", page):
            assert "SUPPORT" in page
    from pypdf import PdfReader

    fonts = {str(f.get_object()["/BaseFont"]) for page in PdfReader(io.BytesIO(
        converted["small"])).pages for f in page["/Resources"]["/Font"].values()}
    assert fonts and all("NotoSans" in f for f in fonts), fonts


def test_the_docx_embeds_the_pdf_font(tmp_path, write_spec, spec_data, render_cache):
    from expectmatrix.render.docxfonts import obfuscate
    from expectmatrix.resources import fonts_dir

    docx = render_cache.documents(SAMPLES / "small-bakery.yaml", ("docx",))["docx"]
    with zipfile.ZipFile(io.BytesIO(docx)) as z:
        table = z.read("word/fontTable.xml").decode()
        rels = z.read("word/_rels/fontTable.xml.rels").decode()
        types = z.read("[Content_Types].xml").decode()
        styles = z.read("word/styles.xml").decode()
        settings = z.read("word/settings.xml").decode()
        [font] = re.findall(r'<w:font w:name="Noto Sans">.*?</w:font>', table)
        embedded = {}
        for kind, rel, key in re.findall(
                r'<w:embed(\w+) r:id="(\w+)" w:fontKey="(\{[0-9A-F-]+\})"/>', font):
            target = re.search(rf'Id="{rel}"[^>]*Target="([^"]+)"', rels)
            assert target is not None
            part = z.read(f"word/{target.group(1)}")
            embedded[kind] = obfuscate(part, key)  # the same XOR undoes it
            assert part[:32] != embedded[kind][:32]  # stored obfuscated, as Word requires
    for kind in ("Regular", "Bold", "Italic"):
        assert embedded[kind] == (fonts_dir() / f"NotoSans-{kind}.ttf").read_bytes()
    assert "application/vnd.openxmlformats-officedocument.obfuscatedFont" in types
    assert "<w:embedTrueTypeFonts/>" in settings
    assert 'w:ascii="Noto Sans"' in styles and "Arial" not in styles
    # Arabic text in the family the PDF sets it in, embedded beside the Latin one.
    spec_data["deal"]["language"] = "ar"
    arabic = _render(write_spec(spec_data), tmp_path / "ar", ("docx",))["docx"]
    with zipfile.ZipFile(io.BytesIO(arabic)) as z:
        assert '<w:font w:name="Noto Sans Arabic">' in z.read("word/fontTable.xml").decode()
        arabic_styles = z.read("word/styles.xml").decode()
        body = z.read("word/document.xml").decode()
    assert 'w:cs="Noto Sans Arabic"' in arabic_styles
    # at the PDF's sizes (complex scripts have their own), not the defaults' 11pt
    assert re.search(r'w:styleId="Normal".*?<w:sz w:val="19"/><w:szCs w:val="19"/>',
                     arabic_styles, re.S)
    # set ragged, not stretched letter by letter (kashida) as the PDF never is
    assert '<w:jc w:val="both"/>' not in body
    # Still the same bytes every time (rendered here again, the first in another process
    # of the run, or earlier in this one).
    assert _render(SAMPLES / "small-bakery.yaml", tmp_path / "again", ("docx",))["docx"] == docx


def test_lines_to_sign_on_are_rules_and_the_facts_have_no_empty_cell(render_cache):
    docx = render_cache.documents(SAMPLES / "large-hospital.yaml", ("docx",))["docx"]
    from lxml import etree

    body = etree.fromstring(zipfile.ZipFile(io.BytesIO(docx)).read("word/document.xml"))
    text = "".join(body.itertext())
    assert "___" not in text
    tables = list(body.iter(f"{W}tbl"))
    signatures = tables[-1]
    ruled = [p for p in signatures.iter(f"{W}p") if p.find(f"{W}pPr/{W}pBdr/{W}bottom") is not None]
    assert len(ruled) == 2 * 4  # per party: the signature, name, title and date
    assert "Andrea Rossi" in "".join(ruled[2].itertext())  # a known name sits on its line
    facts = tables[0]
    cells = list(facts.iter(f"{W}tc"))
    assert all("".join(c.itertext()).strip() for c in cells)
    # Five facts: the last one takes the rest of its row.
    last = facts.findall(f"{W}tr")[-1].findall(f"{W}tc")
    assert len(last) == 2 and last[1].find(f"{W}tcPr/{W}gridSpan").get(f"{W}val") == "3"


def test_the_term_is_printed_once_on_the_first_page(tmp_path, write_spec, spec_data,
                                                   render_cache):
    pdf = render_cache.documents(SAMPLES / "large-hospital.yaml", ("pdf",))["pdf"]
    first = re.sub(r"\s+", " ", _pages(pdf)[0])
    assert first.count("36 months from the effective date") == 1
    # When the frame's words do not say it, the facts do.
    spec_data["deal"]["term"] = "Twelve months"
    spec_data["frame"] = {"term": {"text": "This matrix applies for the pilot only."}}
    pdf = _render(write_spec(spec_data), tmp_path / "own", ("pdf",))["pdf"]
    assert re.sub(r"\s+", " ", _pages(pdf)[0]).count("Twelve months") == 1


def test_our_wording_takes_the_language_apostrophe_and_spec_text_is_kept(
        tmp_path, write_spec, spec_data, render_cache):
    docs = render_cache.documents(SAMPLES / "large-hospital.yaml")
    for text in (pdf_text(docs["pdf"])[0], docx_text(docs["docx"])[0]):
        text = re.sub(r"\s+", " ", text)
        assert "the other party’s point of contact" in text  # the frame, ours
        assert "party's" not in text
        assert "St Mary's Health Network" in text  # the spec's name, as written
        assert "St Mary’s" not in text
        # The escalation sentence lists both signatories with a comma before "and".
        assert "for Chronos Health Systems Inc., and Helen Park" in text
    spec_data["deal"]["language"] = "fr"
    spec_data["frame"] = {"term": {"text": "Valable jusqu'à la fin de l'essai."}}
    french = re.sub(r"\s+", " ", pdf_text(_render(write_spec(spec_data), tmp_path / "fr",
                                                  ("pdf",))["pdf"])[0])
    assert "Date d’effet" in french and "Date d'effet" not in french  # a label
    assert "Valable jusqu'à la fin de l'essai." in french  # the spec's own frame wording


def test_a_phone_number_is_never_broken(tmp_path, write_spec, spec_data, render_cache):
    pdf = render_cache.documents(SAMPLES / "medium-logistics.yaml", ("pdf",))["pdf"]
    lines = pdf_text(pdf)[0].splitlines()
    assert any("+44 20 7946 0100" in line for line in lines)  # on one line
    spec_data["parties"]["vendor"]["contacts"] = [
        {"name": "Dana Reyes", "role": "Account executive", "email": "dana@vendor.example",
         "phone": "+1 617-555-0142"}]
    docx = _render(write_spec(spec_data), tmp_path / "d", ("docx",))["docx"]
    xml = zipfile.ZipFile(io.BytesIO(docx)).read("word/document.xml").decode()
    # no-break spaces, and Word's non-breaking hyphen, which reads back as a hyphen
    assert "+1\u00a0617<w:noBreakHyphen/>" in xml.replace('</w:t>', "").replace(
        '<w:t xml:space="preserve">', "")
    assert "+1\u00a0617-555-0142" in docx_text(docx)[0]


@LIBREOFFICE
def test_a_printed_docx_whose_area_continues_still_verifies(printed, tmp_path, long_spec):
    """Word and LibreOffice repeat an area's head rows where its table continues, on pages
    of their own making (here a letterhead's Letter paper): verify reads the repeated
    area name as the heading it is, not as text the spec lacks."""
    from click.testing import CliRunner

    from expectmatrix.cli import cli

    letter = printed[1]["letter"]
    assert sum("SUPPORT" in page for page in _pages(letter)) >= 3  # continued, twice
    (tmp_path / "printed.pdf").write_bytes(letter)
    result = CliRunner().invoke(cli, ["verify", str(tmp_path / "printed.pdf"), str(long_spec)])
    assert result.exit_code == 0, result.output
    assert "the text is what this spec renders to" in result.output
