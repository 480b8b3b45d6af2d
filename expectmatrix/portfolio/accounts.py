"""Specs -> the portfolio: accounts (customers, case-folded) with their revenue and
margin, in quadrants split at the medians (or given splits), each with a strategy; and
per segment: deals, revenue, margin, NPS, readiness risk, non-standard share, statuses;
and, from the deals with a journal, their fulfilment (fulfilment.py).

Read one spec at a time, keeping only running sums per account and per segment, so the
memory a report needs grows with the accounts, not with the specs.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from statistics import median
from typing import Any

from expectmatrix.errors import InvalidFile, RatesError, SpecError
from expectmatrix.portfolio.fulfilment import Fulfilment
from expectmatrix.spec.findings import Finding
from expectmatrix.spec.models import Money, Spec
from expectmatrix.spec.shape import located
from expectmatrix.spec.terms import SEGMENTS, STATUSES
from expectmatrix.track.status import DealStatus

STRATEGIES = {"high-revenue-high-margin": "protect", "low-revenue-high-margin": "grow",
              "high-revenue-low-margin": "expand",
              "low-revenue-low-margin": "serve at lower cost"}
MAX_MANIFEST_BYTES = 200_000_000


@dataclass
class Account:
    customer: str  # as the first deal writes it
    revenue: Decimal = Decimal(0)
    margin: Decimal = Decimal(0)
    deals: int = 0
    segments: set[str] = field(default_factory=set)
    tracked: int = 0  # deals with a journal
    vendor_misses: int = 0  # on the report's day, over its tracked deals
    customer_misses: int = 0

    @property
    def margin_percent(self) -> Decimal:
        return self.margin / self.revenue * 100 if self.revenue else Decimal(0)


@dataclass
class SegmentTotals:
    segment: str
    deals: int = 0
    revenue: Decimal = Decimal(0)
    margin: Decimal = Decimal(0)
    nps_sum: int = 0
    nps_count: int = 0
    readiness_risk: int = 0  # small deals with a readiness answer no or unknown
    nonstandard: int = 0
    expectations: int = 0
    statuses: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))


@dataclass
class Portfolio:
    currency: str | None
    accounts: list[Account]
    segments: list[SegmentTotals]
    revenue_split: Decimal
    margin_split: Decimal  # percent
    failed: list[Finding]
    fulfilment: Fulfilment = field(default_factory=lambda: Fulfilment(dt.date.today()))

    def quadrant(self, account: Account) -> str:
        revenue = "high" if account.revenue >= self.revenue_split else "low"
        margin = "high" if account.margin_percent >= self.margin_split else "low"
        return f"{revenue}-revenue-{margin}-margin"

    def to_dict(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "splits": {"revenue": _number(self.revenue_split),
                       "margin_percent": _number(_round(self.margin_split))},
            "accounts": [{"customer": a.customer, "revenue": _number(a.revenue),
                          "margin": _number(a.margin),
                          "margin_percent": _number(_round(a.margin_percent)),
                          "quadrant": (q := self.quadrant(a)), "strategy": STRATEGIES[q],
                          "segments": [s for s in SEGMENTS if s in a.segments],
                          "deals": a.deals, "tracked_deals": a.tracked,
                          "vendor_misses": a.vendor_misses,
                          "customer_misses": a.customer_misses} for a in self.accounts],
            "segments": [{"segment": s.segment, "deals": s.deals, "revenue": _number(s.revenue),
                          "margin": _number(s.margin),
                          "margin_percent": _number(_round(s.margin / s.revenue * 100))
                          if s.revenue else 0,
                          "nps": _number(_round(Decimal(s.nps_sum) / s.nps_count))
                          if s.nps_count else None,
                          "readiness_risk": s.readiness_risk,
                          "nonstandard_share": _number(_round(
                              Decimal(s.nonstandard) / s.expectations * 100))
                          if s.expectations else 0,
                          "statuses": s.statuses} for s in self.segments],
            "fulfilment": self.fulfilment.to_dict(),
            "failed": [{"file": f.file, "line": f.line, "message": f.message}
                       for f in self.failed],
        }


def _round(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral() else float(value)


# Bounds that keep every sum and ratio of a report finite as a float (the charts draw
# floats): an amount has at most 13 whole digits, so no revenue passes 10^22.
MIN_RATE, MAX_RATE = Decimal("0.000000001"), Decimal(1_000_000_000)
SPLITS = {"revenue": (Decimal(0), Decimal(10) ** 18, "an amount"),
          "margin": (Decimal(-1000), Decimal(1000), "a percent of revenue")}


def _rate(value: object, currency: str, base: str, name: str) -> Decimal:
    """One rate of a rates file, within bounds (NaN, infinity, 0 and 1e308 are not)."""
    rate = Decimal("NaN")
    if isinstance(value, int | float | str) and not isinstance(value, bool):
        with contextlib.suppress(ArithmeticError):  # not a number: refused below
            rate = Decimal(str(value).strip())
    if not (rate.is_finite() and MIN_RATE <= rate <= MAX_RATE):
        shown = str(value)[:40] if isinstance(value, int | float | str) else "not a number"
        raise RatesError([Finding(
            "rates", f"the rate for {currency[:40]} is {shown}; a rate is a positive number from "
            f"{MIN_RATE:f} to {MAX_RATE:,}: what one {currency[:40]} is worth in {base[:40]}",
            file=name)])
    return rate


def parse_split(text: str, which: str) -> Decimal:
    """A --revenue-split or --margin-split as given on the command line; ValueError with
    what is allowed (NaN and infinity would make every comparison false, 1e308 overflow)."""
    low, high, what = SPLITS[which]
    allowed = f"give {what} from {low:,} to {high:,}"
    try:
        value = Decimal(text.strip())
    except ArithmeticError:
        raise ValueError(f"{text[:40]!r} is not a number; {allowed}") from None
    if not value.is_finite():
        raise ValueError(f"{text[:40]} is not a number; {allowed}")
    if not low <= value <= high:
        raise ValueError(f"{text[:40]} is out of range; {allowed}")
    return value


class Rates:
    """Exchange rates into one currency: a JSON or TOML file {"base": "EUR", "rates":
    {"USD": 0.92}}; without one, every amount must be in the same currency."""

    def __init__(self, base: str | None = None, rates: Mapping[str, Decimal] | None = None):
        self.base = base
        self.rates = dict(rates or {})
        self.seen: dict[str, str] = {}  # currency -> the first file that used it

    @classmethod
    def read(cls, path: str | Path) -> Rates:
        import tomllib

        from expectmatrix.errors import InputError
        from expectmatrix.spec.inputs import read_text

        name = str(path)
        is_json = name.lower().endswith(".json")
        try:
            text = read_text(path, 1_000_000, "rates file")
            bounded(text, name, "rates", toml=not is_json)
            data = json.loads(text) if is_json else tomllib.loads(text)
            base = str(data["base"])
            table = dict(data["rates"])
        except InputError as e:
            raise RatesError([Finding("rates", str(e), file=name)]) from None
        except (ValueError, KeyError, TypeError, ArithmeticError, tomllib.TOMLDecodeError) as e:
            raise RatesError([Finding("rates", f"a rates file holds base = \"EUR\" and a "
                                     f"[rates] table of CURRENCY = rate ({e})", file=name)]
                            ) from None
        rates = {str(k): _rate(v, str(k), base, name) for k, v in table.items()}
        return cls(base, {**rates, base: Decimal(1)})

    def convert(self, money: Money, source: str) -> Decimal:
        self.seen.setdefault(money.currency, source)
        if self.base is None:
            return money.amount
        if money.currency not in self.rates:
            raise RatesError([Finding("rates", f"no exchange rate for {money.currency} (used "
                                     f"by {source}); add it to the rates file")])
        return money.amount * self.rates[money.currency]

    def currency(self) -> str | None:
        if self.base is not None:
            return self.base
        if len(self.seen) > 1:
            used = ", ".join(f"{c} ({f})" for c, f in sorted(self.seen.items()))
            raise RatesError([Finding("currency", f"amounts in more than one currency: {used}; "
                                     "give exchange rates with --rates FILE")])
        return next(iter(self.seen), None)


Tracking = DealStatus | InvalidFile | None  # a deal's status, why its journal failed, or no journal


def portfolio(specs: Iterable[tuple[str, Spec | None, list[Finding],
                                    Mapping[str, str], Tracking]],
              rates: Rates | None = None, revenue_split: Decimal | None = None,
              margin_split: Decimal | None = None, today: dt.date | None = None) -> Portfolio:
    """``specs``: (source, checked spec or None, its findings, its non-standard ids, and
    its status on ``today`` when it has a journal)."""
    rates = rates or Rates()
    accounts: dict[str, Account] = {}
    segments = {s: SegmentTotals(s) for s in SEGMENTS}
    failed: list[Finding] = []
    fulfilment = Fulfilment(today or dt.date.today())
    for source, spec, findings, nonstandard, tracking in specs:
        if spec is None:
            failed += [f for f in findings if f.severity == "error"][:3] or [
                Finding("failed", "could not be read", file=source)]
            continue
        segment = spec.deal.segment
        if segment is None or spec.withheld:
            failed.append(Finding("withheld", "is a counterparty copy that leaves out "
                                  f"{', '.join(spec.withheld)}; report the full spec instead",
                                  file=source))
            continue
        deal = spec.deal
        revenue = rates.convert(deal.value, source) if deal.value else Decimal(0)
        margin = rates.convert(deal.margin, source) if deal.margin else Decimal(0)
        name = spec.parties.customer.name
        account = accounts.setdefault(" ".join(name.casefold().split()), Account(name))
        account.revenue += revenue
        account.margin += margin
        account.deals += 1
        account.segments.add(segment)
        totals = segments[segment]
        totals.deals += 1
        totals.revenue += revenue
        totals.margin += margin
        if deal.nps is not None:
            totals.nps_sum += deal.nps
            totals.nps_count += 1
        if segment == "small" and any(r.answer != "yes" for r in spec.readiness):
            totals.readiness_risk += 1
        totals.nonstandard += len(nonstandard)
        totals.expectations += len(located(spec))
        totals.statuses[deal.status] += 1
        if isinstance(tracking, InvalidFile):  # the deal counts; its fulfilment cannot
            failed += [f for f in tracking.findings if f.severity == "error"][:3]
        elif tracking is not None:
            misses = fulfilment.add(segment, spec, tracking)
            account.tracked += 1
            account.vendor_misses += misses["vendor"]
            account.customer_misses += misses["customer"]
    currency = rates.currency()
    listed = sorted(accounts.values(), key=lambda a: (-a.revenue, a.customer.casefold()))
    revenues = [a.revenue for a in listed]
    percents = [a.margin_percent for a in listed]
    return Portfolio(
        currency, listed, [s for s in segments.values()],
        revenue_split if revenue_split is not None else (
            Decimal(median(revenues)) if revenues else Decimal(0)),
        margin_split if margin_split is not None else (
            Decimal(median(percents)) if percents else Decimal(0)),
        failed, fulfilment)


def read_manifest(path: str | Path) -> Iterator[str]:
    """The sources a batch's manifest.json lists, relative paths as the batch wrote them."""
    from expectmatrix.errors import InputError
    from expectmatrix.spec.inputs import read_text

    try:
        text = read_text(path, MAX_MANIFEST_BYTES, "manifest")
        bounded(text, str(path), "manifest")
        data = json.loads(text)
        items = data["items"]
        sources = [str(item["source"]) for item in items]
    except InputError as e:
        raise InvalidFile([Finding("manifest", str(e), file=str(path))]) from None
    except (ValueError, KeyError, TypeError) as e:
        raise InvalidFile([Finding("manifest", f"not a batch manifest.json ({e})",
                                 file=str(path))]) from None
    seen: set[str] = set()
    for source in sources:
        # A CSV row is listed as FILE.csv:ROW: the export is read again, once.
        match = re.fullmatch(r"(.+\.csv):\d+", source, re.IGNORECASE)
        source = match.group(1) if match else source
        if source not in seen:
            seen.add(source)
            yield source


def bounded(text: str, name: str, code: str, toml: bool = False) -> None:
    """InvalidFile for a text nested too deeply or holding too long a number, before the
    parser (which would raise a bare RecursionError or ValueError) reads it."""
    from expectmatrix.spec.bounds import line_of, structure_problem

    problem = structure_problem(text, toml)
    if problem is not None:
        raise InvalidFile([Finding(code, problem[1], file=name, line=line_of(text, problem[0]))])


def read_portfolio(inputs: Iterable[str | Path], library: Any = None, *,
                   base: str | Path | None = None, csv: Any = None,
                   rates: Rates | None = None, revenue_split: Decimal | None = None,
                   margin_split: Decimal | None = None,
                   approvals: Any = None, today: dt.date | None = None) -> Portfolio:
    """Spec files, folders, CSV exports and batch manifests -> the portfolio, checked as
    ``validate`` checks them (a spec that fails is listed, not counted); a spec with a
    journal beside it adds its fulfilment on ``today`` (default: today)."""
    from expectmatrix.batch.csvrows import load_row
    from expectmatrix.batch.runner import collect_items
    from expectmatrix.checks import ApprovalRules, check_loaded
    from expectmatrix.spec.loading import load

    expanded: list[str | Path] = []
    for raw in inputs:
        expanded += list(read_manifest(raw)) if Path(raw).name == "manifest.json" else [raw]

    from expectmatrix.clock import today as clock_today

    day = today or clock_today()

    def checked() -> Iterator[tuple[str, Spec | None, list[Finding], Mapping[str, str],
                                    Tracking]]:
        for item in collect_items(expanded, base, csv):
            if item.problems:
                yield item.source, None, list(item.problems), {}, None
                continue
            try:
                loaded = load_row(item.row) if item.row is not None else load(
                    item.path or item.source)
                loaded = check_loaded(loaded, library=library,
                                      approvals=approvals or ApprovalRules())
            except SpecError as e:
                yield item.source, None, e.findings, {}, None
                continue
            tracking = None
            if item.row is None and loaded.ok:
                tracking = _tracking(Path(item.path or item.source), loaded, day, library)
            yield item.source, loaded.spec, loaded.findings, loaded.nonstandard, tracking

    return portfolio(checked(), rates, revenue_split, margin_split, day)


def _tracking(path: Path, loaded: Any, day: dt.date, library: Any) -> Tracking:
    """The deal's status on ``day`` when a journal lies beside its spec."""
    import os

    from expectmatrix.track.journal import journal_path
    from expectmatrix.track.status import deal_status
    from expectmatrix.track.tracked import with_journal

    if not os.path.lexists(journal_path(path)):  # untracked: no fingerprint, no reading
        return None
    try:
        tracked = with_journal(path, loaded)
    except InvalidFile as e:  # a journal that cannot be read, or tracks another version
        return e
    if tracked.journal.journal is None:  # an empty file: nothing recorded yet
        return None
    return deal_status(tracked, day, library)
