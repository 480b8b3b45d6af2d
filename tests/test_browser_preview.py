"""The editor in a real browser (see test_browser.py): a preview follows the rep's edits
and says when it cannot, and a date is shown and typed in the deal's own order."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLES
from liveserver import browser_page, require_browser, serving

require_browser()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    with serving(tmp_path, SAMPLES / "small-bakery.yaml") as served:
        yield served


@pytest.fixture
def page(served: tuple[str, Path], browser: Any) -> Iterator[Any]:
    with browser_page(browser=browser) as page:
        yield page


def _status(page: Any) -> Any:
    return page.get_by_role("status")


def test_the_preview_follows_each_edit(served, page):
    from playwright.sync_api import expect

    base, _ = served
    page.goto(base + "/deals/small-bakery.yaml")
    expect(_status(page)).to_have_text("balanced: 4 of vendor, 4 of customer")
    page.get_by_role("button", name="Preview counterparty edition").click()
    frame = page.frame_locator("#preview")
    note = page.locator("#preview-note")
    # The app's first document waits for its render worker to start: on a busy machine
    # that may take longer than the default five seconds.
    expect(frame.get_by_text("Run two 90-minute training sessions")).to_be_visible(timeout=30_000)
    expect(note).to_have_text("The counterparty edition, as of your last change.")

    # An edit, and no click on Preview: the frame shows the new words.
    row = page.get_by_role("article", name="V3", exact=True)
    row.get_by_label("Text").fill("Run three training sessions for shop staff.")
    row.get_by_label("Text").press("Tab")
    expect(frame.get_by_text("Run three training sessions for shop staff.")).to_be_visible()
    expect(frame.get_by_text("Run two 90-minute training sessions")).to_have_count(0)
    expect(note).to_have_text("The counterparty edition, as of your last change.")

    # A change that leaves the spec invalid: the preview stays, and says it is not current.
    page.get_by_role("button", name="Remove V1", exact=True).click()
    expect(_status(page)).to_have_text(re.compile(r"^unbalanced"))
    expect(note).to_contain_text("Not updated")
    expect(note).to_contain_text("before your last changes")
    expect(frame.get_by_text("Run three training sessions for shop staff.")).to_be_visible()


def test_a_date_is_shown_and_typed_in_the_deals_order(served, page):
    from playwright.sync_api import expect

    base, _ = served
    page.goto(base + "/deals/small-bakery.yaml")
    expect(_status(page)).to_have_text("balanced: 4 of vendor, 4 of customer")
    effective = page.get_by_label("Effective date")
    # The bakery's deal is in international English: day first, whatever the browser's
    # own locale (Chromium here runs in en-US, which a date input would follow).
    expect(effective).to_have_value("01/12/2026")
    expect(effective).to_have_attribute("placeholder", "DD/MM/YYYY")
    expect(page.get_by_text("Day, month and year as DD/MM/YYYY").first).to_be_visible()
    effective.fill("15/01/2027")
    effective.press("Tab")
    expect(page.locator("#spec")).to_have_value(re.compile(r"\n  effective: 2027-01-15\n"))
    expect(_status(page)).to_have_text("balanced: 4 of vendor, 4 of customer")
    expect(page.get_by_label("Effective date")).to_have_value("15/01/2027")

    # The same deal in American English: month first.
    page.get_by_label("Language").fill("en-US")
    page.get_by_label("Language").press("Tab")
    expect(page.get_by_label("Effective date")).to_have_value("01/15/2027")
    expect(page.get_by_label("Effective date")).to_have_attribute("placeholder", "MM/DD/YYYY")
    page.get_by_label("Effective date").fill("02/01/2027")
    page.get_by_label("Effective date").press("Tab")
    expect(page.locator("#spec")).to_have_value(re.compile(r"\n  effective: 2027-02-01\n"))
