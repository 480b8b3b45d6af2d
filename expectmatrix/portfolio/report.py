"""The portfolio as a file: JSON (the contract's), CSV (one line per account), a
self-contained HTML page with its charts inline, or that page as a PDF."""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path

from expectmatrix.batch.manifest import spreadsheet_cell
from expectmatrix.errors import RenderError, UsageError
from expectmatrix.portfolio import charts
from expectmatrix.portfolio.accounts import Portfolio

FORMATS = (".json", ".csv", ".html", ".pdf")
LABELS = {"small": "Small", "medium": "Medium", "large": "Large", "revenue": "Revenue",
          "margin": "Margin", "revenue_axis": "Revenue per account",
          "margin_axis": "Margin, % of revenue",
          "quadrant_protect": "Protect\nhigh revenue, high margin",
          "quadrant_grow": "Grow\nlow revenue, high margin",
          "quadrant_expand": "Expand\nhigh revenue, low margin",
          "quadrant_serve": "Serve at lower cost\nlow revenue, low margin"}
LANGUAGE = "en"  # the language the report's labels are written in


def _csv(data: dict[str, object]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    # The last three: deals with a journal, and their misses on the report's day.
    writer.writerow(["customer", "revenue", "margin", "margin_percent", "quadrant", "strategy",
                     "segments", "deals", "tracked_deals", "vendor_misses", "customer_misses"])
    for a in data["accounts"]:  # type: ignore[attr-defined]
        # A customer name is someone else's text: never a formula in a spreadsheet.
        writer.writerow([spreadsheet_cell(str(a["customer"])), a["revenue"], a["margin"],
                         a["margin_percent"], a["quadrant"], a["strategy"],
                         " ".join(a["segments"]), a["deals"], a["tracked_deals"],
                         a["vendor_misses"], a["customer_misses"]])
    return out.getvalue()


# Full-width and small forms of ASCII signs and letters (＝, ＋, ＠, Ａ), the ideographic
# space and full-width currency signs: only a CJK font draws them, while their plain
# forms are in every font; a PDF laid out on a machine without one would fail on them.
_WIDTH_FORMS = re.compile("[\u3000\ufe50-\ufe6b\uff01-\uff5e\uffe0-\uffe6]")


def _fold(text: str) -> str:
    return _WIDTH_FORMS.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)


def printable(portfolio: Portfolio) -> Portfolio:
    """The portfolio as the PDF shows it: width forms folded to their plain forms (the
    same name to a reader; escaped as any text is), and a clear error for Chinese,
    Japanese or Korean text when this machine has no font for it."""
    from dataclasses import replace

    from expectmatrix.checks import has_cjk

    accounts = [replace(a, customer=_fold(a.customer)) for a in portfolio.accounts]
    failed = [replace(f, file=_fold(f.file or "") or None, message=_fold(f.message))
              for f in portfolio.failed]
    texts = [("the customer name", a.customer) for a in accounts] + [
        ("the text", t) for f in failed for t in (f.file or "", f.message)]
    wide = next(((what, t) for what, t in texts if has_cjk(t)), None)
    if wide is not None:
        from expectmatrix.checks.files import cjk_font_available

        if not cjk_font_available():
            raise RenderError(f"{wide[0]} {wide[1][:80]!r} has Chinese, Japanese or Korean "
                              "characters and "
                              "this machine has no font for them, so the PDF cannot show it; "
                              "install one (on Debian or Ubuntu: apt-get install "
                              "fonts-noto-cjk), or write the report as .html")
    return replace(portfolio, accounts=accounts, failed=failed)


def html_page(portfolio: Portfolio, template_dirs: Sequence[str | Path] = (),
              printed: bool = False) -> str:
    """The report as a self-contained page; ``printed``: the page a PDF is made of (its
    font comes from the template folder, which a browser's page may not reach)."""
    from expectmatrix.render.plain import plain
    from expectmatrix.render.templating import environment, prepare, render_template

    env = environment(template_dirs)
    money, number, percent = amounts(portfolio.currency)
    env.filters.update(money=money, number=number, percent=percent)
    prepare(env, "report.html")
    data = portfolio.to_dict()
    return render_template(env, "report.html", report=plain(data), printed=printed,
                           scatter=charts.scatter(portfolio, LABELS, money),
                           bars=charts.bars(portfolio, LABELS, money))


def amounts(currency: str | None, language: str = LANGUAGE
            ) -> tuple[Callable[[object], str], Callable[[object], str],
                       Callable[[object], str]]:
    """How the report writes an amount (€2,310,900, grouped, with its currency), a count
    and a percent, in its language."""
    from expectmatrix.language.formats import format_money, format_number, format_percent

    def decimal(value: object) -> Decimal:
        return value if isinstance(value, Decimal) else Decimal(str(value))

    def money(value: object) -> str:
        amount = decimal(value)
        return format_money(amount, currency, language, cents=False) if currency else \
            format_number(amount, language)

    return (money, lambda value: format_number(decimal(value), language),
            lambda value: format_percent(decimal(value), language))


def write_report(portfolio: Portfolio, path: str | Path,
                 template_dirs: Sequence[str | Path] = ()) -> Path:
    """Written whole or not at all, in the format of the file's suffix."""
    from expectmatrix.writing import write_atomic

    path = Path(path)
    suffix = path.suffix.lower()
    data = portfolio.to_dict()
    if suffix == ".json":
        content = (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    elif suffix == ".csv":
        content = _csv(data).encode("utf-8-sig")  # a BOM: spreadsheets then read UTF-8
    elif suffix == ".html":
        content = html_page(portfolio, template_dirs).encode("utf-8")
    elif suffix == ".pdf":
        import hashlib

        from expectmatrix.render.pdf import PdfRenderer

        page = html_page(printable(portfolio), template_dirs, printed=True)
        content = PdfRenderer(template_dirs).write(
            page, hashlib.sha256(page.encode()).hexdigest(), matrix_style=False)
    else:
        raise UsageError(f"{path}: a report is written as {', '.join(FORMATS)} (by the "
                          "file's suffix)")
    return write_atomic(path, content)
