"""Pydantic's validation errors, retold for the people who write specs.

The allowed keys and choices come from the models themselves, so a new field gets its
did-you-mean without touching this file.
"""

from __future__ import annotations

import typing
from typing import Any

from pydantic import BaseModel

from expectmatrix.spec.findings import Finding, Path
from expectmatrix.spec.models import Spec
from expectmatrix.spec.shape import concrete, side_at

_PATTERN_HINTS = {
    ("deal", "id"): "use 1-64 characters of A-Z a-z 0-9 . _ - (no spaces, no slashes); "
    "it names the output files",
    ("id",): "use 1-32 characters of A-Z a-z 0-9 . _ - such as V1 or C3",
    ("primary_color",): "write a colour as #rrggbb, e.g. #0b5394",
    ("accent_color",): "write a colour as #rrggbb, e.g. #e69138",
    ("currency",): "write a three-letter currency code in capitals, e.g. USD or EUR",
    ("language",): "write a language code such as en, de or fr",
    ("email",): "write an e-mail address such as dana@example.com",
    ("phone",): "write a phone number with digits, spaces, + - ( ) only",
    ("clause",): "write a clause id in lower case, e.g. sandbox-delivery",
    ("calendar",): "write a two-letter ISO 3166 country code in capitals, e.g. DE or US",
}
_MILESTONE_HINT = ("name a milestone in lower case with letters, digits, - and _, "
                   "e.g. go-live")
for _key in ("milestones", "after", "before", "from", "until"):
    _PATTERN_HINTS[(_key,)] = _MILESTONE_HINT


def field_names(model: type[BaseModel]) -> dict[str, str]:
    """The keys a spec writes for a model's fields (``from`` for ``from_``) -> field name."""
    return {info.alias or name: name for name, info in model.model_fields.items()}


def model_at(path: Path, root: type[BaseModel] = Spec) -> type[BaseModel] | None:
    """The model class that describes the mapping at ``path`` (None if not a model)."""
    current: Any = root
    for part in path:
        candidates = concrete(current)
        nxt = None
        for c in candidates:
            if isinstance(part, int) and typing.get_origin(c) is list:
                nxt = typing.get_args(c)[0]
            elif isinstance(part, str) and isinstance(c, type) and issubclass(c, BaseModel):
                info = c.model_fields.get(field_names(c).get(part, part))
                if info is not None:
                    nxt = info.annotation
            if nxt is not None:
                break
        if nxt is None:
            return None
        current = nxt
    for c in concrete(current):
        if isinstance(c, type) and issubclass(c, BaseModel):
            return c
    return None


def did_you_mean(word: str, choices: list[str]) -> str:
    import difflib  # only when something is misspelt

    close = difflib.get_close_matches(str(word), choices, n=1, cutoff=0.6)
    if not close:
        close = [c for c in choices if c.lower() == str(word).lower()]
    return f"; did you mean {close[0]!r}?" if close else ""


def data_path(loc: tuple[Any, ...], tree: Any, missing: bool) -> Path:
    """Drop the union-member tags pydantic puts into ``loc``, keep the real keys."""
    out: list[str | int] = []
    node = tree
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        in_dict = isinstance(node, dict) and isinstance(part, str) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and part < len(node)
        if in_dict or in_list:
            node = node[part]
            out.append(part)
        elif last and (missing or isinstance(node, dict)):
            out.append(part)
    return tuple(out)


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    text = str(value)
    return repr(text if len(text) <= 60 else text[:57] + "...")


def pydantic_finding(err: Any, tree: Any, root: type[BaseModel] = Spec) -> Finding:
    """One pydantic error dict -> a Finding with a plain-language message (no location)."""
    kind = err["type"]
    ctx = err.get("ctx") or {}
    value = err.get("input")
    path = data_path(tuple(err["loc"]), tree, missing=kind in ("missing", "extra_forbidden"))
    name = path[-1] if path else ""

    if kind == "missing":
        return Finding("missing", "required field missing", path=path)
    if kind == "extra_forbidden":
        model = model_at(path[:-1], root)
        allowed = sorted(field_names(model)) if model else []
        hint = did_you_mean(str(name), allowed)
        if not hint and " " in str(name):
            hint = ("; this looks like the rest of a text cut at a comma: inside { } put "
                    "the whole text in quotes")
        elif not hint and allowed:
            hint = f"; allowed here: {', '.join(allowed)}"
        return Finding("unknown-field", f"unknown field {name!r}{hint}", path=path)
    if kind == "literal_error":
        choices = [c.strip().strip("'") for c in str(ctx.get("expected", "")).replace(" or ", ",").split(",")]
        choices = [c for c in choices if c]
        if path == ("format",):
            return Finding("format", f"this spec says format {_shown(value)}; this version of "
                           "expectmatrix reads 'expectmatrix/1' (or leave format out)", path=path)
        return Finding("choice", f"{_shown(value)} is not allowed here; choose one of "
                       f"{', '.join(choices)}{did_you_mean(str(value), choices)}", path=path)
    if kind == "string_pattern_mismatch":
        if err["loc"] and err["loc"][-1] == "[key]" and len(path) > 1:
            name = path[-2]  # a key of a mapping (a milestone's name) is what is wrong
        hint = _PATTERN_HINTS.get(tuple(map(str, path[-2:]))) or _PATTERN_HINTS.get((str(name),),
                                                                                 "")
        return Finding("format", f"{_shown(value)} has the wrong form" + (f": {hint}" if hint else ""),
                       path=path)
    if kind == "string_too_long":
        return Finding("too-long", f"is too long ({len(str(value))} characters; at most "
                       f"{ctx.get('max_length')})", path=path)
    if kind in ("too_short", "list_too_short") or (kind == "too_short"):
        side = side_at(path)
        if len(path) == 2 and side is not None:
            return Finding("empty-list", f"the list is empty; add at least one {side} expectation",
                           path=path)
        return Finding("too-short", f"needs at least {ctx.get('min_length')} entries", path=path)
    if kind == "too_long":
        return Finding("too-long", f"has too many entries (at most {ctx.get('max_length')})",
                       path=path)
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return Finding("type", f"must be a whole number, not {_shown(value)}", path=path)
    if kind in ("decimal_parsing", "decimal_type", "float_parsing", "float_type"):
        return Finding("type", f"must be a number, not {_shown(value)}", path=path)
    if kind in ("finite_number", "decimal_finite_number"):
        return Finding("not-a-number", "must be a finite number (NaN and infinity are not "
                       "amounts)", path=path)
    if kind in ("decimal_max_places", "decimal_max_digits", "decimal_whole_digits"):
        return Finding("type", f"{_shown(value)} has too many digits (at most 2 decimals)",
                       path=path)
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        bound = {"greater_than": "greater than", "greater_than_equal": "at least",
                 "less_than": "less than", "less_than_equal": "at most"}[kind]
        limit = next(iter(ctx.values()), "")
        return Finding("range", f"must be {bound} {limit}, not {_shown(value)}", path=path)
    if kind == "string_type":
        return Finding("type", f"must be text, not {_shown(value)}", path=path)
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return Finding("type", f"must be a mapping of fields (key: value), not {_shown(value)}",
                       path=path)
    if kind == "list_type":
        return Finding("type", f"must be a list (each item on a line starting with '- '), not "
                       f"{_shown(value)}", path=path)
    if kind == "value_error":
        message = str(ctx.get("error") or err.get("msg", "")).removeprefix("Value error, ")
        return Finding("value", message, path=path)
    if kind.startswith("date") or kind.startswith("datetime"):
        return Finding("date", f"not a date: {_shown(value)}; write it as YYYY-MM-DD", path=path)
    return Finding("invalid", err.get("msg", "invalid value"), path=path)
