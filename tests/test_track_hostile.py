"""Hostile journals and evidence: each is refused with a located, plain message and the
right exit code, never a traceback or a hang, and nothing is appended or written."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import SAMPLES

SAMPLE = SAMPLES / "after-signing" / "deal.yaml"


@pytest.fixture
def deal(tmp_path: Path) -> Path:
    shutil.copytree(SAMPLE.parent, tmp_path / "deal")
    return tmp_path / "deal" / "deal.yaml"


def journal_of(spec: Path) -> Path:
    return spec.with_name("deal.track.yaml")


def started(run, spec: Path) -> Path:
    assert run("record", spec, "V1", "met", "--on", "2026-03-05").exit_code == 0
    return journal_of(spec)


def refused(result, *phrases: str, code: int = 1) -> None:
    output = result.stdout + result.stderr
    assert result.exit_code == code, output
    assert "Traceback" not in output
    for phrase in phrases:
        assert phrase in result.stderr, result.stderr


def assert_everything_refuses(run, spec: Path, *phrases: str) -> None:
    """status, record and calendar all refuse the journal, and it is left as it was."""
    journal = journal_of(spec)
    before = journal.read_bytes() if journal.is_file() and not journal.is_symlink() else None
    refused(run("status", spec, "--today", "2026-04-08"), *phrases)
    refused(run("record", spec, "C1", "met", "--on", "2026-02-24"), *phrases)
    out = spec.parent / "out.ics"
    refused(run("calendar", spec, "-o", out), *phrases)
    assert not out.exists()
    if before is not None:
        assert journal.read_bytes() == before


def test_a_journal_that_is_not_yaml(run, deal):
    path = started(run, deal)
    path.write_text(path.read_text(encoding="utf-8") + "  - id: C1\n    event: [met\n",
                    encoding="utf-8")
    lines = path.read_text(encoding="utf-8").count("\n")
    assert_everything_refuses(run, deal, f"deal.track.yaml:{lines + 1}:", "YAML syntax error")


def test_a_journal_that_is_not_a_mapping_or_not_text(run, deal):
    journal_of(deal).write_text("- id: V1\n- id: V2\n", encoding="utf-8")
    assert_everything_refuses(run, deal, "a journal is a mapping with format:")
    journal_of(deal).write_bytes(b"format: \xff\xfe\n")
    assert_everything_refuses(run, deal, "deal.track.yaml:1:", "not UTF-8")


def test_a_journal_too_large(run, deal):
    path = started(run, deal)
    with path.open("a", encoding="utf-8") as f:
        f.write("# padding\n" * 600_000)
    assert_everything_refuses(run, deal, "deal.track.yaml", "at most")


def test_a_journal_that_expands_aliases_without_end(run, deal):
    path = started(run, deal)
    bomb = "  - &a0 {id: V1, event: met, date: 2026-03-05, recorded: 2026-03-05T00:00:00Z}\n"
    bomb += "".join(f"  - &a{i} [*a{i - 1}, *a{i - 1}]\n" for i in range(1, 30))
    path.write_text(path.read_text(encoding="utf-8") + bomb, encoding="utf-8")
    assert_everything_refuses(run, deal, "deal.track.yaml", "aliases")


def test_events_of_unknown_ids(run, deal):
    path = started(run, deal)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("  - id: V1\n", "  - id: V99\n"), encoding="utf-8")
    line = text.splitlines().index("  - id: V1") + 1
    assert_everything_refuses(run, deal, f"deal.track.yaml:{line}:9 events[0].id:",
                              "no expectation 'V99'")


@pytest.mark.parametrize(("written", "message"), [
    ("date: 1066-10-14", "1066-10-14 is out of range"),
    ("date: 2026-02-30", "no such day in the calendar"),
    ("date: 99999-01-01", "not a date"),
    ("date: 2199-12-31", "after it was recorded"),
])
def test_event_dates_out_of_range(run, deal, written, message):
    path = started(run, deal)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("date: 2026-03-05", written), encoding="utf-8")
    line = text.splitlines().index("    date: 2026-03-05") + 1
    assert_everything_refuses(run, deal, f"deal.track.yaml:{line}:", "events[0].date", message)


def test_record_dates_out_of_range(run, deal):
    refused(run("record", deal, "V1", "met", "--on", "1899-12-31"), "--on:", "out of range")
    refused(run("record", deal, "V1", "met", "--on", "3000-01-01"), "has not come yet")
    refused(run("record", deal, "V1", "met", "--on", "2026-13-01"), code=2)
    assert not journal_of(deal).exists()


@pytest.mark.parametrize("file", ["../../etc/passwd", "/etc/passwd", "a/../../b.pdf"])
def test_a_journal_naming_evidence_outside_the_folder(run, deal, file):
    path = started(run, deal)
    text = path.read_text(encoding="utf-8").replace(
        "    recorded:", f'    evidence: {{file: "{file}", sha256: {"0" * 64}}}\n    recorded:', 1)
    path.write_text(text, encoding="utf-8")
    assert_everything_refuses(run, deal, "events[0].evidence.file", "not a path inside the spec's folder")


def _evidence_refused(run, deal: Path, evidence: Path, *phrases: str) -> None:
    refused(run("record", deal, "V1", "met", "--evidence", evidence), *phrases)
    assert not journal_of(deal).exists()


def test_evidence_outside_the_folder(run, deal, tmp_path):
    outside = tmp_path / "secret.pdf"
    outside.write_bytes(b"secret")
    _evidence_refused(run, deal, outside, "outside the spec's folder")
    _evidence_refused(run, deal, Path("/dev/zero"), "outside the spec's folder")


def test_evidence_through_a_symlink_out(run, deal, tmp_path):
    outside = tmp_path / "secret.pdf"
    outside.write_bytes(b"secret")
    (deal.parent / "link.pdf").symlink_to(outside)
    _evidence_refused(run, deal, deal.parent / "link.pdf", "outside the spec's folder")
    (deal.parent / "zero.pdf").symlink_to("/dev/zero")
    _evidence_refused(run, deal, deal.parent / "zero.pdf", "outside the spec's folder")


def test_evidence_that_is_a_fifo_or_a_device(run, deal):
    fifo = deal.parent / "pipe.pdf"
    os.mkfifo(fifo)
    _evidence_refused(run, deal, fifo, "pipe (FIFO)")
    folder = deal.parent / "dev"
    folder.mkdir()
    (folder / "null").symlink_to("/dev/null")
    _evidence_refused(run, deal, folder / "null", "outside the spec's folder")


def test_a_journal_that_is_a_fifo(run, deal):
    os.mkfifo(journal_of(deal))
    assert_everything_refuses(run, deal, "deal.track.yaml", "pipe (FIFO)")


def test_a_journal_that_links_elsewhere_is_never_written_through(run, deal, tmp_path):
    target = tmp_path / "elsewhere.yaml"
    target.write_text("precious: true\n", encoding="utf-8")
    journal_of(deal).symlink_to(target)
    refused(run("record", deal, "V1", "met", "--on", "2026-03-05"), "symbolic link")
    assert target.read_text(encoding="utf-8") == "precious: true\n"
    zero = deal.parent / "zero.track.yaml"
    zero.symlink_to("/dev/zero")
    shutil.copy(deal, deal.parent / "zero.yaml")
    refused(run("status", deal.parent / "zero.yaml"), "zero.track.yaml", "a device")
    refused(run("record", deal.parent / "zero.yaml", "V1", "met"), "symbolic link")


def test_a_journal_of_another_deal(run, deal, tmp_path):
    path = started(run, deal)
    path.write_text(path.read_text(encoding="utf-8").replace("deal: NWK-2026-003", "deal: OTHER-1"),
                    encoding="utf-8")
    assert_everything_refuses(run, deal, "deal.track.yaml:5:7 deal:", "of the deal 'OTHER-1'")
