"""Spec -> View: everything a document shows, computed once.

The HTML template and the DOCX writer both read a View, so the two formats cannot
disagree and neither recomputes anything.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path
from typing import Any

from expectmatrix import __version__
from expectmatrix.spec.assets import Look, look_for
from expectmatrix.spec.canonical import canonical_json, fingerprint_of
from expectmatrix.spec.clock import source_date
from expectmatrix.spec.i18n import format_date, format_number, labels_for
from expectmatrix.spec.models import Expectation, Spec
from expectmatrix.spec.placeholders import fill

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


@dataclass(frozen=True)
class PartyView:
    role: str  # "Vendor" / "Customer"
    name: str
    contacts: tuple[ContactView, ...]
    signatory_name: str | None
    signatory_title: str | None


@dataclass(frozen=True)
class ReadinessView:
    question: str
    answer: str  # yes | no | unknown: a class name for the template
    answer_label: str  # the answer in the document's language
    note: str | None


@dataclass(frozen=True)
class ApprovalView:
    name: str
    side: str
    side_label: str
    role: str
    date: str


@dataclass(frozen=True)
class View:
    title: str
    deal_id: str
    version: int
    status: str
    status_label: str
    segment_label: str
    effective: str
    value: str | None
    notes: str | None
    language: str
    vendor: PartyView
    customer: PartyView
    vendor_heading: str
    customer_heading: str
    summary: str
    balance_label: str
    areas: list[Area]
    readiness: tuple[ReadinessView, ...]
    approvals: tuple[ApprovalView, ...]
    draft: bool
    mark_nonstandard: bool
    nonstandard_note: str | None  # the first page's statement, when marking
    fingerprint: str
    created: dt.datetime
    look: Look = field(metadata={"template": False})  # html_writer hands it over, files named
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


def _cell(e: Expectation | None, marked: set[str], labels: dict[str, Any]) -> Cell | None:
    if e is None:
        return None
    details = [(str(labels[k]), v) for k, v in
               (("measure", e.measure), ("due", e.due), ("owner", e.owner)) if v]
    return Cell(e.id, e.text or "", details, e.id in marked)


def _areas(spec: Spec, marked: set[str], labels: dict[str, Any]) -> list[Area]:
    vendor, customer = spec.expectations.of_vendor, spec.expectations.of_customer
    order = list(dict.fromkeys([e.area for e in vendor] + [e.area for e in customer]))
    areas = []
    for name in order:
        pairs = zip_longest([e for e in vendor if e.area == name],
                            [e for e in customer if e.area == name])
        areas.append(Area(name or "", [Row(_cell(v, marked, labels), _cell(c, marked, labels))
                                       for v, c in pairs]))
    return areas


def _party(spec: Spec, side: str, labels: dict[str, Any]) -> PartyView:
    party = getattr(spec.parties, side)
    sig = party.signatory
    contacts = tuple(ContactView(c.name, c.role, c.email, c.phone) for c in party.contacts)
    return PartyView(str(labels["sides"][side]), party.name, contacts,
                     sig.name if sig else None, sig.title if sig else None)


def build_view(spec: Spec, nonstandard: Mapping[str, str] | None = None,
               mark_nonstandard: bool | None = None, look: Look | None = None,
               labels: dict[str, Any] | None = None, canonical: bytes | None = None) -> View:
    """``spec`` has its clauses resolved; ``nonstandard`` names the expectations that
    deviate from the library. Marking is on for drafts and reviews unless told otherwise."""
    deal = spec.deal
    labels = labels if labels is not None else labels_for(deal.language)
    nonstandard = nonstandard or {}
    mark = deal.status != "approved" if mark_nonstandard is None else mark_nonstandard
    total = len(spec.expectations.of_vendor) + len(spec.expectations.of_customer)
    note = None
    if mark:
        note = (fill(str(labels["nonstandard_summary"]), n=len(nonstandard), total=total)
                if nonstandard else fill(str(labels["standard_summary"]), total=total))
    vendor, customer = spec.parties.vendor.name, spec.parties.customer.name
    names = {"vendor": vendor, "customer": customer}
    branding = spec.branding
    spec_json = canonical if canonical is not None else canonical_json(spec)
    return View(
        title=deal.title,
        deal_id=deal.id,
        version=deal.version,
        status=deal.status,
        status_label=labels["statuses"][deal.status],
        segment_label=labels["segments"][deal.segment],
        effective=format_date(deal.effective, labels),
        value=(f"{format_number(deal.value.amount, labels)} {deal.value.currency}"
               if deal.value else None),
        notes=deal.notes,
        language=deal.language,
        vendor=_party(spec, "vendor", labels),
        customer=_party(spec, "customer", labels),
        vendor_heading=fill(str(labels["vendor_column"]), **names),
        customer_heading=fill(str(labels["customer_column"]), **names),
        summary=fill(str(labels["summary"]),
            n_vendor=len(spec.expectations.of_vendor),
            n_customer=len(spec.expectations.of_customer), **names),
        balance_label=str(labels[f"balance_{spec.balance}"]),
        areas=_areas(spec, set(nonstandard) if mark else set(), labels),
        readiness=tuple(ReadinessView(r.question, r.answer, str(labels["answers"][r.answer]),
                                      r.note) for r in spec.readiness),
        approvals=tuple(ApprovalView(a.name, a.side, str(labels["sides"][a.side]), a.role,
                                     a.date.isoformat()) for a in spec.approvals),
        draft=deal.status != "approved",
        mark_nonstandard=mark,
        nonstandard_note=note,
        fingerprint=fingerprint_of(spec_json),
        created=document_time(spec),
        look=look if look is not None else look_for(branding, Path.cwd()),
        rtl=labels.get("direction") == "rtl",
        keywords=(deal.id, "expectations matrix", str(labels["segments"][deal.segment]).lower()),
        labels=labels,
        spec_json=spec_json,
    )
