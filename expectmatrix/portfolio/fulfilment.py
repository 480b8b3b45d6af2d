"""Fulfilment across the portfolio, from the deals that have a journal beside their spec:
where their expectations stand on a day, per segment and per side; and the customer's
misses on deals whose readiness answers were no or unknown against deals answered yes
throughout, which says whether the readiness check foretells trouble.

Kept as running sums, one deal at a time, like the rest of the report.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from expectmatrix.spec.models import Spec
from expectmatrix.spec.shape import sides
from expectmatrix.spec.terms import SEGMENTS
from expectmatrix.track.status import STATUSES, DealStatus

# What counts as a miss on the day: missed, or not met by its due date (escalated is
# either, for longer than the escalation window).
MISSES = ("missed", "overdue", "escalated")
# Whose time has come: a met share is of these (waived, ongoing and future ones aside).
DUE = ("met", *MISSES)
# Deals by their readiness answers: some no or unknown / every one yes / none asked.
READINESS_GROUPS = ("no-or-unknown", "all-yes", "no-questions")


def readiness_group(spec: Spec) -> str:
    if not spec.readiness:
        return "no-questions"
    return "all-yes" if all(r.answer == "yes" for r in spec.readiness) else "no-or-unknown"


def _percent(part: int, whole: int) -> float | None:
    if not whole:
        return None
    value = (Decimal(part) * 100 / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return float(value)


@dataclass
class SideCounts:
    statuses: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))

    def add(self, status: str) -> None:
        self.statuses[status] += 1

    @property
    def misses(self) -> int:
        return sum(self.statuses[s] for s in MISSES)

    def to_dict(self) -> dict[str, Any]:
        due = sum(self.statuses[s] for s in DUE)
        return {"statuses": dict(self.statuses), "expectations": sum(self.statuses.values()),
                "misses": self.misses, "met_percent": _percent(self.statuses["met"], due)}


@dataclass
class SegmentFulfilment:
    segment: str
    deals: int = 0
    sides: dict[str, SideCounts] = field(default_factory=lambda: {s: SideCounts()
                                                                  for s in sides()})


@dataclass
class ReadinessGroup:
    readiness: str
    deals: int = 0
    customer_expectations: int = 0
    customer_misses: int = 0
    deals_with_misses: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"readiness": self.readiness, "deals": self.deals,
                "customer_expectations": self.customer_expectations,
                "customer_misses": self.customer_misses,
                "miss_percent": _percent(self.customer_misses, self.customer_expectations),
                "deals_with_misses": self.deals_with_misses,
                "deals_with_misses_percent": _percent(self.deals_with_misses, self.deals)}


@dataclass
class Fulfilment:
    today: dt.date
    deals: int = 0
    segments: dict[str, SegmentFulfilment] = field(
        default_factory=lambda: {s: SegmentFulfilment(s) for s in SEGMENTS})
    readiness: dict[str, ReadinessGroup] = field(
        default_factory=lambda: {g: ReadinessGroup(g) for g in READINESS_GROUPS})

    def add(self, segment_name: str, spec: Spec, status: DealStatus) -> dict[str, int]:
        """Count one tracked deal; returns its misses per side (for its account)."""
        segment = self.segments[segment_name]
        self.deals += 1
        segment.deals += 1
        mine = {side: SideCounts() for side in sides()}
        for e in status.expectations:
            segment.sides[e.side].add(e.status)
            mine[e.side].add(e.status)
        group = self.readiness[readiness_group(spec)]
        customer = mine["customer"]
        group.deals += 1
        group.customer_expectations += sum(customer.statuses.values())
        group.customer_misses += customer.misses
        group.deals_with_misses += customer.misses > 0
        return {side: counts.misses for side, counts in mine.items()}

    def to_dict(self) -> dict[str, Any]:
        return {
            "today": self.today.isoformat(), "deals": self.deals, "misses": list(MISSES),
            "segments": [{"segment": s.segment, "deals": s.deals,
                          **{side: counts.to_dict() for side, counts in s.sides.items()}}
                         for s in self.segments.values()],
            "readiness": [g.to_dict() for g in self.readiness.values()],
        }
