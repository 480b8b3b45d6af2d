"""Compare two versions of a spec: what legal needs to review in version N+1.

Expectations are matched by id; an id that disappeared while a new id carries the same
text is a move (renumbering), not a removal and an addition. Inside text, measure, due,
owner and area the change is shown word by word. Everything else (title, parties, dates,
status, version, approvals, readiness...) is compared field by field from the canonical
form, so a field added to the format later is compared without code here.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from expectmatrix.spec.canonical import canonical_data
from expectmatrix.spec.models import Expectation, Spec
from expectmatrix.spec.shape import expectations_of, sides
from expectmatrix.spec.terms import Side

if TYPE_CHECKING:
    from expectmatrix.checks import LibrarySource

Op = Literal["equal", "insert", "delete"]
EXPECTATION_FIELDS = ("area", "text", "measure", "due", "owner", "clause", "weight")
WORDS = re.compile(r"\s+|[^\s]+")  # words and the spaces between, as they are diffed


Opcode = tuple[str, int, int, int, int]


def phrases(opcodes: Sequence[Opcode], a: Sequence[Any], glue: Callable[[Any], bool]
            ) -> list[Opcode]:
    """difflib's opcodes with the changes that only ``glue`` tokens (the spaces between
    words) keep apart joined into one: a changed phrase is struck whole and the new one
    inserted whole, as a lawyer marks it, not interleaved word by word."""
    out: list[Opcode] = []
    for op in opcodes:
        if (op[0] != "equal" and len(out) >= 2 and out[-1][0] == "equal"
                and out[-2][0] != "equal" and all(glue(t) for t in a[out[-1][1]:out[-1][2]])):
            out.pop()
            first = out.pop()
            op = ("replace", first[1], op[2], first[3], op[4])
        elif op[0] != "equal" and out and out[-1][0] != "equal":
            first = out.pop()
            op = ("replace", first[1], op[2], first[3], op[4])
        out.append(op)
    return [(("delete" if j1 == j2 else "insert" if i1 == i2 else tag), i1, i2, j1, j2)
            if tag != "equal" else (tag, i1, i2, j1, j2) for tag, i1, i2, j1, j2 in out]


def _space(token: str) -> bool:
    return token.isspace()


def word_diff(old: str, new: str) -> list[tuple[Op, str]]:
    """Word-level edit script, one delete and one insert per changed phrase; whitespace
    travels with the words around it. Joining the equal and deleted texts gives ``old``,
    the equal and inserted ones ``new``."""
    a, b = WORDS.findall(old), WORDS.findall(new)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    out: list[tuple[Op, str]] = []
    for tag, i1, i2, j1, j2 in phrases(matcher.get_opcodes(), a, _space):
        if tag == "equal":
            out.append(("equal", "".join(a[i1:i2])))
            continue
        if tag in ("delete", "replace"):
            out.append(("delete", "".join(a[i1:i2])))
        if tag in ("insert", "replace"):
            out.append(("insert", "".join(b[j1:j2])))
    return out


def shown(words: list[tuple[Op, str]], between: str = " ") -> list[tuple[Op, str]]:
    """An edit script as a reader sees it: the spaces at the edges of a deleted or
    inserted phrase outside its marks, ``between`` a struck phrase and the one that
    replaces it, and never two spaces where the marks meet."""
    out: list[tuple[Op, str]] = []

    def plain(text: str) -> None:
        if out and out[-1][1][-1:].isspace():
            text = text.lstrip()
        if not text:
            return
        if out and out[-1][0] == "equal":
            out[-1] = ("equal", out[-1][1] + text)
        else:
            out.append(("equal", text))

    for op, text in words:
        core = text.strip()
        if op == "equal" or not core:
            if op != "delete":  # a deleted space is no word to strike
                plain(text)
            continue
        plain(text[:len(text) - len(text.lstrip())])
        if op == "insert" and out and out[-1][0] == "delete":
            plain(between)  # "~~old~~ new", not "~~old~~new"
        out.append((op, core))
        plain(text[len(text.rstrip()):])
    return out


@dataclass(frozen=True)
class FieldChange:
    name: str
    old: str | None
    new: str | None

    @property
    def words(self) -> list[tuple[Op, str]]:
        return word_diff(self.old or "", self.new or "")


@dataclass(frozen=True)
class ExpectationChange:
    kind: Literal["added", "removed", "changed", "moved"]
    side: Side
    old_id: str | None
    new_id: str | None
    fields: list[FieldChange] = field(default_factory=list)

    @property
    def label(self) -> str:
        if self.kind == "moved":
            return f"{self.old_id} → {self.new_id}"
        return str(self.new_id or self.old_id)


@dataclass
class Diff:
    old_name: str
    new_name: str
    header: list[FieldChange]
    expectations: list[ExpectationChange]
    balance_before: tuple[int, int]
    balance_after: tuple[int, int]

    @property
    def changed(self) -> bool:
        return bool(self.header or self.expectations)

    def counts(self) -> dict[str, int]:
        out = {"added": 0, "removed": 0, "changed": 0, "moved": 0}
        for change in self.expectations:
            out[change.kind] += 1
        return out


def _flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key in sorted(value):
            yield from _flatten(value[key], f"{prefix}.{key}" if prefix else key)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _flatten(item, f"{prefix}[{i}]")
    elif value is not None:
        yield prefix, str(value)


def _as_text(e: Expectation, name: str) -> str | None:
    value = getattr(e, name)
    return None if value is None else str(value)


def _field_changes(old: Expectation | None, new: Expectation | None) -> list[FieldChange]:
    changes = []
    for name in EXPECTATION_FIELDS:
        a = _as_text(old, name) if old else None
        b = _as_text(new, name) if new else None
        if name == "weight" and (old is None or new is None) and (a or b) == "1":
            continue  # the default weight says nothing about an added or removed line
        if a != b:
            changes.append(FieldChange(name, a, b))
    if old and new and (old.params or {}) != (new.params or {}):
        changes.append(FieldChange("params", _params(old), _params(new)))
    return changes


def _params(e: Expectation) -> str | None:
    return ", ".join(f"{k}: {v}" for k, v in sorted((e.params or {}).items())) or None


def compare(old: Spec, new: Spec, old_name: str = "old", new_name: str = "new") -> Diff:
    """Both specs resolved (clause texts filled in)."""
    header = _header_changes(old, new)
    changes: list[ExpectationChange] = []
    for side in sides():
        before = {e.id: e for e in expectations_of(old, side)}
        after = {e.id: e for e in expectations_of(new, side)}
        gone = [i for i in before if i not in after]
        fresh = [i for i in after if i not in before]
        moved_from: dict[str, str] = {}  # new id -> old id
        for old_id in gone:  # same text under a new id: a renumbering
            match = next((n for n in fresh if n not in moved_from
                          and after[n].text == before[old_id].text), None)
            if match:
                moved_from[match] = old_id
        for e in expectations_of(new, side):  # in the new document's order
            if e.id in before:
                fields = _field_changes(before[e.id], e)
                if fields:
                    changes.append(ExpectationChange("changed", side, e.id, e.id, fields))
            elif e.id in moved_from:
                old_id = moved_from[e.id]
                changes.append(ExpectationChange("moved", side, old_id, e.id,
                                                 _field_changes(before[old_id], e)))
            else:
                changes.append(ExpectationChange("added", side, None, e.id,
                                                 _field_changes(None, e)))
        moved = set(moved_from.values())
        for old_id in gone:
            if old_id not in moved:
                changes.append(ExpectationChange("removed", side, old_id, None,
                                                 _field_changes(before[old_id], None)))
    return Diff(old_name, new_name, header, changes, _balance(old), _balance(new))


def _header_changes(old: Spec, new: Spec) -> list[FieldChange]:
    a = {k: v for k, v in _flatten(canonical_data(old)) if not k.startswith("expectations")}
    b = {k: v for k, v in _flatten(canonical_data(new)) if not k.startswith("expectations")}
    for spec, flat in ((old, a), (new, b)):  # defaults are left out of the canonical form
        flat.setdefault("deal.version", str(spec.deal.version))
        flat.setdefault("deal.status", spec.deal.status)
        flat.setdefault("balance", spec.balance)
    keys = sorted(set(a) | set(b), key=lambda k: (not k.startswith("deal"), k))
    return [FieldChange(k, a.get(k), b.get(k)) for k in keys if a.get(k) != b.get(k)]


def _balance(spec: Spec) -> tuple[int, int]:
    return len(expectations_of(spec, "vendor")), len(expectations_of(spec, "customer"))


# --- plain text and Markdown ------------------------------------------------------------


_MARKDOWN = re.compile(r"([\\`*_~\[\]<>|#])")


def _md(text: str) -> str:
    """Spec text printed as itself in Markdown, not read as markup."""
    return _MARKDOWN.sub(r"\\\1", text)


def _inline(words: list[tuple[Op, str]], style: str, color: bool) -> str:
    out = []
    # git's word-diff glues "[-old-]{+new+}"; struck and coloured text needs the space
    for op, text in shown(words, "" if style == "text" and not color else " "):
        if style == "md":
            text = _md(text)
        if op == "equal":
            out.append(text)
        elif style == "md":
            out.append(f"~~{text}~~" if op == "delete" else f"**{text}**")
        elif color:
            import click

            out.append(click.style(text, fg="red", strikethrough=True) if op == "delete"
                       else click.style(text, fg="green", underline=True))
        else:
            out.append(f"[-{text}-]" if op == "delete" else f"{{+{text}+}}")
    return "".join(out)


def format_text(diff: Diff, style: Literal["text", "md"] = "text", color: bool = False) -> str:
    md = style == "md"
    names = (_md(diff.old_name), _md(diff.new_name)) if md else (diff.old_name, diff.new_name)
    lines = [f"# Changes from {names[0]} to {names[1]}" if md else
             f"Changes from {names[0]} to {names[1]}"]
    if not diff.changed:
        lines += ["", "No changes."]
        return "\n".join(lines) + "\n"
    (v0, c0), (v1, c1) = diff.balance_before, diff.balance_after
    counts = diff.counts()
    lines += ["", f"Balance: {v0} of vendor, {c0} of customer -> {v1} of vendor, {c1} of customer",
              *([""] if md else []),  # two paragraphs, not one run-on line
              "Expectations: " + ", ".join(f"{n} {k}" for k, n in counts.items())]
    if diff.header:
        lines += ["", "## Deal" if md else "Deal and parties:"]
        for change in diff.header:
            lines.append(f"{'- ' if md else '  '}{change.name}: "
                         f"{_inline(change.words, style, color)}")
    if diff.expectations:
        lines += ["", "## Expectations" if md else "Expectations:"]
        for item in diff.expectations:
            head = f"{item.label} ({item.side}) {item.kind}"
            lines.append(f"- **{head}**" if md else f"  {head}")
            for f in item.fields:
                lines.append(f"{'  - ' if md else '      '}{f.name}: "
                             f"{_inline(f.words, style, color)}")
    return "\n".join(line.rstrip() for line in lines) + "\n"


def read_for_compare(path: str | Path, library: LibrarySource = None) -> Spec:
    """A spec file, or the spec embedded in a PDF or DOCX that expectmatrix made, with its
    clauses resolved. Only the model must be valid: an unbalanced version is worth
    comparing (the diff shows the balance before and after). SpecError otherwise."""
    from dataclasses import replace

    from expectmatrix.checks import library_if_needed
    from expectmatrix.errors import SpecError
    from expectmatrix.library.clauses import resolve
    from expectmatrix.spec.findings import errors
    from expectmatrix.spec.loading import load, load_bytes

    path = Path(path)
    if path.suffix.lower() in (".pdf", ".docx"):
        from expectmatrix.review.documents import embedded_spec, read_document

        data = embedded_spec(read_document(path), str(path))
        loaded = load_bytes(data, f"{path} (embedded spec)", "json")
    else:
        loaded = load(path)
    if loaded.spec is None:
        raise SpecError(loaded.findings)
    resolved = resolve(loaded.spec, library_if_needed(loaded.spec, library))
    if resolved.spec is None:
        raise SpecError([replace(f, file=loaded.file, line=loaded.positions.locate(f.path)[0])
                         for f in errors(resolved.findings)])
    return resolved.spec
