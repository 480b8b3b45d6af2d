"""Numbers, money, percentages, dates and plurals as a document's language writes them
(CLDR, through Babel), and dates as a person of that language types them in a form."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from decimal import Decimal
from functools import lru_cache
from typing import Any

from expectmatrix.spec.placeholders import fill


def _locale(language: str) -> Any:
    """The CLDR locale of a document language: bare ``en`` is international English
    (1 March 2027), ``en-US`` American; an unknown tag falls back to English."""
    from babel import Locale, UnknownLocaleError

    tag = "en-001" if language == "en" else language
    try:
        return Locale.parse(tag, sep="-")
    except (UnknownLocaleError, ValueError):
        try:
            return Locale.parse(tag.split("-")[0])
        except (UnknownLocaleError, ValueError):
            return Locale.parse("en_001")


def format_date(value: dt.date, language: str) -> str:
    from babel.dates import format_date as cldr_date

    return cldr_date(value, "long", locale=_locale(language))


def format_money(amount: Decimal, currency: str, language: str, cents: bool = True) -> str:
    """``amount`` in ``currency`` as the language writes money, with a symbol no reader can
    take for another currency's: where the language's own symbol is a bare sign that
    several currencies share ("$" in German for USD), the international one ("US$") is
    used, as English prints it. Without ``cents``, a whole amount leaves its zero cents out
    (a report's €2,310,900)."""
    from babel.numbers import format_currency

    locale = _locale(language)
    if cents or amount != amount.to_integral_value():
        text = format_currency(amount, currency, locale=locale)
    else:
        pattern = re.sub(r"\.0+", "", locale.currency_formats["standard"].pattern)
        text = format_currency(amount, currency, format=pattern, locale=locale,
                               currency_digits=False)
    own = locale.currency_symbols.get(currency, currency)
    international = _locale("en").currency_symbols.get(currency, currency)
    if (own != international and not any(c.isalpha() for c in own)
            and any(c.isalpha() for c in international) and own in text):
        text = text.replace(own, international, 1)
    return text


def format_percent(percent: Decimal, language: str, decimals: int = 1) -> str:
    """``percent`` (26.2 for 26.2 %) as the language writes it, with ``decimals`` digits
    after its decimal sign: 26.2%, 26,2 %, 20.0%."""
    from babel.numbers import format_percent as cldr_percent

    locale = _locale(language)
    pattern = locale.percent_formats[None].pattern
    if decimals:  # the last digit of the whole part gets its decimals
        pattern = re.sub(r"0(?![0#,.])", "0." + "0" * decimals, pattern)
    return cldr_percent(percent / 100, format=pattern, locale=locale)


def format_number(number: Decimal | int, language: str) -> str:
    from babel.numbers import format_decimal

    return format_decimal(number, locale=_locale(language))


def plural(forms: object, n: int, language: str) -> str:
    """``forms`` as in a labels file ({one: ..., other: ...} by CLDR plural category, or
    one text for every count) with ``{n}`` filled in."""
    if isinstance(forms, dict):
        category = _locale(language).plural_form(n)
        text = forms.get(category, forms.get("other", next(iter(forms.values()))))
    else:
        text = forms
    return fill(str(text), n=format_number(n, language))


# --- dates as a form shows them -------------------------------------------------------------

_ISO = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")
_NUMERIC = re.compile(r"^\s*(\d{1,4})[^\d]{1,3}(\d{1,4})[^\d]{1,3}(\d{1,4})[^\d]{0,3}$")


@lru_cache(maxsize=64)
def date_order(language: str) -> tuple[str, tuple[str, str]]:
    """The order of day, month and year in the language's numeric dates (``"dMy"`` for
    en and de, ``"Mdy"`` for en-US, ``"yMd"`` for ja and sv) and the two separators, read
    off CLDR's short date pattern."""
    from babel.dates import get_date_format

    pattern = re.sub(r"'[^']*'", "", get_date_format("short", locale=_locale(language)).pattern)
    parts = re.findall(r"[dMy]+|[^dMy]+", pattern)
    fields = [i for i, p in enumerate(parts) if p[0] in "dMy"]
    order = "".join(parts[i][0] for i in fields)
    if sorted(order) != sorted("dMy") or len(fields) != 3:
        return "dMy", ("/", "/")
    between = tuple(parts[a + 1] if b == a + 2 else "/" for a, b in itertools.pairwise(fields))
    return order, (between[0], between[1])


def numeric_date_pattern(language: str) -> str:
    """How a person of the language writes a date with digits: ``DD/MM/YYYY``,
    ``MM/DD/YYYY`` (en-US), ``DD.MM.YYYY`` (de), ``YYYY-MM-DD`` (sv)."""
    order, (first, second) = date_order(language)
    names = [{"d": "DD", "M": "MM", "y": "YYYY"}[c] for c in order]
    return f"{names[0]}{first}{names[1]}{second}{names[2]}"


def format_numeric_date(value: dt.date, language: str) -> str:
    """``value`` as :func:`numeric_date_pattern` writes it."""
    order, (first, second) = date_order(language)
    parts = [{"d": f"{value.day:02}", "M": f"{value.month:02}", "y": f"{value.year:04}"}[c]
             for c in order]
    return f"{parts[0]}{first}{parts[1]}{second}{parts[2]}"


def parse_numeric_date(text: str, language: str) -> dt.date | None:
    """A date written as :func:`numeric_date_pattern` says (any of . / - or a space
    between the numbers), or as YYYY-MM-DD; None for anything else, an impossible day
    included. Never guessed: the order is the language's."""
    iso = _ISO.match(text)
    numbers = iso.groups() if iso else None
    order = "yMd"
    if numbers is None:
        m = _NUMERIC.match(text)
        if m is None:
            return None
        numbers, order = m.groups(), date_order(language)[0]
    values = dict(zip(order, numbers, strict=True))
    if len(values["y"]) != 4 or len(values["d"]) > 2 or len(values["M"]) > 2:
        return None  # a two-digit year is a different century to different people
    try:
        return dt.date(int(values["y"]), int(values["M"]), int(values["d"]))
    except ValueError:
        return None
