"""The deals' expectations as an iCalendar (RFC 5545) file of to-dos.

One VTODO per dated expectation: DUE on its due date; a recurring one starts (DTSTART) on
its first due day and repeats by an RRULE; a continuing one runs from DTSTART to its end
(DUE), if it has one. The UID is made of the deal's and the expectation's ids, so a
calendar that imports the file again updates its to-dos instead of adding new ones, and
SEQUENCE grows with every version and recorded event. Written with the ``icalendar``
library, and read back with it before it is handed out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from expectmatrix import __version__
from expectmatrix.errors import ExpectmatrixError
from expectmatrix.track.dates import Due
from expectmatrix.track.status import DealStatus, ExpectationStatus

REMIND_DAYS = 7  # as long as an expectation is due-soon
_STATUS = {"met": "COMPLETED", "waived": "CANCELLED"}
_SIDE = {"vendor": "what the customer can expect of the vendor",
         "customer": "what the vendor can expect of the customer"}


def uid(deal: str, expectation: str) -> str:
    """Stable across exports, versions and recorded events: a re-import updates."""
    return f"{deal}.{expectation}@expectmatrix"


def dated(row: ExpectationStatus) -> bool:
    return row.dates.kind != "none" and row.dates.date is not None


def rrule(due: Due) -> dict[str, Any]:
    """The RRULE of a recurring expectation, giving the days :meth:`Due.occurrences` gives:
    a monthly one from the 31st falls on each month's last day (BYSETPOS=-1 picks the
    latest of the days 28..31 the month has), where a plain rule would skip short months."""
    assert due.date is not None and due.every is not None
    months = {"month": 1, "quarter": 3, "year": 12}.get(due.every)
    rule: dict[str, Any] = {"freq": "weekly" if months is None else "monthly"}
    interval = due.interval * (months or 1)
    if interval > 1:
        rule["interval"] = interval
    if months is not None and due.date.day > 28:
        rule["bymonthday"] = list(range(28, due.date.day + 1))
        rule["bysetpos"] = -1
    if due.end is not None:
        rule["until"] = due.end
    return rule


def _description(deal: DealStatus, row: ExpectationStatus) -> str:
    lines = [f"{deal.title} ({deal.deal}), {_SIDE[row.side]}."]
    if row.text:
        lines.append(row.text)
    if row.measure:
        lines.append(f"Measure: {row.measure}")
    if row.due_text:
        lines.append(f"Due: {row.due_text}")
    if row.owner:
        who = ", ".join(x for x in (row.owner.name, row.owner.email) if x)
        lines.append(f"Owner: {row.owner.role}" + (f" ({who})" if who else ""))
    event = row.last_event
    if event is not None:
        lines.append(f"Last recorded: {event.event} on {event.date.isoformat()}"
                     + (f" by {event.by}" if event.by else ""))
    return "\n".join(lines)


def _todo(deal: DealStatus, row: ExpectationStatus, stamp: dt.datetime, remind: int) -> Any:
    from icalendar import Alarm, Todo

    due = row.dates
    todo = Todo()
    todo.add("uid", uid(deal.deal, row.id))
    todo.add("dtstamp", stamp)
    todo.add("sequence", deal.version - 1 + row.recorded)
    todo.add("summary", f"{row.id}: {row.text or row.due_text or ''}".strip())
    todo.add("description", _description(deal, row))
    todo.add("categories", [row.side])
    end = due.date if due.kind == "date" else due.end
    if due.kind in ("recurring", "continuing"):
        todo.add("dtstart", due.date)
    if due.kind == "recurring":
        todo.add("due", due.date)  # each occurrence is due on its own day
        todo.add("rrule", rrule(due))
    elif end is not None:
        todo.add("due", end)
    if row.owner is not None and row.owner.email:
        todo.add("attendee", f"mailto:{row.owner.email}",
                 parameters={"CN": row.owner.name or row.owner.role, "ROLE": "REQ-PARTICIPANT"})
    status = _STATUS.get(row.status, "NEEDS-ACTION")
    todo.add("status", status)
    if status == "COMPLETED" and row.last_event is not None:
        todo.add("completed", dt.datetime.combine(row.last_event.date, dt.time(), dt.UTC))
        todo.add("percent-complete", 100)
    if status == "NEEDS-ACTION":
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"{row.id} of {deal.deal} is due in {remind} days")
        related = "END" if "due" in todo else "START"
        alarm.add("trigger", dt.timedelta(days=-remind), parameters={"RELATED": related})
        todo.add_component(alarm)
    return todo


def latest_versions(deals: Sequence[DealStatus]) -> list[DealStatus]:
    """One status per deal: two versions of a deal (deal.yaml and deal-v3.yaml) would give
    the same UIDs, and the latest version is the one that holds."""
    latest: dict[str, DealStatus] = {}
    for deal in deals:
        if deal.deal not in latest or deal.version > latest[deal.deal].version:
            latest[deal.deal] = deal
    return list(latest.values())


def calendar_for(deals: Sequence[DealStatus], remind: int = REMIND_DAYS,
                 stamp: dt.datetime | None = None) -> bytes:
    """The iCalendar file of every dated expectation of ``deals``."""
    from icalendar import Calendar

    stamp = (stamp or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    cal = Calendar()
    cal.add("prodid", f"-//expectmatrix//expectmatrix {__version__}//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    name = f"{deals[0].title} ({deals[0].deal})" if len(deals) == 1 else "Expectations"
    cal.add("x-wr-calname", name)
    count = 0
    for deal in latest_versions(deals):
        for row in deal.expectations:
            if dated(row):
                cal.add_component(_todo(deal, row, stamp, remind))
                count += 1
    data: bytes = cal.to_ical()
    back = Calendar.from_ical(data)
    if len(back.walk("VTODO")) != count:  # it must read back as what was meant
        raise ExpectmatrixError("the calendar could not be written correctly")
    return data
