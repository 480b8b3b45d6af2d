"""What the form editor shows of a spec: its fields as written (even while the spec is
not valid yet), each with the field path its findings carry, the library's wording of
the clauses it uses, and the choices the models allow. Which fields there are, their
labels, kinds, choices and bounds all come from spec/shape.py, which reads the models.
Plain values only: the page template gets nothing else."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from expectmatrix.serve.edits import OWN_WORDING
from expectmatrix.spec.shape import (
    SIDE_LIST,
    FieldPath,
    Placed,
    description,
    expectations_of,
    form_fields,
    format_path,
    list_bound,
    sides,
)
from expectmatrix.spec.terms import INTERNAL_FIELDS

# The input a browser shows for a field's kind (a date is text in the deal's own order:
# a date input would show the browser's, whatever the deal's language).
_INPUT = {"integer": "number", "number": "number"}
_INPUT_BY_NAME = {"email": "email", "phone": "tel"}


def form_view(data: Any, loaded: Any, library: Any,
              internal: Iterable[str] = INTERNAL_FIELDS) -> dict[str, Any]:
    """``data``: the spec as written (the round trip's document); ``loaded``: it checked,
    or None when it cannot be read as a spec at all."""
    data = data if isinstance(data, dict) else {}
    internal = frozenset(internal)
    deal = _map(data.get("deal"))
    language = deal.get("language")
    language = language if isinstance(language, str) else "en"
    view = _View(data, language, internal)
    resolved = {} if loaded is None or loaded.spec is None else {
        row.id: row for side in sides() for row in expectations_of(loaded.spec, side)}
    nonstandard = {} if loaded is None else dict(loaded.nonstandard)
    columns = []
    for side in sides():
        path: FieldPath = ("expectations", SIDE_LIST[side])
        rows = [_row(view, (*path, n), _map(raw), library, resolved, nonstandard)
                for n, raw in enumerate(_list(_at(data, path)))]
        columns.append({"side": side, "heading": description(path).rstrip("."),
                        "rows": rows, "path": format_path(path),
                        "add": f"Add {side} expectation", "full": len(rows) >= list_bound(path)})
    deal_fields = view.fields(("deal",))
    return {
        "segment": _text(deal.get("segment")),
        "deal": [f for f in deal_fields if not f["multiline"]],
        "deal_long": [f for f in deal_fields if f["multiline"]],
        "parties": [_party(view, side) for side in sides()],
        "sides": columns,
        "readiness": view.items(("readiness",), "Question"),
        "readiness_full": _full(data, ("readiness",)),
        "approvals": view.items(("approvals",), "Approval"),
        "approvals_full": _full(data, ("approvals",)),
    }


class _View:
    """The spec as written, and how its fields are shown."""

    def __init__(self, data: dict[str, Any], language: str, internal: frozenset[str]) -> None:
        self.data, self.language, self.internal = data, language, internal

    def fields(self, path: FieldPath, context: str = "", hints: bool = True
               ) -> list[dict[str, Any]]:
        return [self.field(p, hints) for p in form_fields(path, context, self.internal)]

    def items(self, path: FieldPath, noun: str) -> list[dict[str, Any]]:
        return [{"path": format_path((*path, n)), "n": n + 1,
                 "fields": self.fields((*path, n), f"{noun} {n + 1}", hints=False)}
                for n in range(len(_list(_at(self.data, path))))]

    def field(self, placed: Placed, hints: bool) -> dict[str, Any]:
        f = placed.field
        value = _at(self.data, placed.path)
        hint, placeholder = (f.description if hints else ""), f.default
        shown = _text(value)
        if f.kind == "date":
            from expectmatrix.language.formats import format_numeric_date, numeric_date_pattern

            placeholder = numeric_date_pattern(self.language)
            hint = f"Day, month and year as {placeholder}"
            day = _date(value)
            shown = format_numeric_date(day, self.language) if day is not None else shown
        name = str(placed.path[-1])
        return {"path": format_path(placed.path), "name": name,
                "label": placed.label + (" (internal)" if placed.internal else ""),
                "value": shown, "kind": f.kind if f.kind != "choice" else "text",
                "type": _INPUT.get(f.kind, _INPUT_BY_NAME.get(name, "text")),
                "choices": list(f.choices) if f.kind == "choice" else None,
                "multiline": f.multiline, "hint": hint, "placeholder": placeholder,
                "internal": placed.internal}


def _row(view: _View, path: FieldPath, raw: dict[str, Any], library: Any,
         resolved: dict[str, Any], nonstandard: dict[str, str]) -> dict[str, Any]:
    eid = _text(raw.get("id"))
    clause_id = _text(raw.get("clause"))
    clause = library.clauses.get(clause_id) if clause_id and library is not None else None
    given = _map(raw.get("params"))
    where = format_path(path)
    params = [] if clause is None else [
        {"path": f"{where}.params.{name}", "name": name,
         "label": name.replace("_", " ").capitalize(), "value": _text(given.get(name)),
         "kind": p.type, "type": "text" if p.type == "text" else "number", "choices": None,
         "multiline": False, "hint": "", "placeholder": _text(p.default), "internal": False}
        for name, p in clause.params.items()]
    wording = resolved.get(eid)
    fields = {f["name"]: f for f in view.fields(path, hints=False)}
    fields.pop("clause", None)  # picked from the library's list, not typed
    if view.data.get("balance") != "weight":
        fields.pop("weight", None)  # counted by `balance: weight` only
    if clause_id:  # the clause gives the wording
        for name in OWN_WORDING:
            fields.pop(name, None)
    head = [fields.pop(name) for name in ("id", "area") if name in fields]
    if clause is not None and head:
        head[-1]["placeholder"] = clause.area
    return {"id": eid, "path": where, "clause": clause_id, "params": params,
            "known_clause": clause is not None, "head": head, "text": fields.pop("text", None),
            "clause_text": "" if wording is None or not clause_id else wording.text,
            "nonstandard": nonstandard.get(eid, ""), "more": list(fields.values())}


def _party(view: _View, side: str) -> dict[str, Any]:
    path: FieldPath = ("parties", side)
    contacts = (*path, "contacts")
    heading = side.capitalize()
    return {"side": side, "heading": heading, "path": format_path(path),
            "fields": view.fields(path, heading),
            "contacts": view.items(contacts, f"{heading} contact"),
            "contacts_path": format_path(contacts), "full": _full(view.data, contacts)}


def form_clauses(library: Any) -> list[dict[str, Any]]:
    """The picker's list: every clause with its wording at its defaults."""
    if library is None:
        return []
    from expectmatrix.library.clauses import fill

    return [{"id": c.id, "side": c.side, "area": c.area, "segments": " ".join(c.segments),
             "text": fill(c.text, {k: p.default for k, p in c.params.items()
                                   if p.default is not None}) or ""}
            for c in library.clauses.values()]


def _full(data: Any, path: FieldPath) -> bool:
    return len(_list(_at(data, path))) >= list_bound(path)


def _at(data: Any, path: FieldPath) -> Any:
    for step in path:
        if isinstance(step, int):
            data = data[step] if isinstance(data, list) and step < len(data) else None
        else:
            data = data.get(step) if isinstance(data, dict) else None
    return data


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _map(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str:
    """A field as the form's input shows it."""
    if value is None or isinstance(value, dict | list):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
