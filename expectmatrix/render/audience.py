"""Who a document is for: the counterparty, who receives and signs it, or the vendor's
own legal and deal desk. The one place that decides what an edition may show and carry.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from expectmatrix.errors import RenderError
from expectmatrix.spec.models import Spec
from expectmatrix.spec.terms import INTERNAL_FIELDS, WITHHELD_FIELDS, Audience


@dataclass(frozen=True)
class Edition:
    audience: Audience = "counterparty"
    # what only the internal edition shows (settings: [audience] internal)
    internal_fields: frozenset[str] = frozenset(INTERNAL_FIELDS)

    @property
    def internal(self) -> bool:
        return self.audience == "internal"

    def shows(self, name: str) -> bool:
        """Whether this edition shows one of terms.INTERNAL_FIELDS."""
        return self.internal or name not in self.internal_fields

    def other(self) -> Edition:
        """The other audience's edition, under the same organisation's list."""
        return Edition("internal" if self.audience == "counterparty" else "counterparty",
                       self.internal_fields)

    @property
    def suffix(self) -> str:
        """Of the file names: the internal edition is never mistaken for the one to send."""
        return "-internal" if self.internal else ""


def withhold(spec: Spec, fields: Iterable[str]) -> Spec:
    """The spec without ``fields`` (of terms.WITHHELD_FIELDS), naming them in
    ``withheld``. The list names every field the organisation keeps internal, given or
    not, so a copy does not even tell which internal fields the full spec had."""
    names = set(fields) | set(spec.withheld)
    withheld = [name for name in WITHHELD_FIELDS if name in names]
    deal = spec.deal.model_copy(update={
        name.removeprefix("deal."): None
        for name in ("deal.segment", "deal.notes", "deal.margin", "deal.nps") if name in names})
    readiness = [r.model_copy(update={"note": None}) for r in spec.readiness] \
        if "readiness.note" in names else spec.readiness
    approvals = [] if "approvals" in names else spec.approvals
    return spec.model_copy(update={"deal": deal, "readiness": readiness,
                                   "approvals": approvals, "withheld": withheld})


def redact(spec: Spec, edition: Edition) -> Spec:
    """The spec an edition carries embedded and commits to by its printed fingerprint:
    the whole spec in the internal edition; in the counterparty edition, the spec without
    what that edition does not show, so no internal value can be recovered by testing
    guesses against the fingerprint."""
    if edition.internal:
        return spec
    return withhold(spec, (name for name in WITHHELD_FIELDS if not edition.shows(name)))


def edition_fingerprint(spec: Spec, edition: Edition) -> str:
    """The fingerprint the edition prints: that of the spec it carries."""
    from expectmatrix.spec.canonical import fingerprint

    return fingerprint(redact(spec, edition))


def refuse_copy(spec: Spec, edition: Edition) -> None:
    """A counterparty copy (a spec extracted from a counterparty edition) lacks what the
    internal edition shows: that edition is made from the full spec only."""
    if edition.internal and spec.withheld:
        raise RenderError("this spec is a counterparty copy: it leaves out "
                          f"{', '.join(spec.withheld)}, which the internal edition shows; "
                          "render the internal edition from the full spec")
