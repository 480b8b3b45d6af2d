"""Two Views of an agreement -> one View of the new with the old's differences in it, for
the PDF redline: every text that changed holds its deleted and inserted words between
marks that the HTML stage turns into <del> and <ins>; rows, paragraphs and entries only
one side has are kept where they stand, wholly marked. Also the change summary, in the
documents' words.

The marks are private-use characters, which a spec's text may not bring in (they are
taken out of both Views before merging), so every mark in the page is the merge's own.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from expectmatrix.render.view import Cell, View
from expectmatrix.review.compare import shown, word_diff
from expectmatrix.spec.placeholders import fill
from expectmatrix.spec.shape import sides

DEL, DEL_END, INS, INS_END = "\ue000", "\ue001", "\ue002", "\ue003"
_MARKS = re.compile("[\ue000-\ue003]")
_KEEP = ("look", "labels", "spec_json", "created", "generator", "mark", "options", "rtl",
         "language", "keywords", "draft", "internal", "audience", "mark_nonstandard",
         "counterparty_note")


def _clean(value: Any) -> Any:
    """The value with any mark character taken out of its texts."""
    if isinstance(value, str):
        return _MARKS.sub("", value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(value, **{f.name: _clean(getattr(value, f.name))
                                             for f in dataclasses.fields(value)
                                             if f.name not in _KEEP})
    if isinstance(value, list | tuple):
        return type(value)(_clean(v) for v in value)
    return value


def words(old: str, new: str) -> str:
    """``new`` with the phrases of ``old`` it lost and the phrases it gained marked: each
    changed phrase struck whole, then its replacement inserted whole."""
    if old == new:
        return new
    marks = {"delete": (DEL, DEL_END), "insert": (INS, INS_END)}
    return "".join(text if op == "equal" else marks[op][0] + text + marks[op][1]
                   for op, text in shown(word_diff(old, new)))


def whole(value: Any, kind: str) -> Any:
    """Every text of ``value`` marked as deleted (``del``) or inserted (``ins``)."""
    start, end = (DEL, DEL_END) if kind == "del" else (INS, INS_END)
    if isinstance(value, str):
        return f"{start}{value}{end}" if value else value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(value, **{f.name: whole(getattr(value, f.name), kind)
                                             for f in dataclasses.fields(value)
                                             if f.name != "id" or kind == "del"})
    if isinstance(value, list | tuple):
        return type(value)(whole(v, kind) for v in value)
    return value


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return " ".join(_text(getattr(value, f.name)) for f in dataclasses.fields(value))
    if isinstance(value, list | tuple):
        return " ".join(_text(v) for v in value)
    return ""


def _sequence(old: Sequence[Any], new: Sequence[Any]) -> list[Any]:
    a, b = [_text(x) for x in old], [_text(x) for x in new]
    out: list[Any] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out += [merge(o, n) for o, n in zip(old[i1:i2], new[j1:j2], strict=True)]
            continue
        olds, news = list(old[i1:i2]), list(new[j1:j2])
        while olds and news:  # a changed entry is merged with the one it replaces
            o, n = olds[0], news[0]
            if type(o) is type(n) and SequenceMatcher(None, _text(o), _text(n)).ratio() > 0.3:
                out.append(merge(olds.pop(0), news.pop(0)))
            else:
                out.append(whole(olds.pop(0), "del"))
        out += [whole(o, "del") for o in olds] + [whole(n, "ins") for n in news]
    return out


def merge(old: Any, new: Any) -> Any:
    """``new`` with ``old``'s differences marked in its texts."""
    if isinstance(new, str):
        return words(old, new) if isinstance(old, str) else new
    if new is None or old is None:
        return whole(old, "del") if new is None and old is not None else (
            whole(new, "ins") if old is None and new is not None else new)
    if dataclasses.is_dataclass(new) and not isinstance(new, type) and type(old) is type(new):
        return dataclasses.replace(new, **{
            f.name: merge(getattr(old, f.name), getattr(new, f.name))
            for f in dataclasses.fields(new) if f.name not in _KEEP})
    if isinstance(new, list | tuple) and isinstance(old, list | tuple):
        if all(isinstance(x, str) for x in (*old, *new)) and len(old) == len(new) == 2:
            pair = [merge(o, n) for o, n in zip(old, new, strict=True)]
            return tuple(pair) if isinstance(new, tuple) else pair
        merged = _sequence(old, new)
        return tuple(merged) if isinstance(new, tuple) else merged
    return new


def merged_view(old: View, new: View) -> View:
    """The new View with the old one's differences marked (see the module's doc)."""
    merged = merge(_clean(old), _clean(new))
    assert isinstance(merged, View)
    return merged


# --- the summary ----------------------------------------------------------------------------


def _cells(view: View) -> dict[str, dict[str, Cell]]:
    """Each side's cells by id, the vendor's first."""
    return {side: {c.id: c for a in view.areas for r in a.rows
                   if (c := getattr(r, side)) is not None} for side in sides()}


def _by_id(ids: Iterable[str]) -> list[str]:
    """Ids in the order a reader counts them: V2 before V10."""
    return sorted(ids, key=lambda i: [int(p) if p.isdigit() else p
                                      for p in re.split(r"(\d+)", i)])


def _cell_details(old: Cell | None, new: Cell | None) -> list[str]:
    """What a reader needs to see of a cell's change: the text and each detail that
    differ, the words marked; an added or removed cell whole."""
    if old is None or new is None:
        cell, kind = (new, "ins") if old is None else (old, "del")
        assert cell is not None
        return [whole(cell.text, kind)] + [f"{label}: {whole(value, kind)}"
                                           for label, value in cell.details]
    out = [words(old.text, new.text)] if old.text != new.text else []
    before, after = dict(old.details), dict(new.details)
    for label in dict.fromkeys([*after, *before]):
        a, b = before.get(label, ""), after.get(label, "")
        if a != b:
            out.append(f"{label}: {words(a, b)}")
    return out


@dataclass(frozen=True)
class Said:
    """One line of the summary, and what it changed (texts with their marks)."""

    line: str
    details: tuple[str, ...] = ()


def summary(old: View, new: View) -> list[Said]:
    """What changed, in the documents' words: "Annual contract value: US$14,400.00 ->
    US$15,600.00", the vendor's expectations then the customer's, each in id order
    ("V2 changed" with the words that changed), "Readiness question 2 added"."""
    old, new = _clean(old), _clean(new)  # every mark in the details is the summary's own
    labels = new.labels
    said: list[Said] = []
    arrow = " \u2192 "
    before = dict(old.facts)
    for label, value in new.facts:
        if before.get(label) != value:
            said.append(Said(f"{label}: {before.get(label, '–')}{arrow}{value}"))
    for label in before.keys() - dict(new.facts).keys():
        said.append(Said(f"{label}: {before[label]}{arrow}–"))
    for attr in sides():
        a, b = getattr(old, attr), getattr(new, attr)
        if a != b:
            said.append(Said(fill(str(labels["redline_party"]), party=b.name)))
    for f_old, f_new in zip(old.preamble + old.readiness_terms + old.remedies,
                            new.preamble + new.readiness_terms + new.remedies, strict=False):
        if f_old.text != f_new.text:
            said.append(Said(fill(str(labels["redline_frame"]), wording=f_new.text[:60] + "…"),
                             (words(f_old.text, f_new.text),)))
    cells_old, cells_new = _cells(old), _cells(new)
    for side in sides():
        was, now = cells_old[side], cells_new[side]
        for cid in _by_id(was.keys() | now.keys()):
            a, b = was.get(cid), now.get(cid)
            key = "redline_added" if a is None else "redline_removed" if b is None else (
                "redline_changed" if a != b else None)
            if key:
                said.append(Said(fill(str(labels[key]), what=cid),
                                 tuple(_cell_details(a, b))))
    questions_old = [r.question for r in old.readiness]
    for i, item in enumerate(new.readiness, start=1):
        what = fill(str(labels["redline_question"]), n=i)
        if item.question not in questions_old:
            said.append(Said(fill(str(labels["redline_added"]), what=what),
                             (whole(item.question, "ins"),)))
        elif old.readiness[questions_old.index(item.question)] != item:
            said.append(Said(fill(str(labels["redline_changed"]), what=what)))
    for q in questions_old:
        if q not in [r.question for r in new.readiness]:
            said.append(Said(fill(str(labels["redline_removed"]), what=q)))
    if old.approvals != new.approvals:
        said.append(Said(str(labels["approvals"])))
    return said
