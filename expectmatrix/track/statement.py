"""A deal's fulfilment statement: the matrix of one edition, with where each expectation
stands on a day, the summary per side, the escalations, and the fingerprints of the spec
and of the journal. For the steering meeting (the internal edition) and for the letter to
the customer (the counterparty edition, which shows nothing internal, as the matrix).

The tracker decides (status.py); this module only words what it decided in the
document's language, as a StatementView the writers lay out (render/statement*.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from expectmatrix.checks import ApprovalRules, LibrarySource
from expectmatrix.clock import source_date
from expectmatrix.errors import RenderError
from expectmatrix.language.formats import format_date, format_number, plural
from expectmatrix.render.audience import Edition
from expectmatrix.render.pipeline import RenderOptions, time_limit
from expectmatrix.render.statement import (
    TONES,
    EscalationView,
    StatementView,
    StatusArea,
    StatusCell,
    StatusRow,
    SummaryLine,
)
from expectmatrix.render.view import Cell, View, _isolator
from expectmatrix.spec.placeholders import fill
from expectmatrix.spec.shape import sides
from expectmatrix.track.status import STATUSES, DealStatus, ExpectationStatus, deal_status
from expectmatrix.track.tracked import NO_RULES, Tracked, open_deal

FORMATS = (".pdf", ".docx")


def statement_view(status: DealStatus, matrix: View, edition: Edition) -> StatementView:
    """What the statement of ``status`` shows in ``matrix``'s edition and language."""
    labels = matrix.labels
    language = matrix.language
    iso = _isolator(matrix.rtl)
    as_of = format_date(status.today, language)
    rows = {e.id: e for e in status.expectations}

    def date(day: dt.date) -> str:
        return format_date(day, language)

    def cell(c: Cell | None) -> StatusCell | None:
        if c is None or c.id not in rows:
            return None
        return _status_cell(c, rows[c.id], labels, date, iso, edition.shows("journal.note"))

    areas = tuple(StatusArea(a.name, tuple(StatusRow(cell(r.vendor), cell(r.customer))
                                           for r in a.rows))
                  for a in matrix.areas)
    counts = status.summary
    number = {side: {s: format_number(counts[side].get(s, 0), language) for s in STATUSES}
              for side in sides()}
    summary = tuple(SummaryLine(s, str(labels["track_statuses"][s]), number["vendor"][s],
                                number["customer"][s], TONES[s])
                    for s in STATUSES if any(s in counts[side] for side in sides()))
    totals = SummaryLine("total", str(labels["statement_total"]),
                         *(format_number(sum(counts[side].values()), language)
                           for side in sides()))
    texts = {c.id: c.text for a in matrix.areas for r in a.rows for c in (r.vendor, r.customer)
             if c is not None}

    def escalation(e: ExpectationStatus) -> EscalationView:
        assert e.escalates_after is not None
        key = "statement_escalated" if e.status == "escalated" else "statement_escalates"
        return EscalationView(e.id, str(labels["sides"][e.side]), texts.get(e.id, ""),
                              fill(str(labels[key]), date=date(e.escalates_after)))

    window = (str(labels["statement_no_window"]) if status.escalation_days is None else
              fill(str(labels["statement_window"]),
                   days=plural(labels["statement_days"], status.escalation_days, language)))
    return StatementView(
        matrix=matrix,
        as_of=as_of,
        header=fill(str(labels["statement_header"]), date=as_of),
        intro=fill(str(labels["statement_intro"]), date=as_of),
        facts=(*matrix.facts, (str(labels["statement_as_of"]), as_of)),
        summary=summary,
        totals=totals,
        window=window,
        escalated=tuple(escalation(e) for e in status.expectations if e.status == "escalated"),
        pending=tuple(escalation(e) for e in status.expectations
                      if e.escalates_after is not None and e.status != "escalated"),
        areas=areas,
        spec_fingerprint=matrix.fingerprint,
        journal_sha256=status.journal_sha256 if edition.internal else None,
        events_sha256=None if edition.internal or status.journal is None
        else events_digest(status, matrix.fingerprint, set(texts)),
        created=source_date() or dt.datetime.combine(status.today, dt.time(), tzinfo=dt.UTC),
    )


def events_digest(status: DealStatus, spec_fingerprint: str, ids: set[str]) -> str:
    """SHA-256 of what the counterparty statement says was recorded: the fingerprint it
    prints and the last event of each expectation it shows (``ids``) as printed (id,
    event, day, by, evidence), never the notes or times it leaves out. A hash of nothing
    but what its reader holds confirms no guess of anything internal."""
    shown = []
    for e in status.expectations:
        event = e.last_event
        if event is not None and e.id in ids:
            proof = event.evidence
            shown.append([e.id, event.event, event.date.isoformat(), event.by,
                          proof.file if proof else None, proof.sha256 if proof else None])
    text = json.dumps({"spec": spec_fingerprint, "events": shown}, sort_keys=True,
                      separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _status_cell(c: Cell, e: ExpectationStatus, labels: dict[str, Any],
                 date: Callable[[dt.date], str], iso: Callable[[str], str],
                 notes: bool) -> StatusCell:
    details = [d for d in c.details if d[0] == str(labels["measure"])]  # as the matrix words it
    due = date(e.due) if e.due is not None else None
    written = e.due_text if e.due_text and e.due_text != (e.due.isoformat() if e.due else None) \
        else None
    if due or written:
        # The spec's wording beside the date, brackets inside its isolation so that they
        # stay around it in a right-to-left document.
        shown = [due, iso(f"({written})") if due and written else iso(written) if written
                 else None]
        details.append((str(labels["due"]), " ".join(x for x in shown if x)))
    if e.owner is not None:
        details.append((str(labels["owner"]), iso(e.owner.role + (f", {e.owner.name}"
                                                                  if e.owner.name else ""))))
    event = e.last_event
    if event is not None:
        said = fill(str(labels["statement_event"]),
                    event=str(labels["track_events"][event.event]), date=date(event.date))
        if event.by:
            said += " " + fill(str(labels["statement_by"]), name=iso(event.by))
        details.append((str(labels["statement_last_event"]), said))
        if event.note and notes:
            details.append((str(labels["note"]), iso(event.note)))
    escalation = None
    if e.escalates_after is not None:
        key = "statement_escalated" if e.status == "escalated" else "statement_escalates"
        escalation = fill(str(labels[key]), date=date(e.escalates_after))
    proof = event.evidence if event is not None else None
    return StatusCell(c.id, c.text, e.status, str(labels["track_statuses"][e.status]),
                      tuple(details), iso(proof.file) if proof else None,
                      proof.sha256 if proof else None, escalation, TONES[e.status])


def build_statement(path: str | Path, today: dt.date, options: RenderOptions | None = None,
                    library: LibrarySource = None, approvals: ApprovalRules = NO_RULES
                    ) -> StatementView:
    """The statement of the spec at ``path`` and its journal on ``today``, in the edition
    of ``options``; SpecError naming every problem of either."""
    options = options or RenderOptions()
    tracked: Tracked = open_deal(path, library, approvals)
    status = deal_status(tracked, today, library)
    edition = options.edition()
    loaded = tracked.loaded
    matrix = options.renderers().view(tracked.spec, loaded.folder, {}, False, None, edition,
                                      loaded.frame)
    return statement_view(status, matrix, edition)


def render_statement(statement: StatementView, fmt: str, options: RenderOptions) -> bytes:
    """The statement as ``fmt`` (pdf or docx) bytes, with the writers of ``options``."""
    renderers = options.renderers()
    if fmt == "pdf":
        from expectmatrix.render.statement import statement_pdf

        return statement_pdf(statement, renderers.get("pdf"))
    if fmt == "docx":
        from expectmatrix.render.statement_docx import StatementDocxRenderer

        writer = StatementDocxRenderer(options.docx_base)
        return writer.statement(statement)
    raise RenderError(f"a statement is written as PDF or DOCX, not {fmt!r}")


def write_statement(path: str | Path, output: str | Path, today: dt.date,
                    options: RenderOptions | None = None, library: LibrarySource = None,
                    approvals: ApprovalRules = NO_RULES) -> Path:
    """Write the statement of the spec at ``path`` to ``output`` (.pdf or .docx), whole or
    not at all; within the time limit of ``options`` (templates are untrusted)."""
    from expectmatrix.writing import write_atomic

    options = options or RenderOptions()
    output = Path(output)
    fmt = output.suffix.lower().lstrip(".")
    if f".{fmt}" not in FORMATS:
        raise RenderError(f"{output}: a statement is written as {' or '.join(FORMATS)} (by "
                          "the file's suffix)")
    statement = build_statement(path, today, options, library, approvals)
    # The limit is an alarm, which only the main thread can set (the command line's).
    limit = options.timeout if threading.current_thread() is threading.main_thread() else None
    with time_limit(limit, "making the statement"):
        data = render_statement(statement, fmt, options)
    return write_atomic(output, data)
