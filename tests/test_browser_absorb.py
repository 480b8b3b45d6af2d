"""Legal's DOCX in a real browser (Debian's Chromium through Playwright, every control
found by its role and name): the rep opens the deal, uploads the DOCX legal edited,
sees the redline with the words legal changed and who changed them, and saves it as the
new version; a document that is not the deal's is refused with the reason, on the page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLES
from liveserver import browser_page, require_browser, serving
from wordedit import AUTHOR, Edited

require_browser()

SPEC = SAMPLES / "minimal.yaml"
NEW_TEXT = "Enable the reporting module for all named users."  # V1 said "ten"


@pytest.fixture(scope="module")
def docx(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The deal's DOCX, rendered once, in this process."""
    from expectmatrix.render.pipeline import RenderOptions, render_file

    result = render_file(SPEC, tmp_path_factory.mktemp("rendered"), RenderOptions(("docx",)))
    assert result.ok, result.findings
    return result.outputs[0].read_bytes()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    with serving(tmp_path, SPEC) as served:
        yield served


@pytest.fixture
def page(served: tuple[str, Path], browser: Any) -> Iterator[Any]:
    # The 400 is the refusal a test asks for.
    with browser_page(lambda error: "status of 400" in error, browser) as page:
        yield page


def test_a_rep_uploads_legal_s_docx_sees_the_redline_and_saves_it(served, page, docx,
                                                                 tmp_path):
    from playwright.sync_api import expect

    base, folder = served
    edited = Edited(docx)
    edited.tracked_replace("V1", NEW_TEXT)
    legal = edited.save(tmp_path / "MIN-1 legal comments.docx")
    before = (folder / "minimal.yaml").read_bytes()

    page.goto(base + "/deals/minimal.yaml")
    expect(page.locator("#status")).to_have_text("balanced: 2 of vendor, 2 of customer")
    page.get_by_label("Upload legal's DOCX", exact=True).set_input_files(legal)
    page.wait_for_url("**/deals/minimal.yaml/absorbed/*")
    redline = page.get_by_role("region", name="Redline")
    expect(redline.locator("del", has_text="ten")).to_be_visible()
    expect(redline.locator("ins", has_text="all")).to_be_visible()
    changes = page.get_by_role("region", name="Changes")
    expect(changes).to_contain_text(f"V1 text changed (by {AUTHOR}")
    expect(page.get_by_role("region", name="Not absorbed")).to_contain_text(
        "Every edit was absorbed.")
    assert sorted(p.name for p in folder.iterdir()) == ["minimal.yaml"]  # nothing yet

    page.get_by_role("button", name="Save as new version").click()
    page.wait_for_url("**/deals/minimal-v2.yaml")
    expect(page.locator("#status")).to_have_text("balanced: 2 of vendor, 2 of customer")
    text = (folder / "minimal-v2.yaml").read_text(encoding="utf-8")
    assert NEW_TEXT in text and "version: 2" in text and "status: review" in text
    assert "Enable the reporting module for ten named users." not in text
    assert (folder / "minimal.yaml").read_bytes() == before


def test_a_document_of_no_deal_is_refused_on_the_page(served, page, tmp_path):
    from docx import Document
    from playwright.sync_api import expect

    base, folder = served
    letter = tmp_path / "letter.docx"
    Document().save(str(letter))
    page.goto(base + "/deals/minimal.yaml")
    page.get_by_label("Upload legal's DOCX", exact=True).set_input_files(letter)
    expect(page.locator("#saved")).to_have_text(
        "not absorbed: letter.docx: carries no expectmatrix spec; it was not made by "
        "expectmatrix, or the embedded spec was removed")
    assert page.url == base + "/deals/minimal.yaml"
    assert sorted(p.name for p in folder.iterdir()) == ["minimal.yaml"]
