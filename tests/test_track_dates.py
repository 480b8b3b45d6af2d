"""Due dates after signing: the due_by forms, milestones, business days with a country's
public holidays, recurring dues, and what validate says about them."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys

import pytest
from conftest import SAMPLES

from expectmatrix.checks import check_loaded
from expectmatrix.library.files import builtin
from expectmatrix.library.playbooks import Draft, draft_spec
from expectmatrix.spec.loading import load_bytes
from expectmatrix.spec.models import DueBy, Expectation
from expectmatrix.spec.shape import expectations_of, sides
from expectmatrix.track.dates import BusinessDays, add_months, due_of, milestones

D = dt.date
SAMPLE = SAMPLES / "after-signing" / "deal.yaml"


def test_business_days_skip_weekends_and_german_easter():
    de, plain = BusinessDays("DE"), BusinessDays()
    # Good Friday 3 April and Easter Monday 6 April 2026 are holidays in Germany.
    assert de.holiday(D(2026, 4, 3)) == "Good Friday" and de.holiday(D(2026, 4, 6)) == "Easter Monday"
    assert not de.is_business_day(D(2026, 4, 3)) and plain.is_business_day(D(2026, 4, 3))
    # Thursday 2 April + 1 business day: Tuesday 7 April in DE, Friday 3 April without holidays.
    assert de.add(D(2026, 4, 2), 1) == D(2026, 4, 7)
    assert plain.add(D(2026, 4, 2), 1) == D(2026, 4, 3)
    # 5 business days before Monday 13 April: 10, 9, 8, 7 April, then (over Easter) 2 April.
    assert de.add(D(2026, 4, 13), -5) == D(2026, 4, 2)
    assert plain.add(D(2026, 4, 13), -5) == D(2026, 4, 6)
    assert de.add(D(2026, 4, 4), 0) == D(2026, 4, 4)  # no days: the day itself
    # Friday 20 February + 10 business days: two full weeks, Friday 6 March.
    assert de.add(D(2026, 2, 20), 10) == D(2026, 3, 6)


def test_months_keep_the_day_or_take_the_month_end():
    assert add_months(D(2027, 1, 31), 1) == D(2027, 2, 28)
    assert add_months(D(2028, 1, 31), 1) == D(2028, 2, 29)
    assert add_months(D(2027, 1, 31), 3) == D(2027, 4, 30)
    assert add_months(D(2027, 3, 15), -3) == D(2026, 12, 15)


def _due(due_by: dict, named: dict | None = None, country: str | None = "DE"):
    e = Expectation.model_validate({"id": "V1", "due_by": due_by})
    named = named or {"signature": D(2026, 2, 20), "uat": D(2026, 4, 13), "go-live": D(2026, 5, 4),
                      "kick-off": D(2026, 3, 2)}
    return due_of(e, named, BusinessDays(country))


def test_each_form_of_due_by_gives_its_date():
    assert _due({"date": "2026-04-01"}).date == D(2026, 4, 1)
    assert _due({"after": "signature", "business_days": 10}).date == D(2026, 3, 6)
    assert _due({"before": "uat", "business_days": 5}).date == D(2026, 4, 2)
    assert _due({"before": "uat", "business_days": 5}, country=None).date == D(2026, 4, 6)
    assert _due({"before": "go-live", "weeks": 2}).date == D(2026, 4, 20)
    assert _due({"after": "go-live", "days": 30}).date == D(2026, 6, 3)
    assert _due({"after": "signature", "months": 12}).date == D(2027, 2, 20)
    assert _due({"after": "kick-off", "days": 0}).date == D(2026, 3, 2)
    weekly = _due({"every": "week", "from": "kick-off", "until": "go-live"})
    assert (weekly.kind, weekly.date, weekly.end) == ("recurring", D(2026, 3, 2), D(2026, 5, 4))
    assert weekly.occurrences() == [D(2026, 3, 2) + dt.timedelta(weeks=n) for n in range(10)]
    assert weekly.next_on_or_after(D(2026, 4, 8)) == D(2026, 4, 13)
    running = _due({"from": "go-live"})
    assert (running.kind, running.date, running.end) == ("continuing", D(2026, 5, 4), None)
    undated = _due({"after": "handover", "days": 1})
    assert undated.kind == "none" and "handover" in (undated.problem or "")


def test_recurring_dues_follow_their_cadence():
    named = {"start": D(2027, 1, 31), "end": D(2027, 12, 31)}
    monthly = _due({"every": "month", "from": "start", "until": "end"}, named)
    assert monthly.occurrences()[:4] == [D(2027, 1, 31), D(2027, 2, 28), D(2027, 3, 31),
                                         D(2027, 4, 30)]
    assert len(monthly.occurrences()) == 12
    quarterly = _due({"every": "quarter", "from": "start"}, named)
    assert quarterly.occurrences(through=D(2027, 12, 31)) == [
        D(2027, 1, 31), D(2027, 4, 30), D(2027, 7, 31), D(2027, 10, 31)]
    fortnightly = _due({"every": "week", "interval": 2, "from": "start", "until": "end"}, named)
    assert fortnightly.occurrences()[1] == D(2027, 2, 14)
    # Two centuries of weeks: the next due day is found without walking them all.
    long_run = _due({"every": "week", "from": "start"}, named)
    assert long_run.next_on_or_after(D(2199, 12, 1)) == D(2199, 12, 1) + dt.timedelta(
        days=(D(2027, 1, 31).weekday() - D(2199, 12, 1).weekday()) % 7)


def test_a_date_out_of_range_is_a_problem_of_the_expectation_not_a_crash():
    far = _due({"after": "x", "months": 120}, {"x": D(2199, 1, 1)})
    assert far.kind == "none" and "outside" in (far.problem or "")
    effective = _due({"after": "effective", "days": 10}, {"effective": D(9999, 12, 30)})
    assert effective.kind == "none" and "outside" in (effective.problem or "")


@pytest.mark.parametrize(("due_by", "message"), [
    ({"after": "signature", "before": "go-live"}, "exactly one of"),
    ({"after": "signature", "days": 1, "weeks": 1}, "one amount"),
    ({"date": "2026-04-01", "every": "week"}, "every: goes with from:"),
    ({"every": "week"}, "exactly one of"),
    ({"from": "a", "until": "a"}, "same milestone"),
    ({"after": "signature", "days": 99999}, "at most"),
    ({"date": "1066-10-14"}, "out of range"),
    ({"after": "Go Live"}, "milestone in lower case"),
    ({"every": "fortnight", "from": "signature"}, "choose one of week, month, quarter, year"),
    ({"form": "signature"}, "unknown field 'form'; did you mean 'from'?"),
])
def test_a_bad_due_by_is_reported_at_its_line(due_by, message, spec_data):
    spec_data["expectations"]["of_vendor"][0]["due_by"] = due_by
    text = json.dumps(spec_data, indent=1).encode()
    loaded = load_bytes(text, "deal.json")
    [finding] = [f for f in loaded.findings if f.severity == "error"]
    assert message in finding.message
    assert finding.field.startswith("expectations.of_vendor[0].due_by")
    at = next(n for n, line in enumerate(text.decode().splitlines(), 1) if '"due_by"' in line)
    assert finding.line is not None and at <= finding.line <= at + len(due_by)


def test_due_by_writes_from_as_the_contract_names_it():
    rule = DueBy.model_validate({"every": "week", "from": "kick-off", "until": "go-live"})
    assert rule.model_dump(mode="json", exclude_none=True) == {
        "every": "week", "from": "kick-off", "until": "go-live"}


def _checked(text: str):
    return check_loaded(load_bytes(text.encode(), "deal.yaml"), library=builtin)


def _sample(**replace: str) -> str:
    text = SAMPLE.read_text(encoding="utf-8")
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    return text


def test_a_milestone_the_deal_does_not_give_is_an_error_at_its_path():
    loaded = _checked(_sample(**{"due_by: {before: uat, business_days: 5}":
                                 "due_by: {before: uta, business_days: 5}"}))
    [error] = [f for f in loaded.findings if f.severity == "error"]
    assert error.field == "expectations.of_vendor[2].due_by.before"
    assert "'uta'" in error.message and "did you mean 'uat'?" in error.message
    assert error.line == _sample().splitlines().index("      due_by: {before: uat, business_days: 5}") + 1


def test_an_unknown_country_is_an_error_and_a_known_one_passes():
    assert not [f for f in _checked(_sample()).findings if f.severity == "error"]
    loaded = _checked(_sample(**{"calendar: DE": "calendar: XX"}))
    [error] = [f for f in loaded.findings if f.severity == "error"]
    assert error.field == "deal.calendar" and "'XX'" in error.message


def test_an_approved_deal_is_warned_about_what_cannot_be_dated():
    text = _sample(**{"      due_by: {after: uat, business_days: 10}\n": ""})
    loaded = _checked(text)
    assert loaded.spec is not None
    [warning] = [f for f in loaded.findings if f.code == "undated"]
    assert warning.severity == "warning" and "C6" in warning.message
    assert warning.field == "expectations.of_customer[5]"
    draft = _checked(text.replace("status: approved", "status: review"))
    assert not [f for f in draft.findings if f.code == "undated"]
    # A deal that gives no dates at all is told once, not once per expectation.
    hospital = (SAMPLES / "large-hospital.yaml").read_text(encoding="utf-8")
    assert not [f for f in _checked(hospital).findings if f.code == "undated"]
    undated = re.sub(r", due_by: \{[^}]*\}", "", hospital)
    bare = _checked(re.sub(r"  milestones:\n(    .*\n)+", "", undated))
    assert [f.field for f in bare.findings if f.code == "undated"] == ["deal.status"]


def test_validate_imports_holidays_only_for_a_calendar_it_was_not_released_with(tmp_path):
    plain = tmp_path / "plain.yaml"
    plain.write_text(_sample(**{"  calendar: DE\n": ""}), encoding="utf-8")
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text(_sample(**{"  calendar: DE\n": "  calendar: QQ\n"}), encoding="utf-8")
    # One fresh interpreter validates the three in turn: what each step imported stays in
    # sys.modules, so the holidays are known to have come with the unknown calendar alone.
    code = ("import sys\nfrom expectmatrix.cli import cli\n"
            "for path in sys.argv[1:]:\n"
            "    try:\n        cli(['validate', path])\n    except SystemExit as e:\n"
            "        print('@exit', e.code)\n"
            "    print('@', 'holidays' in sys.modules, 'icalendar' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code, str(plain), str(SAMPLE), str(unknown)],
                          capture_output=True, text=True, check=True)
    said = [line for line in done.stdout.splitlines() if line.startswith("@")]
    assert said == ["@exit 0", "@ False False", "@exit 0", "@ False False",
                    "@exit 1", "@ True False"], done.stdout
    assert "no public holidays are known for the country 'QQ'" in done.stderr


# --- the library's clauses carry due_by, so drafted specs are trackable ----------------

MILESTONES = {"signature": "2027-01-15", "kick-off": "2027-01-25", "uat": "2027-03-01",
              "go-live": "2027-04-01"}
_NUMBER = r"(\d+|two|four)"
_WORDS = {"two": 2, "four": 4}
# What each computable English due text of the library means, read independently of the
# clauses' due_by: (pattern, due_by it must have).
_MEANINGS: list[tuple[str, object]] = [
    (rf"^{_NUMBER} business days after signature$", lambda n: {"after": "signature", "business_days": n}),
    (rf"^{_NUMBER} business days after the test environment is handed over$",
     lambda n: {"after": "uat", "business_days": n}),
    (rf"^{_NUMBER} days after go-live$", lambda n: {"after": "go-live", "days": n}),
    (rf"^{_NUMBER} months from signature$", lambda n: {"after": "signature", "months": n}),
    (rf"^{_NUMBER} weeks before go-live$", lambda n: {"before": "go-live", "weeks": n}),
    (r"^before go-live$", {"before": "go-live", "business_days": 1}),
    (r"^before kick-off$", {"before": "kick-off", "business_days": 1}),
    (r"^before user acceptance testing$", {"before": "uat", "business_days": 1}),
    (r"^at kick-off$", {"after": "kick-off", "days": 0}),
    (r"^from go-live$", {"from": "go-live"}),
    (r"^from signature$", {"from": "signature"}),
    (r"^from signature until go-live$", {"from": "signature", "until": "go-live"}),
    (r"^(weekly|monthly|quarterly) until go-live$",
     lambda c: {"every": c[:-2] if c != "quarterly" else "quarter", "from": "signature",
                "until": "go-live"}),
    (r"^every (\d+) weeks until go-live$",
     lambda n: {"every": "week", "interval": n, "from": "signature", "until": "go-live"}),
    (r"^(monthly|quarterly)$", lambda c: {"every": "month" if c == "monthly" else "quarter",
                                          "from": "signature"}),
    (r"^annually$", {"every": "year", "from": "signature"}),
]


def _meaning(due: str) -> dict | None:
    for pattern, meaning in _MEANINGS:
        m = re.match(pattern, due.lower())
        if m:
            if callable(meaning):
                value = m.group(1)
                return meaning(int(value) if value.isdigit() else _WORDS.get(value, value))
            return meaning
    return None


@pytest.mark.parametrize("segment", ["small", "medium", "large"])
def test_every_drafted_spec_has_a_due_by_wherever_its_due_is_computable(segment):
    library = builtin()
    text = draft_spec(library, Draft(segment, "Acme", "Globex"))
    [line] = [x for x in text.splitlines() if x.startswith("  # milestones:")]
    named = re.findall(r"([a-z-]+): YYYY-MM-DD", line)
    assert set(named) <= set(MILESTONES) and "signature" in named
    given = ", ".join(f"{n}: {MILESTONES[n]}" for n in named)
    text = text.replace(line, f"  milestones: {{{given}}}\n  calendar: DE")
    loaded = check_loaded(load_bytes(text.encode(), "draft.yaml"), library=library)
    assert loaded.spec is not None, [str(f) for f in loaded.findings]
    computable = 0
    for side in sides():
        for e in expectations_of(loaded.spec, side):
            meaning = _meaning(e.due or "")
            got = e.due_by.model_dump(mode="json", exclude_none=True) if e.due_by else None
            assert got == meaning, (e.id, e.clause, e.due)
            if meaning is not None:
                computable += 1
                assert due_of(e, milestones(loaded.spec), BusinessDays("DE")).kind != "none"
    assert computable >= 10
    # Without the milestones, nothing is dated and the spec is as valid as before.
    bare = check_loaded(load_bytes(draft_spec(library, Draft(segment, "Acme", "Globex")).encode(),
                                   "draft.yaml"), library=library)
    assert bare.spec is not None
    assert all(e.due_by is None for side in sides() for e in expectations_of(bare.spec, side))


def test_a_clause_due_by_follows_its_params_and_yields_to_own_wording(spec_data):
    spec_data["deal"]["milestones"] = {"signature": "2027-01-15", "go-live": "2027-04-01"}
    spec_data["expectations"]["of_vendor"] = [
        {"id": "V1", "clause": "sandbox-delivery", "params": {"days": 7}},
        {"id": "V2", "clause": "status-calls", "params": {"cadence": "monthly"}},
        {"id": "V3", "clause": "sandbox-delivery", "due": "When the customer asks"},
        {"id": "V4", "clause": "status-calls", "params": {"cadence": "as needed"}}]
    customer = spec_data["expectations"]["of_customer"]
    customer += [{**e, "id": f"C{i + 3}", "text": f"{e['text']} Again."}
                 for i, e in enumerate(customer)]
    loaded = check_loaded(load_bytes(json.dumps(spec_data).encode(), "d.json"), library=builtin)
    assert loaded.spec is not None, [str(f) for f in loaded.findings]
    v1, v2, v3, v4 = loaded.spec.expectations.of_vendor
    assert v1.due_by == DueBy(after="signature", business_days=7)
    assert v2.due_by == DueBy.model_validate({"every": "month", "from": "signature",
                                              "until": "go-live"})
    assert v3.due_by is None and v4.due_by is None
