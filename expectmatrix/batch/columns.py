"""The columns of a CRM export: each header a dotted spec path (``deal.id``,
``expectations.of_vendor[0].due``), checked against the spec's models before any row is
read, so that a header the spec cannot hold fails the file once, naming the column."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache
from typing import Any

from expectmatrix.spec.findings import Finding, SpecError, format_path
from expectmatrix.spec.findings import Path as FieldPath

_SEGMENT = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
TOP_FIELDS = ("format", "deal", "branding", "approvals", "parties", "expectations", "balance",
              "readiness")


def parse_column(header: str) -> FieldPath:
    """``expectations.of_vendor[0].text`` (or ``...of_vendor.0.text``) -> a field path."""
    header = header.strip()
    parts: list[str | int] = []
    pos = 0
    for m in _SEGMENT.finditer(header):
        if header[pos:m.start()] not in ("", "."):
            raise ValueError(header)
        name, index = m.groups()
        parts.append(int(index) if index is not None else (int(name) if name.isdigit() else name))
        pos = m.end()
    if not parts or pos != len(header):
        raise ValueError(header)
    return tuple(parts)


DEFAULT_MAX_ITEMS = 100  # a list the models do not bound (none, today)


def max_items(path: FieldPath) -> list[tuple[int, int]]:
    """For each list index in ``path``: (its position, how many items the spec's model
    allows there). A header such as ``expectations.of_vendor[99999999].text`` would
    otherwise make a list of a hundred million entries."""
    from pydantic import BaseModel

    from expectmatrix.spec.models import Spec

    out = []
    model: Any = Spec
    limit = DEFAULT_MAX_ITEMS
    for position, part in enumerate(path):
        if isinstance(part, int):
            out.append((position, limit))
            continue
        field = model.model_fields.get(part) if isinstance(model, type) and issubclass(
            model, BaseModel) else None
        if field is None:
            model, limit = None, DEFAULT_MAX_ITEMS
            continue
        # A text's max_length bounds characters, not items (and may be None).
        limit = next((m.max_length for m in field.metadata
                      if getattr(m, "max_length", None) is not None), DEFAULT_MAX_ITEMS)
        model = _item_model(field.annotation)
    return out


def index_problem(path: FieldPath) -> str | None:
    """What is wrong with a path that gives an index ([0]) to a field that is not a list
    (``deal.id[0]``), in words for the person who wrote the header; None otherwise."""
    import typing

    from pydantic import BaseModel

    from expectmatrix.spec.messages import unwrap
    from expectmatrix.spec.models import Spec

    annotation: Any = Spec
    for position, part in enumerate(path):
        kinds = [k for k in unwrap(annotation) if k is not type(None)]
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

    from pydantic import BaseModel

    from expectmatrix.spec.messages import unwrap
    from expectmatrix.spec.models import Spec

    annotation: Any = Spec
    for part in path:
        kinds = [k for k in unwrap(annotation) if k is not type(None)]
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
    kinds = [k for k in unwrap(annotation) if k is not type(None)]
    return bool(kinds) and all(k in (int, Decimal) for k in kinds)


# How an export may write 1234.56: the group separators and the decimal sign of each
# --number-format. Spaces include the no-break ones spreadsheets put there.
SEPARATORS: dict[str, tuple[str, str]] = {
    "plain": ("", "."), "1,234.56": (",", "."), "1.234,56": (".", ","),
    "1 234,56": (" \u00a0\u202f", ","), "1'234.56": ("'\u2019", ".")}
_GROUPED = re.compile(r"^[+-]?\d{1,3}(?:[,.' \u00a0\u202f\u2019]\d{3})+(?:[.,]\d+)?$|"
                      r"^[+-]?\d+,\d+$")


def read_number(cell: str, number_format: str) -> str:
    """A number cell as the spec writes numbers (1234.56); ValueError saying how to read
    it when the export writes it otherwise."""
    text = cell.strip()
    groups, point = SEPARATORS[number_format]
    if number_format == "plain":
        if _GROUPED.match(text) and not re.match(r"^[+-]?\d+(?:\.\d+)?$", text):
            raise ValueError(
                "a number written with a thousands separator or a decimal comma; say how "
                "the export writes numbers with --number-format 1,234.56, 1.234,56, "
                "1 234,56 or 1'234.56 ([csv] number_format in expectmatrix.toml)")
        return cell
    separator = "[" + re.escape(groups) + "]"
    pattern = (rf"^[+-]?(?:\d{{1,3}}(?:{separator}\d{{3}})+|\d+)"
               rf"(?:{re.escape(point)}\d+)?$")
    if not re.match(pattern, text):
        if re.match(r"^[+-]?[\d,.' \u00a0\u202f\u2019]*\d[\d,.' \u00a0\u202f\u2019]*$", text):
            raise ValueError(
                f"not a number as --number-format {number_format} writes them "
                f"({_example(number_format)} or {_example(number_format, grouped=False)})")
        return cell  # not a number at all: the spec's model says so, in its words
    return re.sub(separator, "", text).replace(point, ".")


def _example(number_format: str, grouped: bool = True) -> str:
    groups, point = SEPARATORS[number_format]
    return f"48{groups[0] if grouped else ''}000{point}50"


def _item_model(annotation: Any) -> Any:
    """The model a field holds, or the model of its list's items (None for plain values)."""
    from typing import get_args

    for candidate in (annotation, *get_args(annotation)):
        if isinstance(candidate, type) and hasattr(candidate, "model_fields"):
            return candidate
        for inner in get_args(candidate):
            if isinstance(inner, type) and hasattr(inner, "model_fields"):
                return inner
    return None


def header_paths(header: list[str], name: str, mapped_to: Callable[[str], str | None]
                 ) -> tuple[list[str | None], list[str]]:
    """Each column's spec path (None: left out), and the columns neither a spec path nor
    mapped. SpecError for a mapped path that is not one, or an index past the model's."""
    paths: list[str | None] = []
    unmapped, problems = [], []
    for i, h in enumerate(header):
        mapped = mapped_to(h)
        text = h.strip() if mapped is None else mapped.strip()
        if text == "base" or (mapped is not None and not text):
            paths.append(text or None)
            continue
        try:
            path = parse_column(text)
            if path[0] not in TOP_FIELDS:
                raise ValueError(text)
        except ValueError:
            paths.append(None)
            if mapped is None:
                unmapped.append(h.strip()[:80])
            else:
                problems.append(Finding("csv-header", f"column {i + 1} {h[:80]!r} is mapped to "
                                        f"{mapped!r}, which is not a spec path such as deal.id "
                                        "or parties.customer.name", file=name, line=1))
            continue
        paths.append(text)
        problem = index_problem(path)
        if problem is not None:
            problems.append(Finding("csv-header", f"column {i + 1} {h[:80]!r}: {problem}",
                                    file=name, line=1))
            continue
        for position, limit in max_items(path):
            if path[position] >= limit:  # type: ignore[operator]
                problems.append(Finding(
                    "csv-header", f"column {i + 1} {h[:80]!r}: a spec holds at most {limit} "
                    f"items in {format_path(path[:position])}, so the index goes up to "
                    f"{limit - 1}", file=name, line=1))
    if problems:
        raise SpecError(problems)
    return paths, unmapped
