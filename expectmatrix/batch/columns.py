"""The columns of a CRM export: each header a dotted spec path (``deal.id``,
``expectations.of_vendor[0].due``), checked against the spec's models before any row is
read, so that a header the spec cannot hold fails the file once, naming the column."""

from __future__ import annotations

from collections.abc import Callable

from expectmatrix.errors import SpecError
from expectmatrix.spec.findings import Finding
from expectmatrix.spec.shape import format_path, index_problem, list_bound, parse_path


def top_fields() -> tuple[str, ...]:
    from expectmatrix.spec.models import Spec

    return tuple(Spec.model_fields)


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
