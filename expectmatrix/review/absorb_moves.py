"""Rows legal moved: which expectations the document now prints elsewhere (in another row
or under another area), and the order of the spec's lists that prints them there.

The matrix prints each side's expectations grouped by area (areas in the order they first
appear, vendor's list then customer's) and, within an area, in list order. A move is
what the document's order says beyond the longest run it shares with the old order, so
deleting or adding a row around an expectation does not count as moving it.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from typing import Any

from expectmatrix.spec.shape import expectations_of, path_of
from expectmatrix.spec.terms import Side

COLUMNS: tuple[Side, Side] = ("vendor", "customer")


def printed_order(spec: Any, side: Side) -> list[tuple[str, str]]:
    """(id, area) of a side's expectations in the order the matrix prints them."""
    areas = list(dict.fromkeys(e.area for s in COLUMNS for e in expectations_of(spec, s)))
    items = expectations_of(spec, side)
    return [(e.id, e.area or "") for a in areas for e in items if e.area == a]


def kept(before: Sequence[str], after: Sequence[str]) -> set[str]:
    """The ids of a longest subsequence ``before`` and ``after`` share in the same order
    (each id once in each); the others moved."""
    rank = {x: i for i, x in enumerate(before)}
    seq = [x for x in after if x in rank]
    tails: list[int] = []  # per length, the index in seq of the smallest tail
    ranks: list[int] = []  # their ranks, for the search
    back: list[int] = [-1] * len(seq)
    for i, x in enumerate(seq):
        k = bisect_left(ranks, rank[x])
        back[i] = tails[k - 1] if k else -1
        if k == len(tails):
            tails.append(i)
            ranks.append(rank[x])
        else:
            tails[k], ranks[k] = i, rank[x]
    out: set[str] = set()
    i = tails[-1] if tails else -1
    while i >= 0:
        out.add(seq[i])
        i = back[i]
    return out


def row_label(area: str, row: int) -> str:
    return f"{area}, row {row}"


def target_order(ids: Sequence[str], area_of: dict[str, str], printed: Sequence[str]
                 ) -> list[str]:
    """The list ``ids`` reordered so that each area's expectations print in the order
    ``printed`` gives; each area keeps the places its items held in the list, so the
    areas still first appear where they did."""
    slots: dict[str, list[int]] = {}
    for i, eid in enumerate(ids):
        slots.setdefault(area_of[eid], []).append(i)
    wanted: dict[str, list[str]] = {}
    for eid in printed:
        wanted.setdefault(area_of[eid], []).append(eid)
    out = list(ids)
    for area, places in slots.items():
        order = wanted.get(area, [])
        if len(order) == len(places):
            for place, eid in zip(places, order, strict=True):
                out[place] = eid
    return out


def reorder(text: str, fmt: str, side: Side, ids: list[str], target: list[str]) -> str:
    """The spec text with the side's list moved row by row (comments going along, through
    the round trip) from order ``ids`` into order ``target``: only the rows out of the
    longest run the two share move."""
    from expectmatrix.spec import roundtrip

    stay = kept(ids, target)
    now = list(ids)
    for k, eid in enumerate(target):
        if eid in stay:
            continue
        at = now.index(eid)
        pred = now.index(target[k - 1]) if k else -1
        to = pred - (1 if pred > at else 0) + 1
        if to != at:
            text = roundtrip.move_at(text, path_of(side, at), to - at, fmt)
            now.insert(to, now.pop(at))
    return text
