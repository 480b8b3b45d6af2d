"""`status` on a copy of the after-signing sample: every status the contract defines,
against dates computed by hand (German public holidays included)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import SAMPLES

SAMPLE = SAMPLES / "after-signing" / "deal.yaml"
C6_DUE_BY = "      due_by: {after: uat, business_days: 10}\n"


@pytest.fixture
def deal(tmp_path: Path, run) -> Path:
    """The sample with C6 left undated, and a journal: V1 met, V6 waived, C1 missed, and
    C2 met then reopened."""
    shutil.copytree(SAMPLE.parent, tmp_path / "deal")
    spec = tmp_path / "deal" / "deal.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace(C6_DUE_BY, ""), encoding="utf-8")
    for args in (("V1", "met", "--on", "2026-03-05", "--by", "Jonas Weber"),
                 ("V6", "waived", "--on", "2026-03-30", "--note", "Migrated by the customer"),
                 ("C1", "missed", "--on", "2026-04-01"),
                 ("C2", "met", "--on", "2026-04-07"), ("C2", "reopened", "--on", "2026-04-08")):
        result = run("record", spec, *args)
        assert result.exit_code == 0, result.stderr
    return spec


def statuses(run, *args: object) -> dict:
    result = run("status", *args, "--json")
    assert result.exit_code == 0, result.stderr
    [found] = json.loads(result.stdout)["deals"]
    return found


def rows(found: dict) -> dict[str, tuple]:
    return {e["id"]: (e["status"], e["due"], e["escalates_after"]) for e in found["expectations"]}


def test_every_status_on_a_day_computed_by_hand(run, deal):
    found = statuses(run, deal, "--today", "2026-04-08")
    assert found["deal"] == "NWK-2026-003" and found["today"] == "2026-04-08"
    assert found["escalation_days"] == 10  # the spec's frame params, not the clause's 15
    assert rows(found) == {
        # met before its due day, 10 business days after signature (Fri 20 Feb -> Fri 6 Mar)
        "V1": ("met", "2026-03-06", None),
        # due at kick-off (2 Mar), overdue for more than 10 business days (after 16 Mar)
        "V2": ("escalated", "2026-03-02", "2026-03-16"),
        # 5 business days before uat (Mon 13 Apr), over Easter: Thu 2 Apr; its 10 business
        # days run past Good Friday and Easter Monday to Mon 20 Apr
        "V3": ("overdue", "2026-04-02", "2026-04-20"),
        "V4": ("upcoming", "2026-05-04", None),  # continuing from go-live
        "V5": ("ongoing", "2026-04-13", None),  # weekly from Mon 2 Mar: next on Mon 13 Apr
        "V6": ("waived", "2026-04-01", None),
        # missed on Wed 1 Apr: 10 business days without 3 and 6 Apr end on Fri 17 Apr
        "C1": ("missed", "2026-02-25", "2026-04-17"),
        "C2": ("upcoming", "2026-04-20", None),  # reopened; two weeks before go-live
        "C3": ("due-soon", "2026-04-10", None),  # the business day before uat, in 2 days
        "C4": ("upcoming", "2026-05-04", None),
        "C5": ("ongoing", "2026-04-13", None),
        "C6": ("no-date", None, None),
    }
    by_id = {e["id"]: e for e in found["expectations"]}
    assert by_id["C2"]["last_event"]["event"] == "reopened"
    assert by_id["V1"]["last_event"] == {"id": "V1", "event": "met", "date": "2026-03-05",
                                         "by": "Jonas Weber",
                                         "recorded": by_id["V1"]["last_event"]["recorded"]}
    assert by_id["V1"]["owner"] == "Implementation consultant"
    assert by_id["V1"]["owner_email"] == "jonas.weber@routenwerk.example"
    assert by_id["C6"]["undated"] == "it has no due_by"
    assert {e["side"] for e in found["expectations"] if e["id"].startswith("C")} == {"customer"}
    assert found["summary"] == {
        "vendor": {"met": 1, "waived": 1, "ongoing": 1, "upcoming": 1, "overdue": 1,
                   "escalated": 1},
        "customer": {"ongoing": 1, "upcoming": 2, "due-soon": 1, "missed": 1, "no-date": 1}}


def test_escalation_and_due_soon_change_on_the_days_computed_by_hand(run, deal):
    assert rows(statuses(run, deal, "--today", "2026-04-20"))["V3"][0] == "overdue"
    later = rows(statuses(run, deal, "--today", "2026-04-21"))
    assert later["V3"][0] == "escalated" and later["C1"][0] == "escalated"
    assert rows(statuses(run, deal, "--today", "2026-04-17"))["C1"][0] == "missed"
    assert rows(statuses(run, deal, "--today", "2026-04-03"))["C3"][0] == "due-soon"
    assert rows(statuses(run, deal, "--today", "2026-04-02"))["C3"][0] == "upcoming"
    assert rows(statuses(run, deal, "--today", "2026-04-10"))["C3"][0] == "due-soon"
    assert rows(statuses(run, deal, "--today", "2026-04-11"))["C3"][0] == "overdue"
    assert rows(statuses(run, deal, "--today", "2026-02-20"))["V5"][:2] == ("upcoming",
                                                                            "2026-03-02")
    assert rows(statuses(run, deal, "--today", "2026-03-01"))["V5"][:2] == ("due-soon",
                                                                            "2026-03-02")


def test_a_recurring_expectation_after_its_end_is_overdue_until_met(run, deal):
    assert run("record", deal, "C5", "met", "--on", "2026-05-04").exit_code == 0
    found = rows(statuses(run, deal, "--today", "2026-05-06"))
    # The weekly calls ended at go-live (Mon 4 May); 10 business days after it skip
    # Ascension Day (Thu 14 May): Tue 19 May.
    assert found["V5"] == ("overdue", "2026-05-04", "2026-05-19")
    assert found["C5"] == ("met", "2026-05-04", None)
    assert found["V4"] == ("ongoing", None, None)  # from go-live, with no end
    assert rows(statuses(run, deal, "--today", "2026-05-20"))["V5"][0] == "escalated"


def test_without_a_calendar_only_weekends_are_not_business_days(run, tmp_path):
    spec = tmp_path / "deal.yaml"
    spec.write_text(SAMPLE.read_text(encoding="utf-8").replace("  calendar: DE\n", ""),
                    encoding="utf-8")
    found = rows(statuses(run, spec, "--today", "2026-04-08"))
    assert found["V3"] == ("overdue", "2026-04-06", "2026-04-20")
    # 10 business days after Wed 1 Apr, Good Friday and Easter Monday counted: Wed 15 Apr.
    assert found["V6"] == ("overdue", "2026-04-01", "2026-04-15")


def test_the_table_names_statuses_dates_owners_events_and_the_summary(run, deal):
    result = run("status", deal.parent, "--today", "2026-04-08")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "NWK-2026-003  Field service scheduling rollout for Nordwind Kälte" in out
    assert "today 2026-04-08, escalation after 10 business days" in out
    v1 = next(line for line in out.splitlines() if line.strip().startswith("V1 "))
    assert v1.split()[:4] == ["V1", "vendor", "met", "2026-03-06"]
    assert "Implementation consultant" in v1 and "met 2026-03-05 by Jonas Weber" in v1
    assert "V2 escalated: unresolved after 2026-03-16" in out
    assert "V3 escalates if unresolved after 2026-04-20" in out
    assert "C6 has no date: it has no due_by" in out
    assert ("vendor: 1 met, 1 waived, 1 ongoing, 1 upcoming, 1 overdue, 1 escalated; "
            "customer: 1 ongoing, 2 upcoming, 1 due-soon, 1 missed, 1 no-date") in out


def test_several_inputs_and_a_bad_one_exit_1_and_show_the_good(run, deal, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(SAMPLES / "minimal.yaml", other / "minimal.yaml")
    (other / "broken.yaml").write_text("deal: [", encoding="utf-8")
    result = run("status", deal.parent, other, "--today", "2026-04-08", "--json")
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    data = json.loads(result.stdout)
    assert [d["deal"] for d in data["deals"]] == ["NWK-2026-003", "MIN-1"]
    assert data["deals"][1]["summary"] == {"vendor": {"no-date": 2}, "customer": {"no-date": 2}}
    assert data["deals"][1]["journal"] is None
    [problem] = data["findings"]
    assert problem["file"].endswith("broken.yaml") and problem["line"] == 1
    assert "broken.yaml:1" in result.stderr
