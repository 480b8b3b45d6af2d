"""Due dates after signing: the deal's milestones, business days in the deal's country, and
the occurrences of recurring expectations.

Every date here stays between FIRST_DAY and LAST_DAY: milestones and fixed dates are held
there by the models, and a date computed from them that would leave the range is reported
as a problem of that expectation, never an exception.
"""

from __future__ import annotations

import calendar as _months
import datetime as dt
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Literal

from expectmatrix.spec.models import EFFECTIVE, FIRST_DAY, LAST_DAY, DueBy, Expectation, Spec

if TYPE_CHECKING:
    from expectmatrix.spec.terms import Cadence

MAX_OCCURRENCES = 10_000  # weekly for two centuries: more than any agreement runs
MAX_STEPS = 10_000  # business days counted at once (the models allow 1,000)
Kind = Literal["date", "recurring", "continuing", "none"]


class DatingError(ValueError):
    """A date that cannot be computed; the message says why, for the rep."""


@cache
def _holidays(country: str) -> object:
    import holidays  # only when a deal names its country: importing it takes 0.1 s

    return holidays.country_holidays(country)


@cache
def _holiday_dates(country: str, year: int) -> frozenset[dt.date]:
    """The public holidays of ``country`` in ``year``, as a set: asking the ``holidays``
    object day by day costs ten times more, and `status` counts business days for every
    dated expectation of every deal."""
    off = _holidays(country)
    off.get(dt.date(year, 1, 1))  # type: ignore[attr-defined]  # fills in that year
    return frozenset(day for day in off if day.year == year)  # type: ignore[attr-defined]


class BusinessDays:
    """Monday to Friday, less the public holidays of ``country`` (ISO 3166) when given."""

    def __init__(self, country: str | None = None) -> None:
        self.country = country
        self._off = _holidays(country) if country else None

    def holiday(self, day: dt.date) -> str | None:
        """The name of the public holiday on ``day``, if it is one."""
        if self._off is None:
            return None
        name = self._off.get(day)  # type: ignore[attr-defined]
        return str(name) if name else None

    def is_business_day(self, day: dt.date) -> bool:
        return day.weekday() < 5 and (self.country is None
                                      or day not in _holiday_dates(self.country, day.year))

    def add(self, day: dt.date, count: int) -> dt.date:
        """``count`` business days after ``day`` (before it, when negative); 0 is ``day``."""
        if abs(count) > MAX_STEPS:
            raise DatingError(f"{abs(count)} business days is more than the tracker counts "
                              f"(at most {MAX_STEPS})")
        step = dt.timedelta(days=1 if count > 0 else -1)
        left = abs(count)
        while left:
            day = _in_range(day, step)
            if self.is_business_day(day):
                left -= 1
        return day


def _in_range(day: dt.date, delta: dt.timedelta) -> dt.date:
    try:
        moved = day + delta
    except OverflowError:
        moved = None
    if moved is None or not FIRST_DAY <= moved <= LAST_DAY:
        raise DatingError(f"the date falls outside {FIRST_DAY.year}-{LAST_DAY.year}, the years "
                          "the tracker counts in")
    return moved


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later; a day the month lacks becomes its last (31 Jan + 1
    month is 28 or 29 Feb)."""
    total = day.year * 12 + day.month - 1 + months
    year, month = divmod(total, 12)
    month += 1
    if not FIRST_DAY.year <= year <= LAST_DAY.year:
        raise DatingError(f"the date falls outside {FIRST_DAY.year}-{LAST_DAY.year}, the years "
                          "the tracker counts in")
    return dt.date(year, month, min(day.day, _months.monthrange(year, month)[1]))


_MONTHS_PER = {"month": 1, "quarter": 3, "year": 12}


@dataclass(frozen=True)
class Due:
    """When an expectation is due. ``date`` is the due date (for a recurring or continuing
    expectation: the day it starts); ``end`` the day it ends, if any."""

    kind: Kind
    date: dt.date | None = None
    end: dt.date | None = None
    every: Cadence | None = None
    interval: int = 1
    problem: str | None = None  # why the tracker cannot date it (kind "none")

    def occurrence(self, n: int) -> dt.date:
        """The ``n``-th due day of a recurring expectation (0: its start)."""
        assert self.date is not None and self.every is not None
        if self.every == "week":
            return _in_range(self.date, dt.timedelta(weeks=n * self.interval))
        return add_months(self.date, n * self.interval * _MONTHS_PER[self.every])

    def occurrences(self, through: dt.date | None = None) -> list[dt.date]:
        """Its due days up to ``end`` (and ``through``, when given), at most
        MAX_OCCURRENCES."""
        if self.kind != "recurring":
            return [self.date] if self.date is not None and self.kind == "date" else []
        last = min(d for d in (self.end, through, LAST_DAY) if d is not None)
        out: list[dt.date] = []
        for n in range(MAX_OCCURRENCES):
            try:
                day = self.occurrence(n)
            except DatingError:
                break
            if day > last:
                break
            out.append(day)
        return out

    def next_on_or_after(self, day: dt.date) -> dt.date | None:
        """The first due day of a recurring expectation on or after ``day``."""
        if self.kind != "recurring" or self.date is None:
            return None
        # Jump close by arithmetic, then step: a weekly cadence two centuries long is
        # 10,000 occurrences, not worth walking from the start every time. The span is the
        # longest a period can be, so the jump never passes the occurrence sought.
        weeks = self.every == "week"
        span = 7 * self.interval if weeks else 31 * self.interval * _MONTHS_PER[self.every or "month"]
        n = max(0, (day - self.date).days // span - 1)
        for k in range(n, n + MAX_OCCURRENCES):
            try:
                found = self.occurrence(k)
            except DatingError:
                return None
            if self.end is not None and found > self.end:
                return None
            if found >= day:
                return found
        return None


def milestones(spec: Spec) -> dict[str, dt.date]:
    """The deal's named dates: ``effective`` and deal.milestones."""
    return {EFFECTIVE: spec.deal.effective, **(spec.deal.milestones or {})}


def due_of(e: Expectation, named: dict[str, dt.date], days: BusinessDays) -> Due:
    """When ``e`` is due, from its due_by and the deal's milestones."""
    rule = e.due_by
    if rule is None:
        return Due("none", problem="it has no due_by")
    for key, name in rule.milestones():
        if name not in named:
            return Due("none", problem=f"its due_by counts from {name!r} ({key}:), which "
                                       "deal.milestones does not give")
    try:
        return _due(rule, named, days)
    except DatingError as e:
        return Due("none", problem=str(e))


def _due(rule: DueBy, named: dict[str, dt.date], days: BusinessDays) -> Due:
    if rule.date is not None:
        return Due("date", rule.date)
    if rule.from_ is not None:
        start = _checked(named[rule.from_])
        end = _checked(named[rule.until]) if rule.until is not None else None
        if end is not None and end < start:
            raise DatingError(f"it ends ({rule.until} {end.isoformat()}) before it starts "
                              f"({rule.from_} {start.isoformat()})")
        if rule.every is None:
            return Due("continuing", start, end)
        return Due("recurring", start, end, rule.every, rule.interval or 1)
    base_name = rule.after if rule.after is not None else rule.before
    assert base_name is not None
    base = _checked(named[base_name])
    sign = 1 if rule.after is not None else -1
    if rule.business_days is not None:
        return Due("date", days.add(base, sign * rule.business_days))
    if rule.months is not None:
        return Due("date", add_months(base, sign * rule.months))
    count = rule.days if rule.days is not None else 7 * (rule.weeks or 0)
    return Due("date", _in_range(base, dt.timedelta(days=sign * count)))


def _checked(day: dt.date) -> dt.date:
    if not FIRST_DAY <= day <= LAST_DAY:  # deal.effective is any date the calendar has
        raise DatingError(f"it counts from {day.isoformat()}, outside {FIRST_DAY.year}-"
                          f"{LAST_DAY.year}, the years the tracker counts in")
    return day
