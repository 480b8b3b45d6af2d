"""StatementView -> PDF: the fulfilment statement, in the look of the matrix.

A statement is the matrix of one edition (its :class:`View`: parties, facts, branding,
labels, fingerprint) with what the tracker found on a given day laid over it: each
expectation's status, dates, last recorded event and evidence, the summary per side, the
escalations, and the fingerprints of the spec and of the journal. The tracker fills a
StatementView with text ready to print (track/statement.py); the writers here and in
statement_docx.py only lay it out, so the PDF and the DOCX cannot disagree.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from expectmatrix.render.html import file_assets, spec_files, template_view
from expectmatrix.render.pdf import PdfRenderer
from expectmatrix.render.plain import plain
from expectmatrix.render.templating import prepare
from expectmatrix.render.view import View

TEMPLATE = "statement.html"
# Tracker statuses as the writers colour them: done, running, coming, late, unknown.
TONES = {"met": "good", "waived": "quiet", "ongoing": "plain", "upcoming": "plain",
         "due-soon": "soon", "overdue": "late", "missed": "late", "escalated": "late",
         "no-date": "quiet"}


@dataclass(frozen=True)
class StatusCell:
    id: str
    text: str
    status: str  # the tracker's status (a class name for the template)
    status_label: str
    details: tuple[tuple[str, str], ...]  # (label, value): due, owner, last event, note
    evidence: str | None = None  # the evidence file of the deciding event
    evidence_sha256: str | None = None
    escalation: str | None = None  # "Escalated: unresolved after ..." or "Escalates if ..."
    tone: str = "plain"  # of TONES: the colour the status is printed in


@dataclass(frozen=True)
class StatusRow:
    vendor: StatusCell | None
    customer: StatusCell | None


@dataclass(frozen=True)
class StatusArea:
    name: str
    rows: tuple[StatusRow, ...]


@dataclass(frozen=True)
class SummaryLine:
    status: str
    label: str
    vendor: str  # counts, formatted in the document's language
    customer: str
    tone: str = "plain"


@dataclass(frozen=True)
class EscalationView:
    id: str
    side: str  # the side's label
    text: str
    detail: str  # "Escalated: unresolved after ..."


@dataclass(frozen=True)
class StatementView:
    matrix: View = field(metadata={"template": False})  # the edition's view of the spec
    as_of: str  # the day, formatted
    header: str  # the page header's words: "Fulfilment as of ..."
    intro: str
    facts: tuple[tuple[str, str], ...]
    summary: tuple[SummaryLine, ...]
    totals: SummaryLine
    window: str  # the escalation window, as a sentence
    escalated: tuple[EscalationView, ...]
    pending: tuple[EscalationView, ...]  # overdue or missed, not escalated yet
    areas: tuple[StatusArea, ...]
    spec_fingerprint: str  # the one the edition prints (the matrix's)
    # The journal file's SHA-256: the internal edition's only. The journal names the full
    # spec's fingerprint, so its hash would let a counterparty test guesses of internal
    # values; that edition prints a digest of the events it shows instead.
    journal_sha256: str | None  # None: no journal yet, or the counterparty edition
    events_sha256: str | None  # the counterparty edition's, when there is a journal
    created: dt.datetime


def statement_pdf(statement: StatementView, renderer: PdfRenderer) -> bytes:
    """The statement as PDF, through the matrix's fetcher, fonts, stylesheet and warnings
    policy, with both fingerprints in the metadata."""
    matrix = statement.matrix
    html = renderer.html
    prepare(html.env, TEMPLATE)
    renderer.fetcher.files = {path.resolve(): (data, mime)
                              for path, data, mime in spec_files(matrix).values()}
    try:
        page = html.page(TEMPLATE, file_assets(matrix, renderer.roots),
                         view=template_view(matrix), statement=plain(statement))
        # The same page gives the same /ID, hence the same bytes.
        return renderer.write(page, hashlib.sha256(page.encode("utf-8")).hexdigest())
    finally:
        renderer.fetcher.files = {}
