"""What the form editor shows of a spec: its fields as written (even while the spec is
not valid yet), each with the field path its findings carry, the library's wording of
the clauses it uses, and the choices the models allow. Plain values only: the page
template gets nothing else."""

from __future__ import annotations

from typing import Any, get_args

from expectmatrix.spec.terms import SEGMENTS, SIDES, STATUSES, Answer

COLUMNS = (("of_vendor", "vendor", "What the customer can expect of the vendor"),
         ("of_customer", "customer", "What the vendor can expect of the customer"))
ROW_FIELDS = ("area", "text", "measure", "due", "owner")


def form_view(data: Any, loaded: Any, library: Any) -> dict[str, Any]:
    """``data``: the spec as written (the round trip's document); ``loaded``: it checked,
    or None when it cannot be read as a spec at all."""
    data = data if isinstance(data, dict) else {}
    resolved = {} if loaded is None or loaded.spec is None else {
        row.id: row for row in (*loaded.spec.expectations.of_vendor,
                                *loaded.spec.expectations.of_customer)}
    nonstandard = {} if loaded is None else dict(loaded.nonstandard)
    expectations = _map(data.get("expectations"))
    sides = []
    for key, side, heading in COLUMNS:
        rows = [_row(f"expectations.{key}[{n}]", _map(raw), library, resolved, nonstandard)
                for n, raw in enumerate(_list(expectations.get(key)))]
        sides.append({"key": key, "side": side, "heading": heading, "rows": rows,
                      "path": f"expectations.{key}",
                      "add": f"Add {side} expectation"})
    deal = _map(data.get("deal"))
    parties = _map(data.get("parties"))
    return {
        "deal": {name: _text(deal.get(name)) for name in (
            "id", "title", "segment", "effective", "version", "status", "language", "term",
            "notes", "nps")} | {
            "amount": _text(_map(deal.get("value")).get("amount")),
            "currency": _text(_map(deal.get("value")).get("currency")),
            "margin": _text(_map(deal.get("margin")).get("amount"))},
        "parties": [_party(side, _map(parties.get(side))) for side in ("vendor", "customer")],
        "sides": sides,
        "readiness": [{"path": f"readiness[{n}]"} | {
            name: _text(_map(item).get(name)) for name in ("question", "answer", "note")}
            for n, item in enumerate(_list(data.get("readiness")))],
        "approvals": [{"path": f"approvals[{n}]"} | {
            name: _text(_map(item).get(name)) for name in ("name", "side", "role", "date")}
            for n, item in enumerate(_list(data.get("approvals")))],
        "choices": {"segments": list(SEGMENTS), "statuses": list(STATUSES),
                    "answers": list(get_args(Answer)), "sides": list(SIDES)},
    }


def _row(path: str, raw: dict[str, Any], library: Any, resolved: dict[str, Any],
         nonstandard: dict[str, str]) -> dict[str, Any]:
    eid = _text(raw.get("id"))
    clause_id = _text(raw.get("clause"))
    clause = library.clauses.get(clause_id) if clause_id and library is not None else None
    given = _map(raw.get("params"))
    params = [] if clause is None else [
        {"name": name, "type": p.type, "default": _text(p.default),
         "value": _text(given.get(name)), "path": f"{path}.params.{name}"}
        for name, p in clause.params.items()]
    wording = resolved.get(eid)
    return {"id": eid, "path": path, "clause": clause_id, "params": params,
            "known_clause": clause is not None,
            "area_hint": clause.area if clause is not None else "",
            "clause_text": "" if wording is None or not clause_id else wording.text,
            "nonstandard": nonstandard.get(eid, ""),
            **{name: _text(raw.get(name)) for name in ROW_FIELDS}}


def _party(side: str, raw: dict[str, Any]) -> dict[str, Any]:
    signatory = _map(raw.get("signatory"))
    return {"side": side, "path": f"parties.{side}",
            "name": _text(raw.get("name")), "address": _text(raw.get("address")),
            "registration": _text(raw.get("registration")),
            "signatory_name": _text(signatory.get("name")),
            "signatory_title": _text(signatory.get("title")),
            "contacts": [{"path": f"parties.{side}.contacts[{n}]"} | {
                name: _text(_map(c).get(name)) for name in ("name", "role", "email", "phone")}
                for n, c in enumerate(_list(raw.get("contacts")))]}


def form_clauses(library: Any) -> list[dict[str, Any]]:
    """The picker's list: every clause with its wording at its defaults."""
    if library is None:
        return []
    from expectmatrix.library.clauses import fill

    return [{"id": c.id, "side": c.side, "area": c.area, "segments": " ".join(c.segments),
             "text": fill(c.text, {k: p.default for k, p in c.params.items()
                                   if p.default is not None}) or ""}
            for c in library.clauses.values()]


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
