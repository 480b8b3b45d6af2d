"""Where each expectation of both sides stands on a given day, and the summary per side.

The statuses are the contract's: ``upcoming``; ``due-soon`` (due within 7 days);
``overdue``; ``escalated`` (missed, or overdue, for longer than the escalation window of
the agreement frame, counted in business days from the day it was missed or due);
``met``; ``missed``; ``waived``; ``ongoing`` (a recurring or continuing expectation between
its start and its end) and ``no-date``. The last event recorded for an expectation decides
first (``reopened`` undoes the one before it); its due date decides otherwise. A recurring
or continuing expectation is met once it has ended and its last event is ``met``; after
its end without that, it is overdue.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from expectmatrix.checks import ApprovalRules, LibrarySource, frame_clauses, library_if_needed
from expectmatrix.errors import InvalidFile
from expectmatrix.spec.findings import Finding
from expectmatrix.spec.models import Contact, Spec
from expectmatrix.spec.shape import expectations_of, sides
from expectmatrix.spec.terms import Side, is_spec_name
from expectmatrix.track.dates import BusinessDays, DatingError, Due, due_of, milestones
from expectmatrix.track.journal import Event, Journal, NewVersion
from expectmatrix.track.tracked import NO_RULES, Tracked, open_deal

# In the order a summary counts them: what is done, what runs, what comes, what went wrong.
STATUSES = ("met", "waived", "ongoing", "upcoming", "due-soon", "overdue", "missed",
            "escalated", "no-date")
DUE_SOON_DAYS = 7
MAX_ESCALATION_DAYS = 1000


@dataclass(frozen=True)
class Owner:
    role: str
    name: str | None = None  # the contact of the promising side with this role, if any
    email: str | None = None


@dataclass(frozen=True)
class ExpectationStatus:
    id: str
    side: Side
    status: str
    due: dt.date | None  # the due date; of a recurring one in its run, the next
    due_text: str | None
    text: str | None
    measure: str | None
    owner: Owner | None
    dates: Due
    last_event: Event | None
    escalates_after: dt.date | None  # the last day before it goes to the signatories
    recorded: int = 0  # events ever recorded for it, in every version the journal tracked

    def to_dict(self) -> dict[str, Any]:
        event = self.last_event
        return {
            "id": self.id, "side": self.side, "status": self.status,
            "due": _iso(self.due), "due_text": self.due_text,
            "owner": self.owner.role if self.owner else None,
            "owner_name": self.owner.name if self.owner else None,
            "owner_email": self.owner.email if self.owner else None,
            "text": self.text, "measure": self.measure,
            "starts": _iso(self.dates.date) if self.dates.kind in ("recurring", "continuing") else None,
            "ends": _iso(self.dates.end), "every": self.dates.every,
            "undated": self.dates.problem,
            "escalates_after": _iso(self.escalates_after),
            "last_event": None if event is None else event.model_dump(mode="json",
                                                                       exclude_none=True),
        }


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day is not None else None


@dataclass(frozen=True)
class DealStatus:
    deal: str
    title: str
    file: str
    journal: str | None  # None: nothing recorded yet
    fingerprint: str
    version: int
    today: dt.date
    escalation_days: int | None
    expectations: tuple[ExpectationStatus, ...]
    journal_sha256: str | None = None  # of the journal's bytes as read

    @property
    def summary(self) -> dict[str, dict[str, int]]:
        """Per side, how many expectations have each status (only those that occur)."""
        out: dict[str, dict[str, int]] = {}
        for side in sides():
            mine = [e.status for e in self.expectations if e.side == side]
            out[side] = {s: mine.count(s) for s in STATUSES if s in mine}
        return out

    def summary_line(self) -> str:
        """``vendor: 6 met, 1 overdue; customer: 2 met, 4 overdue``"""
        return "; ".join(f"{side}: " + (", ".join(f"{n} {s}" for s, n in counts.items())
                                        or "nothing")
                         for side, counts in self.summary.items())

    def to_dict(self) -> dict[str, Any]:
        return {"deal": self.deal, "title": self.title, "file": self.file,
                "journal": self.journal, "journal_sha256": self.journal_sha256,
                "fingerprint": self.fingerprint,
                "version": self.version,
                "today": self.today.isoformat(), "escalation_days": self.escalation_days,
                "expectations": [e.to_dict() for e in self.expectations],
                "summary": self.summary}


def events_in_force(journal: Journal | None) -> dict[str, list[Event]]:
    """Each expectation's events that count for the version the journal tracks now: those
    of an expectation that a later version changed are dropped there."""
    if journal is None:
        return {}
    digests = journal.signed.expectations
    out: dict[str, list[Event]] = {}
    for entry in journal.events:
        if isinstance(entry, NewVersion):
            new = entry.new_version.expectations
            out = {i: events for i, events in out.items() if new.get(i) == digests.get(i)}
            digests = new
        else:
            out.setdefault(entry.id, []).append(entry)
    return out


def state_of(events: Sequence[Event]) -> Event | None:
    """The event that decides the status: the last one, unless it reopened what was."""
    if not events or events[-1].event == "reopened":
        return None
    return events[-1]


def status_on(due: Due, state: Event | None, today: dt.date, days: BusinessDays,
              window: int | None) -> tuple[str, dt.date | None, dt.date | None]:
    """(status, the due date shown, the last day before it escalates) on ``today``."""
    running = due.kind in ("recurring", "continuing")
    if state is not None and state.event == "waived":
        return "waived", due.date, None
    if state is not None and state.event == "missed":
        return _late("missed", state.date, due.date, today, days, window)
    ended = due.end is not None and today > due.end
    if state is not None and state.event == "met" and (not running or ended):
        return "met", due.date if not running else due.end, None
    if due.kind == "none" or due.date is None:
        return "no-date", None, None
    if running and today >= due.date:
        end = due.end
        if end is None or today <= end:
            shown = due.next_on_or_after(today) if due.kind == "recurring" else end
            return "ongoing", shown, None
        return _late("overdue", end, end, today, days, window)
    if today > due.date:
        return _late("overdue", due.date, due.date, today, days, window)
    return ("due-soon" if (due.date - today).days <= DUE_SOON_DAYS else "upcoming"), due.date, None


def _late(status: str, since: dt.date, due: dt.date | None, today: dt.date,
          days: BusinessDays, window: int | None) -> tuple[str, dt.date | None, dt.date | None]:
    if window is None:
        return status, due, None
    try:
        last = days.add(since, window)
    except DatingError:
        return status, due, None
    return ("escalated" if today > last else status), due, last


def escalation_days(tracked: Tracked, library: LibrarySource = None) -> int | None:
    """The escalation window of the deal's frame: ``escalate_days`` of its escalation
    clause (the spec's frame params, else the clause's default). None when the frame has
    no such clause or the spec words its own."""
    from expectmatrix.library.params import param_values

    chosen = next((t.clause for t in tracked.loaded.frame if t.part == "escalation"), None)
    if chosen is None:
        return None
    clause = frame_clauses(library_if_needed(tracked.spec, library), library).get(chosen)
    if clause is None or "escalate_days" not in clause.params:
        return None
    frame = tracked.spec.frame
    given = dict(frame.escalation.params or {}) if frame and frame.escalation else {}
    values, problems = param_values(clause.id, clause.params, given, ("frame", "escalation"))
    value = values.get("escalate_days")
    if problems or not isinstance(value, int) or not 0 <= value <= MAX_ESCALATION_DAYS:
        return None
    return value


def _role_key(role: str) -> str:
    return " ".join(role.casefold().split())


def owner_of(spec: Spec, side: Side, role: str | None,
             roles: dict[str, Contact] | None = None) -> Owner | None:
    """The owner role, with the name and e-mail of the promising side's contact who has
    that role (case and spacing aside). ``roles``: the side's contacts by role, when the
    caller looks up many (:func:`contacts_by_role`)."""
    if role is None:
        return None
    match = (roles if roles is not None else contacts_by_role(spec, side)).get(_role_key(role))
    return Owner(role, match.name if match else None, match.email if match else None)


def contacts_by_role(spec: Spec, side: Side) -> dict[str, Contact]:
    """The side's contacts by role (the first one with a role, case and spacing aside)."""
    out: dict[str, Contact] = {}
    contacts: list[Contact] = getattr(spec.parties, side).contacts
    for c in contacts:
        if c.role:
            out.setdefault(_role_key(c.role), c)
    return out


def deal_status(tracked: Tracked, today: dt.date, library: LibrarySource = None) -> DealStatus:
    spec = tracked.spec
    days = BusinessDays(spec.deal.calendar)
    named = milestones(spec)
    window = escalation_days(tracked, library)
    in_force = events_in_force(tracked.journal.journal)
    ever: dict[str, int] = {}
    for entry in tracked.journal.journal.events if tracked.journal.journal else ():
        if isinstance(entry, Event):
            ever[entry.id] = ever.get(entry.id, 0) + 1
    rows = []
    for side in sides():
        roles = contacts_by_role(spec, side)
        for e in expectations_of(spec, side):
            due = due_of(e, named, days)
            events = in_force.get(e.id, [])
            status, shown, escalates = status_on(due, state_of(events), today, days, window)
            rows.append(ExpectationStatus(e.id, side, status, shown, e.due, e.text, e.measure,
                                          owner_of(spec, side, e.owner, roles), due,
                                          events[-1] if events else None, escalates,
                                          ever.get(e.id, 0)))
    journal = tracked.journal
    return DealStatus(spec.deal.id, spec.deal.title, str(tracked.path),
                      str(journal.path) if journal.journal is not None else None,
                      tracked.fingerprint, spec.deal.version, today, window, tuple(rows),
                      journal.sha256 if journal.journal is not None else None)


def spec_paths(inputs: Iterable[str | Path]) -> list[Path]:
    """Spec files, and the specs in folders (searched recursively; journals left out)."""
    out: list[Path] = []
    for raw in inputs:
        path = Path(raw)
        if path.is_dir():
            out += sorted(p for p in path.rglob("*") if is_spec_name(p.name) and p.is_file())
        else:
            out.append(path)
    return out


def each_status(inputs: Iterable[str | Path], today: dt.date, library: LibrarySource = None,
                approvals: ApprovalRules = NO_RULES) -> Iterator[DealStatus | InvalidFile]:
    """The status of each deal among ``inputs`` in turn, or why it could not be read: a
    caller that prints as it goes holds one deal at a time, however many there are."""
    for path in spec_paths(inputs):
        try:
            yield deal_status(open_deal(path, library, approvals), today, library)
        except InvalidFile as e:  # the spec, or its journal
            yield e


def statuses(inputs: Iterable[str | Path], today: dt.date, library: LibrarySource = None,
             approvals: ApprovalRules = NO_RULES
             ) -> tuple[list[DealStatus], list[Finding]]:
    """The status of every deal among ``inputs``, and the problems of those that could
    not be read (each left out)."""
    found, problems = [], []
    for item in each_status(inputs, today, library, approvals):
        if isinstance(item, InvalidFile):
            problems += item.findings
        else:
            found.append(item)
    return found, problems
