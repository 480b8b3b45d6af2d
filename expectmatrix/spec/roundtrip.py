"""A spec's text edited in place: a value set, removed or inserted at a field path, a row
moved, and the file keeps its comments, key order, quoting and indentation (ruamel.yaml's
round trip), and a JSON spec stays JSON. Every stage that changes a spec the rep wrote
(the browser's form, changes brought back from legal's copy) goes through here. Whether
the result is a valid spec is not decided here: the same checks as `validate` say so.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from expectmatrix.errors import EditRefused, NoSuchField
from expectmatrix.spec.shape import FieldPath, PathError, format_path, parse_path

MAX_NESTING = 1_000  # deeper texts are edited as text: the round trip recurses per level

Layout = tuple[int, int, int]  # indentation of mappings, of sequences, and the dash offset


def where(path: str | FieldPath) -> FieldPath:
    """A field path, read with the spec's one grammar; EditRefused if it is none."""
    if not isinstance(path, str):
        return tuple(path)
    try:
        return parse_path(path)
    except PathError as e:
        raise EditRefused(str(e)) from None


def _yaml(layout: Layout) -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt", pure=True)
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a rep's long line
    yaml.indent(mapping=layout[0], sequence=layout[1], offset=layout[2])
    return yaml


@dataclass
class Document:
    """A spec's text read for editing. ``data`` is ruamel.yaml's round-trip tree (plain
    JSON values for a JSON spec); change it through the methods, then ``dump``."""

    data: Any
    layout: Layout = (2, 2, 0)
    fmt: str = "yaml"

    def dump(self) -> str:
        if self.fmt == "json":
            return json.dumps(self.data, ensure_ascii=False, indent=2, default=_json_value) + "\n"
        out = io.StringIO()
        _yaml(self.layout).dump(self.data, out)
        return out.getvalue()

    def get(self, path: str | FieldPath) -> Any:
        """The value at ``path``; NoSuchField if the text has none."""
        return _container(self._root(), where(path), create=None)

    def set(self, path: str | FieldPath, value: Any) -> None:
        """``value`` at ``path``; maps missing on the way are made, and a list index one
        past the end appends."""
        steps = where(path)
        parent = _container(self._root(), steps[:-1], create=dict)
        key = steps[-1]
        if not isinstance(parent, dict | list):  # a path through a text or a number
            raise EditRefused(f"{format_path(steps[:-1])} holds a value, not fields")
        if isinstance(parent, dict) != isinstance(key, str):
            raise NoSuchField(f"no such field: {format_path(steps)}")
        if isinstance(parent, dict):
            parent[key] = value
        elif not isinstance(key, int) or key > len(parent):
            raise NoSuchField(f"no such row: {format_path(steps)}")
        elif key == len(parent):
            parent.append(value)
        else:
            parent[key] = value

    def remove(self, path: str | FieldPath, prune: bool = False, missing_ok: bool = False
               ) -> None:
        """Take out the field or row at ``path``; with ``prune``, the maps it leaves empty
        go too (an optional part of the spec with nothing left in it)."""
        steps = where(path)
        try:
            parent, key = _parent(self._root(), steps)
        except NoSuchField:
            if missing_ok:
                return
            raise
        del parent[key]
        for end in range(len(steps) - 1, 0, -1) if prune else ():
            holder, name = _parent(self.data, steps[:end])
            if not isinstance(holder, dict) or holder[name] != {}:
                break
            del holder[name]

    def insert(self, path: str | FieldPath, value: Any, index: int | None = None) -> None:
        """``value`` as a new item of the list at ``path`` (at its end, or before
        ``index``); a missing list is made."""
        steps = where(path)
        items = _container(self._root(), steps, create=list)
        if not isinstance(items, list):
            raise EditRefused(f"{format_path(steps)} is not a list")
        if index is None:
            items.append(value)
        elif 0 <= index <= len(items):
            items.insert(index, value)
        else:
            raise NoSuchField(f"no such row: {format_path((*steps, index))}")

    def move(self, path: str | FieldPath, delta: int) -> None:
        """The row at ``path`` moved ``delta`` places (-1 up, 1 down)."""
        steps = where(path)
        parent, key = _parent(self._root(), steps)
        if not isinstance(parent, list) or not isinstance(key, int):
            raise EditRefused(f"{format_path(steps)} is not a row of a list")
        to = key + delta
        if not 0 <= to < len(parent):
            raise EditRefused("this row cannot move further")
        parent.insert(to, parent.pop(key))

    def _root(self) -> Any:
        if not isinstance(self.data, dict):
            raise EditRefused("the spec is not a mapping of fields: edit it as text")
        return self.data


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a JSON value")


def load(text: str, fmt: str = "yaml") -> Document:
    """The text, read for editing, with the indentation to write it back with."""
    from expectmatrix.spec.loading import nesting_bound

    if nesting_bound(text) > MAX_NESTING:
        raise EditRefused("this spec nests too deeply to edit as fields: edit it as text")
    if fmt == "json":
        try:
            return Document(json.loads(text), fmt="json")
        except ValueError as e:
            raise EditRefused(f"the text is not valid JSON yet: {e}") from e
    from ruamel.yaml.error import YAMLError

    layout = read_layout(text)
    try:
        data = _yaml(layout).load(text)
    except (YAMLError, ValueError) as e:
        raise EditRefused(f"the text is not valid YAML yet: {e}".splitlines()[0]) from e
    return Document(data, layout)


_KEY_LINE = re.compile(r"^( *)(- +)?[^#\s][^#]*:\s*(#.*)?$")


def read_layout(text: str) -> Layout:
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


# --- text in, text out --------------------------------------------------------------------


def set_at(text: str, path: str | FieldPath, value: Any, fmt: str = "yaml") -> str:
    """The text with ``value`` at ``path``."""
    return _edited(text, fmt, lambda doc: doc.set(path, value))


def insert_at(text: str, path: str | FieldPath, value: Any, fmt: str = "yaml",
              index: int | None = None) -> str:
    """The text with ``value`` a new item of the list at ``path`` (at its end, or before
    ``index``, below the comments written above the row that was there)."""
    return (index is not None and insert_lines(text, path, value, index, fmt)) or \
        _edited(text, fmt, lambda doc: doc.insert(path, value, index))


def remove_at(text: str, path: str | FieldPath, fmt: str = "yaml") -> str:
    """The text without the field or row at ``path``; a row takes the comments written
    above it."""
    return move_lines(text, path, None, fmt) or _edited(text, fmt, lambda doc: doc.remove(path))


def move_at(text: str, path: str | FieldPath, delta: int, fmt: str = "yaml") -> str:
    """The text with the row at ``path`` moved ``delta`` places, with its comments."""
    return move_lines(text, path, delta, fmt) or \
        _edited(text, fmt, lambda doc: doc.move(path, delta))


def _edited(text: str, fmt: str, change: Callable[[Document], None]) -> str:
    doc = load(text, fmt)
    change(doc)
    return doc.dump()


# --- rows moved on the text's lines -------------------------------------------------------


def move_lines(text: str, path: str | FieldPath, delta: int | None, fmt: str = "yaml"
               ) -> str | None:
    """The row at ``path`` of a block sequence removed (``delta`` None) or moved, made on
    the text's lines, so that the comments written above each row go with it (the round
    trip keeps a comment with the node before it: a drafted spec's clause wording would
    end up above the wrong row). None where this cannot be done safely; the round trip
    then makes the edit, or says why it cannot."""
    steps = where(path)
    rows = _rows(text, steps[:-1]) if fmt == "yaml" and len(steps) > 1 and \
        isinstance(steps[-1], int) else None
    if rows is None:
        return None
    tree, items, lines, blocks, _ = rows
    i, j = int(steps[-1]), int(steps[-1]) + (delta or 0)
    if not 0 <= i < len(items) or not 0 <= j < len(items) \
            or (delta is None and len(items) == 1) or (delta is not None and i == j):
        return None  # an emptied list is written [] by the round trip; errors come from it
    pieces = ["".join(lines[a:b]) for a, b in blocks]
    pieces = [p if p.endswith("\n") else p + "\n" for p in pieces]
    head, tail = "".join(lines[:blocks[0][0]]), "".join(lines[blocks[-1][1]:])
    if delta is None:
        del pieces[i], items[i]
    else:
        pieces.insert(j, pieces.pop(i))
        items.insert(j, items.pop(i))
    spliced = head + "".join(pieces) + tail
    return spliced if _parsed(spliced) == tree else None  # the edit on the data, or none


def insert_lines(text: str, path: str | FieldPath, value: Any, index: int,
                 fmt: str = "yaml") -> str | None:
    """``value`` inserted before row ``index`` of the block sequence at ``path``, made on
    the text's lines: the round trip would leave the comments above that row above the
    new one. None where this cannot be done safely."""
    rows = _rows(text, where(path)) if fmt == "yaml" else None
    if rows is None or not 0 <= index < len(rows[1]):
        return None
    tree, items, lines, blocks, indent = rows
    row = Document({"row": [value]}, read_layout(text)).dump().splitlines(keepends=True)[1:]
    shift = indent - _indent(row[0])
    piece = "".join(" " * shift + line if shift >= 0 else line[-shift:] for line in row)
    spliced = "".join(lines[:blocks[index][0]]) + piece + "".join(lines[blocks[index][0]:])
    made = _parsed("row:\n" + piece)
    if made is None:
        return None
    items.insert(index, made["row"][0])
    return spliced if _parsed(spliced) == tree else None


def _parsed(text: str) -> Any:
    """The plain data of a text, as the loader reads it; None if it cannot."""
    from expectmatrix.errors import SpecError
    from expectmatrix.spec.loading import parse

    try:
        return parse(text, "edit")[0]
    except SpecError:
        return None


def _rows(text: str, path: FieldPath
          ) -> tuple[Any, list[Any], list[str], list[tuple[int, int]], int] | None:
    """The text's data, the block sequence at ``path`` in it, the text's lines, the line
    span of each row and the column of their dashes; None if that is no block sequence."""
    from expectmatrix.errors import SpecError
    from expectmatrix.spec.loading import parse

    try:
        tree, positions, _ = parse(text, "edit")
    except SpecError:
        return None
    items = _plain_at(tree, path)
    if not isinstance(items, list) or not items:
        return None
    lines = text.splitlines(keepends=True)
    found = _item_blocks(lines, [positions.values.get((*path, k)) for k in range(len(items))])
    return None if found is None else (tree, items, lines, *found)


def _plain_at(tree: Any, path: FieldPath) -> Any:
    for step in path:
        found = (isinstance(step, int) and isinstance(tree, list) and step < len(tree)) or \
            (isinstance(step, str) and isinstance(tree, dict) and step in tree)
        if not found:
            return None
        tree = tree[step]
    return tree


def _item_blocks(lines: list[str], starts: list[tuple[int, int] | None]
                 ) -> tuple[list[tuple[int, int]], int] | None:
    """The line span of each item of a block sequence (from the comment lines right above
    its dash to the next item's span, the last one to the end of its indentation), and
    the column of the dashes."""
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
    return list(zip(firsts, [*firsts[1:], end], strict=True)), indent


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


# --- walking the tree ---------------------------------------------------------------------


def _container(data: Any, path: FieldPath, create: type | None) -> Any:
    """The node at ``path``; missing maps on the way (and a missing list at the end, when
    ``create`` is list) are made when ``create`` is given."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    node = data
    for n, step in enumerate(path):
        if isinstance(step, int):
            if not isinstance(node, list) or step >= len(node):
                raise NoSuchField(f"no such row: {format_path(path[:n + 1])}")
            node = node[step]
            continue
        if not isinstance(node, dict):
            if n and not isinstance(node, list):
                raise EditRefused(f"{format_path(path[:n])} holds a value, not fields")
            raise NoSuchField(f"no such field: {format_path(path[:n + 1])}")
        if node.get(step) is None:
            if create is None:
                raise NoSuchField(f"there is no {format_path(path[:n + 1])} in the spec")
            last = n == len(path) - 1
            make_list = create is list if last else isinstance(path[n + 1], int)
            node[step] = CommentedSeq() if make_list else CommentedMap()
        node = node[step]
    return node


def _parent(data: Any, path: FieldPath) -> tuple[Any, str | int]:
    parent = _container(data, path[:-1], create=None)
    key = path[-1]
    if isinstance(parent, list) and isinstance(key, int) and key < len(parent):
        return parent, key
    if isinstance(parent, dict) and key in parent:
        return parent, key
    raise NoSuchField(f"no such field: {format_path(path)}")

