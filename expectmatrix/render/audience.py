"""Who a document is for: the counterparty, who receives and signs it, or the vendor's
own legal and deal desk. The one place that decides what an edition may show and carry.
"""

from __future__ import annotations

from dataclasses import dataclass

from expectmatrix.spec.models import Spec
from expectmatrix.spec.terms import INTERNAL_FIELDS, Audience


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

    @property
    def suffix(self) -> str:
        """Of the file names: the internal edition is never mistaken for the one to send."""
        return "-internal" if self.internal else ""


def redact(spec: Spec, edition: Edition) -> Spec:
    """The spec as the edition may carry it embedded: what it does not show is taken out
    (the fingerprint printed stays the whole spec's). Approvals stay: an approved spec is
    not valid without them, and verify re-checks the spec it finds."""
    if edition.internal:
        return spec
    deal = spec.deal.model_copy(update={
        name: None for name, field in (("notes", "deal.notes"), ("margin", "deal.margin"),
                                       ("nps", "deal.nps"))
        if not edition.shows(field)})
    readiness = spec.readiness if edition.shows("readiness.note") else [
        r.model_copy(update={"note": None}) for r in spec.readiness]
    return spec.model_copy(update={"deal": deal, "readiness": readiness})
