"""A deal's journal after signing: ``deal.track.yaml`` beside ``deal.yaml``.

Plain YAML that people read and diff, only ever appended to: a header that binds it to
the fingerprint of the signed spec (and a digest of each expectation, so that a new signed
version can keep the events of the expectations it did not change), then ``events:``, one
entry per recorded event or carried-over version.

Appends hold an exclusive lock on the file and check, under the lock, that what is there
is a valid journal of this spec and that the text they add reads back as exactly one more
entry; a failed write is cut off again. Reads hold a shared lock, so they never see half
an event.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Discriminator, Field, StringConstraints, Tag

from expectmatrix.errors import InputError, JournalError, SpecError
from expectmatrix.spec.findings import Finding
from expectmatrix.spec.findings import Path as FieldPath
from expectmatrix.spec.loading import Positions, decode, parse, validate_model
from expectmatrix.spec.models import (
    DealId,
    ExpectationId,
    Model,
    ShortText,
    Spec,
    Text,
    TrackDate,
)
from expectmatrix.spec.shape import expectations_of, sides
from expectmatrix.spec.terms import JOURNAL_SUFFIX, TrackEvent
from expectmatrix.track.filelock import append_exclusive, read_shared

FORMAT = "expectmatrix-track/1"
MAX_JOURNAL_BYTES = 5_000_000
MAX_EVENTS = 10_000  # entries; the reader's node limit holds a journal to about this many

Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Digest = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{16}$")]


def _inside(value: str) -> str:
    parts = value.replace("\\", "/").split("/")
    if value.startswith(("/", "\\")) or ":" in parts[0] or ".." in parts or "" in parts:
        raise ValueError(f"{value!r} is not a path inside the spec's folder; evidence is named "
                         "relative to it, e.g. evidence/handover.pdf")
    return value


def _aware(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise ValueError("give the time with its zone, e.g. 2027-02-05T09:30:00Z")
    if not 1900 <= value.year <= 2199:
        raise ValueError(f"{value.isoformat()} is out of range")
    return value


RelativePath = Annotated[str, StringConstraints(max_length=500), AfterValidator(_inside)]
Timestamp = Annotated[dt.datetime, AfterValidator(_aware)]


class Evidence(Model):
    file: RelativePath = Field(description="The evidence file, relative to the spec's folder.")
    sha256: Sha256 = Field(description="SHA-256 of the file when it was recorded.")


class Binding(Model):
    fingerprint: Sha256 = Field(description="Fingerprint of the signed spec.")
    version: Annotated[int, Field(gt=0, le=100000)] = Field(description="Its deal.version.")
    expectations: Annotated[dict[ExpectationId, Digest], Field(max_length=1000)] = Field(
        description="A digest of each expectation, to tell unchanged ones in a new version.")


class Event(Model):
    id: ExpectationId = Field(description="The expectation.")
    event: TrackEvent = Field(description="met, missed, waived or reopened.")
    # Not `on`: YAML 1.1 readers (PyYAML) take that key for the boolean true.
    date: TrackDate = Field(description="The day it happened.")
    by: ShortText | None = Field(None, description="Who recorded or reported it.")
    evidence: Evidence | None = Field(None, description="A file that shows it.")
    note: Text | None = Field(None, description="Free text.")
    recorded: Timestamp = Field(description="When it was recorded (UTC).")


class NewVersion(Model):
    new_version: Binding = Field(description="The new signed version the journal tracks.")
    restarted: Annotated[list[ExpectationId], Field(max_length=1000)] = Field(
        default_factory=list, description="Expectations changed by it: their events restart.")
    recorded: Timestamp = Field(description="When it was carried over (UTC).")


def _entry_kind(value: object) -> str:
    return "new-version-entry" if isinstance(value, dict) and "new_version" in value else "event-entry"


Entry = Annotated[Annotated[Event, Tag("event-entry")] | Annotated[NewVersion, Tag("new-version-entry")],
                  Discriminator(_entry_kind)]


class Journal(Model):
    format: Literal["expectmatrix-track/1"] = Field(description="The journal's format.")
    deal: DealId = Field(description="deal.id of the spec.")
    spec: ShortText | None = Field(None, description="The spec's file name.")
    signed: Binding = Field(description="The signed spec the journal began with.")
    events: Annotated[list[Entry], Field(max_length=MAX_EVENTS)] = Field(
        default_factory=list, description="What was recorded, in order.")

    def bindings(self) -> list[tuple[FieldPath, Binding]]:
        """Each signed version the journal tracked, with where it is written, in order."""
        out: list[tuple[FieldPath, Binding]] = [(("signed",), self.signed)]
        out += [(("events", i, "new_version"), e.new_version) for i, e in enumerate(self.events)
                if isinstance(e, NewVersion)]
        return out

    @property
    def binding(self) -> Binding:
        """The signed version in force: the last one carried over to."""
        return self.bindings()[-1][1]


@dataclass
class JournalFile:
    """A journal as read: the model (None when the file does not exist yet or is
    invalid), what is wrong with it, and where things are."""

    path: Path
    journal: Journal | None = None
    findings: list[Finding] = field(default_factory=list)
    positions: Positions = field(default_factory=Positions)
    size: int = 0
    sha256: str | None = None  # of the file's bytes as read: what a statement prints

    def at(self, code: str, message: str, path: FieldPath) -> Finding:
        line, col = self.positions.locate(path)
        return Finding(code, message, path=path, file=str(self.path), line=line, column=col)


def journal_path(spec_path: str | Path) -> Path:
    """deal.yaml (or deal.json) -> deal.track.yaml beside it."""
    spec_path = Path(spec_path)
    return spec_path.with_name(spec_path.stem + JOURNAL_SUFFIX)


def digests(spec: Spec) -> dict[str, str]:
    """Each expectation's digest: the same only while its side and every field are."""
    out = {}
    for side in sides():
        for e in expectations_of(spec, side):
            data = {"side": side, **e.model_dump(mode="json", exclude_defaults=True)}
            text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            out[e.id] = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    return out


def now() -> dt.datetime:
    """The time an entry is recorded at: SOURCE_DATE_EPOCH's when set, else the clock's."""
    from expectmatrix.clock import source_date
    from expectmatrix.errors import ExpectmatrixError

    try:
        when = source_date()
    except ExpectmatrixError:
        when = None
    return (when or dt.datetime.now(dt.UTC)).replace(microsecond=0)


# --- reading --------------------------------------------------------------------------


def parse_journal(text: str, path: Path) -> JournalFile:
    """A journal's text -> JournalFile with every problem located (file, line, field)."""
    found = JournalFile(path, size=len(text.encode("utf-8")))
    if not text.strip():
        return found
    try:
        tree, found.positions, problems = parse(text, str(path))
    except SpecError as e:
        found.findings = [_reworded(f) for f in e.findings]
        return found
    journal, findings = validate_model(Journal, tree, found.positions, str(path))
    found.findings = problems + findings
    if not found.findings:
        found.journal = journal
        found.findings = _consistency(found)
    return found


def _reworded(f: Finding) -> Finding:
    if f.code == "not-a-mapping":
        return Finding(f.code, "a journal is a mapping with format:, deal:, signed: and events:",
                       file=f.file, line=f.line, column=f.column)
    return f


def _consistency(found: JournalFile) -> list[Finding]:
    """What the model cannot see: events of expectations the version in force does not
    have, and events dated after they were recorded."""
    assert found.journal is not None
    out = []
    ids = set(found.journal.signed.expectations)
    for i, entry in enumerate(found.journal.events):
        if isinstance(entry, NewVersion):
            ids = set(entry.new_version.expectations)
            continue
        if entry.id not in ids:
            out.append(found.at("unknown-id", f"the signed spec has no expectation {entry.id!r}",
                                ("events", i, "id")))
        if entry.date > entry.recorded.date() + dt.timedelta(days=1):  # a day for time zones
            out.append(found.at("date", f"dated {entry.date.isoformat()}, after it was recorded "
                                f"({entry.recorded.date().isoformat()})", ("events", i, "date")))
    return out


def read_journal(path: str | Path) -> JournalFile:
    """The journal at ``path`` (a JournalFile with no journal when there is none yet)."""
    path = Path(path)
    try:
        data = read_shared(path, MAX_JOURNAL_BYTES, "journal")
        if data is None:
            return JournalFile(path)
        text = decode(data, str(path), MAX_JOURNAL_BYTES)
    except InputError as e:
        return JournalFile(path, findings=[_unreadable(path, str(e).removeprefix(f"{path}: "))])
    except SpecError as e:
        return JournalFile(path, findings=e.findings)
    found = parse_journal(text, path)
    found.sha256 = hashlib.sha256(data).hexdigest()
    return found


def _unreadable(path: Path, message: str) -> Finding:
    code = "too-large" if "at most" in message or "larger than" in message else "unreadable"
    return Finding(code, message, file=str(path))


# --- writing --------------------------------------------------------------------------


def _q(value: str) -> str:
    """A scalar YAML reads back as this text: plain where that is safe, else a JSON string
    (a YAML double-quoted scalar), with the characters YAML takes for line breaks escaped."""
    from expectmatrix.library.playbooks import yaml_scalar

    return _escaped(yaml_scalar(value))


def _quoted(value: str) -> str:
    """Always quoted: for values inside a flow mapping, where a comma would end them."""
    return _escaped(json.dumps(value, ensure_ascii=False))


def _escaped(text: str) -> str:
    for char in ("\x85", "\u2028", "\u2029"):
        text = text.replace(char, f"\\u{ord(char):04x}")
    return text


def _binding_lines(binding: Binding, indent: str) -> list[str]:
    lines = [f"{indent}fingerprint: {binding.fingerprint}", f"{indent}version: {binding.version}",
             f"{indent}expectations:"]
    lines += [f"{indent}  {_q(eid)}: {digest}" for eid, digest in binding.expectations.items()]
    return lines


def _stamp(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def header_text(spec_file: str, deal: str, binding: Binding) -> str:
    lines = [f"# The journal of {spec_file} after signing: what was met, missed or waived, and",
             "# when. `expectmatrix record` appends to it; what is written here is the record,",
             "# never rewritten.",
             f"format: {FORMAT}", f"deal: {_q(deal)}", f"spec: {_q(spec_file)}", "signed:",
             *_binding_lines(binding, "  "), "events:"]
    return "\n".join(lines) + "\n"


def event_text(event: Event) -> str:
    lines = [f"  - id: {_q(event.id)}", f"    event: {event.event}",
             f"    date: {event.date.isoformat()}"]
    if event.by is not None:
        lines.append(f"    by: {_q(event.by)}")
    if event.evidence is not None:
        lines.append(f"    evidence: {{file: {_quoted(event.evidence.file)}, "
                     f"sha256: {event.evidence.sha256}}}")
    if event.note is not None:
        lines.append(f"    note: {_q(event.note)}")
    lines.append(f"    recorded: {_stamp(event.recorded)}")
    return "\n".join(lines) + "\n"


def new_version_text(entry: NewVersion) -> str:
    lines = ["  - new_version:", *_binding_lines(entry.new_version, "      "),
             f"    restarted: [{', '.join(_q(i) for i in entry.restarted)}]",
             f"    recorded: {_stamp(entry.recorded)}"]
    return "\n".join(lines) + "\n"


Make = Callable[[JournalFile], tuple[str, int]]


def append(path: str | Path, make: Make) -> JournalFile:
    """Append what ``make`` returns to the journal at ``path``, creating it if need be.

    ``make`` is given the journal as it is under the lock (and raises SpecError to refuse);
    it returns the text to add and the number of entries the journal must then hold. The
    text is appended only if the journal then reads back valid with that many entries.
    Returns the journal as written.
    """
    path = Path(path)
    written: list[JournalFile] = []

    def checked(current: bytes) -> bytes:
        text = decode(current, str(path), MAX_JOURNAL_BYTES)
        addition, entries = make(parse_journal(text, path))
        if text and not text.endswith("\n"):
            addition = "\n" + addition
        after = parse_journal(text + addition, path)
        if after.findings or after.journal is None or len(after.journal.events) != entries:
            raise JournalError([Finding(
                "journal", "the journal does not end with its events: list, so nothing can be "
                "added to it; move what was written after events: back above it",
                file=str(path)), *after.findings[:5]])
        written.append(after)
        return addition.encode("utf-8")

    append_exclusive(path, MAX_JOURNAL_BYTES, "journal", checked)
    return written[-1]
