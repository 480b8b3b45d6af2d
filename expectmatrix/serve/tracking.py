"""After signing, in the browser: the Track view of a deal (both sides' expectations with
where they stand, and buttons that record what happened), the "Due this week" list across
the folder, and a calendar feed per deal. Every event goes through track.tracked.record,
as `expectmatrix record` does: one journal, appended under its lock."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from expectmatrix.errors import EditRefused, InputError, InvalidFile
from expectmatrix.serve.guard import MAX_BODY_BYTES
from expectmatrix.serve.state import Served, disposition, page
from expectmatrix.spec.findings import Finding, errors
from expectmatrix.spec.shape import sides
from expectmatrix.spec.terms import TRACK_EVENTS
from expectmatrix.track.status import DUE_SOON_DAYS, DealStatus, ExpectationStatus

# What the "Due this week" page lists besides what falls due within the week.
LATE = ("overdue", "escalated")


def _today() -> dt.date:
    from expectmatrix.clock import today

    return today()


def _problems(findings: list[Finding]) -> str:
    """The findings' messages, without the server's file paths."""
    return "; ".join(f.message for f in (errors(findings) or findings)) or "invalid file"


def _status_of(served: Served, path: Path, today: dt.date) -> tuple[DealStatus, bool]:
    """The deal's status on ``today``, and whether its spec is approved (signed)."""
    from expectmatrix.track.status import deal_status
    from expectmatrix.track.tracked import open_deal

    tracked = open_deal(path, served.library, served.settings.approval_rules)
    return (deal_status(tracked, today, served.library),
            tracked.spec.deal.status == "approved")


def _row(e: ExpectationStatus) -> dict[str, Any]:
    event = e.last_event
    last = ""
    if event is not None:
        last = f"{event.event} {event.date.isoformat()}" + (f" by {event.by}" if event.by else "")
    return {"id": e.id, "side": e.side, "status": e.status, "text": e.text or "",
            "due": e.due.isoformat() if e.due else "", "due_text": e.due_text or "",
            "owner": e.owner.role if e.owner else "", "last": last,
            "evidence": event.evidence.file if event and event.evidence else ""}


def summary_text(deal: DealStatus, side: str) -> str:
    """``Vendor: 3 met, 1 overdue``: one side's counts, in the statuses' own words."""
    counts = deal.summary.get(side, {})
    return f"{side.capitalize()}: " + (", ".join(f"{n} {s}" for s, n in counts.items())
                                       or "nothing to track")


def track_page(served: Served, request: Request, body: bytes) -> Response:
    path = served.guard.spec_path(request.path_params["name"])
    if not path.is_file():
        return Response("no such spec", status_code=404)
    today = _today()
    try:
        deal, _ = _status_of(served, path, today)
    except InvalidFile as e:
        response = page(served, "serve/track.html", spec_name=path.name, problem=_problems(
            e.findings), columns=[], today=today.isoformat(), title="", deal="",
            max_bytes=MAX_BODY_BYTES)
        response.status_code = 422
        return response
    columns = [{"side": side, "label": side.capitalize(), "summary": summary_text(deal, side),
                "rows": [_row(e) for e in deal.expectations if e.side == side]}
               for side in sides()]
    return page(served, "serve/track.html", spec_name=path.name, problem="", columns=columns,
                today=today.isoformat(), title=deal.title, deal=deal.deal,
                max_bytes=MAX_BODY_BYTES)


def record_event(served: Served, request: Request, body: bytes) -> Response:
    """Record one event: the query names it (id, event, and optionally on, by, note and
    file, the evidence's name); the body is the evidence file itself, if any, bounded as
    every request body is."""
    from expectmatrix.serve.evidence import evidence_name, remove_evidence, store_evidence
    from expectmatrix.track.tracked import record

    path = served.guard.spec_path(request.path_params["name"])
    if not path.is_file():
        return JSONResponse({"error": f"no spec {path.name!r} in the folder"}, status_code=404)
    query = request.query_params
    expectation, event = query.get("id", ""), query.get("event", "")
    if event not in TRACK_EVENTS:
        raise EditRefused(f"the event is one of {', '.join(TRACK_EVENTS)}")
    try:
        on = dt.date.fromisoformat(query["on"]) if query.get("on") else None
    except ValueError:
        raise EditRefused("give the day it happened as YYYY-MM-DD") from None
    name = evidence_name(query["file"]) if query.get("file") is not None else None
    if name is None and body:
        raise EditRefused("the evidence file came without its name")
    if name is not None and not body:
        raise EditRefused(f"the evidence file {name!r} is empty")
    try:
        deal, _ = _status_of(served, path, _today())  # refused before any file is stored
        if expectation not in {e.id for e in deal.expectations}:
            raise EditRefused(f"{path.name} has no expectation {expectation!r}; nothing was "
                              "recorded")
        stored, created = (store_evidence(served.guard.folder, deal.deal, name, body)
                           if name is not None else (None, False))
        try:
            done = record(path, expectation, event,  # type: ignore[arg-type]
                          on=on, by=query.get("by") or None, evidence=stored,
                          note=query.get("note") or None, library=served.library,
                          approvals=served.settings.approval_rules)
        except BaseException:
            if stored is not None and created:  # nothing of a refused event stays
                remove_evidence(served.guard.folder, stored)
            raise
    except InvalidFile as e:
        return JSONResponse({"error": _problems(e.findings)}, status_code=422)
    except InputError as e:
        return JSONResponse({"error": str(e).replace(str(served.guard.folder), "the folder")},
                            status_code=400)
    except OSError as e:  # a full disk, a folder not writable: the rep can do something
        return JSONResponse({"error": "the evidence could not be stored: "
                                      f"{e.strerror or e}"}, status_code=500)
    said = done.event
    return JSONResponse({
        "recorded": f"{said.id} {said.event} on {said.date.isoformat()}",
        "evidence": None if said.evidence is None else said.evidence.model_dump(),
        "journal": done.journal.name, "warnings": [f.message for f in done.warnings]})


def calendar_feed(served: Served, request: Request, body: bytes) -> Response:
    """The deal's to-dos as iCalendar, made as `expectmatrix calendar` makes the file."""
    from expectmatrix.track.calendar import REMIND_DAYS, calendar_for
    from expectmatrix.track.journal import now
    from expectmatrix.track.status import statuses

    path = served.guard.spec_path(request.path_params["name"])
    if not path.is_file():
        return Response("no such spec", status_code=404)
    found, problems = statuses([path], _today(), served.library,
                               served.settings.approval_rules)
    if errors(problems) or not found:
        return Response(_problems(problems), status_code=422,
                        media_type="text/plain; charset=utf-8")
    data = calendar_for(found, REMIND_DAYS, now())
    return Response(data, media_type="text/calendar; charset=utf-8", headers={
        "Content-Disposition": disposition("inline", f"{path.stem}.ics"),
        "Cache-Control": "no-cache"})


def due_page(served: Served, request: Request, body: bytes) -> Response:
    """Across the folder's signed deals (and those with a journal): what falls due within
    the week, and what is late, by date."""
    from expectmatrix.serve.versions import spec_files
    from expectmatrix.track.journal import journal_path

    today = _today()
    until = today + dt.timedelta(days=DUE_SOON_DAYS)
    rows, problems = [], []
    for path in spec_files(served.guard.folder):
        try:
            deal, approved = _status_of(served, path, today)
        except InvalidFile as e:
            if journal_path(path).exists():  # tracked, yet unreadable: say so
                problems.append({"file": path.name, "problem": _problems(e.findings)})
            continue
        if deal.journal is None and not approved:
            continue
        for row in deal.expectations:
            if row.status in LATE or (row.due is not None and today <= row.due <= until
                                      and row.status in ("due-soon", "ongoing")):
                rows.append({**_row(row), "file": path.name, "deal": deal.deal,
                             "title": deal.title})
    rows.sort(key=lambda r: (r["due"] or "9999", r["deal"], r["id"]))
    return page(served, "serve/due.html", rows=rows, problems=problems,
                today=today.isoformat(), until=until.isoformat())

