"""`report` with tracked deals: fulfilment per segment and side, the customer's misses by
readiness answers, in the JSON, the CSV and the PDF read back; reproducible with --today;
a broken journal is listed, and its deal still counts in the portfolio."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from conftest import SAMPLES, pdf_text

TODAY = "2026-04-08"
# spec -> events recorded (id, event, day). pf-001 and pf-012 have a readiness answer
# no or unknown; pf-003, pf-023 and the after-signing deal answered yes throughout.
EVENTS = {
    "pf-001-harbour.yaml": [("C1", "missed", "2026-03-10"), ("C2", "missed", "2026-03-12"),
                            ("V1", "met", "2026-03-05")],
    "pf-003-nordsee.yaml": [("C1", "met", "2026-03-10"), ("V1", "missed", "2026-03-11")],
    "pf-012-tidewater.yaml": [("C1", "missed", "2026-04-01")],
    "pf-023-meridian.yaml": [("C1", "met", "2026-03-10"), ("C2", "waived", "2026-03-10")],
    "nwk.yaml": [("V1", "met", "2026-03-05")],
}


@pytest.fixture
def folder(tmp_path: Path, run) -> Path:
    """The portfolio samples and the after-signing deal, five of them with a journal."""
    deals = tmp_path / "deals"
    shutil.copytree(SAMPLES / "portfolio", deals)
    shutil.copy(SAMPLES / "after-signing" / "deal.yaml", deals / "nwk.yaml")
    for name, events in EVENTS.items():
        for ident, event, day in events:
            result = run("record", deals / name, ident, event, "--on", day)
            assert result.exit_code == 0, result.stderr
    return deals


def report(run, folder: Path, out: Path, *args: str) -> object:
    result = run("report", folder, "-o", out, "--today", TODAY, *args)
    assert "Traceback" not in result.stdout + result.stderr
    return result


def counted(side: dict) -> dict[str, int]:
    return {s: n for s, n in side["statuses"].items() if n}


def test_fulfilment_per_segment_and_side(run, folder, tmp_path):
    out = tmp_path / "r.json"
    assert report(run, folder, out).exit_code == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    f = data["fulfilment"]
    assert f["today"] == TODAY and f["deals"] == 5
    assert f["misses"] == ["missed", "overdue", "escalated"]
    seg = {s["segment"]: s for s in f["segments"]}
    assert {s: seg[s]["deals"] for s in seg} == {"small": 2, "medium": 2, "large": 1}
    # The samples have no due_by: only what was recorded has a status. A miss recorded
    # more than the escalation window (15 business days by the library's frame) before
    # the day is escalated; pf-012's C1, missed on 1 April, is not yet.
    assert counted(seg["small"]["vendor"]) == {"met": 1, "escalated": 1, "no-date": 4}
    assert counted(seg["small"]["customer"]) == {"met": 1, "escalated": 2, "no-date": 3}
    assert seg["small"]["vendor"]["met_percent"] == 50.0
    assert seg["small"]["customer"]["misses"] == 2
    assert seg["small"]["customer"]["met_percent"] == 33.3
    # Medium: pf-012 and the after-signing deal, dated by its due_by and German holidays
    # (test_track_status has the same day by hand: V2 and C1 escalated, V3 and V6
    # overdue, V4 upcoming, V5 and C5 ongoing, C3 due soon).
    assert counted(seg["medium"]["vendor"]) == {"met": 1, "ongoing": 1, "upcoming": 1,
                                                "overdue": 2, "escalated": 1, "no-date": 4}
    assert counted(seg["medium"]["customer"]) == {"ongoing": 1, "upcoming": 3, "due-soon": 1,
                                                  "missed": 1, "escalated": 1, "no-date": 3}
    assert counted(seg["large"]["customer"]) == {"met": 1, "waived": 1, "no-date": 4}
    assert seg["large"]["vendor"]["met_percent"] is None  # nothing due yet


def test_customer_misses_by_readiness_answers(run, folder, tmp_path):
    out = tmp_path / "r.json"
    assert report(run, folder, out).exit_code == 0
    groups = {g["readiness"]: g for g in json.loads(out.read_text())["fulfilment"]["readiness"]}
    # pf-001 (3 customer expectations, two missed) and pf-012 (4, one missed)
    assert groups["no-or-unknown"] == {
        "readiness": "no-or-unknown", "deals": 2, "customer_expectations": 7,
        "customer_misses": 3, "miss_percent": 42.9, "deals_with_misses": 2,
        "deals_with_misses_percent": 100.0}
    # pf-003 (3), pf-023 (6) and the after-signing deal (6, C1 escalated)
    assert groups["all-yes"] == {
        "readiness": "all-yes", "deals": 3, "customer_expectations": 15, "customer_misses": 1,
        "miss_percent": 6.7, "deals_with_misses": 1, "deals_with_misses_percent": 33.3}
    assert groups["no-questions"]["deals"] == 0


def test_accounts_carry_their_misses_in_json_and_csv(run, folder, tmp_path):
    out = tmp_path / "r.json"
    assert report(run, folder, out).exit_code == 0
    accounts = {a["customer"]: a for a in json.loads(out.read_text())["accounts"]}
    bakery = accounts["Harbour Bakery Ltd"]  # pf-001 tracked, pf-002 not
    assert (bakery["deals"], bakery["tracked_deals"], bakery["vendor_misses"],
            bakery["customer_misses"]) == (2, 1, 0, 2)
    assert (accounts["Nordwind Kälte GmbH"]["vendor_misses"],
            accounts["Nordwind Kälte GmbH"]["customer_misses"]) == (3, 1)
    assert accounts["Polaris Telecom"]["tracked_deals"] == 0
    table = tmp_path / "r.csv"
    assert report(run, folder, table).exit_code == 0
    rows = {r["customer"]: r for r in
            csv.DictReader(table.read_text(encoding="utf-8-sig").splitlines())}
    assert (rows["Harbour Bakery Ltd"]["tracked_deals"], rows["Harbour Bakery Ltd"]["vendor_misses"],
            rows["Harbour Bakery Ltd"]["customer_misses"]) == ("1", "0", "2")


def test_the_day_makes_the_report_reproducible(run, folder, tmp_path):
    first, again, earlier = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "c.json"
    assert report(run, folder, first).exit_code == 0
    assert report(run, folder, again).exit_code == 0
    assert first.read_bytes() == again.read_bytes()
    # Before the after-signing deal's due dates, none of its expectations is late yet.
    assert report(run, folder, earlier, "--today", "2026-02-20").exit_code == 0
    f = json.loads(earlier.read_text())["fulfilment"]
    assert f["today"] == "2026-02-20"
    medium = next(s for s in f["segments"] if s["segment"] == "medium")
    assert medium["customer"]["statuses"]["escalated"] == 0
    assert medium["vendor"]["statuses"]["overdue"] == 0


def test_the_pdf_reports_fulfilment(run, folder, tmp_path):
    out = tmp_path / "r.pdf"
    assert report(run, folder, out).exit_code == 0
    text = " ".join(pdf_text(out.read_bytes())[0].split())
    assert "Fulfilment after signing" in text
    assert "5 deal(s) with a journal beside their spec, judged as on 2026-04-08" in text
    assert "Does the readiness check predict trouble?" in text
    assert ("Customers missed 42.9 % of their expectations on deals with a readiness answer "
            "no or unknown, against 6.7 % on deals answered yes throughout (2 and 3 deals)."
            in text)
    # small, vendor: 2 deals, met 1 ... escalated 1, no date 4, 1 miss, met 50.0 %
    assert "small vendor 2 1 0 0 0 0 0 0 1 4 1 50.0" in text
    html = tmp_path / "r.html"
    assert report(run, folder, html).exit_code == 0
    assert "Does the readiness check predict trouble?" in html.read_text(encoding="utf-8")


def test_without_journals_the_report_has_no_fulfilment_section(run, tmp_path):
    # A few deals of the portfolio: the charts of all of them make the PDF slow to write.
    deals = tmp_path / "deals"
    deals.mkdir()
    for spec in sorted((SAMPLES / "portfolio").glob("*.yaml"))[:4]:
        shutil.copy(spec, deals)
    assert not list(deals.glob("*.track.yaml"))
    out = tmp_path / "r.pdf"
    result = report(run, deals, out)
    assert result.exit_code == 0
    text = pdf_text(out.read_bytes())[0]
    assert "Segments" in text and "Fulfilment after signing" not in text
    data = tmp_path / "r.json"
    assert report(run, deals, data).exit_code == 0
    assert json.loads(data.read_text())["fulfilment"]["deals"] == 0


def test_a_journal_of_another_version_is_listed_and_its_deal_still_counts(run, folder,
                                                                            tmp_path):
    spec = folder / "pf-003-nordsee.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("Nordsee Brauhaus GmbH",
                                                             "Nordsee Brauhaus AG"),
                    encoding="utf-8")
    out = tmp_path / "r.json"
    result = report(run, folder, out)
    assert result.exit_code == 1
    assert "pf-003-nordsee.track.yaml" in result.stderr and "--new-version" in result.stderr
    data = json.loads(out.read_text())
    assert data["fulfilment"]["deals"] == 4  # its fulfilment is left out
    account = {a["customer"]: a for a in data["accounts"]}["Nordsee Brauhaus AG"]
    assert account["deals"] == 1 and account["tracked_deals"] == 0
    assert any("pf-003-nordsee.track.yaml" in (f["file"] or "") for f in data["failed"])


def test_a_journal_that_is_not_yaml_is_listed(run, folder, tmp_path):
    journal = folder / "pf-023-meridian.track.yaml"
    journal.write_text(journal.read_text(encoding="utf-8") + "  - id: [C3\n", encoding="utf-8")
    out = tmp_path / "r.json"
    result = report(run, folder, out)
    assert result.exit_code == 1 and "YAML syntax error" in result.stderr
    assert json.loads(out.read_text())["fulfilment"]["deals"] == 4
