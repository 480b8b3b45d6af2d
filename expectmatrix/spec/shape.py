"""The spec's shape, owned here and asked by every other stage: its two sides and the
lists that hold their expectations, the id prefix of each side, and field paths, with one
grammar to read and write them (findings, CSV columns and the browser's edits all use it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from expectmatrix.spec.terms import SIDES, Side

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
# index as a dotted number (expectations.of_vendor.0.text).
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_STEP = re.compile(rf"(?:^|\.)({_NAME})|\[(\d{{1,6}})\]|\.(\d{{1,6}})(?=\.|\[|$)")


def parse_path(text: str) -> FieldPath:
    """``expectations.of_vendor[0].text`` -> ``("expectations", "of_vendor", 0, "text")``.
    Anything else is refused with :class:`PathError`."""
    if len(text) > MAX_PATH:
        raise PathError(f"the field path is longer than {MAX_PATH} characters")
    parts: list[str | int] = []
    at = 0
    while at < len(text):
        m = _STEP.match(text, at)
        if m is None or (at == 0 and (m.group(1) is None or text.startswith("."))):
            raise PathError(f"{text!r} is not a field path (write it as "
                            "expectations.of_vendor[0].text)")
        name, index, dotted = m.groups()
        parts.append(name if name is not None else int(index if index is not None else dotted))
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
