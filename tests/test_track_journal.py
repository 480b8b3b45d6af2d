"""The journal beside a spec: what `record` appends, bound to the signed spec's
fingerprint; concurrent records; carrying it over to a new signed version."""

from __future__ import annotations

import hashlib
import multiprocessing
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import SAMPLES

from expectmatrix.checks import check_loaded
from expectmatrix.library.files import builtin
from expectmatrix.spec.canonical import fingerprint
from expectmatrix.spec.loading import load
from expectmatrix.track.journal import digests, read_journal
from expectmatrix.track.tracked import record

SAMPLE = SAMPLES / "after-signing" / "deal.yaml"


@pytest.fixture
def deal(tmp_path: Path) -> Path:
    shutil.copytree(SAMPLE.parent, tmp_path / "deal")
    return tmp_path / "deal" / "deal.yaml"


def journal_of(spec: Path) -> Path:
    return spec.with_name("deal.track.yaml")


def _fingerprint(spec: Path) -> str:
    loaded = check_loaded(load(spec), library=builtin)
    assert loaded.spec is not None
    return fingerprint(loaded.spec)


def test_record_starts_the_journal_bound_to_the_spec_and_appends_only(run, deal):
    evidence = deal.parent / "evidence" / "sandbox handover, signed.pdf"
    evidence.parent.mkdir()
    evidence.write_bytes(b"%PDF-1.7 handover")
    result = run("record", deal, "V1", "met", "--on", "2026-03-05", "--by", "Jonas Weber",
                 "--evidence", evidence, "--note", 'Sent: "all depots", vans; skills')
    assert result.exit_code == 0, result.stderr
    assert "recorded V1 met on 2026-03-05 by Jonas Weber" in result.stdout
    assert "(started)" in result.stdout
    first = journal_of(deal).read_bytes()
    data = yaml.safe_load(first)
    loaded = check_loaded(load(deal), library=builtin)
    assert loaded.spec is not None
    assert data["format"] == "expectmatrix-track/1" and data["deal"] == "NWK-2026-003"
    assert data["signed"]["fingerprint"] == fingerprint(loaded.spec)
    assert data["signed"]["version"] == 2
    assert data["signed"]["expectations"] == digests(loaded.spec)
    [event] = data["events"]
    assert event["id"] == "V1" and event["event"] == "met" and str(event["date"]) == "2026-03-05"
    assert event["by"] == "Jonas Weber" and event["note"] == 'Sent: "all depots", vans; skills'
    assert event["evidence"] == {"file": "evidence/sandbox handover, signed.pdf",
                                 "sha256": hashlib.sha256(b"%PDF-1.7 handover").hexdigest()}
    # A second record adds to the end and changes nothing before it.
    assert run("record", deal, "C1", "missed", "--on", "2026-04-01").exit_code == 0
    second = journal_of(deal).read_bytes()
    assert second.startswith(first) and len(second) > len(first)
    assert [e["id"] for e in yaml.safe_load(second)["events"]] == ["V1", "C1"]
    assert read_journal(journal_of(deal)).findings == []


def test_text_that_yaml_reads_otherwise_round_trips(deal):
    note = "no: really\u2028second line # not a comment, {x: 1} \u00e9"
    record(deal, "V2", "met", on=None, by="yes", note=note, library=builtin)
    record(deal, "V3", "waived", by="0123", note="- item", library=builtin)
    journal = read_journal(journal_of(deal))
    assert journal.findings == [] and journal.journal is not None
    events = journal.journal.events
    assert (events[0].by, events[0].note) == ("yes", note)  # type: ignore[union-attr]
    assert (events[1].by, events[1].note) == ("0123", "- item")  # type: ignore[union-attr]


def test_an_unknown_id_appends_nothing(run, deal):
    result = run("record", deal, "V10", "met")
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert "no expectation 'V10'; did you mean 'V1'?" in result.stderr
    assert "nothing was recorded" in result.stderr
    assert not journal_of(deal).exists()
    assert run("record", deal, "V1", "met", "--on", "2026-03-05").exit_code == 0
    before = journal_of(deal).read_bytes()
    assert run("record", deal, "C9", "met").exit_code == 1
    assert journal_of(deal).read_bytes() == before


def test_a_day_that_has_not_come_or_a_bad_name_appends_nothing(run, deal):
    result = run("record", deal, "V1", "met", "--on", "2199-01-01")
    assert result.exit_code == 1 and "has not come yet" in result.stderr
    result = run("record", deal, "V1", "met", "--by", "Dana\x07Reyes")
    assert result.exit_code == 1 and "--by: contains the control character U+0007" in result.stderr
    result = run("record", deal, "V1", "met", "--note", "USD \u202e000,01")
    assert result.exit_code == 1 and "direction control U+202E" in result.stderr
    assert run("record", deal, "V1", "done").exit_code == 2  # not an event: a usage error
    assert run("record", deal).exit_code == 2
    assert not journal_of(deal).exists()


def test_a_changed_spec_is_refused_until_the_journal_is_carried_over(run, deal):
    assert run("record", deal, "V1", "met", "--on", "2026-03-05").exit_code == 0
    assert run("record", deal, "V3", "met", "--on", "2026-04-01").exit_code == 0
    assert run("record", deal, "C3", "met", "--on", "2026-04-09").exit_code == 0
    old = _fingerprint(deal)
    text = deal.read_text(encoding="utf-8").replace("version: 2", "version: 3").replace(
        "Train eight dispatchers", "Train ten dispatchers").replace(
        "due_by: {before: uat, business_days: 1}", "due_by: {before: uat, business_days: 2}")
    deal.write_text(text, encoding="utf-8")
    new = _fingerprint(deal)
    before = journal_of(deal).read_bytes()
    refused = run("record", deal, "V1", "met")
    assert refused.exit_code == 1 and "Traceback" not in refused.stderr
    assert old in refused.stderr and new in refused.stderr and "--new-version" in refused.stderr
    assert "deal.track.yaml:" in refused.stderr  # located in the journal
    status = run("status", deal, "--today", "2026-04-10")
    assert status.exit_code == 1 and old in status.stderr and new in status.stderr
    assert journal_of(deal).read_bytes() == before

    carried = run("record", deal, "--new-version")
    assert carried.exit_code == 0, carried.stderr
    assert "10 expectation(s) keep their events" in carried.stdout
    assert "restarted (changed): V3, C3" in carried.stdout
    assert journal_of(deal).read_bytes().startswith(before)
    rows = {e["id"]: e for e in _status(run, deal, "2026-04-10")["expectations"]}
    assert rows["V1"]["status"] == "met"  # unchanged: its event carried over
    assert rows["V3"]["status"] == "overdue" and rows["V3"]["last_event"] is None
    assert rows["C3"]["status"] == "overdue" and rows["C3"]["due"] == "2026-04-09"
    # Bound to the new version now; the old one would be refused in turn.
    assert run("record", deal, "C3", "met", "--on", "2026-04-09").exit_code == 0
    again = run("record", deal, "--new-version")
    assert again.exit_code == 1 and "nothing to carry over" in again.stderr
    assert run("record", deal, "--new-version", "V1").exit_code == 2


def test_new_version_without_a_journal_creates_none(run, deal):
    result = run("record", deal, "--new-version")
    assert result.exit_code == 1 and "no journal to carry over" in result.stderr
    assert not journal_of(deal).exists()


def _status(run, deal: Path, today: str) -> dict:
    import json

    result = run("status", deal, "--today", today, "--json")
    assert result.exit_code == 0, result.stderr
    [found] = json.loads(result.stdout)["deals"]
    return found


def _record_many(spec: str, worker: int, count: int, gate: object) -> None:
    gate.wait()  # type: ignore[attr-defined]  # all start appending at once
    for n in range(count):
        record(spec, ("V1", "C1", "V5")[n % 3], "met", note=f"worker {worker} event {n}",
               library=builtin)


def test_concurrent_records_never_lose_an_event(deal):
    workers, count = 4, 12
    spawn = multiprocessing.get_context("spawn")
    gate = spawn.Barrier(workers)
    processes = [spawn.Process(target=_record_many, args=(str(deal), w, count, gate))
                 for w in range(workers)]
    for p in processes:
        p.start()
    for p in processes:
        p.join(timeout=300)
    assert [p.exitcode for p in processes] == [0] * workers
    journal = read_journal(journal_of(deal))
    assert journal.findings == [] and journal.journal is not None
    notes = [e.note for e in journal.journal.events]  # type: ignore[union-attr]
    assert sorted(notes) == sorted(f"worker {w} event {n}" for w in range(workers)
                                   for n in range(count))
    assert journal_of(deal).read_text(encoding="utf-8").count("format: expectmatrix-track/1") == 1


def test_a_journal_edited_by_hand_is_reported_with_file_line_and_field(run, deal):
    assert run("record", deal, "V1", "met", "--on", "2026-03-05").exit_code == 0
    path = journal_of(deal)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("event: met", "event: done"), encoding="utf-8")
    line = text.splitlines().index("    event: met") + 1
    for args in (("status", deal), ("record", deal, "C1", "met")):
        result = run(*args)
        assert result.exit_code == 1 and "Traceback" not in result.stderr
        assert f"deal.track.yaml:{line}:12 events[0].event: 'done' is not allowed here" in result.stderr
    assert "event: done" in path.read_text(encoding="utf-8")  # nothing appended


def test_a_journal_with_a_key_after_its_events_is_not_appended_to(run, deal):
    assert run("record", deal, "V1", "met", "--on", "2026-03-05").exit_code == 0
    path = journal_of(deal)
    # Still a valid journal, with its spec: moved to the end by hand; an event appended
    # there would not be one of its events.
    text = path.read_text(encoding="utf-8").replace("spec: deal.yaml\n", "") + "spec: deal.yaml\n"
    path.write_text(text, encoding="utf-8")
    assert read_journal(path).findings == []
    result = run("record", deal, "C1", "met")
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert "does not end with its events: list" in result.stderr
    assert path.read_text(encoding="utf-8") == text


def test_a_journal_without_a_final_line_break_is_appended_to_cleanly(run, deal):
    assert run("record", deal, "V1", "met", "--on", "2026-03-05").exit_code == 0
    path = journal_of(deal)
    path.write_text(path.read_text(encoding="utf-8").rstrip("\n"), encoding="utf-8")
    assert run("record", deal, "C1", "met", "--on", "2026-02-24").exit_code == 0
    journal = read_journal(path)
    assert journal.findings == [] and len(journal.journal.events) == 2  # type: ignore[union-attr]
