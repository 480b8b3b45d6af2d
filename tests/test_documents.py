"""Read the produced PDF and DOCX back and check what a reader would see."""

from __future__ import annotations

import re
import zipfile

import pytest
from conftest import SAMPLES, docx_text, pdf_text

from expectmatrix.checks import check_loaded
from expectmatrix.render.pipeline import Renderers, render_spec
from expectmatrix.render.view import build_view
from expectmatrix.spec.loading import load
from expectmatrix.spec.models import Spec
from expectmatrix.spec.shape import located


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("sample", sorted(p.stem for p in SAMPLES.glob("*.yaml")))
def test_every_sample_shows_everything(rendered, sample):
    spec = check_loaded(load(SAMPLES / f"{sample}.yaml")).spec
    view = build_view(spec)
    pdf, reader = pdf_text(rendered[sample]["pdf"])
    docx, document = docx_text(rendered[sample]["docx"])
    for text in (pdf, docx):
        flat = squash(text)
        for _, _, e in located(spec):
            assert squash(e.text) in flat, e.id
            for detail in (e.measure, e.due, e.owner):
                if detail:  # printed as a sentence starts: "weekly" -> "Weekly"
                    assert squash(detail).casefold() in flat.casefold()
        for name in (spec.parties.vendor.name, spec.parties.customer.name, spec.deal.title):
            assert squash(name) in flat
        assert view.fingerprint in text  # unbroken
        assert ("DRAFT" in text) == (spec.deal.status != "approved")
        for item in spec.readiness:
            assert squash(item.question) in flat
        for party in (spec.parties.vendor, spec.parties.customer):
            if party.signatory:
                assert squash(party.signatory.name) in flat
        assert spec.deal.effective.strftime("%B %Y") in text
    # page numbers on every page, and the right count
    pages = len(reader.pages)
    for i, page in enumerate(reader.pages, 1):
        assert f"Page {i} of {pages}" in page.extract_text()
        if spec.deal.status != "approved":
            assert "DRAFT" in page.extract_text()
    assert "PAGE" in document.sections[0].footer._element.xml
    assert "NUMPAGES" in document.sections[0].footer._element.xml


def test_large_sample_spans_pages_with_repeated_header(rendered):
    _, reader = pdf_text(rendered["large-hospital"]["pdf"])
    assert len(reader.pages) >= 3
    heading = "What St Mary's Health Network can expect of"
    texts = [p.extract_text().replace("\n", " ") for p in reader.pages]
    # Every page that holds rows of the matrix starts them under the column headings.
    matrix_pages = [t for t in texts if re.search(r"\bV\d+\b", t)]
    assert len(matrix_pages) >= 2
    assert all(heading in t for t in matrix_pages)


def test_pdf_metadata(rendered):
    _, reader = pdf_text(rendered["small-bakery"]["pdf"])
    meta = reader.metadata
    assert meta.title == "Point-of-sale and inventory rollout for Harbour Bakery"
    assert meta.author == "Tillwise GmbH"
    assert "Expectations matrix" in meta.subject
    assert "HBK-2026-007" in meta["/Keywords"]
    assert meta.creator.startswith("expectmatrix ")
    assert meta["/CreationDate"].startswith("D:20261201")


def test_pdf_fonts_are_embedded_and_bundled(rendered):
    _, reader = pdf_text(rendered["small-bakery"]["pdf"])
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"] \
                if "/DescendantFonts" in font else font["/FontDescriptor"]
            descriptor = descriptor.get_object()
            assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            fonts.add(str(font["/BaseFont"]))
    assert fonts and all("Matrix-Sans" in f for f in fonts), fonts  # the bundled @font-face


def test_docx_tables_repeat_header_and_never_split(rendered):
    with zipfile.ZipFile(__import__("io").BytesIO(rendered["large-hospital"]["docx"])) as z:
        xml = z.read("word/document.xml").decode()
    rows = xml.count("<w:tr>") + xml.count("<w:tr ")
    assert xml.count("<w:cantSplit/>") == rows
    assert xml.count("<w:tblHeader/>") >= 2  # matrix and readiness


def test_docx_core_properties(rendered):
    _, document = docx_text(rendered["large-hospital"]["docx"])
    props = document.core_properties
    assert props.author == "Chronos Health Systems Inc."
    assert props.title.startswith("Enterprise scheduling platform")
    assert "SMH-2027-002" in props.keywords
    assert props.last_modified_by.startswith("expectmatrix")
    assert props.created.year == 2027


def test_rendering_is_deterministic(spec_data):
    spec = Spec.model_validate(spec_data)
    first = render_spec(spec, ("pdf", "docx", "html"), Renderers())
    second = render_spec(spec, ("pdf", "docx", "html"), Renderers())
    assert first == second


def test_source_date_epoch_sets_document_dates(spec_data, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    docs = render_spec(Spec.model_validate(spec_data), ("pdf", "docx"))
    _, reader = pdf_text(docs["pdf"])
    assert reader.metadata["/CreationDate"].startswith("D:20231114")
    _, document = docx_text(docs["docx"])
    assert document.core_properties.created.year == 2023


HOSTILE = ["<script>alert(1)</script>", "<b>bold</b>", "{{ 7*7 }}", "{% raw %}x", "&amp; \"q\" 'a'"]


def test_markup_and_template_syntax_print_literally(spec_data):
    for i, text in enumerate(HOSTILE[:2]):
        spec_data["expectations"]["of_vendor"][i]["text"] = text
    spec_data["expectations"]["of_customer"][0]["text"] = HOSTILE[2]
    spec_data["expectations"]["of_customer"][1]["measure"] = HOSTILE[3]
    spec_data["deal"]["title"] = HOSTILE[4]
    docs = render_spec(Spec.model_validate(spec_data), ("pdf", "docx", "html"))
    pdf, _ = pdf_text(docs["pdf"])
    docx, _ = docx_text(docs["docx"])
    html = re.sub(r"data:[^\"')]+", "data:", docs["html"].decode())  # inlined fonts aside
    html = re.sub(r"[0-9a-f]{64}", "", html)  # and the fingerprint, whose digits are chance
    for text in HOSTILE:
        assert squash(text) in squash(pdf), text
        assert text in docx, text
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "{{ 7*7 }}" in html and "49" not in html


def test_characters_outside_latin_are_kept(spec_data):
    spec_data["parties"]["customer"]["name"] = "Ωmega ООО Łódź"
    spec_data["expectations"]["of_vendor"][0]["text"] = "Ünïcödé – “quotes” and € signs."
    docs = render_spec(Spec.model_validate(spec_data), ("pdf", "docx"))
    pdf, _ = pdf_text(docs["pdf"])
    assert "Ωmega ООО Łódź" in pdf and "“quotes” and € signs" in pdf
    assert "Ωmega ООО Łódź" in docx_text(docs["docx"])[0]


def test_branding_colour_and_paper(spec_data):
    spec_data["branding"] = {"primary_color": "#123456", "paper": "Letter"}
    docs = render_spec(Spec.model_validate(spec_data), ("pdf", "docx"))
    _, reader = pdf_text(docs["pdf"])
    width, height = (float(x) for x in reader.pages[0].mediabox[2:])
    assert (round(width), round(height)) == (612, 792)
    _, document = docx_text(docs["docx"])
    assert round(document.sections[0].page_width.mm) == 216
    assert "123456" in document.styles["Heading 1"].element.xml
