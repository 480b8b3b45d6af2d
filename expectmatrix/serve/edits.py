"""What the form editor changes, applied to the spec's text. The text stays the single
source of truth: an edit goes through ruamel.yaml's round trip, so the file keeps its
comments, key order, quoting and indentation, and a JSON spec stays JSON. Whether the
result is a valid spec is not decided here: the same checks as `validate` say so after.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
import re
import threading
from dataclasses import dataclass
from typing import Any, Literal

from expectmatrix.errors import EditRefused

Op = Literal["set", "add", "remove", "move", "clause", "own-text"]
OPS: tuple[Op, ...] = ("set", "add", "remove", "move", "clause", "own-text")
Kind = Literal["text", "integer", "number"]

_STEP = re.compile(r"\.?([A-Za-z_][\w-]{0,63})|\[(\d{1,4})\]")
MAX_PATH = 200
MAX_DEPTH = 8
MAX_NESTING = 1_000  # deeper texts are edited as text: the round trip recurses per level

# What "Add" puts at the end of each list: the least a rep fills in next.
_NEW_ITEMS: dict[str, dict[str, Any]] = {
    "readiness": {"question": "", "answer": "unknown"},
    "approvals": {"name": "", "side": "vendor", "role": ""},
    "contacts": {"name": ""},
}
_ID_PREFIX = {"of_vendor": "V", "of_customer": "C"}
# Taking a clause replaces the row's own wording: the library's applies.
_WORDING = ("text", "measure", "due", "owner", "params")




@dataclass(frozen=True)
class Edit:
    """One change from the form. ``path`` is a field path as findings print it
    (``expectations.of_vendor[2].params.hours``)."""

    op: Op
    path: str
    value: str = ""  # set: the new value, "" removes an optional field; clause: its id
    kind: Kind = "text"  # set: how the value is written
    delta: int = 0  # move: -1 up, +1 down

    @classmethod
    def from_json(cls, data: Any) -> Edit:
        if not isinstance(data, dict) or data.get("op") not in OPS:
            raise EditRefused(f"an edit needs an op, one of {', '.join(OPS)}")
        kind = data.get("kind", "text")
        if kind not in ("text", "integer", "number"):
            raise EditRefused("kind is text, integer or number")
        delta = data.get("delta", 0)
        if type(delta) is not int or delta not in (-1, 0, 1):  # not 1.0, not true
            raise EditRefused("delta is -1 or 1")
        value = data.get("value", "")
        if not isinstance(value, str) or not isinstance(data.get("path", ""), str):
            raise EditRefused("path and value are strings")
        return cls(data["op"], data.get("path", ""), value, kind, delta)


def steps(path: str) -> list[str | int]:
    """``a.b[2].c`` -> ``["a", "b", 2, "c"]``; anything else is refused."""
    if len(path) > MAX_PATH:
        raise EditRefused("the field path is too long")
    out: list[str | int] = []
    at = 0
    while at < len(path):
        m = _STEP.match(path, at)
        if m is None or (at == 0 and path.startswith(".")):
            raise EditRefused(f"{path!r} is not a field path")
        out.append(m.group(1) if m.group(1) is not None else int(m.group(2)))
        at = m.end()
    if not out or len(out) > MAX_DEPTH or not isinstance(out[0], str):
        raise EditRefused(f"{path!r} is not a field path")
    return out


# --- the round trip -----------------------------------------------------------------------


def _yaml(mapping: int, sequence: int, offset: int) -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt", pure=True)
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a rep's long line
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yaml


def load(text: str, fmt: str = "yaml") -> tuple[Any, tuple[int, int, int]]:
    """The document, and the indentation to write it back with."""
    from expectmatrix.spec.loading import nesting_bound

    if nesting_bound(text) > MAX_NESTING:
        raise EditRefused("this spec nests too deeply for the form: edit it as text")
    if fmt == "json":
        return json.loads(text), (2, 2, 0)
    from ruamel.yaml.error import YAMLError

    layout = _layout(text)
    try:
        data = _yaml(*layout).load(text)
    except (YAMLError, ValueError) as e:
        raise EditRefused(f"the text is not valid YAML yet: {e}".splitlines()[0]) from e
    return data, layout


_KEY_LINE = re.compile(r"^( *)(- +)?[^#\s][^#]*:\s*(#.*)?$")


def _layout(text: str) -> tuple[int, int, int]:
    """The file's own indentation (mapping, sequence, dash offset), read off the first
    nested mapping and the first block sequence under a key, so that an edit does not
    re-indent the file. ruamel.yaml's guess reads only sequences and parses twice."""
    mapping = sequence = offset = None
    lines = [line for line in text.splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    for before, line in itertools.pairwise(lines):
        key = _KEY_LINE.match(before)
        if key is None:
            continue
        parent = len(key.group(1)) + len(key.group(2) or "")
        column = len(line) - len(line.lstrip(" "))
        if column <= parent:
            continue
        dash = re.match(r"- +", line[column:])
        if dash and sequence is None:
            offset, sequence = column - parent, column - parent + len(dash.group())
        elif not dash and mapping is None:
            mapping = column - parent
        if mapping is not None and sequence is not None:
            break
    return mapping or 2, sequence or 2, offset or 0


class Recent:
    """The documents of the last few texts an edit made, by the text's hash: the next
    edit of the same form arrives with that text, and reading it again would be most of
    the edit's time (ruamel.yaml's round-trip parser is pure Python). A document is
    handed out once, as the edit changes it in place."""

    def __init__(self, keep: int = 8) -> None:
        self.keep = keep
        self._documents: dict[str, tuple[Any, tuple[int, int, int]]] = {}
        self._lock = threading.Lock()  # edits run on several threads

    def load(self, text: str, fmt: str = "yaml") -> tuple[Any, tuple[int, int, int]]:
        with self._lock:
            found = self._documents.pop(_key(text, fmt), None)
        return found if found is not None else load(text, fmt)

    def remember(self, text: str, fmt: str, data: Any, layout: tuple[int, int, int]) -> None:
        with self._lock:
            self._documents[_key(text, fmt)] = (data, layout)
            while len(self._documents) > self.keep:
                self._documents.pop(next(iter(self._documents)))


def _key(text: str, fmt: str) -> str:
    import hashlib

    return fmt + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def dump(data: Any, layout: tuple[int, int, int], fmt: str = "yaml") -> str:
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    out = io.StringIO()
    _yaml(*layout).dump(data, out)
    return out.getvalue()


def apply(text: str, edit: Edit, fmt: str = "yaml", resolved: Any = None) -> str:
    """The text with ``edit`` made. ``resolved``: the checked spec, whose library wording
    "own-text" copies into the row."""
    spliced = apply_lines(text, edit, fmt)
    if spliced is not None:
        return spliced
    data, layout = load(text, fmt)
    apply_to(data, edit, resolved)
    return dump(data, layout, fmt)


def apply_lines(text: str, edit: Edit, fmt: str = "yaml") -> str | None:
    """Removing or moving an item of a block sequence, made on the text's lines, so that
    the comments written above each item go with it (the round trip keeps a comment with
    the node before it: a drafted spec's clause wording would end up above the wrong
    row). None where this cannot be done safely; the round trip then makes the edit."""
    from expectmatrix.errors import SpecError
    from expectmatrix.spec.loading import parse

    path = steps(edit.path)
    if fmt != "yaml" or edit.op not in ("remove", "move") or not isinstance(path[-1], int):
        return None
    try:
        tree, positions, _ = parse(text, "edit")
    except SpecError:
        return None
    items = _plain_at(tree, path[:-1])
    i, j = path[-1], path[-1] + edit.delta
    if not isinstance(items, list) or not 0 <= i < len(items) or not 0 <= j < len(items) \
            or (edit.op == "remove" and len(items) == 1) or (edit.op == "move" and i == j):
        return None  # an emptied list is written [] by the round trip; errors come from it
    lines = text.splitlines(keepends=True)
    blocks = _item_blocks(lines, [positions.values.get((*path[:-1], k)) for k in
                                  range(len(items))])
    if blocks is None:
        return None
    pieces = ["".join(lines[a:b]) for a, b in blocks]
    pieces = [p if p.endswith("\n") else p + "\n" for p in pieces]
    head, tail = "".join(lines[:blocks[0][0]]), "".join(lines[blocks[-1][1]:])
    expected = list(items)
    if edit.op == "remove":
        del pieces[i], expected[i]
    else:
        pieces.insert(j, pieces.pop(i))
        expected.insert(j, expected.pop(i))
    spliced = head + "".join(pieces) + tail
    try:  # the same data as the edit made on the data, or not at all
        after, _, _ = parse(spliced, "edit")
    except SpecError:
        return None
    _plain_at(tree, path[:-2])[path[-2]] = expected
    return spliced if after == tree else None


def _plain_at(tree: Any, path: list[str | int]) -> Any:
    for step in path:
        found = (isinstance(step, int) and isinstance(tree, list) and step < len(tree)) or \
            (isinstance(step, str) and isinstance(tree, dict) and step in tree)
        if not found:
            return None
        tree = tree[step]
    return tree


def _item_blocks(lines: list[str], starts: list[tuple[int, int] | None]
                 ) -> list[tuple[int, int]] | None:
    """The line span of each item of a block sequence: from the comment lines right above
    its dash to the next item's span, the last one to the end of its indentation."""
    dashes = []
    for start in starts:
        if start is None:
            return None
        line, column = start[0] - 1, start[1] - 1
        if not 0 <= line < len(lines) or not re.fullmatch(r" *- +", lines[line][:column]):
            return None  # not a block item alone on its dash line (a flow list, say)
        dashes.append((line, lines[line].index("-")))
    indent = dashes[0][1]
    if any(column != indent for _, column in dashes):
        return None
    firsts: list[int] = []
    for line, _ in dashes:
        while line > 0 and lines[line - 1].lstrip().startswith("#") and \
                _indent(lines[line - 1]) >= indent and (not firsts or line - 1 > firsts[-1]):
            line -= 1
        firsts.append(line)
    end = dashes[-1][0] + 1
    while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) > indent):
        end += 1
    while end > dashes[-1][0] + 1 and not lines[end - 1].strip():
        end -= 1
    return list(zip(firsts, [*firsts[1:], end], strict=True))


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def apply_to(data: Any, edit: Edit, resolved: Any = None) -> None:
    """Make ``edit`` in the loaded document ``data``."""
    if not isinstance(data, dict):
        raise EditRefused("the spec is not a mapping of fields: edit it as text")
    path = steps(edit.path)
    if edit.op == "set":
        _set(data, path, _typed(edit.value, edit.kind))
    elif edit.op == "add":
        items = _container(data, path, create=list)
        if not isinstance(items, list):
            raise EditRefused(f"{edit.path} is not a list")
        items.append(_new_item(path, items))
    elif edit.op == "remove":
        parent, key = _parent(data, path)
        del parent[key]
    elif edit.op == "move":
        parent, key = _parent(data, path)
        if not isinstance(parent, list) or not isinstance(key, int):
            raise EditRefused(f"{edit.path} is not a row of a list")
        to = key + edit.delta
        if not 0 <= to < len(parent):
            raise EditRefused("this row cannot move further")
        parent.insert(to, parent.pop(key))
    else:
        row = _container(data, path, create=None)
        if not isinstance(row, dict):
            raise EditRefused(f"{edit.path} is not an expectation")
        if edit.op == "clause":
            for name in _WORDING:
                row.pop(name, None)
            row["clause"] = edit.value
        else:  # own-text: the library's wording becomes the row's own
            wording = _resolved_row(resolved, row.get("id"))
            row.pop("clause", None)
            row.pop("params", None)
            for name in ("text", "measure", "due", "owner"):
                if wording.get(name) and not row.get(name):
                    row[name] = wording[name]


def _typed(value: str, kind: Kind) -> Any:
    """What the form sent, as the spec writes it; a value that does not read as its
    kind is kept as text, for validation to explain."""
    if kind == "text":
        return value
    value = value.strip()
    if re.fullmatch(r"-?\d{1,15}", value):
        return int(value)
    if kind == "number" and re.fullmatch(r"-?\d{0,15}\.\d{1,6}", value):
        return float(value)
    return value


def _set(data: Any, path: list[str | int], value: Any) -> None:
    parent = _container(data, path[:-1], create=dict)
    key = path[-1]
    if not isinstance(parent, dict | list):  # a path through a text or a number
        raise EditRefused(f"{_path_text(path[:-1])} holds a value, not fields")
    if isinstance(parent, dict) != isinstance(key, str):
        raise EditRefused("no such field: the form may be out of date, reload it")
    if value == "":  # an emptied field is taken out, and maps it leaves empty with it
        if isinstance(parent, dict):
            parent.pop(key, None)
            _prune(data, path[:-1])
        elif isinstance(key, int) and key < len(parent):
            parent[key] = ""
        return
    if isinstance(parent, list):
        if not isinstance(key, int) or key > len(parent):
            raise EditRefused("no such row")
        if key == len(parent):
            parent.append(value)
        else:
            parent[key] = value
    else:
        parent[key] = value


def _path_text(path: list[str | int]) -> str:
    return "".join(f"[{step}]" if isinstance(step, int) else f".{step}"
                   for step in path).lstrip(".")


def _prune(data: Any, path: list[str | int]) -> None:
    while path:
        node = _container(data, path, create=None)
        if not isinstance(node, dict) or node:
            return
        parent, key = _parent(data, path)
        if isinstance(parent, dict):
            del parent[key]
        path = path[:-1]


def _container(data: Any, path: list[str | int], create: type | None) -> Any:
    """The map or list at ``path``; missing maps on the way are made when ``create``."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    node = data
    for n, step in enumerate(path):
        last = n == len(path) - 1
        if isinstance(step, int):
            if not isinstance(node, list) or step >= len(node):
                raise EditRefused("no such row: the form may be out of date, reload it")
            node = node[step]
            continue
        if not isinstance(node, dict):
            raise EditRefused(f"{step} is not a field here")
        if node.get(step) is None:
            if create is None:
                raise EditRefused(f"there is no {step} here")
            made = (CommentedSeq() if create is list else CommentedMap()) if last else \
                (CommentedSeq() if isinstance(path[n + 1], int) else CommentedMap())
            node[step] = made
        node = node[step]
    return node


def _parent(data: Any, path: list[str | int]) -> tuple[Any, str | int]:
    parent = _container(data, path[:-1], create=None)
    key = path[-1]
    if isinstance(parent, list) and isinstance(key, int) and key < len(parent):
        return parent, key
    if isinstance(parent, dict) and key in parent:
        return parent, key
    raise EditRefused("no such field: the form may be out of date, reload it")


def _new_item(path: list[str | int], items: list[Any]) -> Any:
    from ruamel.yaml.comments import CommentedMap

    name = str(path[-1])
    if name in _ID_PREFIX:
        prefix = _ID_PREFIX[name]
        numbers = [int(m.group(1)) for item in items if isinstance(item, dict)
                   for m in [re.fullmatch(rf"{prefix}(\d+)", str(item.get("id", "")))] if m]
        item = CommentedMap(id=f"{prefix}{max(numbers, default=0) + 1}")
        areas = [i.get("area") for i in items if isinstance(i, dict) and i.get("area")]
        if areas:
            item["area"] = areas[-1]
        item["text"] = ""
        return item
    if name not in _NEW_ITEMS:
        raise EditRefused(f"rows cannot be added to {name}")
    item = CommentedMap(_NEW_ITEMS[name])
    if name == "approvals":
        item["date"] = dt.date.today().isoformat()
    return item


def _resolved_row(resolved: Any, eid: Any) -> dict[str, str]:
    if resolved is None:
        raise EditRefused("the spec must be valid before a clause's wording can be copied")
    for row in (*resolved.expectations.of_vendor, *resolved.expectations.of_customer):
        if row.id == eid:
            return {name: getattr(row, name) for name in ("text", "measure", "due", "owner")}
    raise EditRefused(f"there is no expectation {eid}")
