"""The fulfilment statement's DOCX laid out as its PDF: the facts without rules and with
no empty cells, an evidence hash on a line of its own in a size that fits a cell, Arabic
not stretched to justify it, the header and footer on the PDF's sides, and the internal
notice boxed; read from the DOCX's XML."""

from __future__ import annotations

import shutil
import zipfile
from io import BytesIO

import pytest
from conftest import SAMPLES
from lxml import etree

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
TODAY = "2026-04-08"


@pytest.fixture(scope="module")
def statements(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The after-signing sample with V1 met on evidence, as DOCX in en and ar, both
    editions."""
    from click.testing import CliRunner

    from expectmatrix.cli import cli

    def run(*args: object) -> None:
        result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
        assert result.exit_code == 0, result.output

    folder = tmp_path_factory.mktemp("statements")
    docs = {}
    for language in ("en", "ar"):
        shutil.copytree(SAMPLES / "after-signing", folder / language)
        spec = folder / language / "deal.yaml"
        if language != "en":
            text = spec.read_text(encoding="utf-8")
            spec.write_text(text.replace("  calendar: DE\n",
                                         f"  calendar: DE\n  language: {language}\n"),
                            encoding="utf-8")
        proof = folder / language / "evidence" / "handover.pdf"
        proof.parent.mkdir()
        proof.write_bytes(b"%PDF-1.4 the handover note\n")
        run("record", spec, "V1", "met", "--on", "2026-03-05", "--evidence", proof)
        run("record", spec, "C1", "missed", "--on", "2026-04-01")
        for audience in ("counterparty", "internal"):
            out = folder / f"{language}-{audience}.docx"
            run("statement", spec, "-o", out, "--today", TODAY, "--audience", audience)
            docs[f"{language}-{audience}"] = out.read_bytes()
    return docs


def _body(docx: bytes) -> etree._Element:
    with zipfile.ZipFile(BytesIO(docx)) as z:
        return etree.fromstring(z.read("word/document.xml"))


def _text(element: etree._Element) -> str:
    return "".join(t.text or "" for t in element.iter(f"{W}t"))


@pytest.mark.parametrize("name", ["en-counterparty", "en-internal", "ar-counterparty",
                                  "ar-internal"])
def test_the_facts_have_no_rules_and_no_empty_cells(statements, name):
    facts = _body(statements[name]).find(f"{W}body/{W}tbl")
    assert facts is not None
    edges = facts.find(f"{W}tblPr/{W}tblBorders")
    assert edges is not None and {e.get(f"{W}val") for e in edges} == {"nil"}
    cells = list(facts.iter(f"{W}tc"))
    assert len(cells) >= 8  # deal, version, effective date, status, value, as of: pairs
    assert all(_text(c).strip() for c in cells), [_text(c) for c in cells]


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_evidence_hash_has_a_line_of_its_own(statements, language):
    body = _body(statements[f"{language}-internal"])
    hashes = [p for p in body.iter(f"{W}p")
              if len(_text(p)) == 64 and all(c in "0123456789abcdef" for c in _text(p))]
    assert hashes, "no evidence hash on a paragraph of its own"
    for p in hashes:
        style = p.find(f"{W}r/{W}rPr/{W}rStyle")
        assert style is not None and style.get(f"{W}val") == "EmHash"
        previous = p.getprevious()
        assert previous is not None and _text(previous) == "SHA-256"
    with zipfile.ZipFile(BytesIO(statements[f"{language}-internal"])) as z:
        styles = etree.fromstring(z.read("word/styles.xml"))
    size = styles.find(f"{W}style[@{W}styleId='EmHash']/{W}rPr/{W}sz")
    assert size is not None and int(size.get(f"{W}val")) <= 12  # 6pt: fits half a page


def test_arabic_is_not_justified_latin_is(statements):
    def justified(name: str) -> int:
        return sum(1 for jc in _body(statements[name]).iter(f"{W}jc")
                   if jc.get(f"{W}val") == "both")

    assert justified("ar-internal") == 0
    assert justified("en-internal") > 0


@pytest.mark.parametrize("language", ["en", "ar"])
def test_header_and_footer_keep_the_pdfs_sides(statements, language):
    """The deal id opens the header line in a left-to-right document and follows its tab
    in a right-to-left one (whose paragraphs start on the right): on the left either
    way, as @top-left; the page number the other way round."""
    with zipfile.ZipFile(BytesIO(statements[f"{language}-counterparty"])) as z:
        header = etree.fromstring(z.read("word/header1.xml"))
        footer = etree.fromstring(z.read("word/footer1.xml"))
    line = _text(header)
    before_tab = line.split("\t")[0]
    assert ("NWK-2026-003" in before_tab) == (language == "en"), line
    page = next(p for p in footer.iter(f"{W}p") if p.find(f".//{W}fldSimple") is not None)
    starts_with_tab = (_text(page)[:1] == "\t")
    assert starts_with_tab == (language == "en")


def test_the_internal_notice_is_boxed_only_in_the_internal_edition(statements):
    def boxed(name: str) -> list[str]:
        return [_text(p) for p in _body(statements[name]).iter(f"{W}p")
                if p.find(f"{W}pPr/{W}pBdr/{W}left") is not None
                and p.find(f"{W}pPr/{W}pBdr/{W}left").get(f"{W}color") == "B00020"]

    for language in ("en", "ar"):
        assert len(boxed(f"{language}-internal")) == 1
        assert boxed(f"{language}-counterparty") == []

