"""The clause library and the segment playbooks: reviewed wording, as data.

A spec's expectation may say ``clause: ID`` (and ``params:``); its text, area, measure,
due and owner then come from the library. Wording of its own, or no clause at all, makes
the expectation non-standard, which legal sees marked in the documents.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from .findings import Finding, SpecError
from .findings import Path as FieldPath
from .loading import decode, parse, validate_model
from .messages import did_you_mean
from .resources import builtin_library
from .spec import Expectation, Model, ShortText, Spec, Text

ClauseId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]
Segment = Literal["small", "medium", "large"]
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class Param(Model):
    type: Literal["integer", "number", "text"] = Field("text", description="Value type.")
    default: int | Decimal | Annotated[str, StringConstraints(max_length=200)] | None = Field(
        None, description="Used when the spec gives no value.")


class Clause(Model):
    id: ClauseId = Field(description="Lower-case id, e.g. sandbox-delivery.")
    side: Literal["vendor", "customer"] = Field(description="Whose promise it is.")
    area: ShortText = Field(description="Area of the matrix.")
    text: Text = Field(description="Wording; {name} is replaced by the parameter's value.")
    measure: Text | None = None
    due: ShortText | None = None
    owner: ShortText | None = None
    segments: list[Segment] = Field(default_factory=lambda: ["small", "medium", "large"])
    params: dict[Annotated[str, StringConstraints(pattern=r"^[A-Za-z_]\w*$")], Param] = Field(
        default_factory=dict)


class ClauseFile(Model):
    clauses: Annotated[list[Clause], Field(max_length=5000)]


class PlaybookClause(Model):
    clause: ClauseId
    params: dict[str, int | Decimal | Annotated[str, StringConstraints(max_length=200)]] = Field(
        default_factory=dict)


class PlaybookQuestion(Model):
    question: Text
    note: Text | None = None


class PlaybookExpectations(Model):
    of_vendor: list[ClauseId | PlaybookClause]
    of_customer: list[ClauseId | PlaybookClause]


class Playbook(Model):
    playbook: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]
    segment: Segment
    description: Text
    balance: Literal["count", "area", "weight"] = "count"
    expectations: PlaybookExpectations
    readiness: list[PlaybookQuestion] = Field(default_factory=list)


@dataclass
class Library:
    clauses: dict[str, Clause] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)  # clause id -> file it came from
    playbooks: dict[str, Playbook] = field(default_factory=dict)
    playbook_sources: dict[str, str] = field(default_factory=dict)


def _load_model(path: Path, model: type[Model]) -> Model:
    name = str(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise SpecError([Finding("library", f"cannot read the library file: {e.strerror or e}",
                                 file=name)]) from None
    tree, positions, problems = parse(decode(data, name), name,
                                      "json" if name.lower().endswith(".json") else "yaml")
    value, findings = validate_model(model, tree, positions, name)
    if problems or findings or value is None:
        raise SpecError(problems + findings)
    return value


def load_library(clause_files: Sequence[str | Path] = (), playbook_files: Sequence[str | Path] = (),
                 builtin: bool = True) -> Library:
    """The built-in library (unless ``builtin`` is False) extended by the given files; a
    later clause or playbook with the same id replaces the earlier one."""
    root = builtin_library()
    clause_paths = ([root / "clauses.yaml"] if builtin else []) + [Path(p) for p in clause_files]
    library = Library()
    problems: list[Finding] = []
    for path in clause_paths:
        try:
            loaded = _load_model(path, ClauseFile)
        except SpecError as e:
            problems += e.findings
            continue
        for clause in loaded.clauses:  # type: ignore[attr-defined]
            library.clauses[clause.id] = clause
            library.sources[clause.id] = str(path)
    if problems:
        raise SpecError(problems)
    builtin_books = sorted((root / "playbooks").glob("*.yaml")) if builtin else []
    return add_playbooks(library, [*builtin_books, *playbook_files])[0]


def add_playbooks(library: Library, files: Sequence[str | Path]) -> tuple[Library, list[str]]:
    """A copy of ``library`` with the playbooks of ``files`` (files or folders) added, each
    checked against the library's clauses; also the names of the playbooks added."""
    paths: list[Path] = []
    for p in map(Path, files):
        paths += sorted(p.glob("*.y*ml")) if p.is_dir() else [p]
    result = Library(dict(library.clauses), dict(library.sources), dict(library.playbooks),
                     dict(library.playbook_sources))
    names, problems = [], []
    for path in paths:
        try:
            book = _load_model(path, Playbook)
        except SpecError as e:
            problems += e.findings
            continue
        result.playbooks[book.playbook] = book  # type: ignore[attr-defined]
        result.playbook_sources[book.playbook] = str(path)  # type: ignore[attr-defined]
        names.append(book.playbook)  # type: ignore[attr-defined]
    problems += _check_playbooks(result, names)
    if problems:
        raise SpecError(problems)
    return result, names


def _check_playbooks(library: Library, names: Sequence[str]) -> list[Finding]:
    """Each named playbook names known clauses on the right side, with usable params."""
    problems = []
    for name in names:
        book = library.playbooks[name]
        source = library.playbook_sources[name]
        for side_key in ("of_vendor", "of_customer"):
            side = side_key.removeprefix("of_")
            for i, raw in enumerate(getattr(book.expectations, side_key)):
                entry = clause_entry(raw)
                path: FieldPath = ("expectations", side_key, i)
                clause = library.clauses.get(entry.clause)
                if clause is None:
                    hint = did_you_mean(entry.clause, sorted(library.clauses))
                    problems.append(Finding("unknown-clause", f"playbook {name!r} names the "
                                            f"unknown clause {entry.clause!r}{hint}",
                                            path=path, file=source))
                elif clause.side != side:
                    problems.append(Finding("clause-side", f"clause {clause.id!r} is a "
                                            f"{clause.side} expectation, listed under "
                                            f"{side_key}", path=path, file=source))
                else:
                    probe = Expectation(id="X", clause=clause.id, params=entry.params or None)
                    problems += [Finding(f.code, f.message, path=path, file=source)
                                 for f in _params(clause, probe, path)[1]]
    return problems


# --- filling expectations from clauses ----------------------------------------------------


def _convert(value: object, kind: str) -> object:
    if kind == "integer":
        if isinstance(value, bool) or not re.fullmatch(r"-?\d+", str(value).strip()):
            raise ValueError("a whole number")
        return int(str(value).strip())
    if kind == "number":
        try:
            number = Decimal(str(value).strip())
        except ArithmeticError:
            raise ValueError("a number") from None
        if not number.is_finite():
            raise ValueError("a finite number")
        return number.normalize() if number == number.to_integral() else number
    return str(value)


def fill(text: str | None, values: dict[str, object]) -> str | None:
    """``{name}`` -> value. Only plain names are replaced: no format-string tricks."""
    if text is None:
        return None
    return _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), text)


@dataclass
class Resolved:
    spec: Spec | None
    findings: list[Finding]
    nonstandard: dict[str, str]  # expectation id -> why it is non-standard


def resolve(spec: Spec, library: Library) -> Resolved:
    """Fill expectations from their clauses; report bad clause use and deviations."""
    findings: list[Finding] = []
    nonstandard: dict[str, str] = {}
    lists: dict[str, list[Expectation]] = {}
    for side_key in ("of_vendor", "of_customer"):
        side = "vendor" if side_key == "of_vendor" else "customer"
        out = []
        for i, e in enumerate(getattr(spec.expectations, side_key)):
            where: FieldPath = ("expectations", side_key, i)
            if e.clause is None:
                for name in ("area", "text"):
                    if getattr(e, name) is None:
                        findings.append(Finding("missing", "required field missing (or name a "
                                                "clause from the library with clause:)",
                                                path=(*where, name)))
                if e.params:
                    findings.append(Finding("params", "params: only apply to a clause; add "
                                            "clause: or remove params:", path=(*where, "params")))
                nonstandard[e.id] = "written for this deal (no clause from the library)"
                out.append(e)
                continue
            clause = library.clauses.get(e.clause)
            if clause is None:
                hint = did_you_mean(e.clause, sorted(library.clauses))
                findings.append(Finding("unknown-clause", f"unknown clause {e.clause!r}{hint}; "
                                        "see `expectmatrix clauses`", path=(*where, "clause")))
                out.append(e)
                continue
            if clause.side != side:
                findings.append(Finding(
                    "clause-side", f"clause {clause.id!r} is a {clause.side} expectation; move "
                    f"it to of_{clause.side} or choose a {side} clause", path=(*where, "clause")))
            values, bad = _params(clause, e, where)
            findings += bad
            standard = {"area": clause.area, "text": fill(clause.text, values),
                        "measure": fill(clause.measure, values), "due": fill(clause.due, values),
                        "owner": fill(clause.owner, values)}
            differs = [name for name, value in standard.items()
                       if getattr(e, name) is not None and getattr(e, name) != value]
            if differs:
                nonstandard[e.id] = (f"{' and '.join(differs)} "
                                   f"{'differs' if len(differs) == 1 else 'differ'} from clause {clause.id}")
            update = {k: v for k, v in standard.items() if getattr(e, k) is None}
            out.append(e.model_copy(update=update))
        lists[side_key] = out
    if any(f.severity == "error" for f in findings):
        return Resolved(None, findings, nonstandard)
    expectations = spec.expectations.model_copy(update=lists)
    return Resolved(spec.model_copy(update={"expectations": expectations}), findings, nonstandard)


def _params(clause: Clause, e: Expectation, where: FieldPath) -> tuple[dict[str, object],
                                                                       list[Finding]]:
    given = dict(e.params or {})
    values: dict[str, object] = {}
    findings = []
    for name in given:
        if name not in clause.params:
            hint = did_you_mean(name, sorted(clause.params)) or (
                f"; this clause takes {', '.join(sorted(clause.params)) or 'no parameters'}")
            findings.append(Finding("unknown-param", f"clause {clause.id!r} has no parameter "
                                    f"{name!r}{hint}", path=(*where, "params", name)))
    for name, param in clause.params.items():
        if name in given:
            try:
                values[name] = _convert(given[name], param.type)
            except ValueError as err:
                findings.append(Finding("param-type", f"parameter {name!r} of clause "
                                        f"{clause.id!r} must be {err}, not {given[name]!r}",
                                        path=(*where, "params", name)))
        elif param.default is not None:
            values[name] = _convert(param.default, param.type)
        else:
            findings.append(Finding("missing-param", f"clause {clause.id!r} needs the parameter "
                                    f"{name!r}: add params: {{{name}: ...}}",
                                    path=(*where, "params")))
    return values, findings


def clause_entry(entry: str | PlaybookClause) -> PlaybookClause:
    return entry if isinstance(entry, PlaybookClause) else PlaybookClause(clause=entry)
