"""The agreement frame: which reviewed clause words each part around the matrix.

Decided here, once, when a spec is checked: the clause of each part (the spec's choice,
else the organisation's, else the library's first that applies), its wording in the
document's language with the parameters filled, or the spec's own wording. The view only
fills in the parties' names, the dates and the counted parameters ("2 business days"),
which need the document's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from expectmatrix.library.params import param_values
from expectmatrix.spec.findings import Finding
from expectmatrix.spec.findings import Path as FieldPath
from expectmatrix.spec.messages import did_you_mean
from expectmatrix.spec.models import FrameChoice, FrameText, Spec
from expectmatrix.spec.shape import expectations_of, sides
from expectmatrix.spec.terms import FRAME_PARTS

if TYPE_CHECKING:
    from expectmatrix.library.frame_models import FrameClause

FrameDefaults = Mapping[str, FrameChoice]  # part -> the organisation's choice (settings)
# No choice made. Constructed, not validated: there is nothing to check, and validating
# would build FrameChoice's validator, a few milliseconds of every validate.
_NO_CHOICE = FrameChoice.model_construct()


def _has(spec: Spec, need: str) -> bool:
    parties = [spec.parties.vendor, spec.parties.customer]
    if need == "details":
        return all(p.address or p.registration for p in parties)
    if need == "signatories":
        return all(p.signatory is not None for p in parties)
    if need == "open-readiness":
        return any(r.answer != "yes" for r in spec.readiness)
    return getattr(spec.deal, need, None) is not None


def applies(clause: FrameClause, spec: Spec) -> bool:
    return clause.needs is None or _has(spec, clause.needs)


def _text_in(clause: FrameClause, language: str) -> str | None:
    for tag in (language, language.split("-")[0]):
        if tag in clause.text:
            return clause.text[tag]
    return None


def _complete(clause: FrameClause, values: Mapping[str, object]) -> bool:
    """Every parameter without a default has a value."""
    return all(name in values or p.default is not None for name, p in clause.params.items())


def _pick(part: str, spec: Spec, clauses: Mapping[str, FrameClause],
          own: Mapping[str, object], inherited: Mapping[str, object]) -> FrameClause | None:
    """The library's first clause of ``part`` that applies to the spec, has a value for
    each parameter it needs, and takes every parameter the spec gives (so that
    ``law: {params: {law: ..., courts: ...}}`` chooses the clause that names them);
    failing that, the first that applies and is complete, else the first that applies."""
    candidates = [c for c in clauses.values() if c.part == part and applies(c, spec)]
    values = {**inherited, **own}
    complete = [c for c in candidates if _complete(c, values)]
    return next((c for c in complete if all(name in c.params for name in own)),
                complete[0] if complete else (candidates[0] if candidates else None))


def resolve_frame(spec: Spec, clauses: Mapping[str, FrameClause],
                  defaults: FrameDefaults | None = None
                  ) -> tuple[tuple[FrameText, ...], list[Finding]]:
    """Each frame part's text for this spec, and what is wrong with the choices made."""
    language = spec.deal.language
    defaults = defaults or {}
    findings: list[Finding] = []
    texts: list[FrameText] = []
    for part in FRAME_PARTS:
        where: FieldPath = ("frame", part)
        choice: FrameChoice = getattr(spec.frame, part, None) or _NO_CHOICE
        if choice.text is not None:
            if choice.clause is not None or choice.params:
                findings.append(Finding("frame", "give either text: (wording of your own) or "
                                        "clause: with params:, not both", path=where))
            texts.append(FrameText(part, None, choice.text))
            continue
        own = dict(choice.params or {})
        organisation = defaults.get(part) or _NO_CHOICE
        if choice.clause is not None:
            clause = clauses.get(choice.clause)
            if clause is None or clause.part != part:
                same = sorted(c.id for c in clauses.values() if c.part == part)
                hint = did_you_mean(choice.clause, same) or f"; choose one of {', '.join(same)}"
                findings.append(Finding("unknown-clause", f"no {part} clause "
                                        f"{choice.clause!r} in the library{hint}",
                                        path=(*where, "clause")))
                continue
            if not applies(clause, spec):
                findings.append(Finding("frame", f"frame clause {clause.id!r} needs "
                                        f"{_NEEDS[clause.needs or '']}: add it, or choose "
                                        f"another {part} clause", path=(*where, "clause")))
                continue
        else:
            found = _organisation_clause(part, spec, clauses, organisation, findings)
            clause = found or _pick(part, spec, clauses, own, dict(organisation.params or {}))
            if clause is None:
                continue  # a company library that leaves a part out prints none
        # The organisation's values apply where the clause takes them; the spec's own
        # are checked, so a misspelt one is reported.
        inherited = {k: v for k, v in (organisation.params or {}).items()
                     if k in clause.params and (organisation.clause in (None, clause.id))}
        values, bad = param_values(clause.id, clause.params, {**inherited, **own}, where)
        findings += bad
        wording = _text_in(clause, language)
        if wording is None:
            findings.append(Finding(
                "clause-language", f"frame clause {clause.id!r} has no wording in the "
                f"document's language ({language}), so its English text is printed; give "
                f"frame.{part}.text, or add the language to the library", "warning", where))
            wording = clause.text.get("en") or next(iter(clause.text.values()))
        counts = tuple((name, int(str(values[name])), str(p.unit))
                       for name, p in clause.params.items()
                       if p.unit is not None and p.type == "integer" and name in values)
        plain = tuple((k, str(v)) for k, v in values.items() if k not in {c[0] for c in counts})
        texts.append(FrameText(part, clause.id, wording, plain, counts))
    findings += _balance_wording(spec, texts, clauses)
    return tuple(texts), findings


_NEEDS = {"agreement": "deal.agreement", "term": "deal.term",
          "details": "an address or registration of both parties",
          "signatories": "a signatory of both parties",
          "open-readiness": "a readiness answer of no or unknown"}


def _organisation_clause(part: str, spec: Spec, clauses: Mapping[str, FrameClause],
                         organisation: FrameChoice, findings: list[Finding]) -> FrameClause | None:
    """The clause the organisation chose for ``part``, when it applies to this spec (one
    it cannot use, say for deals without a main agreement, leaves the library's choice)."""
    if organisation.clause is None:
        return None
    clause = clauses.get(organisation.clause)
    if clause is None or clause.part != part:
        findings.append(Finding("unknown-clause", f"the settings (expectmatrix.toml, "
                                f"[frame.{part}]) choose the {part} clause "
                                f"{organisation.clause!r}, which the library does not have",
                                path=("frame", part)))
        return None
    return clause if applies(clause, spec) else None


def _balance_wording(spec: Spec, texts: list[FrameText],
                     clauses: Mapping[str, FrameClause]) -> list[Finding]:
    """Balanced by weight, the sides may hold different numbers of expectations: a
    preamble that does not say how they are balanced may promise equal numbers."""
    if spec.balance != "weight":
        return []
    counts = [len(expectations_of(spec, side)) for side in sides()]
    preamble = next((t for t in texts if t.part == "preamble"), None)
    if counts[0] == counts[1] or preamble is None or "{balance}" in preamble.text:
        return []
    whose = (f"the wording of frame clause {preamble.clause!r}" if preamble.clause
             else "your own wording of the preamble")
    chosen = spec.frame is not None and spec.frame.preamble is not None
    return [Finding("balance-wording", f"balanced by weight, the sides hold {counts[0]} and "
                    f"{counts[1]} expectations, and {whose} does not say how they are "
                    "balanced: check that it does not promise equal numbers, or use a "
                    "preamble with {balance}", "warning",
                    ("frame", "preamble") if chosen else ("balance",))]
