"""Spec -> View: everything a document shows, computed once.

The HTML template and the DOCX writer both read a View, so the two formats cannot
disagree and neither recomputes anything.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path
from typing import Any

from expectmatrix.clock import source_date
from expectmatrix.language.formats import format_date, format_money, format_number, plural
from expectmatrix.language.labels import labels_for, with_apostrophes
from expectmatrix.render.audience import Edition, redact, refuse_copy
from expectmatrix.render.look import Look, look_for
from expectmatrix.spec.canonical import canonical_json, fingerprint_of
from expectmatrix.spec.models import Expectation, FrameText, Money, Spec
from expectmatrix.spec.placeholders import fill
from expectmatrix.spec.shape import expectations_of, sides
from expectmatrix.spec.terms import OPENING_PARTS, REMEDY_PARTS
from expectmatrix.version import __version__

NONSTANDARD_MARK = "†"  # in Noto Sans and Arial alike, and a legal reader's footnote sign


@dataclass(frozen=True)
class Cell:
    id: str
    text: str
    details: list[tuple[str, str]]  # (label, value) for measure, due, owner where given
    nonstandard: bool = False  # shown with a marker when the document marks them


@dataclass(frozen=True)
class Row:
    vendor: Cell | None
    customer: Cell | None


@dataclass(frozen=True)
class Area:
    name: str
    rows: list[Row]


@dataclass(frozen=True)
class ContactView:
    name: str
    role: str | None
    email: str | None
    phone: str | None
    # "name, role · email · phone" as one run, isolated as a whole in a right-to-left
    # document so that an English name stays before its title
    line: str = ""


@dataclass(frozen=True)
class PartyView:
    role: str  # "Vendor" / "Customer"
    name: str
    contacts: tuple[ContactView, ...]
    signatory_name: str | None
    signatory_title: str | None
    address: tuple[str, ...] = ()  # lines, as the spec breaks them
    registration: str | None = None
    # the address on one line ("street, town, country"), isolated as a whole in a
    # right-to-left document so that a Latin address reads in its own order
    address_line: str = ""


@dataclass(frozen=True)
class ReadinessView:
    question: str
    answer: str  # yes | no | unknown: a class name for the template
    answer_label: str  # the answer in the document's language
    note: str | None  # None in an edition that does not show readiness notes


@dataclass(frozen=True)
class ApprovalView:
    name: str
    side: str
    side_label: str
    role: str
    date: str


@dataclass(frozen=True)
class FrameView:
    part: str  # preamble | precedence | term | missed | escalation
    text: str
    nonstandard: bool  # worded for this deal; marked where the edition marks


@dataclass(frozen=True)
class View:
    title: str
    deal_id: str
    version: int
    status: str
    status_label: str
    effective: str
    value: str | None
    language: str
    vendor: PartyView
    customer: PartyView
    vendor_heading: str
    customer_heading: str
    summary: str
    areas: list[Area]
    readiness: tuple[ReadinessView, ...]
    approvals: tuple[ApprovalView, ...]  # empty in an edition that does not show them
    draft: bool
    mark_nonstandard: bool
    nonstandard_note: str | None  # the first page's statement, when marking
    fingerprint: str  # of the spec this edition carries
    created: dt.datetime
    look: Look = field(metadata={"template": False})  # html_writer hands it over, files named
    # (label, value) of the first page's facts, in order, as this edition shows them
    facts: tuple[tuple[str, str], ...] = ()
    audience: str = "counterparty"
    internal: bool = False
    # the internal edition's sentence naming the counterparty edition's fingerprint
    counterparty_note: str | None = None
    segment_label: str | None = None  # None: not shown in this edition
    notes: str | None = None
    balance_label: str | None = None
    legend: str | None = None  # explains the mark, printed when a mark is
    preamble: tuple[FrameView, ...] = ()  # preamble, precedence, binding, term, ending, law
    remedies: tuple[FrameView, ...] = ()  # missed, escalation
    # what an open readiness answer means, printed below the readiness answers
    readiness_terms: tuple[FrameView, ...] = ()
    signature_caption: str = ""
    options: str = ""  # how it was made, embedded for verify: "mark-nonstandard=yes;..."
    rtl: bool = False
    keywords: tuple[str, ...] = ()
    labels: dict[str, Any] = field(repr=False, default_factory=dict)
    # Not for templates: the writers embed it; a template has the fingerprint.
    spec_json: bytes = field(repr=False, default=b"", metadata={"template": False})
    mark: str = NONSTANDARD_MARK
    generator: str = f"expectmatrix {__version__}"


def document_time(spec: Spec) -> dt.datetime:
    """The date stamped in metadata: SOURCE_DATE_EPOCH, else the effective date."""
    when = source_date()
    return when or dt.datetime.combine(spec.deal.effective, dt.time(), tzinfo=dt.UTC)


_LTR_STRONG = re.compile(r"[A-Za-z\u00C0-\u024F\u0370-\u03FF\u0400-\u04FF0-9]")


def _isolator(rtl: bool) -> Callable[[str], str]:
    """In a right-to-left document, a spec's text that holds left-to-right letters or
    digits is put between FSI and PDI, so its words, digits and full stop keep their
    order inside the Arabic or Hebrew sentence (Unicode bidi isolation; Pango and Word
    both honour it)."""
    if not rtl:
        return lambda text: text
    return lambda text: f"\u2068{text}\u2069" if _LTR_STRONG.search(text) else text


def _cell(e: Expectation | None, marked: set[str], labels: dict[str, Any],
          iso: Callable[[str], str]) -> Cell | None:
    if e is None:
        return None
    # Printed as written: a measure "x < y" or an "iOS app" is not a sentence to recase.
    details = [(str(labels[k]), iso(v)) for k, v in
               (("measure", e.measure), ("due", e.due), ("owner", e.owner)) if v]
    return Cell(e.id, iso(e.text or ""), details, e.id in marked)


def _areas(spec: Spec, marked: set[str], labels: dict[str, Any],
           iso: Callable[[str], str]) -> list[Area]:
    vendor, customer = expectations_of(spec, "vendor"), expectations_of(spec, "customer")
    order = list(dict.fromkeys([e.area for e in vendor] + [e.area for e in customer]))
    areas = []
    for name in order:
        pairs = zip_longest([e for e in vendor if e.area == name],
                            [e for e in customer if e.area == name])
        areas.append(Area(iso(name or ""), [Row(_cell(v, marked, labels, iso),
                                                _cell(c, marked, labels, iso))
                                            for v, c in pairs]))
    return areas


def _party(spec: Spec, side: str, labels: dict[str, Any], iso: Callable[[str], str]) -> PartyView:
    party = getattr(spec.parties, side)
    sig = party.signatory
    contacts = tuple(ContactView(iso(c.name), iso(c.role) if c.role else None, c.email, c.phone,
                                 iso(_contact_line(c.name, c.role, c.email, c.phone)))
                     for c in party.contacts)
    lines = [line.strip() for line in (party.address or "").splitlines() if line.strip()]
    return PartyView(str(labels["sides"][side]), iso(party.name), contacts,
                     iso(sig.name) if sig else None, iso(sig.title) if sig and sig.title else None,
                     tuple(map(iso, lines)),
                     iso(party.registration) if party.registration else None,
                     iso(", ".join(lines)) if lines else "")


def _money(money: Money, language: str, iso: Callable[[str], str]) -> str:
    """The amount as the language writes it, a Latin currency symbol ("US$") isolated: in
    a right-to-left line its "$" would otherwise leave the letters and print as "$US"."""
    return re.sub(r"\S*[A-Za-z]\S*", lambda m: iso(m.group()),
                  format_money(money.amount, money.currency, language))


def _contact_line(name: str, role: str | None, email: str | None, phone: str | None) -> str:
    rest = " · ".join(x for x in (email, phone) if x)
    return name + (f", {role}" if role else "") + (f" · {rest}" if rest else "")


def _signatory(spec: Spec, side: str, labels: dict[str, Any],
               iso: Callable[[str], str]) -> str:
    """"Name, title" as one isolated run: isolating name and title apart would let a
    right-to-left paragraph put the title first."""
    party = getattr(spec.parties, side)
    sig = party.signatory
    if sig is not None:
        return iso(", ".join(x for x in (sig.name, sig.title) if x))
    return fill(str(labels["signatory_unknown"]), party=iso(party.name))


def _frame(spec: Spec, frame: Sequence[FrameText], vendor: PartyView, customer: PartyView,
           effective: str, labels: dict[str, Any], iso: Callable[[str], str]) -> list[FrameView]:
    deal = spec.deal
    agreement = None
    if deal.agreement:
        a = deal.agreement
        agreement = iso(a.title + (f" ({a.reference})" if a.reference else "")) + (
            " " + fill(str(labels["dated"]), date=format_date(a.date, deal.language))
            if a.date else "")
    answers = labels["answers"]
    values = {"vendor": vendor.name, "customer": customer.name,
              "effective": effective,
              "term": iso(deal.term or ""), "agreement": agreement or "",
              "vendor_signatory": _signatory(spec, "vendor", labels, iso),
              "customer_signatory": _signatory(spec, "customer", labels, iso),
              "balance": str(labels["balance_phrase"][spec.balance]),
              "answer_no": str(answers["no"]), "answer_unknown": str(answers["unknown"])}
    # The library's wording is typeset and filled in (in one pass, so that no value is
    # read as a placeholder); the spec's own is printed as written.
    apostrophe = str(labels.get("apostrophe", "'"))
    return [FrameView(f.part, fill(
        with_apostrophes(f.text, apostrophe), **{name: iso(v) for name, v in f.values}, **{
            name: plural(labels[unit], n, deal.language) for name, n, unit in f.counts}, **values)
        if f.clause else iso(f.text), f.clause is None) for f in frame]


def _summary(spec: Spec, labels: dict[str, Any], names: Mapping[str, str]) -> str:
    """How many things each side can expect; balanced by weight, the numbers may differ,
    so the sentence also says the weight both sides carry."""
    language = spec.deal.language
    n_vendor, n_customer = (len(expectations_of(spec, side)) for side in sides())
    text = fill(str(labels["summary"]), n_vendor=n_vendor, n_customer=n_customer,
                vendor_things=plural(labels["things"], n_vendor, language),
                customer_things=plural(labels["things"], n_customer, language), **names)
    if spec.balance == "weight":
        weight = sum(e.weight for e in expectations_of(spec, "vendor"))
        text += " " + fill(str(labels["weight_note"]), weight=format_number(weight, language))
    return text


def build_view(spec: Spec, nonstandard: Mapping[str, str] | None = None,
               mark_nonstandard: bool | None = None, look: Look | None = None,
               labels: dict[str, Any] | None = None, canonical: bytes | None = None,
               edition: Edition | None = None, frame: Sequence[FrameText] = ()) -> View:
    """``spec`` has its clauses resolved and ``frame`` its frame decided (checks.py);
    ``nonstandard`` names the expectations that deviate from the library. Marking is on
    for drafts and reviews unless told otherwise, and only in an edition that shows
    marks. ``canonical``: the spec's canonical form, if the caller has it already.

    Each edition embeds the spec it carries and prints that spec's fingerprint, so the
    counterparty's holds nothing to test guesses of internal values against; the internal
    edition also names the counterparty edition's fingerprint."""
    edition = edition or Edition()
    refuse_copy(spec, edition)
    deal = spec.deal
    language = deal.language
    labels = labels if labels is not None else labels_for(language)
    shows = edition.shows
    nonstandard = nonstandard or {}
    mark = deal.status != "approved" if mark_nonstandard is None else mark_nonstandard
    mark = mark and shows("nonstandard")
    rtl = labels.get("direction") == "rtl"
    iso = _isolator(rtl)
    n_vendor, n_customer = (len(expectations_of(spec, side)) for side in sides())
    total = n_vendor + n_customer
    effective = format_date(deal.effective, language)
    frames = _frame(spec, frame, vendor := _party(spec, "vendor", labels, iso),
                    customer := _party(spec, "customer", labels, iso), effective, labels, iso)
    marked_frame = mark and any(f.nonstandard for f in frames)
    note = legend = None
    if mark:
        note = (fill(str(labels["nonstandard_summary"]), n=len(nonstandard), total=total)
                if nonstandard else fill(str(labels["standard_summary"]), total=total))
        if nonstandard or marked_frame:
            legend = str(labels["nonstandard_legend"]) + (
                " " + str(labels["nonstandard_frame"]) if marked_frame else "")
    names = {"vendor": vendor.name, "customer": customer.name}
    spec_json = canonical if canonical is not None else canonical_json(spec)
    status_label = str(labels["statuses"][deal.status])
    value = _money(deal.value, language, iso) if deal.value else None
    facts: list[tuple[str, str]] = [
        (str(labels["deal"]), iso(deal.id)), (str(labels["version"]), format_number(deal.version, language)),
        (str(labels["effective"]), effective),
        (str(labels["status"]), status_label)]
    if value:
        facts.append((str(labels["value"]), value))
    if deal.term and not any(iso(deal.term) in f.text for f in frames):
        # said once on the first page: in the facts unless the frame's words say it
        facts.append((str(labels["term"]), iso(deal.term)))
    if shows("deal.segment"):
        facts.append((str(labels["segment"]), str(labels["segments"][deal.segment])))
    if deal.margin and shows("deal.margin"):
        facts.append((str(labels["margin"]), _money(deal.margin, language, iso)))
    if deal.nps is not None and shows("deal.nps"):
        facts.append((str(labels["nps"]), format_number(deal.nps, language)))
    carried = spec_json if edition.internal else canonical_json(redact(spec, edition))
    counterparty_note = None
    if edition.internal:
        theirs = fingerprint_of(canonical_json(redact(spec, edition.other())))
        counterparty_note = fill(str(labels["counterparty_fingerprint"]), fingerprint=iso(theirs))
    return View(
        title=iso(deal.title),
        deal_id=deal.id,
        version=deal.version,
        status=deal.status,
        status_label=status_label,
        effective=effective,
        value=value,
        language=language,
        vendor=vendor,
        customer=customer,
        vendor_heading=fill(str(labels["vendor_column"]), **names),
        customer_heading=fill(str(labels["customer_column"]), **names),
        summary=_summary(spec, labels, names),
        areas=_areas(spec, set(nonstandard) if mark else set(), labels, iso),
        readiness=tuple(ReadinessView(iso(r.question), r.answer,
                                      str(labels["answers"][r.answer]),
                                      iso(r.note) if r.note and shows("readiness.note") else None)
                        for r in spec.readiness),
        approvals=tuple(ApprovalView(iso(a.name), a.side, str(labels["sides"][a.side]),
                                     iso(a.role), format_date(a.date, language))
                        for a in spec.approvals) if shows("approvals") else (),
        draft=deal.status != "approved",
        mark_nonstandard=mark,
        nonstandard_note=note,
        fingerprint=fingerprint_of(carried),
        counterparty_note=counterparty_note,
        created=document_time(spec),
        look=look if look is not None else look_for(spec.branding, Path.cwd()),
        facts=tuple(facts),
        audience=edition.audience,
        internal=edition.internal,
        segment_label=str(labels["segments"][deal.segment]) if shows("deal.segment") else None,
        notes=iso(deal.notes) if deal.notes and shows("deal.notes") else None,
        balance_label=str(labels[f"balance_{spec.balance}"]) if shows("balance") else None,
        legend=legend,
        preamble=tuple(f for f in frames if f.part in OPENING_PARTS),
        remedies=tuple(f for f in frames if f.part in REMEDY_PARTS),
        readiness_terms=tuple(f for f in frames if f.part == "readiness"),
        signature_caption=fill(str(labels["signature_caption"]), title=iso(deal.title), **names),
        options=f"mark-nonstandard={'yes' if mark else 'no'};audience={edition.audience}",
        rtl=rtl,
        keywords=(deal.id, "expectations matrix"),
        labels=labels,
        spec_json=carried,
    )
