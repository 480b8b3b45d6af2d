"""The web app in a real browser: Debian's Chromium, driven headless through Playwright,
finding every control by its role and name as a rep's screen reader would. A rep who
has never seen YAML creates a deal, unbalances and fixes it, saves and downloads it;
the saved file validates and renders the same from the command line."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLES, pdf_text
from liveserver import browser_page, require_browser, serving

require_browser()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The app serving a folder with one sample."""
    with serving(tmp_path, SAMPLES / "small-bakery.yaml") as served:
        yield served


@pytest.fixture
def page(served: tuple[str, Path], browser: Any) -> Iterator[Any]:
    # The conflict's 409 is the answer a test asks for.
    with browser_page(lambda error: "status of 409" in error, browser,
                      accept_downloads=True) as page:
        yield page


def _status(page: Any) -> Any:
    return page.get_by_role("status")


def test_a_rep_creates_fixes_saves_and_downloads_a_balanced_matrix(run, served, page, tmp_path):
    from playwright.sync_api import expect

    base, folder = served
    page.goto(base + "/")
    form = page.get_by_role("form", name="New deal from a playbook")
    form.get_by_label("Segment").select_option("small")
    form.get_by_label("Vendor").fill("Tillwise GmbH")
    form.get_by_label("Customer").fill("Nordsee Brauhaus")
    form.get_by_label("Deal id").fill("NB-2027-001")
    form.get_by_label("Title").fill("Till rollout for Nordsee Brauhaus")
    form.get_by_role("button", name="Create deal").click()
    page.wait_for_url("**/deals/NB-2027-001.yaml")
    expect(_status(page)).to_have_text(re.compile(r"^balanced: \d+ of vendor"))
    n = int(re.search(r"(\d+) of vendor", _status(page).inner_text()).group(1))
    balanced = f"balanced: {n} of vendor, {n} of customer"
    expect(_status(page)).to_have_text(balanced)

    # Unbalanced: the status says so in validate's words.
    page.get_by_role("button", name="Remove V1", exact=True).click()
    expect(_status(page)).to_have_text(re.compile(r"^unbalanced"))  # validate's message
    expect(page.get_by_role("button", name="Remove V1", exact=True)).to_have_count(0)

    # Fixed with an expectation of the rep's own words: non-standard, and balanced again.
    page.get_by_role("button", name="Add vendor expectation").click()
    row = page.get_by_role("article", name=f"V{n + 1}", exact=True)
    expect(row).to_be_visible()
    expect(row.get_by_text("must not be empty")).to_be_visible()  # next to its field
    row.get_by_label("Text").fill("Call the brewery's manager every Friday until go-live.")
    row.get_by_label("Area").fill("Implementation")  # the playbook balances by area
    row.get_by_label("Measure").fill("Call log")
    expect(_status(page)).to_have_text(balanced)
    page.get_by_label("Customer signatory", exact=True).fill("Hauke Petersen")
    page.get_by_role("radio", name="yes").first.check()

    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#saved")).to_have_text("saved NB-2027-001.yaml")
    saved = folder / "NB-2027-001.yaml"
    text = saved.read_text(encoding="utf-8")
    from expectmatrix.spec.loading import load_bytes

    spec = load_bytes(text.encode("utf-8"), saved.name).spec
    assert spec is not None
    assert spec.expectations.of_vendor[-1].text == (
        "Call the brewery's manager every Friday until go-live.")
    assert spec.parties.customer.signatory.name == "Hauke Petersen"
    assert text.startswith("# Expectations matrix drafted from")  # the comments are kept
    assert run("validate", saved).exit_code == 0

    # The download is the document `render` makes of the saved file.
    with page.expect_download() as info:
        page.get_by_role("button", name="Download PDF").click()
    downloaded = Path(info.value.path()).read_bytes()
    assert run("render", saved, "-o", tmp_path / "cli", "-f", "pdf").exit_code == 0
    rendered = (tmp_path / "cli" / "NB-2027-001-v1.pdf").read_bytes()
    assert downloaded == rendered
    words, _ = pdf_text(downloaded)
    assert "Call the brewery's manager every Friday" in words
    fingerprint = re.compile(r"Spec fingerprint \(SHA-256\): ([0-9a-f]{64})")
    assert fingerprint.findall(words)[-1] == fingerprint.findall(pdf_text(rendered)[0])[-1]

    # The file changes on disk meanwhile: the save is refused and both are shown.
    saved.write_text(text + "# changed by a colleague\n", encoding="utf-8")
    page.get_by_label("Title", exact=True).fill("Till and stock rollout for Nordsee Brauhaus")
    page.get_by_role("button", name="Save", exact=True).click()
    conflict = page.get_by_role("region", name="Changed on disk")
    expect(conflict).to_be_visible()
    expect(conflict).to_contain_text("# changed by a colleague")
    assert saved.read_text(encoding="utf-8").endswith("# changed by a colleague\n")
    conflict.get_by_role("button", name="Save mine over it").click()
    expect(page.locator("#saved")).to_have_text("saved NB-2027-001.yaml")
    assert "Till and stock rollout" in saved.read_text(encoding="utf-8")


def test_the_clause_picker_params_preview_and_versions(served, page):
    from playwright.sync_api import expect

    base, folder = served
    page.goto(base + "/deals/small-bakery.yaml")
    expect(_status(page)).to_have_text("balanced: 4 of vendor, 4 of customer")
    page.get_by_role("button", name="Pick a clause for V4", exact=True).click()
    picker = page.get_by_role("dialog", name="Pick a clause")
    picker.get_by_label("Search clauses").fill("incident")
    expect(picker.get_by_role("button", name="Use p1-response")).to_be_visible()
    # Customer clauses are not offered for a vendor row.
    expect(picker.get_by_role("button", name="Use incident-reporting")).to_be_hidden()
    picker.get_by_role("button", name="Use p1-response").click()
    row = page.get_by_role("article", name="V4", exact=True)
    expect(row.get_by_text("Library clause")).to_contain_text("within 4 hours")
    hours = row.get_by_role("spinbutton")
    expect(hours).to_have_attribute("placeholder", "4")
    hours.fill("2")
    hours.press("Tab")
    expect(row.get_by_text("Library clause")).to_contain_text("within 2 hours")

    page.get_by_role("button", name="Preview counterparty edition").click()
    frame = page.frame_locator("#preview")
    # The app's first document waits for its render worker to start: on a busy machine
    # that may take longer than the default five seconds.
    expect(frame.get_by_text("within 2 hours").first).to_be_visible(timeout=30_000)
    expect(frame.get_by_text("Three shops, one central kitchen")).to_have_count(0)
    page.get_by_role("button", name="Preview internal edition").click()
    expect(frame.get_by_text("Three shops, one central kitchen")).to_be_visible()

    page.get_by_role("button", name="Save as new version").click()
    page.wait_for_url("**/deals/small-bakery-v3.yaml")
    assert "clause: p1-response" in (folder / "small-bakery-v3.yaml").read_text()
    assert "clause: p1-response" not in (folder / "small-bakery.yaml").read_text()
    expect(page.get_by_role("button", name="Compare with the previous version")).to_be_visible()


def test_leaving_with_unsaved_changes_asks_first(served, page):
    from playwright.sync_api import expect

    base, _ = served
    page.goto(base + "/deals/small-bakery.yaml")
    expect(_status(page)).to_have_text("balanced: 4 of vendor, 4 of customer")
    page.get_by_label("Title", exact=True).fill("A title not saved yet")
    page.get_by_label("Term").click()  # the change is sent
    expect(page.locator("#spec")).to_have_value(re.compile("A title not saved yet"))
    with page.expect_event("dialog") as asked:
        page.close(run_before_unload=True)
    assert asked.value.type == "beforeunload"
    asked.value.accept()


def test_before_the_script_has_the_new_deal_form_nothing_is_sent(served, browser):
    """The browser alone would send the form as an address (a GET of the list), dropping
    what the rep typed: until the script has taken the form over, it sends nothing."""
    from playwright.sync_api import expect

    base, _ = served
    with browser_page(lambda error: "ERR_FAILED" in error, browser) as page:
        page.route("**/static/app.js", lambda route: route.abort())  # the script never comes
        page.goto(base + "/")
        form = page.get_by_role("form", name="New deal from a playbook")
        expect(form.get_by_role("button", name="Create deal")).to_be_disabled()
        for label, value in (("Vendor", "Tillwise GmbH"), ("Customer", "Nordsee Brauhaus"),
                             ("Deal id", "NB-2027-001")):
            form.get_by_label(label).fill(value)
        form.get_by_label("Deal id").press("Enter")
        assert page.url == base + "/"
        expect(form.get_by_label("Vendor")).to_have_value("Tillwise GmbH")
