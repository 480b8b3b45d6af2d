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

from expectmatrix.batch.columns import header_paths, read_number
from expectmatrix.errors import InputError, SpecError
from expectmatrix.spec.bounds import TOO_MANY_DIGITS, too_many_digits
from expectmatrix.spec.findings import Finding
from expectmatrix.spec.findings import Path as FieldPath
from expectmatrix.spec.inputs import not_text, open_bounded, read_bytes
from expectmatrix.spec.loading import Loaded, Positions, bidi_finding, decode, find_bidi, parse, validate
from expectmatrix.spec.shape import is_number, parse_path

# Cells that identify a row's deal: empty, the row would silently become the base's deal.
IDENTITY = ("deal.id", "parties.customer.name")
CUSTOMER = ("parties", "customer", "name")
# What belongs to one customer: a base spec is a template, and its customer's people,
# registered details, notes and readiness notes must not reach another customer's agreement.
CUSTOMER_FIELDS = ("parties.customer.contacts", "parties.customer.signatory",
                   "parties.customer.address", "parties.customer.registration", "deal.notes",
                   "readiness[].note")
_LOCAL_DATE = re.compile(r"^\s*(\d{1,2})[./-](\d{1,2})[./-](\d{4})\s*$")


@dataclass(frozen=True)
class CsvOptions:
    """How a CRM export's columns and dates are read."""

    # column header (as the CRM writes it) -> spec path; an empty path ignores the column
    columns: tuple[tuple[str, str], ...] = ()
    # iso: dates are YYYY-MM-DD; day-first (31/01/2027) or month-first (01/31/2027) say
    # how an export writes them. Never guessed: 03/01/2027 is two different days.
    date_format: str = "iso"
    strict: bool = False  # columns neither a spec path nor mapped fail the file
    # fields of one customer a base may still give every row (see CUSTOMER_FIELDS)
    shared: tuple[str, ...] = ()
    # plain: numbers as a spec writes them (48000.50); or how the export groups them:
    # 1,234.56 / 1.234,56 / 1 234,56 / 1'234.56. Never guessed: 1.234 is two numbers.
    number_format: str = "plain"

    def mapped(self, header: str) -> str | None:
        wanted = header.strip().casefold()
        return next((path for name, path in self.columns if name.strip().casefold() == wanted),
                    None)


@dataclass(frozen=True)
class Row:
    """One deal row of a CSV file, ready to send to a worker."""

    csv: str
    row: int
    cells: tuple[tuple[str, str], ...]
    base: str | None
    overflow: bool = False  # more cells than the header has columns
    problem: str | None = None  # the row could not be read at all
    shared: tuple[str, ...] = ()  # customer fields the base may give rows of other customers
    number_format: str = "plain"  # how its number cells are written (CsvOptions)

    @property
    def source(self) -> str:
        return f"{self.csv}:{self.row}"


MAX_CSV_BYTES = 2_000_000_000  # read as a stream: a million-row export is fine
MAX_CELL = 100_000  # characters; the longest text field of a spec holds 2,000
MAX_HEADER = 1_000_000  # characters of the header line
csv.field_size_limit(MAX_CELL)


def read_rows(csv_path: str | Path, base: str | Path | None = None,
              options: CsvOptions | None = None,
              notices: list[Finding] | None = None) -> Iterator[Row]:
    """Yield the deal rows of a CSV file one by one, reading it as a stream. Raises
    SpecError for an unreadable file or header; a row that cannot be read is yielded
    with its problem, and the rows after it still are. Columns that are neither a spec
    path nor mapped are said once, in ``notices`` (an error under strict)."""
    options = options or CsvOptions()
    csv_path = Path(csv_path)
    name = str(csv_path)
    try:
        raw = open_bounded(csv_path, MAX_CSV_BYTES, "CSV export")
    except InputError as e:
        raise SpecError([Finding("unreadable", str(e).removeprefix(f"{name}: "),
                                 file=name)]) from None
    with raw, io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as text:
        try:
            first_line = text.readline(MAX_HEADER)
            delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
            reader = csv.reader(itertools.chain([first_line], text), delimiter=delimiter)
            header = next(reader, None)
        except (UnicodeDecodeError, csv.Error, InputError) as e:
            problem = _read_problem(e)
            if isinstance(e, UnicodeDecodeError):  # a workbook saved as .csv, say
                with open_bounded(csv_path, MAX_CSV_BYTES, "CSV export") as again:
                    problem = not_text(again.read(200_000), "CSV export", problem,
                                       "saved as CSV UTF-8")
            raise SpecError([Finding("csv-header", problem, file=name, line=1)]) from None
        if not header or not any(h.strip() for h in header):
            raise SpecError([Finding("empty", "the CSV file has no header row", file=name,
                                     line=1)])
        paths, unmapped = header_paths(header, name, options.mapped)
        if not any(p and p != "base" and parse_path(p) == CUSTOMER for p in paths):
            # Every row would silently be addressed to the base spec's customer.
            raise SpecError([Finding(
                "csv-customer", "no column gives the customer's name (parties.customer.name), "
                "so every row would go to the base spec's customer; add that column, or map "
                "the export's customer column to it with --columns or [csv.columns] in "
                "expectmatrix.toml", file=name, line=1)])
        if base and "base" not in paths:
            _refuse_customer_base(str(base), paths, options, name)
        # Which columns hold dates, decided once for the file, not for every cell.
        local = {p for p in paths if p and p != "base" and options.date_format != "iso"
                 and _is_date(parse_path(p))}
        if unmapped:
            finding = Finding(
                "csv-unmapped", f"{len(unmapped)} column(s) are neither a spec path nor mapped "
                f"to one, and were left out: {', '.join(repr(u) for u in unmapped[:12])}"
                f"{' ...' if len(unmapped) > 12 else ''}; map them in [csv.columns] of "
                "expectmatrix.toml or with --columns (an empty path ignores a column)",
                "error" if options.strict else "warning", file=name, line=1)
            if options.strict:
                raise SpecError([finding])
            if notices is not None:
                notices.append(finding)
        number = 1
        while True:
            number += 1
            try:
                record = next(reader)
            except StopIteration:
                return
            except (UnicodeDecodeError, InputError) as e:
                # The stream cannot go on past undecodable bytes or the size bound.
                yield Row(name, number, (), None, problem=_read_problem(e))
                return
            except csv.Error as e:
                yield Row(name, number, (), None, problem=_read_problem(e))
                continue
            if not any(cell.strip() for cell in record):
                continue  # blank line at the end of an export
            cells = tuple((path, _date(c, options.date_format) if path in local else c)
                          for path, c in zip(paths, record, strict=False) if path)
            row_base = dict(cells).get("base", "").strip()
            resolved = (str(csv_path.parent / row_base) if row_base
                        else (str(base) if base else None))
            overflow = len(record) > len(header) and any(c.strip() for c in record[len(header):])
            yield Row(name, number, cells, resolved, overflow, shared=options.shared,
                      number_format=options.number_format)


def count_rows(csv_path: str | Path) -> int:
    """The number of rows :func:`read_rows` will yield (for progress), 0 if unreadable."""
    try:
        return sum(1 for _ in read_rows(csv_path))
    except SpecError:
        return 1


def _read_problem(e: Exception) -> str:
    if isinstance(e, UnicodeDecodeError):
        return "the file is not UTF-8 text from here on; export it as UTF-8 (CSV UTF-8)"
    if isinstance(e, csv.Error) and "field limit" in str(e):
        return (f"a cell is longer than {MAX_CELL:,} characters; no field of a spec holds "
                "that much (is a quote missing, so that the cell runs on?)")
    return str(e) if isinstance(e, SpecError | ValueError) else f"cannot read the row: {e}"


def _is_date(path: FieldPath) -> bool:
    """Whether a spec path holds a date (deal.effective, approvals[i].date)."""
    return path[-1] in ("effective", "date")


def _date(cell: str, date_format: str) -> str:
    """A date cell written day-first or month-first, as ISO; anything else as it is."""
    m = _LOCAL_DATE.match(cell)
    if not m:
        return cell
    a, b, year = m.groups()
    day, month = (a, b) if date_format == "day-first" else (b, a)
    return f"{year}-{int(month):02}-{int(day):02}"


MAX_BASE_BYTES = 5_000_000


@lru_cache(maxsize=16)
def _base_tree(base: str) -> tuple[Any, Positions]:
    tree, positions, problems = parse(decode(read_bytes(base, MAX_BASE_BYTES, "base spec"), base),
                                      base, "json" if base.lower().endswith(".json") else "yaml")
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

    if row.problem:
        return at_row(row.problem, "csv-row")
    if row.overflow:
        return at_row("the row has more cells than the header has columns", "csv-row")
    if row.base is None:
        tree: dict[str, Any] = {}
        base_positions = Positions()
    else:
        try:
            base_tree, base_positions = _base_tree(row.base)
        except InputError as e:
            return at_row(str(e), "base")
        except SpecError as e:
            return Loaded(row.base, None, e.findings, Positions())
        tree = copy.deepcopy(base_tree)
    # The row's non-empty cells, each with its spec path, parsed once.
    cells = [(header, parse_path(header), cell) for header, cell in row.cells
             if header != "base"]
    for header, path, cell in cells:
        if header in IDENTITY and not cell.strip():
            return at_row(f"the {header} cell is empty: every row names its own deal and "
                          "customer (it would otherwise take the base spec's)", "csv-identity",
                          path)
    cells = [c for c in cells if c[2].strip()]
    if row.base is not None:
        written = {path for _, path, _ in cells}
        taken = _customer_fields(tree, row.shared) if _other_customer(tree, row) else {}
        leaks = [f for f, given in taken.items() if not any(
            w[:len(p)] == p for p in given for w in written)]
        if leaks:
            return at_row(f"this row's customer is not the base spec's, but it would carry the "
                          f"base customer's {', '.join(leaks)}: give them in the row's columns, "
                          "or mark them shared in [csv] shared of expectmatrix.toml", "csv-leak",
                          ("parties", "customer", "name"))
        _drop(tree, [p for paths in taken.values() for p in paths])
    from_cells: set[FieldPath] = set()
    for header, path, cell in cells:
        if _is_date(path) and _LOCAL_DATE.match(cell):
            return at_row(f"{cell.strip()!r} in column {header}: a date here is YYYY-MM-DD; "
                          "if the export writes dates as 31/01/2027 or 01/31/2027, say which "
                          "with --date-format day-first or month-first ([csv] date_format)",
                          "csv-date", path)
        if too_many_digits(cell):
            return at_row(f"{TOO_MANY_DIGITS} (column {header})", "too-many-digits", path)
        if is_number(path):
            try:
                cell = read_number(cell, row.number_format)
            except ValueError as e:
                return at_row(f"{cell.strip()[:40]!r} in column {header}: {e}", "csv-number",
                              path)
        bidi = find_bidi(cell)
        if bidi is not None:
            return Loaded(row.csv, None, [bidi_finding(cell[bidi], path, row.row, None, row.csv)],
                          Positions(row=row.row))
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
    # A base spec's logo and font are next to the base, wherever the CSV is.
    loaded.folder = Path(row.base).parent if row.base else Path(row.csv).parent
    return loaded


def _other_customer(tree: Any, row: Row) -> bool:
    """Whether the row names another customer than the base does."""
    given = dict(row.cells).get("parties.customer.name", "").strip()
    try:
        own = str(tree["parties"]["customer"]["name"]).strip()
    except (KeyError, TypeError):
        return False
    return bool(given) and given.casefold() != own.casefold()


def _customer_fields(tree: Any, shared: tuple[str, ...]) -> dict[str, list[FieldPath]]:
    """Each customer field (not shared) that the base fills, with the paths it fills."""
    found: dict[str, list[FieldPath]] = {}
    for field in CUSTOMER_FIELDS:
        if field in shared:
            continue
        if field == "readiness[].note":
            items = tree.get("readiness") if isinstance(tree, dict) else None
            paths: list[FieldPath] = [("readiness", i, "note") for i, item in
                                      enumerate(items if isinstance(items, list) else [])
                                      if isinstance(item, dict) and item.get("note")]
        else:
            path = parse_path(field)
            node: Any = tree
            for part in path:
                node = node.get(part) if isinstance(node, dict) else None
            paths = [path] if node else []
        if paths:
            found[field] = paths
    return found


def _refuse_customer_base(base: str, paths: list[str | None], options: CsvOptions,
                          name: str) -> None:
    """A base spec is a template for every row. One that carries its own customer's
    people or notes, which no column of the export replaces, would hand them to every
    other customer's agreement (or have every such row refused, one by one): the file is
    refused once, before any row, saying what to do."""
    try:
        tree, positions = _base_tree(base)
    except (InputError, SpecError):
        return  # every row reports the unreadable base, as it does without a CSV
    written = [parse_path(p) for p in paths if p and p != "base"]
    taken = _customer_fields(tree, options.shared)
    left = {f: [p for p in fields if not any(w[:len(p)] == p for w in written)]
            for f, fields in taken.items()}
    left = {f: fields for f, fields in left.items() if fields}
    if not left:
        return
    try:
        customer = str(tree["parties"]["customer"]["name"]).strip()
    except (KeyError, TypeError):
        customer = "its customer"
    first = next(iter(left.values()))[0]
    raise SpecError([Finding(
        "csv-base-customer",
        f"the base spec carries its customer's ({customer[:80]}) {', '.join(left)}, and no "
        f"column of {name} replaces them, so every row for another customer would carry "
        "them; nothing was rendered. A base is a template for every row: take them out of "
        "it, add those columns to the export (such as parties.customer.signatory.name), "
        "or, if they are the same for every customer, list them in [csv] shared of "
        "expectmatrix.toml",
        path=first, file=base, line=positions.locate(first)[0])])


def _drop(tree: Any, paths: list[FieldPath]) -> None:
    """Take the base customer's fields out, so the row's cells stand alone: a row that
    gives contacts[0].name gets that contact, not the base's contact renamed."""
    for path in paths:
        parent: Any = tree
        for part in path[:-1]:
            parent = parent[part]
        parent.pop(path[-1], None)


def _from_cell(path: FieldPath, from_cells: set[FieldPath]) -> bool:
    """Whether a finding at ``path`` concerns what the row wrote: the cell's own field,
    one within or around it, or a field beside it (a row that gives an amount and no
    currency made the value the finding is about)."""
    return any(path[:len(c)] == c or c[:len(path)] == path
               or (len(path) > 1 and path[:-1] == c[:len(path) - 1]) for c in from_cells)


def _relocate(f: Finding, row: Row, from_cells: set[FieldPath]) -> Finding:
    if row.base is None or _from_cell(f.path, from_cells):
        return replace(f, file=row.csv, line=row.row, column=None)
    return f
