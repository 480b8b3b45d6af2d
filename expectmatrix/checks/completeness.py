"""What the document will need that the spec does not give yet: who signs, which
companies are agreeing, and text in the document's language. Warnings, each at the field
to fill in, so that `validate` lists them before the agreement is sent."""

from __future__ import annotations

import re
from collections.abc import Iterator

from expectmatrix.spec.findings import Finding
from expectmatrix.spec.findings import Path as FieldPath
from expectmatrix.spec.models import Spec
from expectmatrix.spec.shape import expectations_of, path_of, sides


def check_parties(spec: Spec) -> list[Finding]:
    """Both parties named as companies (address or registration) and a signatory each
    with a title: the preamble, the escalation clause and the signature page use them."""
    found = []
    for side in sides():
        party = getattr(spec.parties, side)
        where: FieldPath = ("parties", side)
        if not (party.address or party.registration):
            found.append(Finding(
                "no-details", f"{party.name} has no address and no registration, so the "
                "agreement names it without saying which company it is; add address: "
                "(its registered address) and registration: (company number and register)",
                "warning", where))
        if party.signatory is None:
            found.append(Finding(
                "no-signatory", f"nobody is named to sign for {party.name}: its signature "
                "block has no name and the escalation clause cannot say who settles an "
                "issue; add signatory: {name: ..., title: ...}", "warning", where))
        elif party.signatory.title is None:
            found.append(Finding(
                "no-signatory-title", f"the signatory of {party.name} has no title, so the "
                "signature block leaves it blank; add title: to signatory:", "warning",
                (*where, "signatory")))
    return found


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that English text is made of and the other languages' texts are not: a text with
# more of them than of the document language's own is taken for untranslated English.
_ENGLISH = _words(
    "the and of with for within is are be by from each every after before to all their its "
    "this that at or our your can must into than until when which who not should")
_OWN = {
    "de": _words("der die das und mit für von zu den dem des ein eine einer einen nach bei "
                 "auf ist sind wird werden im innerhalb vor bis ab jede jeden"),
    "fr": _words("le la les et de des du pour avec un une dans sur est sont au aux par "
                 "chaque avant après sous"),
    "es": _words("el la los las y de del para con un una en por es son cada antes "
                 "después hasta"),
}
# English words that make up short texts (areas, owners, cadences) with no small words.
_ENGLISH_WORDS = _words(
    "implementation governance commercial success onboarding reporting billing delivery "
    "testing operations security data training support report monthly weekly quarterly "
    "daily signature business days customer vendor project lead owner plan contract "
    "contacts escalation payment kick-off")
_WORD = re.compile(r"[A-Za-zÀ-ÿ'-]+")


def reads_english(text: str, language: str) -> bool:
    words = [w.lower().strip("'-") for w in _WORD.findall(text)]
    words = [w for w in words if w]
    if not words:
        return False
    english = sum(w in _ENGLISH for w in words)
    own = sum(w in _OWN.get(language, frozenset()) for w in words)
    if english:
        return english > own
    return own == 0 and 2 * sum(w in _ENGLISH_WORDS for w in words) >= len(words)


def _written(spec: Spec) -> Iterator[tuple[FieldPath, str]]:
    """Every text of the spec that the documents print as written (names, addresses and
    e-mail addresses aside)."""
    deal = spec.deal
    for name in ("title", "term", "notes"):
        if getattr(deal, name):
            yield ("deal", name), getattr(deal, name)
    if deal.agreement is not None:
        yield ("deal", "agreement", "title"), deal.agreement.title
    for side in sides():
        party = getattr(spec.parties, side)
        if party.signatory is not None and party.signatory.title:
            yield ("parties", side, "signatory", "title"), party.signatory.title
        for i, c in enumerate(party.contacts):
            if c.role:
                yield ("parties", side, "contacts", i, "role"), c.role
        for i, e in enumerate(expectations_of(spec, side)):
            for name in ("area", "text", "measure", "due", "owner"):
                if getattr(e, name):
                    yield path_of(side, i, name), getattr(e, name)
    for i, r in enumerate(spec.readiness):
        yield ("readiness", i, "question"), r.question
        if r.note:
            yield ("readiness", i, "note"), r.note
    for i, a in enumerate(spec.approvals):
        yield ("approvals", i, "role"), a.role
    if spec.frame is not None:
        for part, choice in spec.frame:
            if choice is not None and choice.text:
                yield ("frame", part, "text"), choice.text


def check_translated(written: Spec, language: str) -> list[Finding]:
    """In a document that is not in English, each text the spec wrote in English: the
    labels and the frame are translated, and that text would stand out untranslated.
    ``written`` is the spec as written, before the library fills in its clauses (which
    say so themselves when they have no wording in the language)."""
    base = language.split("-")[0]
    if base == "en":
        return []
    return [Finding("untranslated", f"this text reads as English, and the document is in "
                    f"{language}: translate it, or the agreement prints it in English "
                    f"between {language} labels and clauses", "warning", path)
            for path, text in _written(written) if reads_english(text, base)]
