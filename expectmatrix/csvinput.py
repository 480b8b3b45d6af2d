"""CRM exports: one deal per CSV row, overlaid on a base spec.

Column headers are dotted spec paths (``deal.id``, ``parties.customer.signatory.name``,
``expectations.of_vendor[0].due``). A ``base`` column (relative to the CSV) or the
``--base`` option names the spec that supplies everything else. Cells are text and are
converted by the model exactly as YAML values are; an empty cell keeps the base's value.
Rows are numbered as a spreadsheet shows them: the header is row 1.
"""

from __future__ import annotations

import copy
import csv
import io
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from .findings import Finding, SpecError
from .findings import Path as FieldPath
from .loading import Loaded, Positions, decode, parse, validate

_SEGMENT = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


@dataclass(frozen=True)
class Row:
    """One deal row of a CSV file, ready to send to a worker."""

    csv: str
    row: int
    cells: tuple[tuple[str, str], ...]
    base: str | None
    overflow: bool = False  # more cells than the header has columns

    @property
    def source(self) -> str:
        return f"{self.csv}:{self.row}"


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


MAX_CSV_BYTES = 500_000_000  # a CRM export of many thousand deals is far larger than a spec


def read_rows(csv_path: str | Path, base: str | Path | None = None) -> Iterator[Row]:
    """Yield the deal rows of a CSV file one by one. Raises SpecError for an unreadable
    file or header."""
    csv_path = Path(csv_path)
    name = str(csv_path)
    try:
        text = decode(csv_path.read_bytes(), name, MAX_CSV_BYTES)
    except OSError as e:
        raise SpecError([Finding("unreadable", f"cannot read the file: {e.strerror or e}",
                                 file=name)]) from None
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, None)
    if not header or not any(h.strip() for h in header):
        raise SpecError([Finding("empty", "the CSV file has no header row", file=name, line=1)])
    problems = []
    for i, h in enumerate(header):
        if h.strip() == "base":
            continue
        try:
            parse_column(h)
        except ValueError:
            problems.append(Finding("csv-header", f"column {i + 1} {h!r} is not a spec path such "
                                    "as deal.id or parties.customer.name", file=name, line=1))
    if problems:
        raise SpecError(problems)
    for number, record in enumerate(reader, start=2):
        if not any(cell.strip() for cell in record):
            continue  # blank line at the end of an export
        cells = tuple((h.strip(), c) for h, c in zip(header, record, strict=False))
        row_base = dict(cells).get("base", "").strip()
        resolved = str(csv_path.parent / row_base) if row_base else (str(base) if base else None)
        overflow = len(record) > len(header) and any(c.strip() for c in record[len(header):])
        yield Row(name, number, cells, resolved, overflow)


@lru_cache(maxsize=16)
def _base_tree(base: str) -> tuple[Any, Positions]:
    tree, positions, problems = parse(decode(Path(base).read_bytes(), base), base,
                                      "json" if base.lower().endswith(".json") else "yaml")
    if problems:
        raise SpecError(problems)
    return tree, positions


def _put(tree: dict[str, Any], path: FieldPath, value: str) -> None:
    """Set the value at ``path``, making the mappings and lists on the way; ValueError if
    the path crosses a value of the other kind (a list where a mapping is, say)."""
    node: Any = tree
    for part, nxt in itertools.pairwise(path):
        if isinstance(part, int):
            if not isinstance(node, list):
                raise ValueError(path)
            while len(node) <= part:
                node.append({} if isinstance(nxt, str) else [])
            node = node[part]
        else:
            if not isinstance(node, dict):
                raise ValueError(path)
            if not isinstance(node.get(part), dict | list):
                node[part] = {} if isinstance(nxt, str) else []
            node = node[part]
    last = path[-1]
    if isinstance(last, int) and isinstance(node, list):
        while len(node) <= last:
            node.append(None)
        node[last] = value
    elif isinstance(last, str) and isinstance(node, dict):
        node[last] = value
    else:
        raise ValueError(path)


def load_row(row: Row) -> Loaded:
    """A CSV row -> Loaded. Findings from a cell name the CSV row and column; findings from
    the base spec name the base file and its line."""

    def at_row(message: str, code: str, path: FieldPath = ()) -> Loaded:
        return Loaded(row.csv, None, [Finding(code, message, path=path, file=row.csv,
                                              line=row.row)], Positions(row=row.row))

    if row.overflow:
        return at_row("the row has more cells than the header has columns", "csv-row")
    if row.base is None:
        tree: dict[str, Any] = {}
        base_positions = Positions()
    else:
        try:
            base_tree, base_positions = _base_tree(row.base)
        except OSError as e:
            return at_row(f"cannot read the base spec {row.base}: {e.strerror or e}", "base")
        except SpecError as e:
            return Loaded(row.base, None, e.findings, Positions())
        tree = copy.deepcopy(base_tree)
    from_cells: set[FieldPath] = set()
    for header, cell in row.cells:
        if header == "base" or not cell.strip():
            continue
        path = parse_column(header)
        try:
            _put(tree, path, cell)
        except ValueError:
            return at_row(f"column {header!r} does not fit the spec's structure", "csv-column",
                          path)
        from_cells.add(path)
    loaded = validate(tree, base_positions, row.base or row.csv)
    loaded.findings = [_relocate(f, row, from_cells) for f in loaded.findings]
    loaded.file = row.csv
    loaded.positions = Positions(row=row.row)  # the checks' findings point at the row
    return loaded


def _from_cell(path: FieldPath, from_cells: set[FieldPath]) -> bool:
    return any(path[:len(c)] == c or c[:len(path)] == path for c in from_cells)


def _relocate(f: Finding, row: Row, from_cells: set[FieldPath]) -> Finding:
    if row.base is None or _from_cell(f.path, from_cells):
        return replace(f, file=row.csv, line=row.row, column=None)
    return f
