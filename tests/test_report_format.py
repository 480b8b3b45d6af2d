"""The portfolio report as a reader sees it: amounts grouped with their currency in the
report's language, every point of the scatter named and every quadrant labelled, one
font (the bundled Noto Sans) throughout, and charts that leave matplotlib's global state
as they found it and say nothing on the terminal."""

from __future__ import annotations

import base64
import io
import re
import subprocess
import sys
from decimal import Decimal

import pytest
from conftest import ROOT, SAMPLES, pdf_text

PORTFOLIO = SAMPLES / "portfolio"


@pytest.fixture(scope="module")
def report_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    html, pdf = folder / "portfolio.html", folder / "portfolio.pdf"
    # the command line as a person runs it: its terminal output is part of what is checked
    runs = [subprocess.run([sys.executable, "-m", "expectmatrix", "report", str(PORTFOLIO),
                            "-o", str(out)], capture_output=True, text=True, cwd=ROOT,
                           timeout=300) for out in (html, pdf)]
    return html, pdf, runs


def _svgs(html: str) -> list[str]:
    return [base64.b64decode(data).decode("utf-8") for data in
            re.findall(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", html)]


def test_amounts_are_grouped_with_their_currency(report_files):
    html_file, pdf_file, _ = report_files
    text, _ = pdf_text(pdf_file.read_bytes())
    flat = " ".join(text.split())
    assert "St Mary's Health Network €2,310,900 €462,970 20.0%" in flat
    assert "Quadrants split at revenue €106,000 and margin 26.6% of revenue" in flat
    assert "2310900" not in flat
    html = html_file.read_text(encoding="utf-8")
    assert "€2,310,900" in html and ">2310900<" not in html


def test_without_a_currency_amounts_are_still_grouped():
    from expectmatrix.portfolio.report import amounts

    money, number, percent = amounts(None)
    assert money(2310900) == "2,310,900" and money(Decimal("12.5")) == "12.5"
    money, _, _ = amounts("EUR", "de")
    assert money(2310900).replace("\xa0", " ") == "2.310.900 €"
    assert percent(Decimal("26.6")) == "26.6%" and number(1234) == "1,234"


def test_the_scatter_names_every_account_and_every_quadrant(report_files, run, tmp_path):
    import json

    html_file, _, _ = report_files
    scatter, bars = _svgs(html_file.read_text(encoding="utf-8"))
    # text is drawn as paths; matplotlib keeps each text beside its path as a comment
    drawn = re.findall(r"<!-- (.*?) -->", scatter)
    assert run("report", PORTFOLIO, "-o", tmp_path / "r.json").exit_code == 0
    accounts = json.loads((tmp_path / "r.json").read_text())["accounts"]
    assert len(accounts) == 22
    for account in accounts:  # a long name is cut short, with an ellipsis
        name = account["customer"]
        assert name in drawn or (name[:20] in " ".join(drawn) and "…" in " ".join(drawn))
    assert "Harbour Bakery Ltd" in drawn and "St Mary's Health Network" in drawn
    for quadrant in ("Protect", "Grow", "Expand", "Serve at lower cost",
                     "high revenue, high margin", "low revenue, low margin"):
        assert quadrant in drawn
    assert "€1,000,000" in drawn  # the axis speaks in the report's amounts
    for svg in (scatter, bars):  # one font: the glyphs are Noto Sans's
        assert "NotoSans-" in svg and "DejaVu" not in svg


def test_the_pdf_has_one_font_the_bundled_noto_sans(report_files):
    from fontTools.ttLib import TTFont

    _, pdf_file, _ = report_files
    _, reader = pdf_text(pdf_file.read_bytes())
    families = set()
    for page in reader.pages:  # the footer ("Page 1 of 3") included
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            data = descriptor.get_object()["/FontFile2"].get_object().get_data()
            families.add(TTFont(io.BytesIO(data))["name"].getDebugName(1))
    assert families == {"Noto Sans"}


def test_nothing_but_the_result_on_the_terminal(report_files):
    html_file, pdf_file, runs = report_files
    for result, out in zip(runs, (html_file, pdf_file), strict=True):
        assert result.returncode == 0, result.stderr
        assert result.stderr.strip() == f"wrote {out}: 22 accounts", result.stderr


def test_the_charts_leave_matplotlib_as_they_found_it():
    import matplotlib

    from expectmatrix.portfolio import charts
    from expectmatrix.portfolio.accounts import portfolio
    from expectmatrix.portfolio.report import LABELS, amounts
    from expectmatrix.spec.loading import load

    loaded = load(SAMPLES / "portfolio" / "pf-001-harbour.yaml")
    result = portfolio([("a.yaml", loaded.spec, [], {}, None)])
    with matplotlib.rc_context({"font.size": 13.0, "font.family": ["serif"]}):
        before = dict(matplotlib.rcParams)
        backend = matplotlib.get_backend()
        money = amounts(result.currency)[0]
        svgs = [charts.scatter(result, LABELS, money), charts.bars(result, LABELS, money)]
        assert dict(matplotlib.rcParams) == before
        assert matplotlib.get_backend() == backend
    for svg in svgs:
        assert "NotoSans-" in base64.b64decode(svg.split(",", 1)[1]).decode("utf-8")
