"""`statement`: the fulfilment statement as PDF and DOCX, read back with pypdf and
python-docx: statuses, dates, evidence, the summary per side, the escalations and both
fingerprints, in both editions and in German and Arabic; and hostile cases that write
nothing."""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from conftest import SAMPLES, docx_text, pdf_text

SAMPLE = SAMPLES / "after-signing" / "deal.yaml"
C6_DUE_BY = "      due_by: {after: uat, business_days: 10}\n"
NOTE = "Migrated by the customer after a call with their controller"
TODAY = "2026-04-08"


@pytest.fixture
def deal(tmp_path: Path, run) -> Path:
    """The sample with C6 left undated, and a journal: V1 met with evidence, V6 waived
    with a note, C1 missed, C2 met then reopened (as in test_track_status)."""
    shutil.copytree(SAMPLE.parent, tmp_path / "deal")
    spec = tmp_path / "deal" / "deal.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace(C6_DUE_BY, ""), encoding="utf-8")
    proof = tmp_path / "deal" / "evidence" / "sandbox-handover.pdf"
    proof.parent.mkdir()
    proof.write_bytes(b"%PDF-1.4 the handover note\n")
    for args in (("V1", "met", "--on", "2026-03-05", "--by", "Jonas Weber", "--evidence", proof),
                 ("V6", "waived", "--on", "2026-03-30", "--note", NOTE),
                 ("C1", "missed", "--on", "2026-04-01"),
                 ("C2", "met", "--on", "2026-04-07"), ("C2", "reopened", "--on", "2026-04-08")):
        result = run("record", spec, *args)
        assert result.exit_code == 0, result.stderr
    return spec


def make(run, spec: Path, name: str, *args: str) -> bytes:
    out = spec.parent.parent / name
    result = run("statement", spec, "-o", out, "--today", TODAY, *args)
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    return out.read_bytes()


def fingerprints(spec: Path, audience: str) -> tuple[str, str]:
    """The spec's fingerprint as the edition prints it, and the journal file's SHA-256."""
    from expectmatrix.render.audience import Edition, edition_fingerprint
    from expectmatrix.track.tracked import checked_spec

    loaded = checked_spec(spec)
    assert loaded.spec is not None
    journal = spec.with_name("deal.track.yaml").read_bytes()
    return (edition_fingerprint(loaded.spec, Edition(audience)),  # type: ignore[arg-type]
            hashlib.sha256(journal).hexdigest())


def flat(text: str) -> str:
    return " ".join(text.split())


# Each expectation's status and the dates the statement words for it (test_track_status
# computes them by hand), and what the PDF and the DOCX must both say.
EXPECTED = [
    "V1 Deliver a configured sandbox", "Met", "Due: 6 March 2026 (10 business days after signature)",
    "Last recorded: Met on 5 March 2026 by Jonas Weber", "Evidence: evidence/sandbox-handover.pdf",
    "Escalated: unresolved after 16 March 2026",  # V2, overdue since kick-off
    "Escalates if unresolved after 20 April 2026",  # V3
    "Last recorded: Waived on 30 March 2026",  # V6
    "Escalates if unresolved after 17 April 2026",  # C1, missed on 1 April
    "Last recorded: Missed on 1 April 2026",
    "Last recorded: Reopened on 8 April 2026",  # C2
    "Due: 10 April 2026 (Before user acceptance testing)",  # C3, due soon
    "Due soon", "Overdue", "Escalated", "Ongoing", "Upcoming", "No date", "Waived", "Missed",
    "Summary per side", "Escalations", "Fingerprints", "As of 8 April 2026",
    "An expectation that stays missed or overdue for more than 10 business days is escalated "
    "to the signatories.",
]
# status: (vendor, customer), as `status` counts them on the day
SUMMARY = {"Met": (1, 0), "Waived": (1, 0), "Ongoing": (1, 1), "Upcoming": (1, 2),
           "Due soon": (0, 1), "Overdue": (1, 0), "Missed": (0, 1), "Escalated": (1, 0),
           "No date": (0, 1), "Total": (6, 6)}


def test_the_counterparty_statement_as_pdf(run, deal):
    data = make(run, deal, "statement.pdf")
    text, reader = pdf_text(data)
    words = flat(text)
    for phrase in EXPECTED:
        assert phrase in words, phrase
    spec_fp, journal_fp = fingerprints(deal, "counterparty")
    events_fp = re.search(r"Events fingerprint \(SHA-256\): ([0-9a-f]{64})", words).group(1)
    assert f"Spec fingerprint (SHA-256): {spec_fp}" in words
    assert journal_fp not in words  # test_statement_fingerprint says why
    evidence = hashlib.sha256(b"%PDF-1.4 the handover note\n").hexdigest()
    assert evidence in text.replace("\n", "")
    for status, (vendor, customer) in SUMMARY.items():
        assert re.search(rf"\b{status} {vendor} {customer}\b", words), status
    # Each page carries both fingerprints in its footer.
    for page in reader.pages:
        page_text = flat(page.extract_text())
        assert spec_fp in page_text and events_fp in page_text
    info = reader.metadata
    assert info["/expectmatrixstatementspec"] == spec_fp
    assert info["/expectmatrixstatementevents"] == events_fp
    assert "/expectmatrixstatementjournal" not in info
    assert info["/Title"].startswith("Fulfilment statement: Field service scheduling")
    # The escalation list names the escalated expectation, the other list those close.
    escalations = words.split("Escalations", 1)[1].split("The matrix and where it stands")[0]
    assert "V2 (Vendor) Agree a written implementation plan" in escalations
    assert re.search(r"About to escalate .*V3 .*C1 ", escalations)
    # Nothing internal: the journal's note, the segment, the approvals.
    for internal in (NOTE, "Customer segment", "INTERNAL", "Mara Schulz"):
        assert internal not in words


def test_the_internal_statement_as_docx(run, deal):
    data = make(run, deal, "statement.docx", "--audience", "internal")
    text, document = docx_text(data)
    words = flat(text)
    for phrase in EXPECTED:
        assert phrase in words, phrase
    spec_fp, journal_fp = fingerprints(deal, "internal")
    assert spec_fp != fingerprints(deal, "counterparty")[0]
    assert f"Spec fingerprint (SHA-256): {spec_fp}" in words
    assert f"Journal fingerprint (SHA-256): {journal_fp}" in words
    # The internal edition shows the journal's note, the segment, and says INTERNAL.
    assert f"Note: {NOTE}" in words and "Customer segment Medium" in words
    header = flat(" ".join(p.text for p in document.sections[0].header.paragraphs))
    assert "INTERNAL" in header and "Fulfilment as of 8 April 2026" in header
    footer = flat(" ".join(p.text for p in document.sections[0].footer.paragraphs))
    assert spec_fp in footer and journal_fp in footer
    # The summary is a real table: status, vendor, customer.
    summary = next(t for t in document.tables if t.rows[0].cells[0].text == "Status")
    counts = {r.cells[0].text: (int(r.cells[1].text), int(r.cells[2].text))
              for r in summary.rows[1:]}
    assert counts == SUMMARY
    props = document.core_properties
    assert props.title.startswith("Fulfilment statement: ") and spec_fp in props.comments
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        custom = z.read("docProps/custom.xml").decode()
    assert spec_fp in custom and journal_fp in custom


def test_the_counterparty_docx_shows_nothing_internal(run, deal):
    text, _ = docx_text(make(run, deal, "statement.docx"))
    words = flat(text)
    assert "Last recorded: Waived on 30 March 2026" in words
    for internal in (NOTE, "Customer segment", "INTERNAL", "Mara Schulz"):
        assert internal not in words
    assert fingerprints(deal, "counterparty")[0] in words


def test_the_same_statement_gives_the_same_bytes(run, deal):
    for name in ("a.pdf", "a.docx"):
        first = make(run, deal, name)
        assert make(run, deal, name) == first
    # Another day is another statement (the last --today given counts).
    later = flat(pdf_text(make(run, deal, "b.pdf", "--today", "2026-04-09"))[0])
    assert "As of 9 April 2026" in later


def test_a_new_event_changes_the_journal_fingerprint(run, deal):
    before = flat(pdf_text(make(run, deal, "before.pdf", "--audience", "internal"))[0])
    assert run("record", deal, "V3", "met", "--on", "2026-04-08").exit_code == 0
    after = flat(pdf_text(make(run, deal, "after.pdf", "--audience", "internal"))[0])
    _, journal_fp = fingerprints(deal, "internal")
    assert journal_fp in after and journal_fp not in before
    assert "Last recorded: Met on 8 April 2026" in after


def test_a_deal_with_nothing_recorded_yet(run, tmp_path):
    shutil.copytree(SAMPLE.parent, tmp_path / "deal")
    spec = tmp_path / "deal" / "deal.yaml"
    text, _ = docx_text(make(run, spec, "fresh.docx"))
    words = flat(text)
    assert "No journal yet: nothing has been recorded since signing." in words
    assert "Events fingerprint (SHA-256): –" in words  # the footer's place for it


def _in_language(spec: Path, language: str) -> None:
    text = spec.read_text(encoding="utf-8")
    spec.write_text(text.replace("  calendar: DE\n", f"  calendar: DE\n  language: {language}\n"),
                    encoding="utf-8")


def test_a_german_statement(run, deal, tmp_path):
    _in_language(deal, "de")
    assert run("record", deal, "--new-version").exit_code == 0  # the spec changed
    pdf = flat(pdf_text(make(run, deal, "de.pdf"))[0])
    docx, _ = docx_text(make(run, deal, "de.docx"))
    docx = flat(docx)
    for words in (pdf, docx):
        for phrase in ("Erfüllungsbericht".upper(), "Zusammenfassung je Seite", "Eskalationen",
                       "Bald fällig", "Überfällig", "Nicht erfüllt", "Ohne Datum",
                       "Stand 8. April 2026",
                       "Zuletzt erfasst: Erfüllt am 5. März 2026 von Jonas Weber",
                       "Nachweis: evidence/sandbox-handover.pdf",
                       "Eskaliert: ungelöst nach dem 16. März 2026",
                       "länger als 10 Geschäftstage",
                       "Fingerabdruck der Ereignisse (SHA-256)"):
            assert phrase in words, phrase
        assert NOTE not in words
    assert fingerprints(deal, "counterparty")[1] not in pdf


def test_an_arabic_statement_right_to_left(run, deal):
    _in_language(deal, "ar")
    assert run("record", deal, "--new-version").exit_code == 0
    data = make(run, deal, "ar.docx", "--audience", "internal")
    text, _ = docx_text(data)
    for phrase in ("بيان التنفيذ", "ملخص لكل طرف", "التصعيدات", "متأخر", "يستحق قريبا",
                   "بلا تاريخ", "الدليل", "بصمة السجل (SHA-256)", NOTE):
        assert phrase in text, phrase
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = z.read("word/document.xml").decode() + z.read("word/styles.xml").decode()
    assert "<w:bidiVisual/>" in xml and "<w:bidi/>" in xml
    spec_fp, journal_fp = fingerprints(deal, "internal")
    assert spec_fp in text and journal_fp in text
    pdf = make(run, deal, "ar.pdf")
    pdf_words, reader = pdf_text(pdf)
    events_fp = reader.metadata["/expectmatrixstatementevents"]
    # pypdf reorders right-to-left text on extraction: single words and the hashes.
    for word in ("التصعيدات", "البصمات", fingerprints(deal, "counterparty")[0], events_fp):
        assert word in pdf_words, word
    assert NOTE not in pdf_words and journal_fp not in pdf_words


# --- hostile input: a clear message, the right exit code, nothing written -----------------


def refused(result, *phrases: str, code: int = 1) -> None:
    output = result.stdout + result.stderr
    assert result.exit_code == code, output
    assert "Traceback" not in output
    for phrase in phrases:
        assert phrase in result.stderr, result.stderr


def test_a_statement_in_another_format_is_a_usage_error(run, deal):
    out = deal.parent / "statement.html"
    refused(run("statement", deal, "-o", out), "written as .pdf or .docx", code=2)
    assert not out.exists()


def test_an_invalid_spec_writes_no_statement(run, deal):
    text = deal.read_text(encoding="utf-8")
    deal.write_text(text.replace("    - id: C6\n", "    - id: C5\n", 1), encoding="utf-8")
    out = deal.parent / "statement.pdf"
    refused(run("statement", deal, "-o", out, "--today", TODAY), "deal.yaml:", "C5")
    assert not out.exists()


def test_a_journal_of_another_version_keeps_the_earlier_statement(run, deal):
    earlier = make(run, deal, "statement.docx")
    out = deal.parent.parent / "statement.docx"
    text = deal.read_text(encoding="utf-8")
    deal.write_text(text.replace("Train eight dispatchers", "Train six dispatchers"),
                    encoding="utf-8")
    refused(run("statement", deal, "-o", out, "--today", TODAY), "deal.track.yaml:",
            "fingerprint", "record deal.yaml --new-version")
    assert out.read_bytes() == earlier  # left as it was
    assert not [p.name for p in out.parent.iterdir() if p.name.endswith(".tmp")]


def test_a_journal_that_is_not_yaml(run, deal):
    journal = deal.with_name("deal.track.yaml")
    journal.write_text(journal.read_text(encoding="utf-8") + "  - id: [C1\n", encoding="utf-8")
    out = deal.parent / "statement.pdf"
    refused(run("statement", deal, "-o", out, "--today", TODAY), "deal.track.yaml:",
            "YAML syntax error")
    assert not out.exists()


def test_an_output_folder_that_does_not_exist(run, deal):
    out = deal.parent / "missing" / "statement.pdf"
    refused(run("statement", deal, "-o", out, "--today", TODAY), "cannot write")
    assert not out.parent.exists()


def test_a_broken_statement_template_writes_nothing(run, deal, tmp_path):
    folder = tmp_path / "tpl"
    folder.mkdir()
    (folder / "statement.html").write_text(
        '{% extends "builtin/statement.html" %}{% block summary %}{{ statement.nothing.here }}'
        "{% endblock %}", encoding="utf-8")
    out = deal.parent / "statement.pdf"
    refused(run("statement", deal, "-o", out, "--today", TODAY, "--template-dir", folder),
            "statement.html")
    assert not out.exists()
    # A template that only restyles works, and the statement keeps its content.
    (folder / "statement.html").write_text(
        '{% extends "builtin/statement.html" %}{% block statement_style %}{{ super() }}'
        ".status { border: none; }{% endblock %}", encoding="utf-8")
    data = make(run, deal, "restyled.pdf", "--template-dir", str(folder))
    assert "Summary per side" in pdf_text(data)[0]


def test_a_template_that_reads_a_file_outside_is_refused(run, deal, tmp_path):
    folder = tmp_path / "tpl"
    folder.mkdir()
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"not for documents")
    (folder / "statement.html").write_text(
        '{% extends "builtin/statement.html" %}{% block summary %}'
        f'<img src="file://{secret}">{{% endblock %}}', encoding="utf-8")
    out = deal.parent / "statement.pdf"
    refused(run("statement", deal, "-o", out, "--today", TODAY, "--template-dir", folder),
            "refused to fetch")
    assert not out.exists()
