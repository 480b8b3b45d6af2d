"""Legal's edits brought back: a DOCX expectmatrix wrote, edited in Word (with or without
tracked changes) -> the spec of what it now says, as the next version.

The starting point is the rep's spec file when given (its comments and key order are
kept: every edit goes through spec/roundtrip.py), else the spec the document carries.
Each cell of the matrix is compared with what the starting spec renders there (clauses
filled from the library): a text that differs is written into the spec, so a library
expectation whose wording changed becomes non-standard by the checks' own rule.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from expectmatrix.errors import DocumentError
from expectmatrix.review.absorb_moves import COLUMNS, kept, printed_order, reorder, row_label, target_order
from expectmatrix.review.absorb_read import (
    DocCell,
    EditedDocx,
    Mark,
    Para,
    cell_fields,
    id_before,
)
from expectmatrix.review.absorb_result import (
    Absorbed,
    AnchoredComment,
    Change,
    NotAbsorbed,
)
from expectmatrix.review.absorb_start import SpecSource, Start, starting
from expectmatrix.spec.findings import Finding
from expectmatrix.spec.shape import SIDE_LIST, FieldPath, expectations_of, next_id, path_of
from expectmatrix.spec.terms import Side

if TYPE_CHECKING:
    from expectmatrix.render.pipeline import RenderOptions
    from expectmatrix.review.documents import Embedded

DETAILS = ("measure", "due", "owner")


def _who(marks: Sequence[Mark]) -> tuple[str | None, str | None]:
    authors = list(dict.fromkeys(m.author for m in marks if m.author))
    dates = sorted(m.date for m in marks if m.date)
    return (", ".join(authors) or None), (dates[-1] if dates else None)


def absorb(document: str | Path, spec: str | Path | SpecSource | None = None,
           library: Any = None, options: RenderOptions | None = None,
           output: str | Path | None = None) -> Absorbed:
    """The spec of what ``document`` now says, as the next version, with every change.
    ``options`` as the document was made (template folders, letterhead): the text outside
    the matrix is compared with a fresh rendering of the spec it carries. ``output``
    names the new spec in its findings."""
    from expectmatrix.review.documents import document_bytes

    return absorb_bytes(document_bytes(document), str(document), spec, library, options,
                        output)


def absorb_bytes(data: bytes, name: str, spec: str | Path | SpecSource | None = None,
                 library: Any = None, options: RenderOptions | None = None,
                 output: str | Path | None = None) -> Absorbed:
    """As :func:`absorb`, of a DOCX's bytes (an upload): ``name`` names it in messages.
    The bytes are held to the bounds of a document file (size, zip parts, XML without
    entities); nothing is written, not even a temporary file."""
    from expectmatrix.language.labels import labels_for
    from expectmatrix.render.pipeline import RenderOptions
    from expectmatrix.review.absorb_read import read_edited
    from expectmatrix.review.documents import MAX_DOCUMENT_BYTES, embedded_spec, read_bytes

    if len(data) > MAX_DOCUMENT_BYTES:
        raise DocumentError(f"{name}: the document is larger than "
                            f"{MAX_DOCUMENT_BYTES // 1_000_000} MB")
    found = read_bytes(data, Path(name))
    if found.kind != "docx":
        raise DocumentError(f"{name}: absorb reads a DOCX document edited in Word; this is a PDF")
    carried = embedded_spec(found, name)
    start = starting(name, carried, spec, library)
    edited = read_edited(data, name)
    options = options or RenderOptions()
    labels = labels_for(start.spec.deal.language, options.template_dirs)
    plan = _Plan(start, {k: str(labels[k]) for k in DETAILS})
    plan.walk(edited)
    plan.not_absorbed += _untracked_outside(found, carried, edited, options, library, name)
    return plan.finish(edited, library, str(output or f"{name} (absorbed)"))


def _untracked_outside(found: Embedded, carried: bytes, edited: EditedDocx,
                       options: RenderOptions, library: Any, name: str) -> list[NotAbsorbed]:
    """Text outside the matrix typed over without tracking: the document's paragraphs
    against a fresh rendering of the spec it carries (tracked ones are listed already)."""
    from difflib import SequenceMatcher

    from expectmatrix.render.pipeline import RenderJob, render_documents
    from expectmatrix.review.absorb_read import read_edited
    from expectmatrix.review.verify import load_embedded

    loaded = load_embedded(carried, name, library)
    if loaded.spec is None:
        return []
    mark = found.options.get("mark-nonstandard")
    audience = found.options.get("audience", "internal")
    options = replace(options, formats=("docx",),
                      mark_nonstandard=None if mark is None else mark == "yes",
                      audience="counterparty" if audience == "counterparty" else "internal")
    fresh, _ = render_documents(loaded, options, job=RenderJob.of(loaded))
    was = read_edited(fresh["docx"], "fresh.docx").lines
    now = edited.lines
    out = []
    matcher = SequenceMatcher(None, [(x.place, x.text) for x in was],
                              [(x.place, x.text) for x in now], autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal" or any(x.tracked for x in now[j1:j2]):
            continue
        old = " / ".join(x.text for x in was[i1:i2]) or None
        new = " / ".join(x.text for x in now[j1:j2])
        place = (now[j1:j2] or was[i1:i2])[0].place
        out.append(NotAbsorbed(place, new, "edited" if new else "deleted", old=old))
    return out


class _Plan:
    """The edits to make to the starting text, found cell by cell."""

    def __init__(self, start: Start, labels: dict[str, str]) -> None:
        self.start = start
        self.labels = labels
        self.where: dict[str, tuple[Side, int]] = {}
        for side in COLUMNS:
            for i, e in enumerate(expectations_of(start.spec, side)):
                self.where[e.id] = (side, i)
        self.seen: set[str] = set()
        self.sets: list[tuple[FieldPath, str | None]] = []
        self.added: list[tuple[Side, dict[str, str]]] = []
        self.changes: list[Change] = []
        self.not_absorbed: list[NotAbsorbed] = []
        self.anchor: dict[str, str] = {}  # comment id -> expectation id
        self.ids = set(self.where)
        self.removed_by: dict[str, tuple[str | None, str | None]] = {}
        # Each side's expectations in the order the document prints them, and where.
        self.order: dict[Side, list[str | _New]] = {side: [] for side in COLUMNS}
        self.heading: dict[str, str] = {}  # id -> the area heading it is printed under
        self.who: dict[str, tuple[str | None, str | None]] = {}
        self.pending: list[_New] = []
        self.area_now: dict[str, str] = {}  # id -> its new area, where a move changed it

    def _expectation(self, eid: str) -> Any:
        side, i = self.where[eid]
        return expectations_of(self.start.spec, side)[i]

    def walk(self, edited: EditedDocx) -> None:
        area = ""
        for row in edited.rows:
            deleted = row.row_mark is not None and row.row_mark.kind == "deleted"
            if row.kind == "area":
                area = row.area
                continue
            for cell in row.cells:
                if deleted:
                    self._gone(cell, row.row_mark)
                else:
                    self._cell(cell, area, row.row_mark)

    def _gone(self, cell: DocCell, mark: Mark | None) -> None:
        eid = id_before(cell)
        if eid:
            marks = ([mark] if mark else []) + cell.marks
            self.removed_by[eid] = _who(marks)

    def _cell(self, cell: DocCell, area: str, row_mark: Mark | None) -> None:
        eid, fields, stray = cell_fields(cell, self.labels)
        side = COLUMNS[min(cell.side_index, 1)]
        for text in stray:
            self.not_absorbed.append(NotAbsorbed(f"matrix cell {eid or 'added'}", text,
                                                 "edited", *_who(cell.marks)))
        if eid is None and not fields.get("text"):
            before = id_before(cell)
            if before:
                self.removed_by[before] = _who(cell.marks)
            return
        who = _who(([row_mark] if row_mark else []) + cell.marks)
        if eid is not None and eid in self.where and eid not in self.seen \
                and self.where[eid][0] == side:
            self.seen.add(eid)
            self._compare(eid, cell, fields)
            self.order[side].append(eid)
            self.heading[eid], self.who[eid] = area, who
            for c in cell.comments:
                self.anchor[c] = eid
        else:
            new = _New(side, fields, cell, area, who, eid)
            self.pending.append(new)
            self.order[side].append(new)

    def _settle(self) -> None:
        """The rows typed anew: the same text as an expectation deleted elsewhere is that
        expectation moved (legal cut and pasted it), else a new expectation."""
        for new in self.pending:
            eid = self._retyped(new)
            if eid is not None:
                self.seen.add(eid)
                self._compare(eid, new.cell, new.fields)
            else:
                # an id printed in the row (a redline of a newer spec prints them) is kept
                free = new.printed is not None and new.printed not in self.ids \
                    and _ID.fullmatch(new.printed)
                eid = new.printed if free and new.printed else next_id(self.ids, new.side)
                self.ids.add(eid)
                self.seen.add(eid)
                item = {"id": eid, "area": self._area(new.area, new.side), **new.fields}
                self.added.append((new.side, item))
                self.changes.append(Change(eid, "expectation", "added", None,
                                           new.fields.get("text"), *new.who))
            new.id = eid
            self.heading[eid], self.who[eid] = new.area, new.who
            for c in new.cell.comments:
                self.anchor[c] = eid
        for side in COLUMNS:
            self.order[side] = [x.id if isinstance(x, _New) else x for x in self.order[side]]
            self._moves(side)

    def _retyped(self, new: _New) -> str | None:
        text = " ".join((new.fields.get("text") or "").split()).casefold()
        for eid, (side, _) in self.where.items():
            if side == new.side and eid not in self.seen and text and \
                    " ".join(self._expectation(eid).text.split()).casefold() == text:
                return eid
        return None

    def _moves(self, side: Side) -> None:
        """Each expectation now printed in another row or area: listed as moved (not
        removed and added), its new area written into the spec."""
        printed = printed_order(self.start.spec, side)
        old_area = dict(printed)
        present = [str(x) for x in self.order[side] if str(x) in self.where]
        stay = kept([eid for eid, _ in printed if eid in set(present)], present)
        for eid in present:
            now = self._area(self.heading[eid], side)
            if eid in stay and now == old_area[eid]:
                continue
            old_row = [i for i, a in printed if a == old_area[eid]].index(eid) + 1
            new_row = [str(x) for x in self.order[side]
                       if self.heading[str(x)] == self.heading[eid]].index(eid) + 1
            self.changes.append(Change(eid, "row", "moved", row_label(old_area[eid], old_row),
                                       row_label(now, new_row), *self.who[eid]))
            if now != old_area[eid]:
                self.sets.append((path_of(*self.where[eid], "area"), now))
                self.area_now[eid] = now

    def _area(self, heading: str, side: Side) -> str:
        """The area of the block a new row was added in: the one its known rows name (the
        document prints areas in capitals), else the heading as written."""
        for e in (*expectations_of(self.start.spec, "vendor"),
                  *expectations_of(self.start.spec, "customer")):
            if e.area and e.area.upper() == heading:
                return str(e.area)
        return heading.title() if heading.isupper() else heading

    def _compare(self, eid: str, cell: DocCell, fields: dict[str, str]) -> None:
        e = self._expectation(eid)
        side, i = self.where[eid]
        paragraphs = [p for p in cell.paragraphs if p.now.strip() or p.before.strip()]
        for name in ("text", *DETAILS):
            old = getattr(e, name)
            new = fields.get(name)
            if (old or None) == (new or None):
                continue
            who = _who(self._marks_of(name, paragraphs) or cell.marks)
            if not new and getattr(self.start.written_of(eid), name) is None:
                # The clause gives it: removing it from the spec would not remove it.
                self.not_absorbed.append(NotAbsorbed(
                    f"matrix cell {eid}", f"{self.labels[name]}: {old}", "deleted", *who))
                continue
            self.changes.append(Change(eid, name, "edited" if new else "removed", old, new, *who))
            self.sets.append((path_of(side, i, name), new or None))

    def _marks_of(self, name: str, paragraphs: list[Para]) -> list[Mark]:
        """The tracked changes of the paragraph that holds field ``name``."""
        if name == "text":
            return paragraphs[0].marks if paragraphs else []
        label = self.labels[name].casefold()
        return [m for p in paragraphs for m in p.marks
                if p.before.strip().casefold().startswith(label)
                or p.now.strip().casefold().startswith(label)]

    def finish(self, edited: EditedDocx, library: Any, output: str) -> Absorbed:
        from expectmatrix.spec import roundtrip

        self._settle()
        for eid in self.where:
            if eid not in self.seen:
                who = self.removed_by.get(eid, (None, None))
                self.changes.append(Change(eid, "expectation", "removed",
                                           self._expectation(eid).text, None, *who))
        text, fmt = self.start.text, self.start.fmt
        doc = roundtrip.load(text, fmt)
        for path, value in self.sets:
            if value is None:
                doc.remove(path, missing_ok=True)
            else:
                doc.set(path, value)
        version = int(self.start.written.deal.version) + 1
        doc.set("deal.version", version)
        doc.set("deal.status", "review")
        for side, item in self.added:  # at the lists' ends: the removals' indexes hold
            doc.insert(("expectations", SIDE_LIST[side]), item)
        text = doc.dump()  # one round trip: on a large spec each costs a fraction of a second
        gone = sorted((self.where[c.id] for c in self.changes if c.kind == "removed"
                       and c.field == "expectation"), key=lambda s: -s[1])
        for side, i in gone:
            text = roundtrip.remove_at(text, path_of(side, i), fmt)
        text = self._reordered(text, fmt, {c.id for c in self.changes if c.kind == "removed"
                                           and c.field == "expectation"})
        for out in edited.outside:
            self.not_absorbed.append(NotAbsorbed(out.place, out.mark.text, out.mark.kind,
                                                 out.mark.author, out.mark.date))
        comments = [AnchoredComment(c.id, self.anchor.get(c.id) or edited.anchors.get(c.id)
                                    or "document", c.author, c.date, c.text)
                    for c in edited.comments]
        return Absorbed(text, version, self.changes, self.not_absorbed, comments,
                        _validated(text, fmt, output, library))


    def _reordered(self, text: str, fmt: str, removed: set[str]) -> str:
        """Rows moved and added put where the document prints them."""
        for side in COLUMNS:
            ids = [e.id for e in expectations_of(self.start.spec, side) if e.id not in removed]
            area_of = {e.id: self.area_now.get(e.id, e.area or "")
                       for e in expectations_of(self.start.spec, side)}
            for added_side, item in self.added:
                if added_side == side:
                    ids.append(item["id"])
                    area_of[item["id"]] = item["area"]
            target = target_order(ids, area_of, [str(x) for x in self.order[side]])
            if target != ids:
                text = reorder(text, fmt, side, ids, target)
        return text


@dataclass
class _New:
    """A row typed anew (no id printed), until it is known whether it is an expectation
    moved or a new one."""

    side: Side
    fields: dict[str, str]
    cell: DocCell
    area: str
    who: tuple[str | None, str | None]
    printed: str | None  # the id the row prints, if any
    id: str = ""


_ID = re.compile(r"[A-Za-z0-9._-]{1,32}")  # as the spec's ids


def _validated(text: str, fmt: str, name: str, library: Any) -> list[Finding]:
    from expectmatrix.checks import check_loaded
    from expectmatrix.spec.loading import load_bytes

    checked = check_loaded(load_bytes(text.encode("utf-8"), name, fmt), library=library)
    return [f for f in checked.findings if f.severity != "info"]

