"""Commands after signing: record, status, calendar, statement."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from expectmatrix.cli.base import (
    _DATE,
    _echo_finding,
    _fail_cleanly,
    _fail_with_findings,
    _library_loader,
    _QuickExit,
    _render_options,
    _settings,
    audience_option,
    cli,
    docx_base_option,
    timeout_option,
)
from expectmatrix.errors import (
    EXIT_FAILED,
    EXIT_OK,
    InvalidFile,
)
from expectmatrix.spec.findings import Finding, errors
from expectmatrix.spec.terms import (
    TRACK_EVENTS,
    Audience,
)

if TYPE_CHECKING:
    from expectmatrix.track.status import DealStatus


@cli.command(short_help="Record what happened to an expectation after signing.")
@click.argument("spec", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("expectation_id", metavar="ID", required=False)
@click.argument("event", required=False, type=click.Choice(TRACK_EVENTS))
@click.option("--on", type=_DATE, help="The day it happened, YYYY-MM-DD (default: today).")
@click.option("--by", help="Who did it or reports it.")
@click.option("--evidence", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A file in the spec's folder (or below) that shows it: the journal keeps "
                   "its name and SHA-256.")
@click.option("--note", help="Free text.")
@click.option("--new-version", is_flag=True,
              help="SPEC is a new signed version: carry the journal over to it, keeping the "
                   "events of the expectations it did not change.")
@_fail_cleanly
@_fail_with_findings
def record(spec: Path, expectation_id: str | None, event: str | None, on: dt.datetime | None, by: str | None,
           evidence: Path | None, note: str | None, new_version: bool) -> None:
    """Record what happened to expectation ID after signing: EVENT is met, missed, waived
    or reopened.

    Appends to the journal beside the spec (deal.yaml -> deal.track.yaml), which is bound
    to the spec's fingerprint; nothing is appended when anything is wrong.
    """
    from expectmatrix.track.tracked import carry_over
    from expectmatrix.track.tracked import record as record_event

    settings = _settings()
    if new_version:
        if expectation_id or event or on or by or evidence or note:
            raise click.UsageError("--new-version takes only SPEC; record events after it")
        moved = carry_over(spec, _library_loader(), settings.approval_rules)
        for f in moved.warnings:
            _echo_finding(f)
        click.echo(f"{moved.journal} now tracks {spec}: {len(moved.kept)} expectation(s) keep "
                   "their events" + (f"; restarted (changed): {', '.join(moved.restarted)}"
                                     if moved.restarted else "; none restarted")
                   + (f"; new: {', '.join(moved.added)}" if moved.added else "")
                   + (f"; no longer in the spec: {', '.join(moved.removed)}"
                      if moved.removed else ""))
        return
    if not expectation_id or not event:
        raise click.UsageError("give ID and EVENT (met, missed, waived or reopened), or "
                               "--new-version")
    done = record_event(spec, expectation_id, event,  # type: ignore[arg-type]
                        on=on.date() if on else None, by=by, evidence=evidence, note=note,
                        library=_library_loader(), approvals=settings.approval_rules)
    for f in done.warnings:
        _echo_finding(f)
    e = done.event
    click.echo(f"recorded {e.id} {e.event} on {e.date.isoformat()}"
               + (f" by {e.by}" if e.by else "")
               + (f" with evidence {e.evidence.file} (sha256 {e.evidence.sha256[:12]}...)"
                  if e.evidence else "")
               + f" in {done.journal}" + (" (started)" if done.created else ""))


_STATUS_COLOURS = {"overdue": "red", "escalated": "red", "missed": "red", "due-soon": "yellow",
                   "met": "green", "waived": "cyan"}


@cli.command(short_help="Where every expectation stands after signing.")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--today", type=_DATE, help="Judge as on this day, YYYY-MM-DD (default: today).")
@click.option("--json", "as_json", is_flag=True, help="Print the statuses as JSON.")
@_fail_cleanly
def status(inputs: tuple[Path, ...], today: dt.datetime | None, as_json: bool) -> None:
    """Where every expectation of both sides stands: upcoming, due-soon, overdue, met,
    missed, escalated, waived, ongoing or no-date, with its due date, owner and last
    recorded event, and a summary per side.

    INPUTS are specs or folders (searched for specs). Exit 1 if any could not be read.
    """
    from expectmatrix.clock import today as clock_today
    from expectmatrix.track.status import each_status

    day = today.date() if today else clock_today()
    problems: list[Finding] = []
    if as_json:  # written deal by deal: the same JSON as one json.dumps(..., indent=2)
        click.echo(f'{{\n  "today": "{day.isoformat()}",\n  "deals": [', nl=False)
    shown = 0
    for item in each_status(inputs, day, _library_loader(), _settings().approval_rules):
        if isinstance(item, InvalidFile):
            for f in item.findings:
                _echo_finding(f)
            problems += item.findings
        elif as_json:
            text = json.dumps(item.to_dict(), indent=2, ensure_ascii=False)
            click.echo(("," if shown else "") + "\n    " + text.replace("\n", "\n    "),
                       nl=False)
            shown += 1
        else:
            click.echo(_status_text(item))
    if as_json:
        findings = json.dumps([f.to_dict() for f in problems], indent=2, ensure_ascii=False)
        click.echo(("\n  ]" if shown else "]") + ',\n  "findings": '
                   + findings.replace("\n", "\n  ") + "\n}")
    # Nothing to close: skip the interpreter's teardown, as validate does.
    raise _QuickExit(EXIT_FAILED if errors(problems) else EXIT_OK)


def _status_text(deal: DealStatus) -> str:
    """One deal's table, notes and summary, as one block (one write per deal)."""
    window = (f", escalation after {deal.escalation_days} business days"
              if deal.escalation_days is not None else "")
    out = [click.style(f"{deal.deal}  {deal.title}", bold=True),
           f"  {deal.file}, today {deal.today.isoformat()}{window}"]
    rows = [("ID", "SIDE", "STATUS", "DUE", "OWNER", "LAST EVENT")]
    notes = []
    for e in deal.expectations:
        last = e.last_event
        event = (f"{last.event} {last.date.isoformat()}" + (f" by {last.by}" if last.by else "")
                 if last else "")
        rows.append((e.id, e.side, e.status, e.due.isoformat() if e.due else "",
                     e.owner.role if e.owner else "", event))
        if e.escalates_after is not None:
            what = "escalated: unresolved" if e.status == "escalated" else "escalates if unresolved"
            notes.append(f"{e.id} {what} after {e.escalates_after.isoformat()}")
        elif e.status == "no-date" and e.dates.problem:
            notes.append(f"{e.id} has no date: {e.dates.problem}")
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        cells = [c.ljust(w) for c, w in zip(row, widths, strict=True)]
        line = "  " + "  ".join(cells).rstrip()
        colour = _STATUS_COLOURS.get(row[2]) if n else None
        out.append(click.style(line, fg=colour, bold=n == 0))
    out += [f"  {note}" for note in notes]
    out += [f"  {deal.summary_line()}", ""]
    return "\n".join(out)


@cli.command(short_help="Write dated expectations as iCalendar to-dos.")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The iCalendar file to write (.ics).")
@click.option("--remind", type=click.IntRange(0, 365), default=7, show_default=True,
              help="Days before each due date that a reminder goes off.")
@_fail_cleanly
def calendar(inputs: tuple[Path, ...], output: Path, remind: int) -> None:
    """Write the dated expectations of specs (or folders of specs) as to-dos of an
    iCalendar file: one per expectation, with its due date, owner, status and a reminder;
    recurring ones repeat.

    Import it again after `record` or a new version: each to-do keeps its UID, so the
    calendar updates it. Nothing is written if any input could not be read.
    """
    from expectmatrix.clock import today as clock_today
    from expectmatrix.track.calendar import calendar_for, dated, latest_versions
    from expectmatrix.track.journal import now
    from expectmatrix.track.status import statuses
    from expectmatrix.writing import write_atomic

    found, problems = statuses(inputs, clock_today(), _library_loader(),
                               _settings().approval_rules)
    for f in problems:
        _echo_finding(f)
    if errors(problems) or not found:
        click.secho(f"nothing written: {output}", fg="red", err=True)
        sys.exit(EXIT_FAILED)
    write_atomic(output, calendar_for(found, remind, now()))
    shown = latest_versions(found)
    count = sum(dated(e) for d in shown for e in d.expectations)
    total = sum(len(d.expectations) for d in shown)
    click.echo(f"wrote {output}: {count} to-do(s)"
               + (f"; {total - count} expectation(s) have no date" if total > count else ""))


@cli.command(short_help="Write the fulfilment statement of a signed deal.")
@click.argument("spec", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The statement to write: .pdf or .docx.")
@click.option("--today", type=_DATE, help="Judge as on this day, YYYY-MM-DD (default: today).")
@audience_option
@click.option("--template-dir", "template_dirs", multiple=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder of templates (statement.html, labels) searched before the "
                   "built-in ones.")
@docx_base_option
@timeout_option
@_fail_cleanly
@_fail_with_findings
def statement(spec: Path, output: Path, today: dt.datetime | None, audience: Audience,
              template_dirs: tuple[Path, ...], docx_base: Path | None, timeout: float) -> None:
    """Write the fulfilment statement of SPEC and its journal: the matrix with each
    expectation's status, dates and evidence, the summary per side, the escalations, and
    the fingerprints of the spec and of the journal, in the document's language.

    The counterparty edition (the default) is for the customer and shows nothing internal;
    the internal edition is for your own steering meeting. Nothing is written on error.
    """
    from expectmatrix.clock import today as clock_today
    from expectmatrix.track.statement import FORMATS as STATEMENT_FORMATS
    from expectmatrix.track.statement import write_statement

    if output.suffix.lower() not in STATEMENT_FORMATS:
        raise click.UsageError(f"-o {output}: the statement is written as "
                               f"{' or '.join(STATEMENT_FORMATS)}, by the file's suffix")
    day = today.date() if today else clock_today()
    options = _render_options((), template_dirs, None, None, docx_base, timeout, audience)
    written = write_statement(spec, output, day, options, _library_loader(),
                              _settings().approval_rules)
    click.echo(f"wrote {written}: the {audience} statement as of {day.isoformat()}")
