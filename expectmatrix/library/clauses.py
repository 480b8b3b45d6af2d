"""Filling expectations from the clause library, and finding the ones that deviate.

Kept apart from the library's models and files (library.py) so that checking a spec
builds no more pydantic models than the spec's own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from expectmatrix.spec import placeholders
from expectmatrix.spec.findings import Finding
from expectmatrix.spec.findings import Path as FieldPath
from expectmatrix.spec.messages import did_you_mean
from expectmatrix.spec.models import Expectation, Spec

if TYPE_CHECKING:
    from expectmatrix.library.files import Clause, Playbook

@dataclass
class Library:
    clauses: dict[str, Clause] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)  # clause id -> file it came from
    playbooks: dict[str, Playbook] = field(default_factory=dict)
    playbook_sources: dict[str, str] = field(default_factory=dict)


def select(library: Library, segment: str | None = None, area: str | None = None,
           side: str | None = None) -> list[Clause]:
    """The library's clauses for a segment, an area (any case) and a side, in order."""
    return [c for c in library.clauses.values()
            if (segment is None or segment in c.segments)
            and (area is None or c.area.casefold() == area.casefold())
            and (side is None or c.side == side)]


def _convert(value: object, kind: str) -> object:
    if kind == "integer":
        if isinstance(value, bool) or not re.fullmatch(r"-?\d+", str(value).strip()):
            raise ValueError("a whole number")
        return int(str(value).strip())
    if kind == "number":
        try:
            number = Decimal(str(value).strip())
        except ArithmeticError:
            raise ValueError("a number") from None
        if not number.is_finite():
            raise ValueError("a finite number")
        return number.normalize() if number == number.to_integral() else number
    return str(value)


def fill(text: str | None, values: Mapping[str, object]) -> str | None:
    """A clause's text with its parameters' values (None stays None)."""
    return None if text is None else placeholders.fill(text, **values)


@dataclass
class Resolved:
    spec: Spec | None
    findings: list[Finding]
    nonstandard: dict[str, str]  # expectation id -> why it is non-standard


def resolve(spec: Spec, library: Library) -> Resolved:
    """Fill expectations from their clauses; report bad clause use and deviations."""
    findings: list[Finding] = []
    nonstandard: dict[str, str] = {}
    lists: dict[str, list[Expectation]] = {}
    for side_key in ("of_vendor", "of_customer"):
        side = "vendor" if side_key == "of_vendor" else "customer"
        out = []
        for i, e in enumerate(getattr(spec.expectations, side_key)):
            where: FieldPath = ("expectations", side_key, i)
            if e.clause is None:
                for name in ("area", "text"):
                    if getattr(e, name) is None:
                        findings.append(Finding("missing", "required field missing (or name a "
                                                "clause from the library with clause:)",
                                                path=(*where, name)))
                if e.params:
                    findings.append(Finding("params", "params: only apply to a clause; add "
                                            "clause: or remove params:", path=(*where, "params")))
                nonstandard[e.id] = "written for this deal (no clause from the library)"
                out.append(e)
                continue
            clause = library.clauses.get(e.clause)
            if clause is None:
                hint = did_you_mean(e.clause, sorted(library.clauses))
                findings.append(Finding("unknown-clause", f"unknown clause {e.clause!r}{hint}; "
                                        "see `expectmatrix clauses`", path=(*where, "clause")))
                out.append(e)
                continue
            if clause.side != side:
                findings.append(Finding(
                    "clause-side", f"clause {clause.id!r} is a {clause.side} expectation; move "
                    f"it to of_{clause.side} or choose a {side} clause", path=(*where, "clause")))
            values, bad = clause_values(clause, e, where)
            findings += bad
            standard = {"area": clause.area, "text": fill(clause.text, values),
                        "measure": fill(clause.measure, values), "due": fill(clause.due, values),
                        "owner": fill(clause.owner, values)}
            differs = [name for name, value in standard.items()
                       if getattr(e, name) is not None and getattr(e, name) != value]
            if differs:
                nonstandard[e.id] = (f"{' and '.join(differs)} "
                                   f"{'differs' if len(differs) == 1 else 'differ'} from clause {clause.id}")
            update = {k: v for k, v in standard.items() if getattr(e, k) is None}
            out.append(e.model_copy(update=update))
        lists[side_key] = out
    if any(f.severity == "error" for f in findings):
        return Resolved(None, findings, nonstandard)
    expectations = spec.expectations.model_copy(update=lists)
    return Resolved(spec.model_copy(update={"expectations": expectations}), findings, nonstandard)


def clause_values(clause: Clause, e: Expectation, where: FieldPath) -> tuple[dict[str, object],
                                                                       list[Finding]]:
    given = dict(e.params or {})
    values: dict[str, object] = {}
    findings = []
    for name in given:
        if name not in clause.params:
            hint = did_you_mean(name, sorted(clause.params)) or (
                f"; this clause takes {', '.join(sorted(clause.params)) or 'no parameters'}")
            findings.append(Finding("unknown-param", f"clause {clause.id!r} has no parameter "
                                    f"{name!r}{hint}", path=(*where, "params", name)))
    for name, param in clause.params.items():
        if name in given:
            try:
                values[name] = _convert(given[name], param.type)
            except ValueError as err:
                findings.append(Finding("param-type", f"parameter {name!r} of clause "
                                        f"{clause.id!r} must be {err}, not {given[name]!r}",
                                        path=(*where, "params", name)))
        elif param.default is not None:
            values[name] = _convert(param.default, param.type)
        else:
            findings.append(Finding("missing-param", f"clause {clause.id!r} needs the parameter "
                                    f"{name!r}: add params: {{{name}: ...}}",
                                    path=(*where, "params")))
    return values, findings
