"""The spec's shape, owned here and asked by every other stage: its two sides and the
lists that hold their expectations, the id prefix of each side, field paths, with one
grammar to read and write them (findings, CSV columns and the browser's edits all use it),
how many items each list may hold, and the fields a form shows, all read off the models.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from expectmatrix.spec.terms import INTERNAL_FIELDS, SIDES, Side

if TYPE_CHECKING:
    from expectmatrix.spec.models import Expectation, Spec

# The list of the spec that holds what can be expected of each side.
SIDE_LIST: dict[Side, str] = {"vendor": "of_vendor", "customer": "of_customer"}
LIST_SIDE: dict[str, Side] = {name: side for side, name in SIDE_LIST.items()}
# Ids drafted for a side start with its letter: V1, V2 ... and C1, C2 ...
ID_PREFIX: dict[Side, str] = {"vendor": "V", "customer": "C"}

FieldPath = tuple[str | int, ...]
MAX_PATH = 300  # characters of a written field path
MAX_DEPTH = 12  # steps: the deepest field of a spec is six


class PathError(ValueError):
    """A text that is not a field path."""


def list_name(side: Side) -> str:
    """``"vendor"`` -> ``"of_vendor"``."""
    return SIDE_LIST[side]


def side_of(name: str) -> Side:
    """``"of_vendor"`` -> ``"vendor"``; a name that is no side's list is refused."""
    try:
        return LIST_SIDE[name]
    except KeyError:
        raise ValueError(f"{name!r} is not a list of expectations; use "
                         f"{' or '.join(SIDE_LIST.values())}") from None


def expectations_of(spec: Spec, side: Side) -> list[Expectation]:
    """What can be expected of ``side``, in the spec's order."""
    return list(getattr(spec.expectations, SIDE_LIST[side]))


def sides() -> tuple[Side, ...]:
    """Both sides, the vendor's first, as every document and list shows them."""
    return SIDES  # type: ignore[return-value]


def path_of(side: Side, index: int, *rest: str | int) -> FieldPath:
    """Where an expectation (or one of its fields) is: ``expectations.of_vendor[2].text``."""
    return ("expectations", SIDE_LIST[side], index, *rest)


def located(spec: Spec) -> list[tuple[Side, FieldPath, Expectation]]:
    """Every expectation with its side and its path, the vendor's first."""
    return [(side, path_of(side, i), e) for side in sides()
            for i, e in enumerate(expectations_of(spec, side))]


def side_at(path: FieldPath) -> Side | None:
    """The side whose list ``path`` points into, if any."""
    if len(path) >= 2 and path[0] == "expectations" and isinstance(path[1], str):
        return LIST_SIDE.get(path[1])
    return None


def next_id(ids: Iterable[str], side: Side) -> str:
    """The next free id of ``side``: one past the highest ``V<n>`` (or ``C<n>``) in use."""
    prefix = ID_PREFIX[side]
    numbers = [int(i[len(prefix):]) for i in ids
               if i.startswith(prefix) and i[len(prefix):].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1}"


# A name, then names after dots or indexes in brackets; a CSV header may also write an
# index as a dotted number (expectations.of_vendor.0.text). Names are the spec's keys:
# letters, digits, _ and - (milestones such as go-live), never all digits.
_STEP = re.compile(r"(?:^|\.)([\w][\w-]*)|\[(\d+)\]")
MAX_INDEX_DIGITS = 6


def parse_path(text: str) -> FieldPath:
    """``expectations.of_vendor[0].text`` (or ``expectations.of_vendor.0.text``) ->
    ``("expectations", "of_vendor", 0, "text")``. Anything else is refused with
    :class:`PathError`."""
    if len(text) > MAX_PATH:
        raise PathError(f"the field path is longer than {MAX_PATH} characters")
    parts: list[str | int] = []
    at = 0
    while at < len(text):
        m = _STEP.match(text, at)
        first = at == 0 and (m is None or m.group(1) is None or m.group(1).isdigit()
                             or text.startswith("."))
        if m is None or first:
            raise PathError(f"{text!r} is not a field path (write it as "
                            "expectations.of_vendor[0].text)")
        name, index = m.groups()
        number = index if index is not None else name if name.isdigit() else None
        if number is not None and len(number) > MAX_INDEX_DIGITS:
            raise PathError(f"{text!r} has an index larger than any list of a spec")
        parts.append(int(number) if number is not None else name)
        at = m.end()
    if not parts:
        raise PathError("the field path is empty")
    if len(parts) > MAX_DEPTH:
        raise PathError(f"{text!r} is deeper than any field of a spec")
    return tuple(parts)


def format_path(path: Iterable[str | int]) -> str:
    """``("expectations", "of_customer", 2, "text")`` -> ``expectations.of_customer[2].text``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


def unindexed(path: Iterable[str | int]) -> str:
    """A path without its list indexes, as terms.INTERNAL_FIELDS names fields:
    ``readiness[2].note`` -> ``readiness.note``."""
    return ".".join(part for part in path if isinstance(part, str))


# --- what the models say about a path -----------------------------------------------------

DEFAULT_LIST_BOUND = 100  # a list the models do not bound (none, today)


def concrete(annotation: Any) -> list[Any]:
    """The concrete types inside Optional, unions and Annotated."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return concrete(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [t for arg in typing.get_args(annotation) for t in concrete(arg)]
    return [annotation]


def _constraint(annotation: Any, metadata: Iterable[Any], name: str) -> Any:
    """A constraint such as max_length, wherever pydantic keeps it: on the field, or in an
    Annotated inside an Optional."""
    from pydantic.fields import FieldInfo

    items = list(metadata)
    stack = [annotation]
    while stack:
        a = stack.pop()
        if typing.get_origin(a) is typing.Annotated:
            first, *more = typing.get_args(a)
            items += more
            stack.append(first)
        elif typing.get_origin(a) in (typing.Union, types.UnionType):
            stack += typing.get_args(a)
    while items:
        item = items.pop(0)
        if isinstance(item, FieldInfo):
            items += item.metadata
        elif getattr(item, name, None) is not None:
            return getattr(item, name)
    return None


def _model_of(annotation: Any) -> Any:
    """The model a field holds (or its list's items hold), or None."""
    from pydantic import BaseModel

    for t in concrete(annotation):
        inner = typing.get_args(t)[0] if typing.get_origin(t) is list else t
        for c in concrete(inner):
            if isinstance(c, type) and issubclass(c, BaseModel):
                return c
    return None


def _field_at(path: FieldPath) -> Any:
    """The pydantic field the last name of ``path`` names (indexes into its lists are
    skipped), or None where the models have no such field."""
    from expectmatrix.spec.models import Spec

    model: Any = Spec
    field = None
    for part in path:
        if isinstance(part, int):
            if field is None:
                return None
            continue
        if model is None:
            return None
        names = {info.alias or name: name for name, info in model.model_fields.items()}
        field = model.model_fields.get(names.get(part, ""))
        if field is None:
            return None
        model = _model_of(field.annotation)
    return field


@lru_cache(maxsize=256)
def list_bound(path: FieldPath) -> int:
    """How many items the models allow in the list at ``path`` (``("approvals",)`` -> 50):
    a CSV column or a form's "Add" goes no further. DEFAULT_LIST_BOUND for a list the
    models do not bound, or a path they do not know."""
    field = _field_at(path)
    bound = None if field is None else _constraint(field.annotation, field.metadata,
                                                    "max_length")
    return bound if isinstance(bound, int) else DEFAULT_LIST_BOUND


def index_problem(path: FieldPath) -> str | None:
    """What is wrong with a path that gives an index ([0]) to a field that is not a list
    (``deal.id[0]``), in words for the person who wrote the header; None otherwise."""
    import typing

    from pydantic import BaseModel

    from expectmatrix.spec.models import Spec

    annotation: Any = Spec
    for position, part in enumerate(path):
        kinds = [k for k in concrete(annotation) if k is not type(None)]
        if isinstance(part, int):
            lists = [k for k in kinds if typing.get_origin(k) is list]
            if not lists:
                where = format_path(path[:position])
                grouped = any((isinstance(k, type) and issubclass(k, BaseModel))
                              or typing.get_origin(k) is dict for k in kinds)
                what = "a group of fields" if grouped else "a single value"
                return f"{where} is {what}, not a list, so it has no [{part}]"
            annotation = typing.get_args(lists[0])[0]
            continue
        models = [k for k in kinds if isinstance(k, type) and issubclass(k, BaseModel)]
        field = next((m.model_fields[part] for m in models if part in m.model_fields), None)
        if field is None:
            return None  # an unknown field or a free mapping: the model says what is wrong
        annotation = field.annotation
    return None


@lru_cache(maxsize=512)
def is_number(path: FieldPath) -> bool:
    """Whether the spec holds only a number at ``path`` (an amount, a version, a score):
    the cells a --number-format reads. A clause parameter may be text, so it is not."""
    import typing
    from decimal import Decimal

    from pydantic import BaseModel

    from expectmatrix.spec.models import Spec

    annotation: Any = Spec
    for part in path:
        kinds = [k for k in concrete(annotation) if k is not type(None)]
        if isinstance(part, int):
            lists = [k for k in kinds if typing.get_origin(k) is list]
            if not lists:
                return False
            annotation = typing.get_args(lists[0])[0]
            continue
        models = [k for k in kinds if isinstance(k, type) and issubclass(k, BaseModel)]
        field = next((m.model_fields[part] for m in models if part in m.model_fields), None)
        if field is None:
            return False
        annotation = field.annotation
    kinds = [k for k in concrete(annotation) if k is not type(None)]
    return bool(kinds) and all(k in (int, Decimal) for k in kinds)


def description(path: FieldPath) -> str:
    """What the models say a field is for, or ""."""
    field = _field_at(path)
    return "" if field is None else field.description or ""


# --- the fields a form shows --------------------------------------------------------------

Kind = typing.Literal["text", "integer", "number", "date", "choice"]


@dataclass(frozen=True)
class FormField:
    """A field a form shows: one value, written at ``path`` (relative to its model)."""

    path: FieldPath
    label: str
    description: str
    kind: Kind
    choices: tuple[str, ...] = ()
    multiline: bool = False  # long text (a paragraph, not a line)
    required: bool = False
    default: str = ""


@dataclass(frozen=True)
class Placed:
    """A form field where a spec holds it, with the words to label it by."""

    field: FormField
    path: FieldPath
    label: str
    internal: bool


def form_fields(path: FieldPath, context: str = "",
                internal: Iterable[str] = INTERNAL_FIELDS) -> list[Placed]:
    """The fields a form shows of the model at ``path`` (``("deal",)``,
    ``("readiness", 2)``), in the model's order: its single values, and those of the
    models it holds one of (``deal.value.amount``); lists and mappings are left to the
    form's own rows. Labels come from the models: a field's title or its name; a field of
    a held model is named after it (``Value currency``), its first field by its name
    alone (``Signatory``); ``context`` names the item the fields belong to in the same way
    (``Question 2``, ``Question 2 note``). ``internal``: what only the vendor's own
    people see (terms.INTERNAL_FIELDS or an organisation's own list)."""
    field = _field_at(path)
    model = _model_of(field.annotation) if field is not None else None
    if model is None:
        from expectmatrix.spec.models import Spec

        if path:
            return []
        model = Spec
    hidden = set(internal)
    out = []
    for i, f in enumerate(_fields_of(model)):
        label = f.label if not context else context if i == 0 else \
            f"{context} {f.label[:1].lower()}{f.label[1:]}"
        where = (*path, *f.path)
        names = unindexed(where)
        out.append(Placed(f, where, label, any(names == n or names.startswith(n + ".")
                                               for n in hidden)))
    return out


def deal_fields(internal: Iterable[str] = INTERNAL_FIELDS) -> list[Placed]:
    """The deal's fields as a form shows them, read off the Deal model."""
    return form_fields(("deal",), internal=internal)


@lru_cache(maxsize=64)
def _fields_of(model: Any, nested: bool = True) -> tuple[FormField, ...]:
    import datetime as dt
    from decimal import Decimal

    out: list[FormField] = []
    for name, info in model.model_fields.items():
        key = info.alias or name
        label = info.title or key.replace("_", " ").capitalize()
        kinds = [t for t in concrete(info.annotation) if t is not type(None)]
        held = _model_of(info.annotation)
        if held is not None and all(typing.get_origin(t) is not list for t in kinds):
            # A model whose fields depend on each other (due_by's one form of several)
            # is no set of independent fields: it needs a form of its own.
            if nested and not held.__pydantic_decorators__.model_validators:
                inner = _fields_of(held, nested=False)
                out += [FormField((key, *f.path), label if n == 0 else
                                  f"{label} {f.label[:1].lower()}{f.label[1:]}",
                                  f.description or info.description or "", f.kind, f.choices,
                                  f.multiline, f.required and info.is_required(), f.default)
                        for n, f in enumerate(inner)]
            continue
        if len(kinds) != 1 or typing.get_origin(kinds[0]) in (list, dict):
            continue  # lists, mappings and choices between shapes have forms of their own
        t = kinds[0]
        kind: Kind = "choice" if typing.get_origin(t) is typing.Literal else \
            "date" if t is dt.date else "integer" if t is int else \
            "number" if t is Decimal else "text"
        longest = _constraint(info.annotation, info.metadata, "max_length")
        default = "" if info.is_required() or info.default is None else str(info.default)
        out.append(FormField(
            (key,), label, info.description or "", kind,
            tuple(str(c) for c in typing.get_args(t)) if kind == "choice" else (),
            isinstance(longest, int) and longest > 200, info.is_required(), default))
    return tuple(out)
