"""Filling expectations from the clause library, and finding the ones that deviate.

Kept apart from the library's models and files (files.py) so that checking a spec
builds no more pydantic models than the spec's own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from expectmatrix.library.contents import Library
from expectmatrix.library.params import clause_values
from expectmatrix.spec import placeholders
from expectmatrix.spec.findings import Finding
from expectmatrix.spec.findings import Path as FieldPath
from expectmatrix.spec.messages import did_you_mean
from expectmatrix.spec.models import EFFECTIVE, DueBy, Expectation, Spec
from expectmatrix.spec.shape import expectations_of, list_name, path_of, sides

if TYPE_CHECKING:

    from expectmatrix.library.models import Clause, ClauseText


def select(library: Library, segment: str | None = None, area: str | None = None,
           side: str | None = None) -> list[Clause]:
    """The library's clauses for a segment, an area (any case) and a side, in order."""
    return [c for c in library.clauses.values()
            if (segment is None or segment in c.segments)
            and (area is None or c.area.casefold() == area.casefold())
            and (side is None or c.side == side)]


def fill(text: str | None, values: Mapping[str, object]) -> str | None:
    """A clause's text with its parameters' values (None stays None)."""
    return None if text is None else placeholders.fill(text, **values)


def local_values(own: ClauseText | None, values: Mapping[str, object]) -> dict[str, object]:
    """Parameter values as a translation prints them: a text value it translates (weekly:
    wöchentlich) in its words, any other value as given."""
    given = own.values if own is not None and own.values else {}
    return {name: given.get(name, {}).get(str(value), value) if isinstance(value, str)
            else value for name, value in values.items()}


@dataclass
class Resolved:
    spec: Spec | None
    findings: list[Finding]
    nonstandard: dict[str, str]  # expectation id -> why it is non-standard
    # filled as far as the clauses allow, even when some could not be used: the later
    # checks still run on it, so that one run reports every problem
    partial: Spec | None = None


def resolve(spec: Spec, library: Library) -> Resolved:
    """Fill expectations from their clauses, in the document's language; report bad clause
    use, deviations, and clauses the library has no wording for in that language."""
    findings: list[Finding] = []
    nonstandard: dict[str, str] = {}
    lists: dict[str, list[Expectation]] = {}
    language = spec.deal.language
    texts = wording(library, language)
    untranslated: set[str] = set()
    for side in sides():
        side_key = list_name(side)
        out = []
        for i, e in enumerate(expectations_of(spec, side)):
            where: FieldPath = path_of(side, i)
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
                    f"it to {list_name(clause.side)} or choose a {side} clause", path=(*where, "clause")))
            values, bad = clause_values(clause, e, where)
            findings += bad
            english = {name: fill(getattr(clause, name), values) if name != "area"
                       else clause.area for name in _WORDED}
            own = texts.get(clause.id) if texts is not None else None
            if texts is not None and (own is None or own.text is None):
                if clause.id not in untranslated:
                    untranslated.add(clause.id)
                    findings.append(Finding(
                        "clause-language", f"clause {clause.id!r} has no wording in the "
                        f"document's language ({language}) in the clause library, so its "
                        "English text is printed; write the text here or add the language to "
                        "the library", "warning", (*where, "clause")))
                own = None
            standard = dict(english)
            if own is not None:
                local = local_values(own, values)
                standard.update({name: fill(getattr(own, name), local) if name != "area"
                                 else own.area for name in _WORDED
                                 if getattr(own, name) is not None})
            differs = [name for name in _WORDED if getattr(e, name) is not None
                       and getattr(e, name) not in (standard[name], english[name])]
            if differs:
                nonstandard[e.id] = (f"{' and '.join(differs)} "
                                   f"{'differs' if len(differs) == 1 else 'differ'} from clause {clause.id}")
            update: dict[str, object] = {k: v for k, v in standard.items()
                                         if getattr(e, k) is None}
            if e.due_by is None and clause.due_by and "due" not in differs:
                update["due_by"] = clause_due_by(clause.due_by, values, spec)
            out.append(e.model_copy(update=update))
        lists[side_key] = out
    expectations = spec.expectations.model_copy(update=lists)
    filled = spec.model_copy(update={"expectations": expectations})
    if any(f.severity == "error" for f in findings):
        return Resolved(None, findings, nonstandard, filled)
    return Resolved(filled, findings, nonstandard, filled)


_WORDED = ("area", "text", "measure", "due", "owner")
# A cadence parameter is written as a word of the clause's text ("weekly status calls").
_CADENCES = {"weekly": "week", "monthly": "month", "quarterly": "quarter", "yearly": "year",
             "annually": "year", "annual": "year"}


def clause_due_by(template: Mapping[str, object], values: Mapping[str, object],
                  spec: Spec) -> DueBy | None:
    """A clause's due_by with its parameters filled, for a deal that gives the milestones it
    counts from; None otherwise (the tracker then cannot date the expectation, which an
    approved deal is warned about)."""
    given = {EFFECTIVE, *(spec.deal.milestones or {})}
    if any(template.get(key) not in given for key in ("after", "before", "from", "until")
           if key in template):
        return None
    filled = {key: fill(value, values) if isinstance(value, str) else value
              for key, value in template.items()}
    if isinstance(filled.get("every"), str):
        word = str(filled["every"]).strip().lower()
        filled["every"] = _CADENCES.get(word, word)
    try:
        return DueBy.model_validate(filled)
    except ValueError:  # a parameter value no date can be made of, e.g. cadence "as needed"
        return None


def wording(library: Library, language: str) -> dict[str, ClauseText] | None:
    """The library's clause wording in ``language``, or None for English (the language
    clauses are written in)."""
    if language.split("-")[0] == "en" or not library.clauses:
        return None
    from expectmatrix.library.files import translations

    return translations(library, language)
