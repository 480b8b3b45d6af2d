"""A signed spec and its journal, read together; recording an event, and carrying the
journal over to a new signed version."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from expectmatrix.checks import ApprovalRules, LibrarySource, check_loaded
from expectmatrix.errors import InputError, JournalError, SpecError
from expectmatrix.spec.canonical import fingerprint
from expectmatrix.spec.findings import Finding, errors
from expectmatrix.spec.inputs import open_bounded
from expectmatrix.spec.loading import Loaded, Positions, find_bidi, load, validate_model
from expectmatrix.spec.messages import did_you_mean
from expectmatrix.spec.models import Spec
from expectmatrix.spec.shape import expectations_of, sides
from expectmatrix.spec.terms import TrackEvent
from expectmatrix.track.journal import (
    Binding,
    Event,
    Evidence,
    JournalFile,
    NewVersion,
    append,
    digests,
    event_text,
    header_text,
    journal_path,
    new_version_text,
    now,
    read_journal,
)

MAX_EVIDENCE_BYTES = 200_000_000
NO_RULES = ApprovalRules()  # no organisation rules for approvals


@dataclass
class Tracked:
    """A valid spec, its fingerprint, and its journal as read (maybe not there yet)."""

    path: Path
    loaded: Loaded
    spec: Spec
    fingerprint: str
    journal: JournalFile
    warnings: list[Finding] = field(default_factory=list)


def checked_spec(path: str | Path, library: LibrarySource = None,
                 approvals: ApprovalRules = NO_RULES) -> Loaded:
    """The spec at ``path``, checked as validate checks it; SpecError when it has errors."""
    loaded = check_loaded(load(path), library=library, approvals=approvals)
    if errors(loaded.findings) or loaded.spec is None:
        raise SpecError(loaded.findings)
    return loaded


def open_deal(path: str | Path, library: LibrarySource = None,
              approvals: ApprovalRules = NO_RULES) -> Tracked:
    """The spec and its journal; SpecError naming every problem of either, including a
    journal that tracks another version of the spec."""
    path = Path(path)
    return with_journal(path, checked_spec(path, library, approvals))


def with_journal(path: Path, loaded: Loaded) -> Tracked:
    """A spec already checked (``loaded``, valid) with the journal beside ``path``;
    SpecError naming every problem of the journal."""
    assert loaded.spec is not None
    fp = fingerprint(loaded.spec)
    journal = read_journal(journal_path(path))
    problems = journal.findings or binding_problems(journal, loaded.spec, fp, path.name)
    if errors(problems):
        raise JournalError(problems)
    return Tracked(path, loaded, loaded.spec, fp, journal)


def binding_problems(journal: JournalFile, spec: Spec, fp: str, spec_name: str,
                     new_version: bool = False) -> list[Finding]:
    """The journal belongs to this deal and tracks this very spec (for ``new_version``:
    another one, to be carried over to it)."""
    if journal.journal is None:
        return []
    found = []
    if journal.journal.deal != spec.deal.id:
        found.append(journal.at("deal", f"this journal is of the deal {journal.journal.deal!r}, "
                                f"not of {spec.deal.id!r} ({spec_name})", ("deal",)))
    where, bound = journal.journal.bindings()[-1]
    if new_version and bound.fingerprint == fp:
        found.append(journal.at("fingerprint", f"the journal tracks {spec_name} as it is "
                                f"(fingerprint {fp}) already: there is nothing to carry "
                                "over", (*where, "fingerprint")))
    elif not new_version and bound.fingerprint != fp:
        found.append(journal.at(
            "fingerprint", f"the journal tracks the signed spec with fingerprint "
            f"{bound.fingerprint} (version {bound.version}), but {spec_name} now has the "
            f"fingerprint {fp} (version {spec.deal.version}). If it is the new signed "
            f"version, carry the journal over with `expectmatrix record {spec_name} "
            "--new-version`; otherwise undo the change to the spec", (*where, "fingerprint")))
    return found


@dataclass(frozen=True)
class Recorded:
    journal: Path
    event: Event
    created: bool
    warnings: list[Finding]


def record(path: str | Path, expectation_id: str, event: TrackEvent, *,
           on: dt.date | None = None, by: str | None = None, evidence: str | Path | None = None,
           note: str | None = None, library: LibrarySource = None,
           approvals: ApprovalRules = NO_RULES, today: dt.date | None = None) -> Recorded:
    """Append one event to the journal of the spec at ``path`` (starting the journal if
    there is none). Nothing is appended when anything is wrong."""
    from expectmatrix.clock import today as clock_today

    path = Path(path)
    loaded = checked_spec(path, library, approvals)
    spec = loaded.spec
    assert spec is not None
    ids = [e.id for side in sides() for e in expectations_of(spec, side)]
    if expectation_id not in ids:
        raise SpecError([Finding("unknown-id", "the spec has no expectation "
                                 f"{expectation_id!r}{did_you_mean(expectation_id, ids)} (it has "
                                 f"{', '.join(ids)}); nothing was recorded", file=str(path))])
    today = today or clock_today()
    on = on or today
    if on > today:
        raise SpecError([Finding("date", f"{expectation_id} cannot be recorded {event} on "
                                 f"{on.isoformat()}, a day that has not come yet (today is "
                                 f"{today.isoformat()}); nothing was recorded")])
    proof = evidence_of(Path(evidence), path.parent) if evidence is not None else None
    entry = _event(expectation_id, event, on, by, proof, note)
    fp = fingerprint(spec)
    binding = Binding(fingerprint=fp, version=spec.deal.version, expectations=digests(spec))
    created = []

    def make(current: JournalFile) -> tuple[str, int]:
        if current.findings:
            raise JournalError(current.findings)
        if current.journal is None:
            created.append(True)
            return header_text(path.name, spec.deal.id, binding) + event_text(entry), 1
        problems = binding_problems(current, spec, fp, path.name)
        if problems:
            raise JournalError(problems)
        return event_text(entry), len(current.journal.events) + 1

    written = append(journal_path(path), make)
    warnings = []
    if spec.deal.status != "approved":
        warnings.append(Finding("not-approved", f"{path.name} is not approved (status "
                                f"{spec.deal.status}): the journal is bound to it as it is now, "
                                "and any change to it needs `record --new-version`", "warning",
                                ("deal", "status"), str(path)))
    return Recorded(written.path, entry, bool(created), warnings)


def _event(expectation_id: str, event: str, on: dt.date, by: str | None,
           evidence: Evidence | None, note: str | None) -> Event:
    """The event as the journal will hold it, checked as a journal's own entries are."""
    data: dict[str, Any] = {"id": expectation_id, "event": event, "date": on, "by": by,
                            "evidence": evidence, "note": note, "recorded": now()}
    found = []
    for name in ("by", "note"):
        at = find_bidi(data[name]) if data[name] is not None else None
        if at is not None:
            found.append(Finding("bidi-control", f"--{name}: contains the invisible direction "
                                 f"control U+{ord(data[name][at]):04X}; retype the text"))
    value, problems = validate_model(Event, data, Positions(), "<record>")
    option = {"date": "on"}  # the command line names the day --on
    for f in problems:
        name = f.field.split(".")[0]
        found.append(Finding(f.code, f"--{option.get(name, name)}: {f.message}"))
    if found or not isinstance(value, Event):
        raise SpecError(found)
    return value


def evidence_of(file: Path, folder: Path) -> Evidence:
    """An evidence file's path relative to the spec's folder, and its SHA-256. Only a
    regular file inside that folder (after following links) is taken."""
    try:
        real, home = file.resolve(strict=True), folder.resolve(strict=True)
    except (OSError, RuntimeError) as e:
        raise InputError(f"{file}: cannot read the evidence: {getattr(e, 'strerror', None) or e}") from None
    if not real.is_relative_to(home):
        raise InputError(f"{file}: the evidence is outside the spec's folder ({folder}); put "
                         "it in that folder or below it, so that the journal can name it")
    digest = hashlib.sha256()
    with open_bounded(real, MAX_EVIDENCE_BYTES, "evidence") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return Evidence(file=real.relative_to(home).as_posix(), sha256=digest.hexdigest())


@dataclass(frozen=True)
class CarriedOver:
    journal: Path
    kept: list[str]
    restarted: list[str]
    added: list[str]
    removed: list[str]
    warnings: list[Finding]


def carry_over(path: str | Path, library: LibrarySource = None,
               approvals: ApprovalRules = NO_RULES) -> CarriedOver:
    """Bind the journal to the spec at ``path``, a new signed version: the events of the
    expectations it did not change carry over, those of changed ones restart."""
    path = Path(path)
    loaded = checked_spec(path, library, approvals)
    spec = loaded.spec
    assert spec is not None
    fp, new = fingerprint(spec), digests(spec)
    result: list[CarriedOver] = []

    def make(current: JournalFile) -> tuple[str, int]:
        if current.findings:
            raise JournalError(current.findings)
        if current.journal is None:
            raise SpecError([Finding("no-journal", f"{path.name} has no journal to carry over "
                                     f"({current.path.name} does not exist); `record` starts "
                                     "one", file=str(path))])
        problems = binding_problems(current, spec, fp, path.name, new_version=True)
        if problems:
            raise SpecError(problems)
        bound = current.journal.binding
        old = bound.expectations
        restarted = [i for i in new if i in old and old[i] != new[i]]
        warnings = []
        if spec.deal.version <= bound.version:
            warnings.append(Finding("version", f"deal.version is {spec.deal.version}, and the "
                                    f"journal tracked version {bound.version}: a new signed "
                                    "version usually has a higher number", "warning",
                                    ("deal", "version"), str(path)))
        result.append(CarriedOver(current.path, [i for i in new if old.get(i) == new[i]],
                                  restarted, [i for i in new if i not in old],
                                  [i for i in old if i not in new], warnings))
        entry = NewVersion(new_version=Binding(fingerprint=fp, version=spec.deal.version,
                                               expectations=new),
                           restarted=restarted, recorded=now())
        return new_version_text(entry), len(current.journal.events) + 1

    append(journal_path(path), make)
    return result[-1]
