"""A spec the model refused, made usable for the checks after it: so that one run of
`validate` reports the rules (balance, ids, clauses, wording) beside the format errors,
instead of one round of problems per run.

Each value the model refused is set aside: a field that may be left out is left out, one
that may be empty is emptied, and a required one gets a stand-in of its type. The paths
set aside are returned, so that findings caused by the stand-ins are not reported.
"""

from __future__ import annotations

import copy
import typing
from collections import Counter
from typing import Any

from pydantic import BaseModel, ValidationError

from expectmatrix.spec.findings import Finding
from expectmatrix.spec.findings import Path as FieldPath
from expectmatrix.spec.messages import data_path, model_at
from expectmatrix.spec.models import Spec
from expectmatrix.spec.shape import concrete

MAX_ROUNDS = 12  # each round sets aside what the last refused; nesting is six deep

# What a stand-in or a left-out value can cause in the checks after the model: reported
# for the same item (expectation, party, readiness question), these are not the spec's.
CAUSED = frozenset({"missing", "params", "no-measure", "no-owner", "missing-param",
                    "unknown-param", "param-type", "clause-side", "unknown-clause",
                    "nonstandard", "no-details", "no-signatory", "no-signatory-title",
                    "one-sided-area", "duplicate-text", "untranslated", "clause-language",
                    "readiness", "duplicate-approval", "approval-date"})


def salvage(tree: Any) -> tuple[Spec | None, list[FieldPath]]:
    """(a spec for the later checks, or None when none can be made; the paths set aside)."""
    if not isinstance(tree, dict):
        return None, []
    work = copy.deepcopy(tree)
    set_aside: list[FieldPath] = []
    tries: Counter[FieldPath] = Counter()
    for _ in range(MAX_ROUNDS):
        try:
            return _named(Spec.model_validate(work), set_aside), set_aside
        except ValidationError as exc:
            errors = exc.errors(include_url=False)
        progress = False
        # Deepest first, so that leaving out an item does not shift the paths of others.
        for kind, path in sorted(((e["type"], data_path(tuple(e["loc"]), work, missing=e[
                "type"] in ("missing", "extra_forbidden"))) for e in errors),
                key=lambda x: -len(x[1])):
            tries[path] += 1
            target = path if tries[path] <= 2 else path[:-1]
            kind = kind if target == path else "invalid"
            if target and _set_aside(work, target, kind):
                progress = True
                if kind != "extra_forbidden":  # a key left out changes nothing else
                    set_aside.append(target)
        if not progress:
            return None, set_aside
    return None, set_aside


def _named(spec: Spec, set_aside: list[FieldPath]) -> Spec:
    """An expectation whose id was set aside is called by its place (of_customer[2]) in
    what the later checks say of it; no id can be written that way, so none is taken."""
    from expectmatrix.spec.shape import format_path

    lists: dict[str, list[Any]] = {}
    for path in set_aside:
        if len(path) == 4 and path[0] == "expectations" and path[3] == "id":
            name, index = str(path[1]), int(path[2])
            items = lists.setdefault(name, list(getattr(spec.expectations, name)))
            items[index] = items[index].model_copy(update={"id": format_path(path[1:3])})
    if not lists:
        return spec
    return spec.model_copy(update={"expectations": spec.expectations.model_copy(update=lists)})


def _set_aside(work: Any, path: FieldPath, kind: str) -> bool:
    parent = work
    for part in path[:-1]:
        try:
            parent = parent[part]
        except (KeyError, IndexError, TypeError):
            return False
    key = path[-1]
    if kind == "extra_forbidden":
        if isinstance(parent, dict):
            parent.pop(key, None)
            return True
        return False
    annotation, required = _field(path)
    if annotation is None:
        return False
    current = parent.get(key) if isinstance(parent, dict) else None
    if kind in ("too_short", "list_too_short") and isinstance(current, list):
        current.append({})  # an empty list of expectations: one stand-in to check against
        return True
    if isinstance(parent, dict) and not required:
        if _nullable(annotation):
            parent[key] = None
        else:
            parent.pop(key, None)
        return True
    stand_in = _stand_in(annotation, path)
    if stand_in is _NONE:
        return False
    try:
        parent[key] = stand_in
    except (TypeError, IndexError):
        return False
    return True


def _field(path: FieldPath) -> tuple[Any, bool]:
    """The annotation of the value at ``path`` and whether it is required."""
    key = path[-1]
    if isinstance(key, int):  # an item of a list: its type is the list's item type
        holder, name = model_at(path[:-2]), path[-2]
        info = holder.model_fields.get(str(name)) if holder else None
        if info is None:
            return None, True
        lists = [t for t in concrete(info.annotation) if typing.get_origin(t) is list]
        return (typing.get_args(lists[0])[0], True) if lists else (None, True)
    holder = model_at(path[:-1])
    info = holder.model_fields.get(key) if holder else None
    if info is None:
        return None, True
    return info.annotation, info.is_required() and not _nullable(info.annotation)


def _nullable(annotation: Any) -> bool:
    return type(None) in concrete(annotation)


_NONE = object()


def _stand_in(annotation: Any, path: FieldPath) -> Any:
    import datetime as dt
    import zlib
    from decimal import Decimal

    for t in concrete(annotation):
        if typing.get_origin(t) is typing.Literal:
            return typing.get_args(t)[0]
        if t is str:  # named after its place: an id that no other expectation has
            return f"set-aside-{zlib.crc32(repr(path).encode()):08x}"
        if t is bool:
            return False
        if t is int:
            return 1
        if t is Decimal:
            return "0"
        if t is dt.date:
            return "2000-01-01"
        if typing.get_origin(t) is list:
            return []
        if typing.get_origin(t) is dict:
            return {}
        if isinstance(t, type) and issubclass(t, BaseModel):
            return {}
    return _NONE


# What setting aside one field of an expectation can cause on it (any other: all CAUSED).
_FIELD_CAUSES = {
    "weight": frozenset(), "id": frozenset(), "due": frozenset({"vague-due"}),
    "measure": frozenset({"no-measure", "nonstandard"}),
    "owner": frozenset({"no-owner", "nonstandard"}),
    "area": frozenset({"missing", "one-sided-area", "nonstandard", "untranslated"}),
    "text": frozenset({"missing", "duplicate-text", "nonstandard", "untranslated"}),
    "params": frozenset({"missing-param", "param-type", "unknown-param", "nonstandard"}),
}


def _causes(aside: FieldPath) -> frozenset[str]:
    if aside[:1] == ("expectations",) and len(aside) >= 4:
        return _FIELD_CAUSES.get(str(aside[3]), CAUSED)
    return CAUSED


def item_of(path: FieldPath) -> FieldPath:
    """The item a field belongs to: an expectation, a party, a readiness question."""
    return path[:3] if path[:1] == ("expectations",) else path[:2]


def caused(finding: Finding, set_aside: list[FieldPath], balance: str = "count") -> bool:
    """Whether a finding of the later checks may come from a stand-in rather than from the
    spec: one at or under a path set aside, one of CAUSED on the same item, or a balance
    that what was set aside would change."""
    path = finding.path
    for aside in set_aside:
        if path[:len(aside)] == aside:
            return True
        if (len(path) >= 2 and item_of(path) == item_of(aside)
                and finding.code in _causes(aside)):
            return True
        if finding.code == "unbalanced" and aside[:1] == ("expectations",) and _moves(
                aside, balance):
            return True
        if finding.code == "one-sided-area" and aside[:1] == ("expectations",) and _moves(
                aside, "area"):
            return True
    return False


def _moves(aside: FieldPath, balance: str) -> bool:
    """Whether setting ``aside`` aside can change the balance: a list always; an item, an
    area or a clause that could not be used (its area unknown) by area; an item or a
    weight by weight."""
    if len(aside) <= 2:
        return True
    if balance == "area":
        return len(aside) == 3 or aside[-1] in ("area", "clause")
    if balance == "weight":
        return len(aside) == 3 or aside[-1] == "weight"
    return False
