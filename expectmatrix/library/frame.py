"""The agreement frame: which reviewed clause words each part around the matrix.

Decided here, once, when a spec is checked: the clause of each part (the spec's choice or
the library's first that applies), its wording in the document's language with the
parameters filled, or the spec's own wording. The view only fills in the parties' names
and the dates, which need the document's language.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from expectmatrix.library.params import param_values
from expectmatrix.spec import placeholders
from expectmatrix.spec.findings import Finding
from expectmatrix.spec.findings import Path as FieldPath
from expectmatrix.spec.messages import did_you_mean
from expectmatrix.spec.models import FrameChoice, FrameText, Spec
from expectmatrix.spec.terms import FRAME_PARTS

if TYPE_CHECKING:
    from expectmatrix.library.models import FrameClause


def _applies(clause: FrameClause, spec: Spec) -> bool:
    return clause.needs is None or getattr(spec.deal, clause.needs) is not None


def _text_in(clause: FrameClause, language: str) -> str | None:
    for tag in (language, language.split("-")[0]):
        if tag in clause.text:
            return clause.text[tag]
    return None


def resolve_frame(spec: Spec, clauses: dict[str, FrameClause]
                  ) -> tuple[tuple[FrameText, ...], list[Finding]]:
    """Each frame part's text for this spec, and what is wrong with the spec's choices."""
    language = spec.deal.language
    findings: list[Finding] = []
    texts: list[FrameText] = []
    for part in FRAME_PARTS:
        where: FieldPath = ("frame", part)
        choice: FrameChoice = getattr(spec.frame, part, None) or FrameChoice()
        if choice.text is not None:
            if choice.clause is not None or choice.params:
                findings.append(Finding("frame", "give either text: (wording of your own) or "
                                        "clause: with params:, not both", path=where))
            texts.append(FrameText(part, None, choice.text))
            continue
        if choice.clause is not None:
            clause = clauses.get(choice.clause)
            if clause is None or clause.part != part:
                same = sorted(c.id for c in clauses.values() if c.part == part)
                hint = did_you_mean(choice.clause, same) or f"; choose one of {', '.join(same)}"
                findings.append(Finding("unknown-clause", f"no {part} clause "
                                        f"{choice.clause!r} in the library{hint}",
                                        path=(*where, "clause")))
                continue
            if not _applies(clause, spec):
                findings.append(Finding("frame", f"frame clause {clause.id!r} needs "
                                        f"deal.{clause.needs}: add it, or choose another "
                                        f"{part} clause", path=(*where, "clause")))
                continue
        else:
            found = next((c for c in clauses.values() if c.part == part and _applies(c, spec)),
                         None)
            if found is None:
                continue  # a company library that leaves a part out prints none
            clause = found
        values, bad = param_values(clause.id, clause.params, dict(choice.params or {}), where)
        findings += bad
        wording = _text_in(clause, language)
        if wording is None:
            findings.append(Finding(
                "clause-language", f"frame clause {clause.id!r} has no wording in the "
                f"document's language ({language}), so its English text is printed; give "
                f"frame.{part}.text, or add the language to the library", "warning", where))
            wording = clause.text.get("en") or next(iter(clause.text.values()))
        texts.append(FrameText(part, clause.id, placeholders.fill(wording, **values)))
    return tuple(texts), findings
