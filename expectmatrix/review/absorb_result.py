"""What `absorb` found: the changes it made to the spec, what it could not place there,
Word's comments, and the findings on the new spec; as text for the rep and as JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from expectmatrix.spec.findings import Finding, errors


@dataclass(frozen=True)
class Change:
    id: str
    field: str  # text, measure, due, owner; "expectation" for a whole one added or removed;
    # "row" for one moved (old and new say "Area, row n")
    kind: str  # edited | added | removed | moved
    old: str | None
    new: str | None
    author: str | None = None
    date: str | None = None


@dataclass(frozen=True)
class NotAbsorbed:
    place: str
    text: str
    kind: str  # inserted | deleted | edited
    author: str | None = None
    date: str | None = None
    old: str | None = None  # what the document said there, for an edit not tracked


@dataclass(frozen=True)
class AnchoredComment:
    id: str
    anchor: str  # the expectation id, or the part of the document
    author: str | None
    date: str | None
    text: str


@dataclass
class Absorbed:
    text: str  # the new spec's text
    version: int
    changes: list[Change] = field(default_factory=list)
    not_absorbed: list[NotAbsorbed] = field(default_factory=list)
    comments: list[AnchoredComment] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def exit_code(self, partial: bool = False) -> int:
        return 1 if errors(self.findings) or (self.not_absorbed and not partial) else 0

    def as_json(self) -> dict[str, Any]:
        from dataclasses import asdict

        return {"version": self.version, "changes": [asdict(c) for c in self.changes],
                "not_absorbed": [asdict(n) for n in self.not_absorbed],
                "comments": [asdict(c) for c in self.comments],
                "findings": [f.to_dict() for f in self.findings]}


def _by(author: str | None, date: str | None) -> str:
    who = " ".join(x for x in (f"by {author}" if author else "", f"on {date}" if date else "")
                   if x)
    return f" ({who})" if who else ""


def format_text(result: Absorbed) -> str:
    """The change list as the rep reads it: one line per change, comment and leftover."""
    lines = []
    for c in result.changes:
        if c.kind == "added":
            lines.append(f"{c.id} added{_by(c.author, c.date)}: “{c.new}”")
        elif c.kind == "moved":
            lines.append(f"{c.id} moved{_by(c.author, c.date)}: {c.old} -> {c.new}")
        elif c.field == "expectation":
            lines.append(f"{c.id} removed{_by(c.author, c.date)}: “{c.old}”")
        elif c.kind == "removed":
            lines.append(f"{c.id} {c.field} removed{_by(c.author, c.date)}: “{c.old}”")
        else:
            lines.append(f"{c.id} {c.field} changed{_by(c.author, c.date)}: “{c.old}” -> "
                         f"“{c.new}”")
    for n in result.not_absorbed:
        what = f"“{n.old}” -> “{n.text}”" if n.old and n.text else f"“{n.text or n.old}”"
        lines.append(f"NOT ABSORBED, {n.place}, {n.kind}{_by(n.author, n.date)}: {what} "
                     "(make this change in the spec or the frame yourself)")
    for m in result.comments:
        lines.append(f"comment on {m.anchor}{_by(m.author, m.date)}: “{m.text}”")
    if not lines:
        lines.append("no changes: the document says what the spec says")
    return "\n".join(lines) + "\n"
