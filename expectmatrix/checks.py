"""The contract's rules that a single field cannot express: balance, identity, readiness.

Each rule is a function ``Spec -> list[Finding]``; :func:`check` runs them all. Findings
here carry a field path only; :func:`check_loaded` adds file, line and column.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import replace

from .findings import Finding, make_strict
from .loading import Loaded
from .spec import Spec


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _fix(vendor: int, customer: int, unit: str = "expectation") -> str:
    diff = abs(vendor - customer)
    short, long_ = ("customer", "vendor") if vendor > customer else ("vendor", "customer")
    return (f"add {_plural(diff, short + ' ' + unit)} or remove "
            f"{_plural(diff, long_ + ' ' + unit)}")


def check_balance(spec: Spec) -> list[Finding]:
    vendor, customer = spec.expectations.of_vendor, spec.expectations.of_customer
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
        nv, nc = v_areas[area], c_areas[area]
        if nv != nc:
            side, idx = ("of_vendor", [e.area for e in vendor].index(area)) if nv else (
                "of_customer", [e.area for e in customer].index(area))
            found.append(Finding(
                "unbalanced", f"unbalanced in area {area!r}: {nv} of vendor, {nc} of customer "
                f"({_fix(nv, nc)} in this area)", path=("expectations", side, idx, "area")))
    return found


def check_identity(spec: Spec) -> list[Finding]:
    found = []
    first: dict[str, str] = {}
    for side, i, e in spec.all_expectations():
        where = f"expectations.{side}[{i}]"
        if e.id in first:
            found.append(Finding("duplicate-id", f"the id {e.id!r} is already used by "
                                 f"{first[e.id]}; ids must be unique across both lists",
                                 path=("expectations", side, i, "id")))
        else:
            first[e.id] = where
    if spec.deal.status == "approved" and not spec.approvals:
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
        for i, e in enumerate(spec.expectations.of_customer):
            if e.owner is None:
                found.append(Finding(
                    "no-owner", f"customer expectation {e.id} has no owner; on a small deal "
                    "name the customer role that will do it", "warning",
                    ("expectations", "of_customer", i)))
    for side, i, e in spec.all_expectations():
        if e.measure is None:
            found.append(Finding(
                "no-measure", f"expectation {e.id} has no measure; say how both sides will "
                "know it was done", "warning", ("expectations", side, i)))
    return found


RULES: list[Callable[[Spec], list[Finding]]] = [check_balance, check_identity, check_readiness]


def check(spec: Spec) -> list[Finding]:
    """Every rule's findings, errors first."""
    found = [f for rule in RULES for f in rule(spec)]
    return sorted(found, key=lambda f: f.severity != "error")


def check_loaded(loaded: Loaded, strict: bool = False) -> Loaded:
    """Run the checks on a loaded spec and locate their findings in its file."""
    findings = list(loaded.findings)
    if loaded.spec is not None:
        for f in check(loaded.spec):
            line, col = loaded.positions.locate(f.path)
            findings.append(replace(f, file=loaded.file, line=line, column=col))
    if strict:
        findings = make_strict(findings)
    return replace(loaded, findings=findings)
