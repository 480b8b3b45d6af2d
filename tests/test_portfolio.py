"""`expectmatrix report`: the portfolio by segment, revenue and margin, in the contract's
JSON, as CSV, and as a self-contained HTML page and a PDF read back."""

from __future__ import annotations

import copy
import csv
import json
import re
from pathlib import Path

import pytest
from conftest import BASE, SAMPLES, pdf_text

PORTFOLIO = SAMPLES / "portfolio"


def _spec(folder: Path, ident: str, customer: str, segment: str, value: int, margin: int,
          currency: str = "EUR", approvals: list[dict[str, str]] | None = None,
          **deal: object) -> Path:
    data = copy.deepcopy(BASE)
    data["approvals"] = approvals or []
    data["deal"].update(id=ident, segment=segment, value={"amount": value, "currency": currency},
                        margin={"amount": margin, "currency": currency}, **deal)
    data["parties"]["customer"]["name"] = customer
    path = folder / f"{ident}.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.fixture
def small_portfolio(tmp_path) -> Path:
    folder = tmp_path / "deals"
    folder.mkdir()
    _spec(folder, "A-1", "Harbour Bakery Ltd", "small", 9600, 3100, nps=40)
    _spec(folder, "A-2", "harbour  bakery LTD", "small", 2400, 900)  # the same account
    _spec(folder, "B-1", "Meridian Bank plc", "large", 900000, 90000, nps=-10)
    _spec(folder, "C-1", "Tidewater BV", "medium", 120000, 40000)
    _spec(folder, "D-1", "Quayside Cycles", "small", 8000, 800, status="approved",
          approvals=[{"name": "L", "side": "vendor", "role": "GC", "date": "2026-11-01"}])
    return folder


def test_the_json_holds_the_contract(run, small_portfolio, tmp_path):
    out = tmp_path / "report.json"
    result = run("report", small_portfolio, "-o", out)
    assert result.exit_code == 0, result.stderr
    data = json.loads(out.read_text())
    accounts = {a["customer"]: a for a in data["accounts"]}
    assert len(accounts) == 4  # Harbour Bakery's two deals are one account
    bakery = accounts["Harbour Bakery Ltd"]
    assert bakery["revenue"] == 12000 and bakery["margin"] == 4000 and bakery["deals"] == 2
    assert bakery["margin_percent"] == 33.3 and bakery["segments"] == ["small"]
    # Splits at the medians: revenue 66,000 (between 12,000 and 120,000), margin 21.7 %.
    assert data["splits"] == {"revenue": 66000, "margin_percent": 21.7}
    assert (bakery["quadrant"], bakery["strategy"]) == ("low-revenue-high-margin", "grow")
    bank = accounts["Meridian Bank plc"]
    assert (bank["quadrant"], bank["strategy"]) == ("high-revenue-low-margin", "expand")
    assert accounts["Tidewater BV"]["strategy"] == "protect"
    assert accounts["Quayside Cycles"]["strategy"] == "serve at lower cost"
    segments = {s["segment"]: s for s in data["segments"]}
    assert segments["small"]["deals"] == 3 and segments["small"]["revenue"] == 20000
    assert segments["small"]["nps"] == 40 and segments["large"]["nps"] == -10
    assert segments["medium"]["nps"] is None
    assert segments["small"]["statuses"] == {"draft": 2, "review": 0, "approved": 1}
    assert segments["small"]["nonstandard_share"] == 100  # BASE writes its own wording
    assert {q["quadrant"] for q in data["accounts"]} <= {
        "high-revenue-high-margin", "high-revenue-low-margin", "low-revenue-high-margin",
        "low-revenue-low-margin"}


def test_splits_given_and_an_account_on_a_split_counts_high(run, small_portfolio, tmp_path):
    out = tmp_path / "report.json"
    assert run("report", small_portfolio, "-o", out, "--revenue-split", "12000",
               "--margin-split", "33.3").exit_code == 0
    accounts = {a["customer"]: a for a in json.loads(out.read_text())["accounts"]}
    # 12,000 on the revenue split; 33.33 % at or above 33.3 %
    assert accounts["Harbour Bakery Ltd"]["quadrant"] == "high-revenue-high-margin"


def test_currencies_must_agree_or_have_rates(run, small_portfolio, tmp_path):
    _spec(small_portfolio, "E-1", "Kestrel Airlines", "large", 500000, 50000, currency="USD")
    result = run("report", small_portfolio, "-o", tmp_path / "r.json")
    assert result.exit_code == 1 and "EUR" in result.stderr and "USD" in result.stderr
    assert not (tmp_path / "r.json").exists()
    rates = tmp_path / "rates.toml"
    rates.write_text('base = "EUR"\n[rates]\nUSD = 0.9\n')
    assert run("report", small_portfolio, "-o", tmp_path / "r.json", "--rates",
               rates).exit_code == 0
    data = json.loads((tmp_path / "r.json").read_text())
    airline = next(a for a in data["accounts"] if a["customer"] == "Kestrel Airlines")
    assert data["currency"] == "EUR" and airline["revenue"] == 450000


def test_a_bad_spec_is_listed_and_left_out(run, small_portfolio, tmp_path):
    (small_portfolio / "broken.yaml").write_text("deal: {id: X}\n")
    out = tmp_path / "r.json"
    result = run("report", small_portfolio, "-o", out)
    assert result.exit_code == 1 and "broken.yaml" in result.stderr
    data = json.loads(out.read_text())
    assert len(data["accounts"]) == 4 and data["failed"][0]["file"].endswith("broken.yaml")


def test_csv_and_manifest_inputs(run, small_portfolio, tmp_path):
    batch = tmp_path / "out"
    assert run("batch", small_portfolio, "-o", batch, "-f", "docx").exit_code == 0
    out = tmp_path / "from-manifest.json"
    assert run("report", batch / "manifest.json", "-o", out).exit_code == 0
    assert len(json.loads(out.read_text())["accounts"]) == 4
    table = tmp_path / "r.csv"
    evil = _spec(small_portfolio, "F-1", "=HYPERLINK(\"http://x\")", "small", 100, 10)
    assert evil.exists()
    assert run("report", small_portfolio, "-o", table).exit_code == 0
    rows = list(csv.DictReader(table.read_text(encoding="utf-8-sig").splitlines()))
    assert {r["customer"] for r in rows} >= {"Harbour Bakery Ltd", "'=HYPERLINK(\"http://x\")"}


def test_the_sample_portfolio_as_html_and_pdf(run, tmp_path):
    html_file, pdf_file = tmp_path / "portfolio.html", tmp_path / "portfolio.pdf"
    assert run("report", PORTFOLIO, "-o", html_file).exit_code == 0
    assert run("report", PORTFOLIO, "-o", pdf_file).exit_code == 0
    html = html_file.read_text()
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert not re.search(r"""(src|href)=["']?(https?:|//|file:)""", html)  # offline
    assert html.count("data:image/svg+xml;base64,") == 2
    text, reader = pdf_text(pdf_file.read_bytes())
    assert "Portfolio report" in text and "serve at lower cost" in text
    assert "St Mary's Health Network" in text and len(reader.pages) >= 2
    # the scatter is drawn on the first page, its dots at the chart's 85 % opacity
    assert "/a0.85" in str(reader.pages[0]["/Resources"]["/ExtGState"])


def test_a_customer_name_with_markup_is_text_in_the_page(run, small_portfolio, tmp_path):
    _spec(small_portfolio, "G-1", "<script>alert(1)</script> & Co", "small", 500, 50)
    out = tmp_path / "r.html"
    assert run("report", small_portfolio, "-o", out).exit_code == 0
    html = out.read_text()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html


def test_a_report_needs_a_known_suffix(run, small_portfolio, tmp_path):
    result = run("report", small_portfolio, "-o", tmp_path / "r.xlsx")
    assert result.exit_code == 2 and ".json" in result.stderr


def test_hostile_manifests_and_rates_are_refused_plainly(run, small_portfolio, tmp_path):
    manifest = tmp_path / "manifest.json"
    manifest.write_text("{not json")
    result = run("report", manifest, "-o", tmp_path / "r.json")
    assert result.exit_code == 1 and "not a batch manifest.json" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "r.json").exists()
    rates = tmp_path / "rates.toml"
    rates.write_text('base = "EUR"\n[rates]\nUSD = -1\n')
    result = run("report", small_portfolio, "-o", tmp_path / "r.json", "--rates", rates)
    assert result.exit_code == 1 and "positive" in result.stderr
    rates.write_text('base = "EUR"\n[rates]\nUSD = "nan"\n')
    result = run("report", small_portfolio, "-o", tmp_path / "r.json", "--rates", rates)
    assert result.exit_code == 1 and "Traceback" not in result.stderr
