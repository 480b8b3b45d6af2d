"""After signing, over HTTP: the Track view, recording (with evidence) through the same
journal as `expectmatrix record`, uploads that are refused with nothing written, "Due
this week" across the folder, and the calendar feed, behind the token when there is one.
"Today" is frozen at 2026-04-08 by SOURCE_DATE_EPOCH, as the command line's clock is."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import SAMPLES
from liveserver import app_client, csrf_token

TODAY_EPOCH = "1775649600"  # 2026-04-08 12:00 UTC
SAMPLE = SAMPLES / "after-signing" / "deal.yaml"
DEAL_ID = "NWK-2026-003"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", TODAY_EPOCH)
    deals = tmp_path / "deals"
    deals.mkdir()
    shutil.copy(SAMPLE, deals / "deal.yaml")
    shutil.copy(SAMPLES / "small-bakery.yaml", deals)  # in review: nothing to track
    return deals


def _record(client: Any, data: bytes = b"", token: str | None = None, **params: str) -> Any:
    headers = {"x-csrf-token": csrf_token(client, **({"token": token} if token else {}))}
    if token:
        params["token"] = token
    return client.post("/deals/deal.yaml/track", params=params, content=data, headers=headers)


def _summaries(html: str) -> list[str]:
    return re.findall(r'role="status" aria-label="[^"]+"[^>]*>([^<]*)<', html)


def _events(folder: Path) -> list[dict[str, Any]]:
    journal = folder / "deal.track.yaml"
    return yaml.safe_load(journal.read_text(encoding="utf-8"))["events"] if journal.exists() else []


def _written(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


def test_the_track_view_shows_both_sides_and_records_with_evidence(folder):
    client = app_client(folder)
    listing = client.get("/").text
    assert 'href="/deals/deal.yaml/track"' in listing  # approved: trackable
    assert "/deals/small-bakery.yaml/track" not in listing  # in review: not yet
    page = client.get("/deals/deal.yaml/track")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    # The statuses of test_track_status on this day, counted per side.
    assert _summaries(page.text) == [
        "Vendor: 1 ongoing, 1 upcoming, 2 overdue, 2 escalated",
        "Customer: 1 ongoing, 3 upcoming, 1 due-soon, 1 escalated"]
    for name in ("Mark V3 met", "Record C2 missed", "Waive V5", "Evidence for V3"):
        assert name in page.text

    proof = b"%PDF-1.4 attendance list\n"
    answer = _record(client, proof, id="V3", event="met", by="Jonas Weber",
                     file="attendance list.pdf")
    assert answer.status_code == 200, answer.text
    stored = f"evidence/{DEAL_ID}/attendance list.pdf"
    assert (folder / stored).read_bytes() == proof
    [event] = _events(folder)
    assert event["id"] == "V3" and event["event"] == "met" and event["by"] == "Jonas Weber"
    assert str(event["date"]) == "2026-04-08"
    assert event["evidence"] == {"file": stored, "sha256": hashlib.sha256(proof).hexdigest()}
    assert _summaries(client.get("/deals/deal.yaml/track").text)[0] == \
        "Vendor: 1 met, 1 ongoing, 1 upcoming, 1 overdue, 2 escalated"


def test_a_waiver_keeps_its_reason_and_the_day_given(folder, run):
    client = app_client(folder)
    answer = _record(client, id="V5", event="waived", on="2026-04-01",
                     note="Calls replaced by the shared board")
    assert answer.status_code == 200, answer.text
    [event] = _events(folder)
    assert event["note"] == "Calls replaced by the shared board"
    assert str(event["date"]) == "2026-04-01"
    # The command line reads the same journal.
    result = run("status", folder / "deal.yaml", "--today", "2026-04-08", "--json")
    rows = {e["id"]: e for d in __import__("json").loads(result.stdout)["deals"]
            for e in d["expectations"]}
    assert rows["V5"]["status"] == "waived"


def test_evidence_is_never_replaced(folder):
    client = app_client(folder)
    assert _record(client, b"first", id="V1", event="met", file="note.pdf").status_code == 200
    assert _record(client, b"first", id="V2", event="met", file="note.pdf").status_code == 200
    assert _record(client, b"other", id="V3", event="met", file="note.pdf").status_code == 200
    where = folder / "evidence" / DEAL_ID
    assert sorted(p.name for p in where.iterdir()) == ["note-2.pdf", "note.pdf"]
    assert (where / "note.pdf").read_bytes() == b"first"
    files = [e["evidence"]["file"] for e in _events(folder)]
    assert files == [f"evidence/{DEAL_ID}/note.pdf"] * 2 + [f"evidence/{DEAL_ID}/note-2.pdf"]


@pytest.mark.parametrize("name", ["Übergabeprotokoll.pdf", "v1..final.pdf", "scan (2).jpg",
                                  "README"])
def test_plain_names_in_any_script_are_kept_as_given(folder, name):
    answer = _record(app_client(folder), b"proof", id="V1", event="met", file=name)
    assert answer.status_code == 200, answer.text
    assert (folder / "evidence" / DEAL_ID / name).read_bytes() == b"proof"
    assert _events(folder)[0]["evidence"]["file"] == f"evidence/{DEAL_ID}/{name}"


HOSTILE_NAMES = {
    "../../escape.pdf": "not a plain file name",
    "..\\escape.pdf": "not a plain file name",
    "/etc/passwd": "not a plain file name",
    "C:evil.pdf": "not a plain file name",
    ".hidden": "may not start with a dot",
    "report.pdf.": "nor end with a dot",
    "CON.pdf": "reserved for devices",
    "nul": "reserved for devices",
    "invoice\u202efdp.exe": "control or invisible characters",
    "line\nbreak.pdf": "control or invisible characters",
    "zero\x00byte.pdf": "control or invisible characters",
    "other-deal.yaml": "suffix of a spec",
    "deal.track.yaml": "suffix of a spec",
    "x" * 101 + ".pdf": "longer than 100 characters",
    " ": "needs a name",
}


@pytest.mark.parametrize("name", list(HOSTILE_NAMES))
def test_a_hostile_evidence_name_is_refused_and_nothing_written(folder, name):
    client = app_client(folder)
    before = _written(folder)
    answer = _record(client, b"%PDF-1.4 x", id="V1", event="met", file=name)
    assert answer.status_code == 400, answer.text
    assert HOSTILE_NAMES[name] in answer.json()["error"]
    assert "Traceback" not in answer.text
    assert _written(folder) == before  # no evidence folder, no journal
    assert not (folder.parent / "escape.pdf").exists()


def test_an_evidence_file_over_the_bound_is_refused_and_nothing_written(folder):
    from expectmatrix.serve.guard import MAX_BODY_BYTES

    client = app_client(folder)
    before = _written(folder)
    answer = _record(client, b"x" * (MAX_BODY_BYTES + 1), id="V1", event="met", file="big.pdf")
    assert answer.status_code == 413
    assert f"limited to {MAX_BODY_BYTES} bytes" in answer.json()["error"]
    assert _written(folder) == before


@pytest.mark.parametrize(("params", "data", "status", "message"), [
    ({"id": "V9", "event": "met", "file": "a.pdf"}, b"x", 400, "has no expectation 'V9'"),
    ({"id": "V1", "event": "done"}, b"", 400, "the event is one of met, missed"),
    ({"id": "V1", "event": "met", "on": "8.4.2026"}, b"", 400, "YYYY-MM-DD"),
    ({"id": "V1", "event": "met", "file": "a.pdf"}, b"", 400, "is empty"),
    ({"id": "V1", "event": "met"}, b"data", 400, "came without its name"),
    # Refused by record itself, after the evidence was stored: it is removed again.
    ({"id": "V1", "event": "met", "on": "2026-05-01", "file": "a.pdf"}, b"x", 422,
     "a day that has not come yet"),
    ({"id": "V1", "event": "met", "by": "Mallory\u202e", "file": "a.pdf"}, b"x", 422,
     "invisible direction control"),
])
def test_a_refused_event_writes_nothing(folder, params, data, status, message):
    client = app_client(folder)
    before = _written(folder)
    answer = _record(client, data, **params)
    assert answer.status_code == status, answer.text
    assert message in answer.json()["error"] and "Traceback" not in answer.text
    assert str(folder) not in answer.text  # no server paths in what the page shows
    assert _written(folder) == before


def test_evidence_is_not_stored_through_a_link_out_of_the_folder(folder, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (folder / "evidence").symlink_to(outside, target_is_directory=True)
    answer = _record(app_client(folder), b"x", id="V1", event="met", file="a.pdf")
    assert answer.status_code == 400 and "is a link" in answer.json()["error"]
    assert list(outside.rglob("*")) in ([], [outside / DEAL_ID])
    assert not [p for p in outside.rglob("*") if p.is_file()]
    assert _events(folder) == []


def test_a_state_change_needs_the_csrf_token(folder):
    client = app_client(folder)
    answer = client.post("/deals/deal.yaml/track", params={"id": "V1", "event": "met"})
    assert answer.status_code == 403
    assert _events(folder) == []


def test_a_journal_of_another_version_is_named_not_a_traceback(folder):
    client = app_client(folder)
    assert _record(client, id="V1", event="met").status_code == 200
    spec = folder / "deal.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("eight dispatchers", "six "
                    "dispatchers"), encoding="utf-8")
    page = client.get("/deals/deal.yaml/track")
    assert page.status_code == 422
    assert "record deal.yaml --new-version" in page.text and "Traceback" not in page.text
    answer = _record(client, id="V2", event="met")
    assert answer.status_code == 422 and "fingerprint" in answer.json()["error"]
    assert len(_events(folder)) == 1


def test_due_this_week_lists_due_and_late_items_by_date(folder):
    page = app_client(folder).get("/due")
    assert page.status_code == 200
    rows = re.findall(r"<tr><td>([^<]*)</td><td><a href=\"([^\"]+)\">[^<]*</a></td>"
                      r"<td>([^<]*)</td>.*?<td class=\"track-status [^\"]+\">([^<]*)</td>",
                      page.text)
    assert [(due, ident, status) for due, _, ident, status in rows] == [
        ("2026-02-25", "C1", "escalated"), ("2026-03-02", "V2", "escalated"),
        ("2026-03-06", "V1", "escalated"), ("2026-04-01", "V6", "overdue"),
        ("2026-04-02", "V3", "overdue"), ("2026-04-10", "C3", "due-soon"), ("2026-04-13", "C5", "ongoing"),
        ("2026-04-13", "V5", "ongoing")]
    assert {link for _, link, _, _ in rows} == {"/deals/deal.yaml/track"}
    assert "Harbour Bakery" not in page.text  # not signed, nothing recorded


def _parse(data: bytes) -> Any:
    from icalendar import Calendar

    return Calendar.from_ical(data)


def test_the_calendar_feed_is_the_calendar_command_s_file(folder, run, tmp_path):
    feed = app_client(folder).get("/deals/deal.yaml/calendar.ics")
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("text/calendar")
    out = tmp_path / "deal.ics"
    assert run("calendar", folder / "deal.yaml", "-o", out).exit_code == 0
    assert feed.content == out.read_bytes()  # the same clock, the same stamp
    uids = [str(t["uid"]) for t in _parse(feed.content).walk("VTODO")]
    assert f"{DEAL_ID}.V1@expectmatrix" in uids and len(uids) == len(set(uids))


def test_the_calendar_feed_is_behind_the_token_when_there_is_one(folder):
    client = app_client(folder, token="s3cret-token")
    refused = client.get("/deals/deal.yaml/calendar.ics")
    assert refused.status_code == 403 and b"BEGIN:VCALENDAR" not in refused.content
    assert client.get("/deals/deal.yaml/calendar.ics",
                      params={"token": "wrong"}).status_code == 403
    # A calendar subscribes by address: the token in the query, as the printed address has it.
    feed = client.get("/deals/deal.yaml/calendar.ics", params={"token": "s3cret-token"})
    assert feed.status_code == 200
    assert len(_parse(feed.content).walk("VTODO")) == 12  # every expectation is dated
    # Recording needs it as well.
    client.cookies.clear()
    answer = client.post("/deals/deal.yaml/track", params={"id": "V1", "event": "met"})
    assert answer.status_code == 403 and _events(folder) == []
