"""The counterparty statement prints hashes only of what its reader holds. The journal
names the full spec's fingerprint (and holds notes the counterparty never sees), so the
journal file's SHA-256 would let a counterparty test guesses of internal values, as a
matrix printing the full fingerprint would: that edition prints the fingerprint of its
spec copy and a digest of the events it shows; the internal edition keeps the journal's
hash."""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLES, docx_text, pdf_text

SAMPLE = SAMPLES / "after-signing" / "deal.yaml"
TODAY = "2026-04-08"
EVENTS = re.compile(r"Events fingerprint \(SHA-256\): ([0-9a-f]{64})")


def _deal(tmp_path: Path, run, name: str, note: str) -> Path:
    folder = tmp_path / name
    shutil.copytree(SAMPLE.parent, folder)
    spec = folder / "deal.yaml"
    for args in (("V1", "met", "--on", "2026-03-05", "--by", "Jonas Weber"),
                 ("V6", "waived", "--on", "2026-03-30", "--note", note)):
        result = run("record", spec, *args)
        assert result.exit_code == 0, result.stderr
    return spec


@pytest.fixture(scope="module")
def deal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The deal with its journal, which the tests only read (one that records copies it)."""
    from click.testing import CliRunner

    from expectmatrix.cli import cli

    def run(*args: object) -> Any:
        return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)

    return _deal(tmp_path_factory.mktemp("deal"), run, "deal", "Margin too thin to insist on it")


@pytest.fixture(scope="module")
def counterparty_pdf(deal: Path) -> bytes:
    """The deal's counterparty statement, as PDF, made once."""
    from click.testing import CliRunner

    from expectmatrix.cli import cli

    out = deal.parent / "counterparty.pdf"
    result = CliRunner().invoke(cli, ["statement", str(deal), "-o", str(out), "--today", TODAY])
    assert result.exit_code == 0, result.output
    return out.read_bytes()


def _hashes(spec: Path) -> tuple[str, str]:
    """The full spec's fingerprint (the one the journal names) and the journal's SHA-256."""
    from expectmatrix.spec.canonical import fingerprint
    from expectmatrix.track.tracked import checked_spec

    loaded = checked_spec(spec)
    assert loaded.spec is not None
    journal = spec.with_name("deal.track.yaml")
    full = fingerprint(loaded.spec)
    assert f"fingerprint: {full}" in journal.read_text(encoding="utf-8")
    return full, hashlib.sha256(journal.read_bytes()).hexdigest()


def _make(run, spec: Path, name: str, *args: str) -> bytes:
    out = spec.parent / name
    result = run("statement", spec, "-o", out, "--today", TODAY, *args)
    assert result.exit_code == 0, result.stderr
    return out.read_bytes()


def _pdf_everything(data: bytes) -> str:
    """The PDF's text and every metadata value."""
    text, reader = pdf_text(data)
    return " ".join(text.split()) + " " + " ".join(str(v) for v in reader.metadata.values())


def _docx_everything(data: bytes) -> str:
    """Every part of the DOCX: body, header, footer, core and custom properties."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return " ".join(z.read(n).decode("utf-8", "replace") for n in z.namelist()
                        if n.endswith((".xml", ".rels")))


def test_the_counterparty_statement_names_neither_the_journal_nor_the_full_spec(
        run, deal, counterparty_pdf):
    full, journal = _hashes(deal)
    pdf = _pdf_everything(counterparty_pdf)
    docx_data = _make(run, deal, "s.docx")
    docx = _docx_everything(docx_data)
    for text in (pdf, docx):
        assert full not in text and journal not in text
    # What it prints instead: its own copy's fingerprint, and the events digest.
    from expectmatrix.render.audience import Edition, edition_fingerprint
    from expectmatrix.track.tracked import checked_spec

    spec = checked_spec(deal).spec
    assert spec is not None
    copy = edition_fingerprint(spec, Edition("counterparty"))
    assert copy != full
    words = " ".join(docx_text(docx_data)[0].split())
    assert f"Spec fingerprint (SHA-256): {copy}" in words
    digest = EVENTS.search(words)
    assert digest is not None and digest.group(1) in pdf
    assert "expectmatrix-statement-events" in docx and "expectmatrix-statement-journal" not in docx


def test_the_internal_statement_keeps_the_journal_hash(run, deal):
    full, journal = _hashes(deal)
    pdf = _pdf_everything(_make(run, deal, "internal.pdf", "--audience", "internal"))
    docx = _docx_everything(_make(run, deal, "internal.docx", "--audience", "internal"))
    for text in (pdf, docx):
        assert full in text and journal in text
    assert f"Journal fingerprint (SHA-256): {journal}" in pdf


def test_the_events_digest_follows_what_is_shown_not_what_is_withheld(run, deal,
                                                                      counterparty_pdf,
                                                                      tmp_path):
    """Two journals that differ only in a note the counterparty never sees give the same
    digest (nothing of the note can be tested against it); another event changes it."""
    other = _deal(tmp_path, run, "other", "Agreed in the steering meeting")
    assert _hashes(deal)[1] != _hashes(other)[1]  # the journals differ

    def digest(pdf: bytes) -> str:
        found = EVENTS.search(" ".join(pdf_text(pdf)[0].split()))
        assert found is not None
        return found.group(1)

    first = digest(counterparty_pdf)
    assert digest(_make(run, other, "s.pdf")) == first
    more = tmp_path / "more" / "deal.yaml"
    shutil.copytree(deal.parent, more.parent)
    assert run("record", more, "C1", "met", "--on", "2026-04-01").exit_code == 0
    assert digest(_make(run, more, "s.pdf")) != first
