"""The columns of a CRM export: each header a dotted spec path (``deal.id``,
``expectations.of_vendor[0].due``), checked against the spec's models before any row is
read, so that a header the spec cannot hold fails the file once, naming the column."""

from __future__ import annotations

import re
from collections.abc import Callable

from expectmatrix.errors import SpecError
from expectmatrix.spec.findings import Finding
from expectmatrix.spec.shape import (
    format_path,
    index_problem,
    list_bound,
    parse_path,
)


def top_fields() -> tuple[str, ...]:
    from expectmatrix.spec.models import Spec

    return tuple(Spec.model_fields)


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
            path = parse_path(text)
            if path[0] not in top_fields():
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
        for position, index in enumerate(path):
            limit = list_bound(path[:position])
            if isinstance(index, int) and index >= limit:
                problems.append(Finding(
                    "csv-header", f"column {i + 1} {h[:80]!r}: a spec holds at most {limit} "
                    f"items in {format_path(path[:position])}, so the index goes up to "
                    f"{limit - 1}", file=name, line=1))
    if problems:
        raise SpecError(problems)
    return paths, unmapped
