"""`calendar`: an iCalendar file that icalendar and a second reader (vobject) both read,
one VTODO per dated expectation, recurring ones by RRULE, and UIDs that a re-export after
`record` keeps."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import icalendar
import pytest
import vobject
from conftest import SAMPLES

from expectmatrix.spec.models import Expectation
from expectmatrix.track.calendar import rrule
from expectmatrix.track.dates import BusinessDays, due_of

SAMPLE = SAMPLES / "after-signing" / "deal.yaml"


@pytest.fixture
def deal(tmp_path: Path) -> Path:
    shutil.copytree(SAMPLE.parent, tmp_path / "deal")
    return tmp_path / "deal" / "deal.yaml"


def export(run, spec: Path, out: Path, *extra: str) -> icalendar.Calendar:
    result = run("calendar", spec, "-o", out, *extra)
    assert result.exit_code == 0, result.stderr
    return icalendar.Calendar.from_ical(out.read_bytes())


def todos(cal: icalendar.Calendar) -> dict[str, icalendar.Todo]:
    return {str(t["summary"]).split(":")[0]: t for t in cal.walk("VTODO")}


def test_one_todo_per_dated_expectation_read_by_two_libraries(run, deal, tmp_path):
    text = deal.read_text(encoding="utf-8")
    deal.write_text(text.replace("      due_by: {after: uat, business_days: 10}\n", ""),
                    encoding="utf-8")
    result = run("calendar", deal, "-o", tmp_path / "deal.ics")
    assert result.exit_code == 0, result.stderr
    assert "11 to-do(s); 1 expectation(s) have no date" in result.stdout
    data = (tmp_path / "deal.ics").read_bytes()
    found = todos(icalendar.Calendar.from_ical(data))
    assert sorted(found) == sorted(["V1", "V2", "V3", "V4", "V5", "V6", "C1", "C2", "C3", "C4",
                                    "C5"])
    second = vobject.readOne(data.decode("utf-8"))
    assert sorted(t.uid.value for t in second.vtodo_list) == sorted(
        str(t["uid"]) for t in found.values())
    assert str(found["V1"]["uid"]) == "NWK-2026-003.V1@expectmatrix"
    assert found["V3"].decoded("due") == dt.date(2026, 4, 2)  # Easter skipped
    assert found["C2"].decoded("due") == dt.date(2026, 4, 20)
    assert str(found["V1"]["summary"]).startswith("V1: Deliver a configured sandbox")
    assert all(str(t["status"]) == "NEEDS-ACTION" for t in found.values())
    # A continuing expectation starts at go-live and has no end, so no DUE.
    assert found["V4"].decoded("dtstart") == dt.date(2026, 5, 4) and "due" not in found["V4"]
    # Reminders a week before the due day (before the start where there is none).
    alarm = found["V1"].walk("VALARM")[0]
    assert alarm["trigger"].dt == dt.timedelta(days=-7) and alarm["trigger"].params["RELATED"] == "END"
    assert found["V4"].walk("VALARM")[0]["trigger"].params["RELATED"] == "START"
    assert run("calendar", deal, "-o", tmp_path / "r.ics", "--remind", "3").exit_code == 0
    short = todos(icalendar.Calendar.from_ical((tmp_path / "r.ics").read_bytes()))
    assert short["V1"].walk("VALARM")[0]["trigger"].dt == dt.timedelta(days=-3)


def test_owners_are_named_with_the_contacts_email(run, deal, tmp_path):
    found = todos(export(run, deal, tmp_path / "deal.ics"))
    attendee = found["V1"]["attendee"]
    assert str(attendee) == "mailto:jonas.weber@routenwerk.example"
    assert attendee.params["CN"] == "Jonas Weber"
    assert "Owner: Implementation consultant (Jonas Weber, jonas.weber@routenwerk.example)" in str(
        found["V1"]["description"])
    assert "attendee" not in found["V3"]  # the trainer is no contact of the spec
    assert "Owner: Trainer" in str(found["V3"]["description"])


def test_recurring_expectations_repeat_on_the_days_the_tracker_counts(run, deal, tmp_path):
    data = (tmp_path / "deal.ics")
    found = todos(export(run, deal, data))
    assert found["V5"]["rrule"]["FREQ"] == ["WEEKLY"]
    second = {t.uid.value: t for t in vobject.readOne(data.read_text(encoding="utf-8")).vtodo_list}
    weekly = second["NWK-2026-003.V5@expectmatrix"].getrruleset(addRDate=True)
    assert [d.date() for d in weekly] == [dt.date(2026, 3, 2) + dt.timedelta(weeks=n)
                                          for n in range(10)]


@pytest.mark.parametrize(("due_by", "named"), [
    ({"every": "month", "from": "a", "until": "b"}, (dt.date(2027, 1, 31), dt.date(2028, 12, 31))),
    ({"every": "month", "from": "a", "until": "b"}, (dt.date(2027, 1, 30), dt.date(2028, 6, 30))),
    ({"every": "quarter", "from": "a", "until": "b"}, (dt.date(2027, 8, 31), dt.date(2031, 1, 1))),
    ({"every": "year", "from": "a", "until": "b"}, (dt.date(2028, 2, 29), dt.date(2037, 1, 1))),
    ({"every": "week", "interval": 3, "from": "a", "until": "b"},
     (dt.date(2027, 1, 1), dt.date(2027, 12, 31))),
])
def test_an_rrule_expands_to_exactly_the_tracker_occurrences(due_by, named):
    e = Expectation.model_validate({"id": "V1", "due_by": due_by})
    due = due_of(e, {"a": named[0], "b": named[1]}, BusinessDays())
    todo = icalendar.Todo()
    todo.add("uid", "x")
    todo.add("dtstamp", dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
    todo.add("dtstart", due.date)
    todo.add("due", due.date)
    todo.add("rrule", rrule(due))
    cal = icalendar.Calendar()
    cal.add("prodid", "-//test//EN")
    cal.add("version", "2.0")
    cal.add_component(todo)
    parsed = vobject.readOne(cal.to_ical().decode("utf-8"))
    expanded = [d.date() for d in parsed.vtodo.getrruleset(addRDate=True)]
    assert expanded == due.occurrences()
    assert len(expanded) > 3


def test_a_reexport_after_record_keeps_every_uid(run, deal, tmp_path):
    before = todos(export(run, deal, tmp_path / "before.ics"))
    assert run("record", deal, "V1", "met", "--on", "2026-03-05").exit_code == 0
    assert run("record", deal, "V6", "waived", "--on", "2026-03-30").exit_code == 0
    after = todos(export(run, deal, tmp_path / "after.ics"))
    assert {str(t["uid"]) for t in after.values()} == {str(t["uid"]) for t in before.values()}
    assert len(after) == len(before) == 12
    assert str(after["V1"]["status"]) == "COMPLETED" and after["V1"].decoded("percent-complete") == 100
    assert after["V1"].decoded("completed").date() == dt.date(2026, 3, 5)
    assert str(after["V6"]["status"]) == "CANCELLED"
    assert after["V1"].decoded("sequence") > before["V1"].decoded("sequence")
    assert after["V2"].decoded("sequence") == before["V2"].decoded("sequence")
    assert not after["V1"].walk("VALARM")  # nothing left to remind of


def test_an_unreadable_input_writes_no_calendar(run, deal, tmp_path):
    (deal.parent / "broken.yaml").write_text("deal: {id: X", encoding="utf-8")
    result = run("calendar", deal.parent, "-o", tmp_path / "out.ics")
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert "broken.yaml:" in result.stderr and "nothing written" in result.stderr
    assert not (tmp_path / "out.ics").exists()
    missing = run("calendar", deal, "-o", tmp_path / "no" / "such" / "folder" / "out.ics")
    assert missing.exit_code == 1 and "Traceback" not in missing.stderr
    assert "cannot write" in missing.stderr


def test_two_versions_of_a_deal_give_one_todo_each_from_the_latest(run, deal, tmp_path):
    newer = deal.with_name("deal-v3.yaml")
    newer.write_text(deal.read_text(encoding="utf-8").replace("version: 2", "version: 3")
                     .replace("due_by: {date: 2026-04-01}", "due_by: {date: 2026-04-15}"),
                     encoding="utf-8")
    result = run("calendar", deal.parent, "-o", tmp_path / "both.ics")
    assert result.exit_code == 0, result.stderr
    assert "wrote" in result.stdout and "12 to-do(s)" in result.stdout
    cal = icalendar.Calendar.from_ical((tmp_path / "both.ics").read_bytes())
    uids = [str(t["uid"]) for t in cal.walk("VTODO")]
    assert len(uids) == len(set(uids)) == 12
    assert todos(cal)["V6"].decoded("due") == dt.date(2026, 4, 15)
