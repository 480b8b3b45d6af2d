"""The contract's rules that a single field cannot express: balance, identity, readiness
and wording. Each rule is a function ``Spec -> list[Finding]``; :func:`check` runs them
all. Findings here carry a field path only; the pipeline adds file, line and column."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

from expectmatrix.clock import today
from expectmatrix.spec.findings import Finding
from expectmatrix.spec.models import Spec
from expectmatrix.spec.shape import expectations_of, format_path, located, path_of
from expectmatrix.spec.terms import Side


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _fix(vendor: int, customer: int, unit: str = "expectation") -> str:
    diff = abs(vendor - customer)
    short, long_ = ("customer", "vendor") if vendor > customer else ("vendor", "customer")
    return (f"add {_plural(diff, short + ' ' + unit)} or remove "
            f"{_plural(diff, long_ + ' ' + unit)}")


def check_balance(spec: Spec) -> list[Finding]:
    vendor, customer = expectations_of(spec, "vendor"), expectations_of(spec, "customer")
    if spec.balance == "count":
        if len(vendor) != len(customer):
            return [Finding("unbalanced", f"unbalanced: {len(vendor)} of vendor, {len(customer)} "
                            f"of customer ({_fix(len(vendor), len(customer))})",
                            path=("expectations",))]
        return []
    if spec.balance == "weight":
        wv, wc = sum(e.weight for e in vendor), sum(e.weight for e in customer)
        if wv != wc:
            diff = abs(wv - wc)
            light = "customer" if wv > wc else "vendor"
            return [Finding("unbalanced", f"unbalanced by weight: vendor {wv}, customer {wc} "
                            f"(add {diff} weight to the {light} side or take it from the other)",
                            path=("expectations",))]
        return []
    # balance: area: every area holds as many lines on both sides.
    found = []
    v_areas, c_areas = Counter(e.area for e in vendor), Counter(e.area for e in customer)
    for area in dict.fromkeys([e.area for e in vendor] + [e.area for e in customer]):
        if area is None:  # a clause that could not be used: reported where it is named
            continue
        nv, nc = v_areas[area], c_areas[area]
        if nv != nc:
            side: Side = "vendor" if nv else "customer"
            idx = [e.area for e in (vendor if nv else customer)].index(area)
            found.append(Finding(
                "unbalanced", f"unbalanced in area {area!r}: {nv} of vendor, {nc} of customer "
                f"({_fix(nv, nc)} in this area)", path=path_of(side, idx, "area")))
    return found


def check_identity(spec: Spec) -> list[Finding]:
    found = []
    first: dict[str, str] = {}
    for _side, at, e in located(spec):
        where = format_path(at)
        if e.id in first:
            found.append(Finding("duplicate-id", f"the id {e.id!r} is already used by "
                                 f"{first[e.id]}; ids must be unique across both lists",
                                 path=(*at, "id")))
        else:
            first[e.id] = where
    seen_approvals: dict[tuple[str, str, str], int] = {}
    for i, a in enumerate(spec.approvals):
        key = (" ".join(a.name.casefold().split()), a.side, " ".join(a.role.casefold().split()))
        if key in seen_approvals:
            found.append(Finding("duplicate-approval", f"{a.name} ({a.side}, {a.role}) approved "
                                 f"already in approvals[{seen_approvals[key]}]; an approval "
                                 "counts once: remove the repeat", "warning", ("approvals", i)))
        else:
            seen_approvals[key] = i
        if a.date > today():
            found.append(Finding("approval-date", f"the approval of {a.name} is dated {a.date}, "
                                 "after today: an approval cannot come before it was given; "
                                 "correct the date", "warning", ("approvals", i, "date")))
    if spec.deal.segment is None and "deal.segment" not in spec.withheld:
        found.append(Finding("missing", "the segment is empty; write small, medium or large",
                             path=("deal", "segment")))
    # A counterparty copy leaves its approvals out; the full spec it came from had them.
    if spec.deal.status == "approved" and not spec.approvals and "approvals" not in spec.withheld:
        found.append(Finding("approval-missing", "status is approved but no approvals are "
                             "listed; add an approvals: list (name, side, role, date) or set "
                             "status to review", path=("deal", "status")))
    return found


def check_readiness(spec: Spec) -> list[Finding]:
    found = []
    small = spec.deal.segment == "small"
    if small:
        for i, item in enumerate(spec.readiness):
            if item.answer != "yes":
                found.append(Finding(
                    "readiness", f"readiness answer is {item.answer!r} on a small deal: "
                    "settle it with the customer before signing", "warning",
                    ("readiness", i, "answer")))
        for i, e in enumerate(expectations_of(spec, "customer")):
            if e.owner is None:
                found.append(Finding(
                    "no-owner", f"customer expectation {e.id} has no owner; on a small deal "
                    "name the customer role that will do it", "warning",
                    path_of("customer", i)))
    for _side, at, e in located(spec):
        if e.measure is None:
            found.append(Finding(
                "no-measure", f"expectation {e.id} has no measure; say how both sides will "
                "know it was done", "warning", at))
    return found


# Phrases that promise nothing measurable unless a measure says what they mean.
VAGUE = ("best effort", "best efforts", "reasonable", "reasonably", "as soon as possible",
         "asap", "timely", "in a timely manner", "as needed", "as required", "promptly",
         "where possible", "if possible", "appropriate", "adequate", "sufficient",
         "commercially reasonable", "from time to time", "regularly", "quickly")
# Longest first, so that "commercially reasonable" is one phrase, not "reasonable".
_VAGUE = re.compile(r"\b(" + "|".join(re.escape(v) for v in sorted(VAGUE, key=len, reverse=True))
                    + r")\b", re.IGNORECASE)


# Due dates that name no time: the promise cannot be missed, so it cannot be kept either.
VAGUE_DUE = ("promptly", "as soon as possible", "asap", "timely", "in a timely manner", "soon",
             "when possible", "where possible", "if possible", "as needed", "as required",
             "from time to time", "regularly", "periodically", "ongoing", "tbd", "tba",
             "to be agreed", "to be defined", "later", "eventually", "quickly")
_VAGUE_DUE = re.compile(r"\b(" + "|".join(re.escape(v) for v in VAGUE_DUE) + r")\b",
                        re.IGNORECASE)
_HAS_TIME = re.compile(r"\d|\b(daily|weekly|monthly|quarterly|yearly|annually|before|after|"
                       r"by|until|within|each|every)\b", re.IGNORECASE)


def check_wording(spec: Spec) -> list[Finding]:
    """Lint: vague promises and due dates, the same text twice, one-sided areas."""
    found = []
    seen: dict[str, str] = {}
    for _side, at, e in located(spec):
        text = e.text or ""
        # Every vague phrase, each once: the first alone would hide the rest until the
        # next run. A measure says how fulfilment is checked; it does not make them exact.
        for phrase in dict.fromkeys(m.group(0) for m in _VAGUE.finditer(text)):
            found.append(Finding("vague", f"{e.id} promises {phrase!r}, which legal reads "
                                 "as no promise at all; say what it means in numbers or dates "
                                 "(\"within 2 business days\", \"by 2027-03-01\")", "warning",
                                 (*at, "text")))
        due = e.due or ""
        vague_due = _VAGUE_DUE.search(due)
        if vague_due and not _HAS_TIME.search(due.replace(vague_due.group(0), "")):
            found.append(Finding("vague-due", f"{e.id} is due {due!r}, which names no time; write "
                                 "a date (2027-03-01), a period (within 5 business days of "
                                 "signature) or a cadence (weekly until go-live)", "warning",
                                 (*at, "due")))
        key = " ".join(text.lower().split())
        if key in seen:
            found.append(Finding("duplicate-text", f"{e.id} repeats the text of {seen[key]}",
                                 "warning", (*at, "text")))
        else:
            seen[key] = e.id
    vendor_areas = {e.area for e in expectations_of(spec, "vendor")}
    customer_areas = {e.area for e in expectations_of(spec, "customer")}
    for side, at, e in located(spec):
        other = customer_areas if side == "vendor" else vendor_areas
        if e.area not in other and spec.balance != "area":  # area balance reports it already
            found.append(Finding("one-sided-area", f"area {e.area!r} appears only on the "
                                 f"{side} side",
                                 "warning", (*at, "area")))
            other.add(e.area)  # once per area
    return found


RULES: list[Callable[[Spec], list[Finding]]] = [check_balance, check_identity, check_readiness,
                                                 check_wording]


_ORDER = {"error": 0, "warning": 1, "info": 2}


def check(spec: Spec) -> list[Finding]:
    """Every rule's findings, errors first. ``spec`` has its clauses resolved."""
    found = [f for rule in RULES for f in rule(spec)]
    return sorted(found, key=lambda f: _ORDER[f.severity])
