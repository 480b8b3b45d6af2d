"""The Track view in a real browser (Debian's Chromium through Playwright, every control
found by its role and name): a rep marks an expectation met with its evidence, waives one
with a reason, sees each side's status line change and the journal on disk hold the
events, and finds what is due this week. "Today" is frozen at 2026-04-08."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import SAMPLES
from liveserver import browser_page, require_browser, serving

require_browser()

TODAY_EPOCH = "1775649600"  # 2026-04-08 12:00 UTC
TITLE = "Field service scheduling rollout for Nordwind Kälte"


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Path]]:
    """The app serving the signed sample (and one in review)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", TODAY_EPOCH)
    with serving(tmp_path, SAMPLES / "after-signing" / "deal.yaml",
                 SAMPLES / "small-bakery.yaml") as served:
        yield served


@pytest.fixture
def page(served: tuple[str, Path], browser: Any) -> Iterator[Any]:
    # The 400 is the refusal a test asks for.
    with browser_page(lambda error: "status of 400" in error, browser) as page:
        yield page


def _events(folder: Path) -> list[dict[str, Any]]:
    journal = folder / "deal.track.yaml"
    return yaml.safe_load(journal.read_text(encoding="utf-8"))["events"] if journal.exists() else []


def test_a_rep_marks_an_expectation_met_and_the_status_line_changes(served, page, tmp_path):
    from playwright.sync_api import expect

    base, folder = served
    page.goto(base + "/")
    expect(page.get_by_role("link", name="Track Point-of-sale")).to_have_count(0)  # in review
    page.get_by_role("link", name=f"Track {TITLE}").click()
    page.wait_for_url("**/deals/deal.yaml/track")
    vendor = page.get_by_role("status", name="Vendor summary")
    customer = page.get_by_role("status", name="Customer summary")
    expect(vendor).to_have_text("Vendor: 1 ongoing, 1 upcoming, 2 overdue, 2 escalated")
    expect(customer).to_have_text("Customer: 1 ongoing, 3 upcoming, 1 due-soon, 1 escalated")

    proof = tmp_path / "attendance.pdf"
    proof.write_bytes(b"%PDF-1.4 attendance list of both sessions\n")
    page.get_by_label("Recorded by").fill("Jonas Weber")
    page.get_by_label("Evidence for V3").set_input_files(proof)
    page.get_by_role("button", name="Mark V3 met", exact=True).click()
    expect(vendor).to_have_text("Vendor: 1 met, 1 ongoing, 1 upcoming, 1 overdue, 2 escalated")
    [event] = _events(folder)
    assert (event["id"], event["event"], str(event["date"]), event["by"]) == \
        ("V3", "met", "2026-04-08", "Jonas Weber")
    stored = "evidence/NWK-2026-003/attendance.pdf"
    assert event["evidence"] == {"file": stored,
                                 "sha256": hashlib.sha256(proof.read_bytes()).hexdigest()}
    assert (folder / stored).read_bytes() == proof.read_bytes()
    row = page.get_by_role("article", name="V3", exact=True)
    expect(row.get_by_text("Last event: met 2026-04-08 by Jonas Weber")).to_be_visible()

    # A waiver with its reason (Enter in it records nothing), and a missed one on the
    # customer's side.
    page.get_by_label("Note or reason for V5").fill("The shared board replaces the calls")
    page.get_by_label("Note or reason for V5").press("Enter")
    page.get_by_role("button", name="Waive V5", exact=True).click()
    expect(vendor).to_have_text("Vendor: 1 met, 1 waived, 1 upcoming, 1 overdue, 2 escalated")
    page.get_by_role("button", name="Record C2 missed", exact=True).click()
    expect(customer).to_have_text(
        "Customer: 1 ongoing, 2 upcoming, 1 due-soon, 1 missed, 1 escalated")
    assert [(e["id"], e["event"], e.get("note")) for e in _events(folder)] == [
        ("V3", "met", None), ("V5", "waived", "The shared board replaces the calls"),
        ("C2", "missed", None)]


def test_a_refused_upload_says_why_and_records_nothing(served, page, tmp_path):
    from playwright.sync_api import expect

    base, folder = served
    page.goto(base + "/deals/deal.yaml/track")
    vendor = page.get_by_role("status", name="Vendor summary")
    before = vendor.inner_text()
    bad = tmp_path / "notes.yaml"  # would be read as a spec of the folder
    bad.write_text("format: expectmatrix/1\n", encoding="utf-8")
    page.get_by_label("Evidence for V1").set_input_files(bad)
    page.get_by_role("button", name="Mark V1 met", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text(
        "'notes.yaml' has the suffix of a spec: attach it as PDF, image or another "
        "document, or rename it")
    expect(vendor).to_have_text(before)
    assert _events(folder) == [] and not (folder / "evidence").exists()

    from expectmatrix.serve.guard import MAX_BODY_BYTES

    big = tmp_path / "scan.pdf"
    big.write_bytes(b"x" * (MAX_BODY_BYTES + 1))
    page.get_by_label("Evidence for V1").set_input_files(big)
    page.get_by_role("button", name="Mark V1 met", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text(
        f"scan.pdf is larger than {MAX_BODY_BYTES} bytes: nothing was recorded")
    assert _events(folder) == [] and not (folder / "evidence").exists()


def test_due_this_week_lists_what_falls_due_and_leads_to_the_track_view(served, page):
    from playwright.sync_api import expect

    base, _ = served
    page.goto(base + "/")
    page.get_by_role("link", name="Due this week").click()
    page.wait_for_url("**/due")
    table = page.get_by_role("table", name="Due this week")
    due_soon = table.get_by_role("row").filter(has_text="C3")
    expect(due_soon).to_contain_text("2026-04-10")
    expect(due_soon).to_contain_text("due-soon")
    expect(table.get_by_role("row").filter(has_text="C6")).to_have_count(0)  # not this week
    due_soon.get_by_role("link", name=TITLE).click()
    page.wait_for_url("**/deals/deal.yaml/track")
    expect(page.get_by_role("button", name="Mark C3 met", exact=True)).to_be_visible()


def test_before_the_script_has_the_forms_enter_sends_nothing_and_keeps_the_text(served, browser):
    """The status lines show before the page's script has run (it is deferred): a rep who
    types a note then and presses Enter must not have the browser send the form itself,
    which would reload the page without what they typed."""
    from playwright.sync_api import expect

    base, folder = served
    with browser_page(lambda error: "ERR_FAILED" in error, browser) as page:
        page.route("**/static/app.js", lambda route: route.abort())  # the script never comes
        page.goto(base + "/deals/deal.yaml/track")
        expect(page.get_by_role("button", name="Mark V3 met", exact=True)).to_be_disabled()
        note = page.get_by_label("Note or reason for V3")
        note.fill("Typed before the page was ready")
        note.press("Enter")
        assert page.url == base + "/deals/deal.yaml/track"
        expect(note).to_have_value("Typed before the page was ready")
    assert _events(folder) == []
