"""Redlines as a lawyer reads them: a changed phrase struck whole and its replacement
inserted whole (text, Markdown, HTML, PDF and DOCX alike), the vendor's expectations
before the customer's in id order, a PDF summary that says what changed where the page
has room, and clean Markdown."""

from __future__ import annotations

import re
import zipfile

import pytest
from conftest import SAMPLES, pdf_text
from lxml import etree
from test_tracked import _plain, _resolve

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@pytest.fixture
def versions(tmp_path):
    """The bakery deal, version 2 and a version 3 that rewords a phrase in C2, V3 and V4
    (and V10 added: it sorts after V4, not before V2)."""
    old = (SAMPLES / "small-bakery.yaml").read_text(encoding="utf-8")
    new = (old.replace("version: 2", "version: 3")
           .replace("owner: Kitchen manager", "owner: Head baker")
           .replace("Run two 90-minute training sessions", "Run three 60-minute training sessions")
           .replace("within 2 hours, 7 days a week", "within 1 hour, every day"))
    assert new.count("Head baker") == 1 and "60-minute" in new and "every day" in new
    a, b = tmp_path / "v2.yaml", tmp_path / "v3.yaml"
    a.write_text(old, encoding="utf-8")
    b.write_text(new, encoding="utf-8")
    return a, b


def test_text_strikes_the_old_phrase_whole_then_inserts_the_new(run, versions):
    out = run("diff", *versions).stdout
    assert "owner: [-Kitchen manager-]{+Head baker+}" in out
    assert "Run [-two 90-minute-]{+three 60-minute+} training sessions" in out
    assert "within [-2 hours, 7 days a week.-]{+1 hour, every day.+}" in out
    assert "[-Kitchen-]" not in out  # not word by word


def test_markdown_is_clean(run, versions, tmp_path):
    md = run("diff", *versions, "-f", "md").stdout
    assert "- owner: ~~Kitchen manager~~ **Head baker**" in md
    assert "Run ~~two 90-minute~~ **three 60-minute** training" in md
    assert md.endswith("\n") and not md.endswith("\n\n")
    lines = md.split("\n")
    assert not [line for line in lines if "  " in line.lstrip(" ")]  # no double spaces
    assert not [line for line in lines if line != line.rstrip()]  # no trailing spaces
    # the balance and the counts are two paragraphs, not one run-on line
    balance = lines.index(next(line for line in lines if line.startswith("Balance:")))
    assert lines[balance + 1] == "" and lines[balance + 2].startswith("Expectations:")
    written = tmp_path / "r.md"
    assert run("diff", *versions, "-f", "md", "-o", written).exit_code == 0
    assert written.read_text(encoding="utf-8") == md


def test_markdown_prints_spec_text_literally(run, versions):
    a, b = versions
    b.write_text(b.read_text(encoding="utf-8").replace("owner: Head baker",
                                                       "owner: Head_baker *on call*"),
                 encoding="utf-8")
    md = run("diff", a, b, "-f", "md").stdout
    assert r"**Head\_baker \*on call\***" in md


def test_html_redline_marks_whole_phrases(run, versions, tmp_path):
    assert run("diff", *versions, "-f", "html", "-o", tmp_path / "r.html").exit_code == 0
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<del>Kitchen manager</del> <ins>Head baker</ins>" in html
    assert "<del>two 90-minute</del> <ins>three 60-minute</ins>" in html


def test_pdf_summary_lists_vendor_then_customer_with_the_words_that_changed(run, versions,
                                                                          tmp_path):
    a, b = versions
    b.write_text(b.read_text(encoding="utf-8").replace(
        "  of_customer:\n",
        "    - id: V10\n      area: Support\n      text: Send a monthly usage report.\n"
        "      measure: Report sent\n  of_customer:\n    - id: C5\n      area: Support\n"
        "      text: Read the monthly report.\n      measure: Read\n      owner: Owner\n"),
        encoding="utf-8")
    out = tmp_path / "r.pdf"
    assert run("diff", a, b, "-f", "pdf", "-o", out).exit_code == 0
    text, reader = pdf_text(out.read_bytes())
    first = reader.pages[0].extract_text()
    said = re.findall(r"\b([VC]\d+) (?:changed|added|removed)", first)
    assert said == ["V3", "V4", "V10", "C2", "C5"], first
    flat = " ".join(first.split())
    assert "Run two 90-minute three 60-minute training sessions" in flat
    assert "Owner: Kitchen manager Head baker" in flat
    # the page is used: the agreement follows the summary on it, not on a page of its own
    assert "Point-of-sale and inventory rollout for Harbour" in flat
    assert "About this matrix" in flat

    # The agreement, as the summary, marks whole phrases (the rows added change nothing
    # of C2's owner): the old phrase struck whole, then the new one, never word by word.
    flat = " ".join(text.split())
    assert "Owner: Kitchen manager Head baker" in flat
    assert "Kitchen Head manager baker" not in flat


def test_docx_tracks_one_deletion_and_one_insertion_per_phrase(run, versions, tmp_path):
    out = tmp_path / "r.docx"
    assert run("diff", *versions, "-f", "docx", "-o", out, "--author", "Legal").exit_code == 0
    with zipfile.ZipFile(out) as z:
        xml = z.read("word/document.xml")
    root = etree.fromstring(xml)
    deleted = ["".join(t.text or "" for t in d.iter(f"{W}delText")) for d in root.iter(f"{W}del")]
    inserted = ["".join(t.text or "" for t in i.iter(f"{W}t")) for i in root.iter(f"{W}ins")]
    assert "Kitchen manager" in deleted and "Head baker" in inserted
    assert "two 90-minute" in deleted and "three 60-minute" in inserted
    assert "2 hours, 7 days a week." in deleted and "1 hour, every day." in inserted
    assert "Kitchen" not in deleted  # not one mark per word
    # still a faithful redline: accepting gives version 3, rejecting version 2
    for spec, accept in ((versions[1], True), (versions[0], False)):
        plain = tmp_path / spec.stem
        assert run("render", spec, "-o", plain, "-f", "docx").exit_code == 0
        with zipfile.ZipFile(next(plain.glob("*.docx"))) as z:
            expected = _plain(z.read("word/document.xml"))
        assert _resolve(xml, accept) == expected
