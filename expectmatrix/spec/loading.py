"""Read a spec file into plain values with source positions, then into the models.

YAML is composed, never constructed: we walk the node graph (libyaml's, or ruamel.yaml's
YAML 1.2 parser's when libyaml cannot read the text) ourselves so that
every scalar stays the text that was written (``no`` is the word "no", ``0123`` is not
83), duplicate keys are caught with both positions, no object is ever built from a tag,
and alias expansion is bounded. JSON is checked by the standard parser first (for its
syntax errors) and then walked the same way for positions.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from expectmatrix.errors import SpecError
from expectmatrix.spec.bounds import TOO_MANY_DIGITS, too_many_digits
from expectmatrix.spec.findings import Finding, errors
from expectmatrix.spec.findings import Path as FieldPath
from expectmatrix.spec.messages import pydantic_finding
from expectmatrix.spec.models import FrameText, Spec

MAX_BYTES = 5_000_000
MAX_NODES = 100_000  # after alias expansion: a "billion laughs" file stops here
MAX_DEPTH = 40
MAX_LIBYAML_NESTING = 1_000  # far below what its C recursion survives, even in a thread

# libyaml's resolver (YAML 1.1) also gives "=" the value tag and "<<" the merge tag.
_STD_TAGS = {"str", "int", "float", "bool", "null", "map", "seq", "timestamp", "value",
             "merge"}
_TAG_PREFIX = "tag:yaml.org,2002:"
# YAML 1.1 line breaks would shift line numbers; libyaml lets tabs pass where YAML 1.2
# refuses them (and we explain why): such texts go to the YAML 1.2 parser.
_NOT_FOR_LIBYAML = ("\x85", "\u2028", "\u2029", "\t")


@dataclass
class Positions:
    """Where each value (and each mapping key) of a document was written, 1-based."""

    values: dict[FieldPath, tuple[int, int]] = field(default_factory=dict)
    keys: dict[FieldPath, tuple[int, int]] = field(default_factory=dict)
    # A CSV row has no columns in the YAML sense: it names its row and the cell's header.
    row: int | None = None

    def locate(self, path: FieldPath, *, key: bool = False) -> tuple[int | None, int | None]:
        table = self.keys if key else self.values
        probe = tuple(path)
        while True:
            if probe in table:
                return table[probe]
            if key and probe in self.values:
                return self.values[probe]
            if not probe:
                return (self.row, None)
            probe = probe[:-1]


@dataclass
class Loaded:
    """A spec as read: the model (when valid), what was found, and where things were."""

    file: str
    spec: Spec | None
    findings: list[Finding]
    positions: Positions
    # expectation id -> why it is non-standard (filled when clauses are resolved)
    nonstandard: dict[str, str] = field(default_factory=dict)
    # where the spec's relative paths (logo, font) resolve: the spec file's folder, or a
    # CSV row's base spec's; None: the current folder
    folder: Path | None = None
    # the agreement frame's texts, decided when the spec is checked (library.frame)
    frame: tuple[FrameText, ...] = ()
    # the plain values read, kept so that the checks after the model can still run on
    # what it refused (spec/salvage.py)
    tree: Any = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.spec is not None and not errors(self.findings)


class _Stop(Exception):
    def __init__(self, finding: Finding) -> None:
        self.finding = finding


def decode(data: bytes, file: str, limit: int = MAX_BYTES) -> str:
    """UTF-8 (with or without BOM) or a located error."""
    if len(data) > limit:
        raise SpecError([Finding("too-large", f"the file is larger than {limit // 1_000_000} MB",
                                 file=file)])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        from expectmatrix.spec.inputs import file_kind, not_text

        if file_kind(data) is not None:  # a document, a picture: no line of it helps
            raise SpecError([Finding("not-a-spec", not_text(data, "spec", "", "YAML or JSON"),
                                     file=file)]) from None
        line = data[: e.start].count(b"\n") + 1
        col = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        raise SpecError([Finding(
            "not-utf8",
            f"the file is not UTF-8 text (byte 0x{data[e.start]:02x}); save it as UTF-8",
            file=file, line=line, column=col)]) from None


def parse(text: str, file: str, fmt: str = "yaml") -> tuple[Any, Positions, list[Finding]]:
    """Text -> (plain tree, positions, problems found on the way).

    Raises SpecError when the text cannot be read as a spec at all; problems that leave a
    usable tree (a duplicate key, a stray tag) are returned so that the model's own
    findings can be reported beside them.
    """
    if not text.strip():
        raise SpecError([Finding("empty", "the file is empty; start from `expectmatrix init` "
                                 "or a file in samples/", file=file, line=1)])
    if fmt == "json":
        _check_json_syntax(text, file)
    try:
        root = _compose(text)
    except RecursionError:
        raise SpecError([Finding("too-deep", "the document is nested too deeply", file=file)]) from None
    except Exception as e:  # ruamel.yaml errors and anything else its reader raises
        if fmt == "json":
            return _json_fallback(text, file)
        raise SpecError([_yaml_error(e, file, text)]) from None
    if root is None:
        raise SpecError([Finding("empty", "the file holds no data", file=file, line=1)])
    walker = _Walker(json_mode=fmt == "json")
    try:
        tree = walker.walk(root, ())
    except _Stop as stop:
        raise SpecError([_with_file(stop.finding, file)]) from None
    if not isinstance(tree, dict):
        kind = "a list" if isinstance(tree, list) else "a single value"
        raise SpecError([Finding(
            "not-a-mapping",
            f"the top level is {kind}; a spec is a mapping with deal:, parties: and "
            "expectations: sections",
            file=file, line=1, column=1)])
    return tree, walker.positions, [_with_file(f, file) for f in walker.problems]


def validate_model(model: type[BaseModel], tree: Any, positions: Positions,
                   file: str) -> tuple[Any, list[Finding]]:
    """Plain tree -> (model instance or None, located findings in plain language)."""
    try:
        return model.model_validate(tree), []
    except ValidationError as exc:
        findings = []
        seen: set[tuple[FieldPath, str]] = set()
        for err in exc.errors(include_url=False):
            finding = pydantic_finding(err, tree, model)
            if (finding.path, finding.code) in seen:
                continue  # a union reports one value once per member
            seen.add((finding.path, finding.code))
            line, col = positions.locate(finding.path, key=finding.code == "unknown-field")
            findings.append(Finding(finding.code, finding.message, "error", finding.path,
                                    file, line, col))
        findings.sort(key=lambda f: (f.line or 0, f.column or 0))
        return None, findings


def validate(tree: Mapping[str, Any], positions: Positions, file: str) -> Loaded:
    """Plain tree -> Loaded, with every model error located and explained."""
    spec, findings = validate_model(Spec, tree, positions, file)
    return Loaded(file, spec, findings, positions, tree=tree)


def load_bytes(data: bytes, file: str, fmt: str | None = None) -> Loaded:
    """Bytes of a YAML or JSON spec -> Loaded (never raises for bad input)."""
    fmt = fmt or ("json" if file.lower().endswith(".json") else "yaml")
    try:
        tree, positions, problems = parse(decode(data, file), file, fmt)
    except SpecError as e:
        return Loaded(file, None, e.findings, Positions())
    loaded = validate(tree, positions, file)
    if problems:
        loaded.findings = sorted(problems + loaded.findings,
                                 key=lambda f: (f.line or 0, f.column or 0))
        loaded.spec = None
    return loaded


def load(path: str | Path) -> Loaded:
    """Read and validate one spec file."""
    from expectmatrix.errors import InputError
    from expectmatrix.spec.inputs import read_bytes

    try:
        data = read_bytes(path, MAX_BYTES, "spec")
    except InputError as e:
        message = str(e).removeprefix(f"{path}: ")
        return Loaded(str(path), None, [Finding("unreadable", message, file=str(path))],
                      Positions())
    loaded = load_bytes(data, str(path))
    loaded.folder = Path(path).parent
    return loaded


# --- YAML nodes -> plain values ------------------------------------------------------


def _compose(text: str) -> Any:
    """The document's node graph: libyaml's when it can read the text (about 25 times
    faster), else the pure-Python YAML 1.2 parser's, whose errors are the ones reported."""
    nodes = _compose_libyaml(text)
    if nodes is not None:
        return nodes
    from ruamel.yaml import YAML

    return YAML(typ="safe", pure=True).compose(text)


def _compose_libyaml(text: str) -> Any:
    """None when libyaml is not installed, rejects the text (it refuses some valid plain
    scalars in flow style, such as ``:b``), would read it otherwise (see
    _NOT_FOR_LIBYAML), or the text could nest deeper than its composer's C recursion
    safely goes (50,000 levels crash Python)."""
    try:
        import yaml

        loader = yaml.CSafeLoader
    except (ImportError, AttributeError):
        return None
    if nesting_bound(text) > MAX_LIBYAML_NESTING or any(c in text for c in _NOT_FOR_LIBYAML):
        return None
    try:
        return yaml.compose(text, Loader=loader)
    except Exception:  # any complaint: the YAML 1.2 parser decides and explains
        return None


def nesting_bound(text: str) -> int:
    """An upper bound on how deep the document nests: two block levels (a mapping and
    its sequence) per indentation column, the indicators that nest within one line, and
    every bracket."""
    lines = text.splitlines()
    indent = max((len(line) - len(line.lstrip(" ")) for line in lines), default=0)
    inline = max((line.count("-") + line.count("?") + line.count(":") for line in lines),
                 default=0)
    return 2 * indent + inline + text.count("[") + text.count("{")


def _pos(node: Any) -> tuple[int, int]:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


class _Walker:
    def __init__(self, json_mode: bool) -> None:
        self.json_mode = json_mode
        self.positions = Positions()
        self.problems: list[Finding] = []
        self.count = 0
        self.stack: set[int] = set()

    def walk(self, node: Any, path: FieldPath) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _Stop(Finding("too-large", f"the document has more than {MAX_NODES} values "
                                "once its aliases (*name) are expanded; write it out plainly",
                                path=path, line=_pos(node)[0], column=_pos(node)[1]))
        if len(path) > MAX_DEPTH:
            raise _Stop(Finding("too-deep", "the document is nested too deeply", path=path,
                                line=_pos(node)[0], column=_pos(node)[1]))
        if id(node) in self.stack:
            raise _Stop(Finding("recursive-alias", "an alias refers to itself", path=path,
                                line=_pos(node)[0], column=_pos(node)[1]))
        self.positions.values.setdefault(path, _pos(node))
        self._check_tag(node, path)
        if node.id == "scalar":
            return self._scalar(node, path)
        self.stack.add(id(node))
        try:
            if node.id == "sequence":
                return [self.walk(item, (*path, i)) for i, item in enumerate(node.value)]
            if node.id == "mapping":
                return self._mapping(node, path)
        finally:
            self.stack.discard(id(node))
        raise _Stop(Finding("unsupported", "unsupported YAML construct", path=path))

    def _check_tag(self, node: Any, path: FieldPath) -> None:
        tag = str(node.tag)
        if not (tag.startswith(_TAG_PREFIX) and tag[len(_TAG_PREFIX):] in _STD_TAGS):
            line, col = _pos(node)
            self.problems.append(Finding(
                "yaml-tag", f"the YAML tag {tag!r} is not allowed in a spec; remove it",
                path=path, line=line, column=col))

    def _scalar(self, node: Any, path: FieldPath) -> Any:
        value = node.value
        if too_many_digits(value):  # the models' int() would refuse it with no position
            line, col = _pos(node)
            raise _Stop(Finding("too-many-digits", TOO_MANY_DIGITS, path=path, line=line,
                                column=col))
        bidi = find_bidi(value)
        if bidi is not None:
            line, col = _pos(node)
            before = value[:bidi]
            if "\n" not in before:  # on the node's own line: point at the character
                col += bidi + (1 if node.style in ("'", '"') else 0)
            self.problems.append(bidi_finding(value[bidi], path, line, col))
        plain = not node.style  # None from ruamel.yaml, "" from libyaml
        tag = str(node.tag)
        if plain and tag == _TAG_PREFIX + "null":
            return None
        if self.json_mode and plain:
            if value in ("true", "false"):
                return value == "true"
            if value in ("NaN", "Infinity", "-Infinity"):
                line, col = _pos(node)
                self.problems.append(Finding(
                    "not-a-number", f"{value} is not a number JSON allows; write a finite number",
                    path=path, line=line, column=col))
        return value

    def _mapping(self, node: Any, path: FieldPath) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line, col = _pos(key_node)
            if key_node.id != "scalar":
                raise _Stop(Finding("bad-key", "a key must be a plain word, not a list or mapping",
                                    path=path, line=line, column=col))
            key = key_node.value
            if key in out:
                first = self.positions.keys[(*path, key)]
                self.problems.append(Finding(
                    "duplicate-key",
                    f"duplicate key {key!r} (first written on line {first[0]}); keep only one",
                    path=(*path, key), line=line, column=col))
                continue
            self.positions.keys[(*path, key)] = (line, col)
            out[key] = self.walk(value_node, (*path, key))
        return out


# Explicit embeddings, overrides and isolates reorder what a reader sees: "USD \u202e000,01"
# displays as "USD 10,000" (Trojan Source). No agreement needs them.
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")


def find_bidi(text: str) -> int | None:
    """The position of the first bidi control in ``text``, or None."""
    m = _BIDI.search(text)
    return m.start() if m else None


def bidi_finding(char: str, path: FieldPath = (), line: int | None = None,
                 column: int | None = None, file: str | None = None) -> Finding:
    return Finding("bidi-control", f"contains the invisible direction control U+{ord(char):04X}, "
                   "which can make the text read differently from what it says (an override "
                   "before 000,01 shows it as 10,000); delete it and retype the text",
                   path=path, file=file, line=line, column=column)


def _with_file(f: Finding, file: str) -> Finding:
    return replace(f, file=file)


def _yaml_error(e: Exception, file: str, text: str) -> Finding:
    mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
    problem = getattr(e, "problem", None) or str(e).splitlines()[0]
    position = getattr(e, "position", None)  # the reader's errors carry an offset, no mark
    if mark is None and isinstance(position, int):
        line = text.count("\n", 0, position) + 1
        col = position - (text.rfind("\n", 0, position) + 1) + 1
        char = getattr(e, "character", "")
        code = f"U+{ord(char):04X}" if isinstance(char, str) and len(char) == 1 else "a character"
        return Finding("yaml-syntax", f"the file contains the control character {code}, which "
                       "a spec cannot hold; remove it", file=file, line=line, column=col)
    context = getattr(e, "context", None)
    message = f"YAML syntax error: {problem}"
    if context and "single document" in context:
        message = "the file holds more than one YAML document (a second '---'); keep one"
    elif context:
        message += f" ({context})"
    return Finding("yaml-syntax", message + _yaml_hint(problem), file=file,
                   line=mark.line + 1 if mark is not None else None,
                   column=mark.column + 1 if mark is not None else None)


def _yaml_hint(problem: str) -> str:
    if "mapping values are not allowed" in problem:
        return ("; check this line and the one above it: each key needs a colon after it, "
                "keys at one level must line up, and a text containing ': ' must be in quotes")
    if "found character '\\t'" in problem or "tab" in problem:
        return "; indent with spaces, not tabs"
    if "special characters are not allowed" in problem:
        return "; the file contains a control character: remove it"
    return ""


def _check_json_syntax(text: str, file: str) -> None:
    try:
        # Numbers stay text: more than 4,300 digits would make int() raise a bare ValueError.
        json.loads(text, parse_constant=lambda c: c, parse_int=str, parse_float=str)
    except json.JSONDecodeError as e:
        raise SpecError([Finding("json-syntax", f"JSON syntax error: {e.msg}", file=file,
                                 line=e.lineno, column=e.colno)]) from None
    except RecursionError:
        raise SpecError([Finding("too-deep", "the document is nested too deeply", file=file)]) from None


def _json_fallback(text: str, file: str) -> tuple[Any, Positions, list[Finding]]:
    """Valid JSON that the YAML composer cannot read (rare): values without positions."""

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in items:
            if k in out:
                raise SpecError([Finding("duplicate-key", f"duplicate key {k!r}; keep only one",
                                         file=file)])
            out[k] = v
        return out

    def reject(c: str) -> Any:
        raise SpecError([Finding("not-a-number", f"{c} is not a number JSON allows", file=file)])

    def number(c: str) -> str:
        if too_many_digits(c):
            raise SpecError([Finding("too-many-digits", TOO_MANY_DIGITS, file=file)])
        return c

    tree = json.loads(text, object_pairs_hook=pairs, parse_int=number, parse_float=number,
                      parse_constant=reject)
    if not isinstance(tree, dict):
        raise SpecError([Finding("not-a-mapping", "the top level must be a JSON object",
                                 file=file, line=1, column=1)])
    return tree, Positions(), []
