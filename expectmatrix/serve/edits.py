"""What the form editor does to a spec: set a field, add, move or remove a row, pick a
clause for a row or make its wording the row's own. Each is made on the spec's text
through spec/roundtrip.py, so the file keeps its comments, key order and quoting; whether
the result is valid is not decided here: the same checks as `validate` say so after.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import threading
from dataclasses import dataclass
from typing import Any, Literal

from expectmatrix.errors import EditRefused, NoSuchField
from expectmatrix.spec.roundtrip import (
    Document,
    load,
    move_lines,
    where,
)
from expectmatrix.spec.shape import (
    LIST_SIDE,
    expectations_of,
    format_path,
    list_bound,
    next_id,
    sides,
)

Op = Literal["set", "add", "remove", "move", "clause", "own-text"]
OPS: tuple[Op, ...] = ("set", "add", "remove", "move", "clause", "own-text")
Kind = Literal["text", "integer", "number", "date"]
KINDS: tuple[Kind, ...] = ("text", "integer", "number", "date")

# What "Add" puts at the end of each list: the least a rep fills in next.
_NEW_ITEMS: dict[str, dict[str, Any]] = {
    "readiness": {"question": "", "answer": "unknown"},
    "approvals": {"name": "", "side": "vendor", "role": ""},
    "contacts": {"name": ""},
}
# Taking a clause replaces the row's own wording: the library's applies.
_WORDING = ("text", "measure", "due", "owner", "params")
OWN_WORDING = ("text", "measure", "due", "owner")


@dataclass(frozen=True)
class Edit:
    """One change from the form. ``path`` is a field path as findings print it
    (``parties.customer.contacts[2].email``)."""

    op: Op
    path: str
    value: str = ""  # set: the new value, "" removes an optional field; clause: its id
    kind: Kind = "text"  # set: how the value is written
    delta: int = 0  # move: -1 up, +1 down

    @classmethod
    def from_json(cls, data: Any) -> Edit:
        if not isinstance(data, dict) or data.get("op") not in OPS:
            raise EditRefused(f"an edit needs an op, one of {', '.join(OPS)}")
        kind = data.get("kind", "text")
        if kind not in KINDS:
            raise EditRefused(f"kind is {', '.join(KINDS[:-1])} or {KINDS[-1]}")
        delta = data.get("delta", 0)
        if type(delta) is not int or delta not in (-1, 0, 1):  # not 1.0, not true
            raise EditRefused("delta is -1 or 1")
        value = data.get("value", "")
        if not isinstance(value, str) or not isinstance(data.get("path", ""), str):
            raise EditRefused("path and value are strings")
        return cls(data["op"], data.get("path", ""), value, kind, delta)


class Recent:
    """The documents of the last few texts an edit made, by the text's hash: the next
    edit of the same form arrives with that text, and reading it again would be most of
    the edit's time (ruamel.yaml's round-trip parser is pure Python). A document is
    handed out once, as the edit changes it in place."""

    def __init__(self, keep: int = 8) -> None:
        self.keep = keep
        self._documents: dict[str, Document] = {}
        self._lock = threading.Lock()  # edits run on several threads

    def load(self, text: str, fmt: str = "yaml") -> Document:
        with self._lock:
            found = self._documents.pop(_key(text, fmt), None)
        return found if found is not None else load(text, fmt)

    def remember(self, text: str, doc: Document) -> None:
        with self._lock:
            self._documents[_key(text, doc.fmt)] = doc
            while len(self._documents) > self.keep:
                self._documents.pop(next(iter(self._documents)))


def _key(text: str, fmt: str) -> str:
    return fmt + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def apply(text: str, edit: Edit, fmt: str = "yaml", resolved: Any = None,
          recent: Recent | None = None) -> str:
    """The text with ``edit`` made: the one way the form changes a spec. ``resolved``:
    the checked spec, whose library wording "own-text" copies into the row; ``recent``:
    where the documents of the last edits are kept, to start from and to remember."""
    try:
        if edit.op in ("remove", "move"):  # rows that move take their comments along
            moved = move_lines(text, edit.path, edit.delta if edit.op == "move" else None, fmt)
            if moved is not None:
                return moved
        doc = recent.load(text, fmt) if recent is not None else load(text, fmt)
        apply_to(doc, edit, resolved)
    except NoSuchField as e:
        raise EditRefused(f"{e}: the form may be out of date, reload it") from None
    after = doc.dump()
    if recent is not None:
        recent.remember(after, doc)
    return after


def apply_to(doc: Document, edit: Edit, resolved: Any = None) -> None:
    """Make ``edit`` in the loaded document."""
    path = where(edit.path)
    if edit.op == "set":
        value = _typed(edit.value, edit.kind, _language(doc))
        if value != "":
            doc.set(path, value)
        elif isinstance(path[-1], str):  # an emptied field is taken out, and maps with it
            doc.remove(path, prune=True, missing_ok=True)
        else:
            doc.set(path, "")
    elif edit.op == "add":
        doc.insert(path, _new_item(path, doc))
    elif edit.op == "remove":
        doc.remove(path)
    elif edit.op == "move":
        doc.move(path, edit.delta)
    else:
        row = doc.get(path)
        if not isinstance(row, dict) or len(path) < 3 or path[1] not in LIST_SIDE:
            raise EditRefused(f"{edit.path} is not an expectation")
        if edit.op == "clause":
            for name in _WORDING:
                row.pop(name, None)
            row["clause"] = edit.value
        else:  # own-text: the library's wording becomes the row's own
            wording = _resolved_row(resolved, row.get("id"))
            row.pop("clause", None)
            row.pop("params", None)
            for name in OWN_WORDING:
                if wording.get(name) and not row.get(name):
                    row[name] = wording[name]


def _language(doc: Document) -> str:
    deal = doc.data.get("deal") if isinstance(doc.data, dict) else None
    language = deal.get("language") if isinstance(deal, dict) else None
    return language if isinstance(language, str) else "en"


def _typed(value: str, kind: Kind, language: str) -> Any:
    """What the form sent, as the spec writes it; a value that does not read as its
    kind is kept as text, for validation to explain. A date is written as the form shows
    it, in the order of the deal's language (31/01/2027), or as YYYY-MM-DD."""
    if kind == "text":
        return value
    value = value.strip()
    if kind == "date":
        from expectmatrix.language.formats import parse_numeric_date

        day = parse_numeric_date(value, language)
        return day if day is not None else value
    if re.fullmatch(r"-?\d{1,15}", value):
        return int(value)
    if kind == "number" and re.fullmatch(r"-?\d{0,15}\.\d{1,6}", value):
        return float(value)
    return value


def _new_item(path: tuple[str | int, ...], doc: Document) -> Any:
    from ruamel.yaml.comments import CommentedMap

    try:
        items = doc.get(path)
    except NoSuchField:
        items = []
    if not isinstance(items, list):
        raise EditRefused(f"{format_path(path)} is not a list")
    bound = list_bound(path)
    if len(items) >= bound:
        raise EditRefused(f"a spec holds at most {bound} rows in {format_path(path)}")
    name = str(path[-1])
    if len(path) == 2 and path[0] == "expectations" and name in LIST_SIDE:
        ids = [str(i.get("id", "")) for i in items if isinstance(i, dict)]
        item = CommentedMap(id=next_id(ids, LIST_SIDE[name]))
        areas = [i.get("area") for i in items if isinstance(i, dict) and i.get("area")]
        if areas:
            item["area"] = areas[-1]
        item["text"] = ""
        return item
    if name not in _NEW_ITEMS:
        raise EditRefused(f"rows cannot be added to {name}")
    item = CommentedMap(_NEW_ITEMS[name])
    if name == "approvals":
        item["date"] = dt.date.today()
    return item


def _resolved_row(resolved: Any, eid: Any) -> dict[str, str]:
    if resolved is None:
        raise EditRefused("the spec must be valid before a clause's wording can be copied")
    for side in sides():
        for row in expectations_of(resolved, side):
            if row.id == eid:
                return {name: getattr(row, name) for name in OWN_WORDING}
    raise EditRefused(f"there is no expectation {eid}")
