"""Two renderings of an agreement -> one DOCX of the new one with every difference from
the old as Word tracked changes: accepting all gives the new document, rejecting all the
old one.

Both DOCX come from the same writer, so their bodies have the same shape: paragraphs and
tables of rows of cells of paragraphs, runs of one style each. Blocks are aligned by
their text (tables by the heading above them), rows by theirs, and a paragraph that
changed is diffed word by word, each word keeping its run's style. What only the old
document has is put back in place as deleted; what only the new one has is marked
inserted. A table cell whose content (its printed id aside) moved to another place is
tracked as a Word move (w:moveFrom where it was, w:moveTo where it is), so a reordered or
renumbered expectation reads as moved, not as deleted and written anew. Headers and
footers (the fingerprint, the version) are diffed the same way.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from difflib import SequenceMatcher

from lxml import etree

from expectmatrix.review.compare import WORDS, phrases

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
XML_NS = "http://www.w3.org/XML/1998/namespace"


def w(tag: str) -> str:
    return f"{{{W_NS}}}{tag}"


_PARTS = re.compile(r"^word/(document|header\d*|footer\d*)\.xml$")


class Marker:
    """Numbered w:ins / w:del marks, all by one author at one time."""

    def __init__(self, author: str, when: dt.datetime) -> None:
        self.author = author
        self.date = when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.next_id = 9000  # clear of the ids the writer gives bookmarks and shapes

    def mark(self, tag: str) -> etree._Element:
        self.next_id += 1
        element = etree.Element(w(tag))
        element.set(w("id"), str(self.next_id))
        element.set(w("author"), self.author)
        element.set(w("date"), self.date)
        return element


def _text(element: etree._Element) -> str:
    return "".join(t.text or "" for t in element.iter(w("t")))


# --- runs and words -----------------------------------------------------------------------


def _tokens(p: etree._Element) -> list[tuple[str, str, etree._Element]]:
    """A paragraph as (style, text, run) tokens: a text run gives one token per word and
    per space, anything else (a tab, a field, a picture) one token of its own XML."""
    tokens = []
    for child in p:
        if child.tag == w("pPr"):
            continue
        if child.tag == w("r") and all(c.tag in (w("rPr"), w("t")) for c in child):
            rpr = child.find(w("rPr"))
            style = _canonical(rpr) if rpr is not None else ""
            for word in WORDS.findall(_text(child)):
                tokens.append((style, word, child))
        else:
            tokens.append(("", _canonical(child), child))
    return tokens


def _canonical(element: etree._Element) -> str:
    """An element's XML without the namespace declarations it happens to carry (an
    element copied out of its document carries fewer than one still in it)."""
    return str(etree.tostring(element, method="c14n", exclusive=True).decode())


def _run(token: tuple[str, str, etree._Element], deleted: bool = False) -> etree._Element:
    _, text, source = token
    if source.tag != w("r") or not source.findall(w("t")):
        return _as_deleted(copy.deepcopy(source)) if deleted else copy.deepcopy(source)
    run = etree.Element(w("r"))
    rpr = source.find(w("rPr"))
    if rpr is not None:
        run.append(copy.deepcopy(rpr))
    t = etree.SubElement(run, w("delText" if deleted else "t"))
    t.text = text
    t.set(f"{{{XML_NS}}}space", "preserve")
    return run


def _as_deleted(element: etree._Element) -> etree._Element:
    for t in element.iter(w("t")):
        t.tag = w("delText")
    for instr in element.iter(w("instrText")):
        instr.tag = w("delInstrText")
    return element


def _grouped(tokens: Iterable[tuple[str, str, etree._Element]]
             ) -> list[tuple[str, str, etree._Element]]:
    """Neighbouring word tokens of one run style, joined: one w:r per stretch."""
    out: list[tuple[str, str, etree._Element]] = []
    for token in tokens:
        if out and token[2].tag == w("r") and out[-1][2].tag == w("r") and \
                out[-1][0] == token[0] and token[2].findall(w("t")) and out[-1][2].findall(w("t")):
            out[-1] = (token[0], out[-1][1] + token[1], out[-1][2])
        else:
            out.append(token)
    return out


# The printed id that starts a matrix cell ("V3 "): a renumbered row is still the same row.
_ID = re.compile(r"^[A-Z]{1,3}\d+\s+")


def _cell_key(tc: etree._Element) -> str:
    return _ID.sub("", "\n".join(_text(p) for p in tc.iter(w("p"))).strip())


def _movable(old_rows: Sequence[etree._Element], new_rows: Sequence[etree._Element]
             ) -> list[str]:
    """Cell contents found exactly once in each version of a table: when such a cell is
    not aligned with its twin, it moved."""
    def counts(rows: Sequence[etree._Element]) -> Counter[str]:
        return Counter(_cell_key(tc) for r in rows for tc in r.findall(w("tc")))

    a, b = counts(old_rows), counts(new_rows)
    return sorted(k for k in a if k and a[k] == 1 and b.get(k) == 1)


class Differ:
    def __init__(self, marker: Marker) -> None:
        self.marker = marker
        self.moves: dict[str, str] = {}  # the movable cells of the part being diffed
        self.named = 0

    def find_moves(self, old: etree._Element, new: etree._Element) -> None:
        """The cells of ``old`` and ``new`` (a body, a header) that may move, between
        tables too (the matrix is a table per area), each with a name that ties both ends
        of its move together, unique in the whole document."""
        keys = _movable(list(old.iter(w("tr"))), list(new.iter(w("tr"))))
        self.moves = {k: f"move{self.named + n}" for n, k in enumerate(keys, 1)}
        self.named += len(keys)

    # --- paragraphs ---

    def paragraph(self, old: etree._Element, new: etree._Element) -> etree._Element:
        """``new`` with the words that differ from ``old`` tracked."""
        a, b = _tokens(old), _tokens(new)
        out = etree.Element(w("p"))
        ppr = new.find(w("pPr"))
        if ppr is not None:
            out.append(copy.deepcopy(ppr))
        matcher = SequenceMatcher(None, [t[:2] for t in a], [t[:2] for t in b], autojunk=False)
        # one w:del and one w:ins per changed phrase, the spaces inside it included
        for op, i1, i2, j1, j2 in phrases(matcher.get_opcodes(), a, lambda t: t[1].isspace()):
            if op in ("delete", "replace"):
                holder = self.marker.mark("del")
                for token in _grouped(a[i1:i2]):
                    holder.append(_run(token, deleted=True))
                out.append(holder)
            if op in ("insert", "replace"):
                holder = self.marker.mark("ins")
                for token in _grouped(b[j1:j2]):
                    holder.append(_run(token))
                out.append(holder)
            if op == "equal":
                for token in _grouped(b[j1:j2]):
                    out.append(_run(token))
        return out

    def whole(self, element: etree._Element, kind: str) -> etree._Element:
        """A paragraph, row or table that only one side has, marked as a whole; a cell
        of it whose content is elsewhere in the other version, as moved."""
        element = copy.deepcopy(element)
        cells = list(element.iter(w("tc"))) if element.tag != w("p") else []
        # Elements, not their id()s: lxml may hand out a new proxy for the same node.
        moved = [p for tc in cells if _cell_key(tc) in self.moves
                 for p in self._move(tc, "moveFrom" if kind == "del" else "moveTo")]
        for p in element.iter(w("p")):
            if not any(p is m for m in moved):
                self._mark_paragraph(p, kind)
        for tr in element.iter(w("tr")):
            trpr = tr.find(w("trPr"))
            if trpr is None:
                trpr = etree.Element(w("trPr"))
                tr.insert(0, trpr)
            trpr.append(self.marker.mark(kind))
        return element

    def _mark_paragraph(self, p: etree._Element, kind: str) -> None:
        ppr = p.find(w("pPr"))
        if ppr is None:
            ppr = etree.Element(w("pPr"))
            p.insert(0, ppr)
        rpr = ppr.find(w("rPr"))
        if rpr is None:
            rpr = etree.SubElement(ppr, w("rPr"))
        rpr.append(self.marker.mark(kind))  # the paragraph mark itself
        for child in [c for c in p if c.tag != w("pPr")]:
            holder = self.marker.mark(kind)
            p.replace(child, holder)
            holder.append(_as_deleted(child) if kind == "del" else child)

    def _move(self, tc: etree._Element, kind: str) -> list[etree._Element]:
        """Mark a cell's paragraphs as moved away (moveFrom) or here (moveTo), inside a
        named range that ties both ends together; returns the paragraphs marked."""
        paragraphs = [c for c in tc if c.tag == w("p")]
        for p in paragraphs:
            self._mark_paragraph(p, kind)
        if paragraphs:
            start = self.marker.mark(f"{kind}RangeStart")
            start.set(w("name"), self.moves[_cell_key(tc)])
            end = etree.Element(w(f"{kind}RangeEnd"))
            end.set(w("id"), start.get(w("id")) or "")
            first = paragraphs[0]
            ppr = first.find(w("pPr"))
            first.insert(0 if ppr is None else first.index(ppr) + 1, start)
            paragraphs[-1].append(end)
        return paragraphs

    # --- blocks: paragraphs and tables, in bodies and cells ---

    def blocks(self, old: Sequence[etree._Element], new: Sequence[etree._Element]
               ) -> list[etree._Element]:
        a, b = _keys(old), _keys(new)
        out: list[etree._Element] = []
        for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
            if op == "equal":
                out += [self.block(o, n) for o, n in zip(old[i1:i2], new[j1:j2], strict=True)]
                continue
            pairs = _pair(old[i1:i2], new[j1:j2], lambda x, y: x.tag == y.tag)
            for o, n in pairs:
                if o is not None and n is not None:
                    out.append(self.block(o, n))
                elif o is not None:
                    out.append(self.whole(o, "del"))
                elif n is not None:
                    out.append(self.whole(n, "ins"))
        return out

    def block(self, old: etree._Element, new: etree._Element) -> etree._Element:
        if new.tag == w("p"):
            return copy.deepcopy(new) if _same(old, new) else self.paragraph(old, new)
        if new.tag == w("tbl"):
            return self.table(old, new)
        return copy.deepcopy(new)

    def table(self, old: etree._Element, new: etree._Element) -> etree._Element:
        out = copy.deepcopy(new)
        for tr in out.findall(w("tr")):
            out.remove(tr)
        old_rows, new_rows = old.findall(w("tr")), new.findall(w("tr"))
        keys_a, keys_b = [_text(r) for r in old_rows], [_text(r) for r in new_rows]
        for op, i1, i2, j1, j2 in SequenceMatcher(None, keys_a, keys_b,
                                                  autojunk=False).get_opcodes():
            if op == "equal":
                out.extend(copy.deepcopy(r) for r in new_rows[j1:j2])
                continue
            for o, n in _pair(old_rows[i1:i2], new_rows[j1:j2],
                              lambda x, y: len(x.findall(w("tc"))) == len(y.findall(w("tc")))):
                if o is not None and n is not None:
                    out.append(self.row(o, n))
                elif o is not None:
                    out.append(self.whole(o, "del"))
                elif n is not None:
                    out.append(self.whole(n, "ins"))
        return out

    def row(self, old: etree._Element, new: etree._Element) -> etree._Element:
        out = copy.deepcopy(new)
        for tc_old, tc_out in zip(old.findall(w("tc")), out.findall(w("tc")), strict=True):
            key_old, key_new = _cell_key(tc_old), _cell_key(tc_out)
            if key_old != key_new and (key_old in self.moves or key_new in self.moves):
                self._moved_cell(tc_old, tc_out)
                continue
            content_old = [c for c in tc_old if c.tag != w("tcPr")]
            content_new = [c for c in tc_out if c.tag != w("tcPr")]
            for c in content_new:
                tc_out.remove(c)
            tc_out.extend(self.blocks(content_old, content_new))
        return out


    def _moved_cell(self, tc_old: etree._Element, tc_out: etree._Element) -> None:
        """A cell whose old or new content (or both) moved: the old content as moved away
        or deleted, then the new as moved here or inserted."""
        old_tc = copy.deepcopy(tc_old)
        if _cell_key(old_tc) in self.moves:
            self._move(old_tc, "moveFrom")
        else:
            for p in old_tc.iter(w("p")):
                self._mark_paragraph(p, "del")
        if _cell_key(tc_out) in self.moves:
            self._move(tc_out, "moveTo")
        else:
            for p in tc_out.iter(w("p")):
                self._mark_paragraph(p, "ins")
        new_content = [c for c in tc_out if c.tag != w("tcPr")]
        for c in new_content:
            tc_out.remove(c)
        tc_out.extend([c for c in old_tc if c.tag != w("tcPr")] + new_content)


def _same(a: etree._Element, b: etree._Element) -> bool:
    return [t[:2] for t in _tokens(a)] == [t[:2] for t in _tokens(b)]


def _keys(blocks: Sequence[etree._Element]) -> list[tuple[str, str]]:
    """What aligns blocks: a paragraph's text; a table's column count, the text of the
    paragraph before it (its heading) and of its head rows (an area's name), since its
    other rows may all have changed."""
    keys = []
    before = ""
    columns = f"{w('tblGrid')}/{w('gridCol')}"
    for block in blocks:
        if block.tag == w("tbl"):
            head = "|".join(_text(tr) for tr in block.findall(w("tr"))
                            if tr.find(f"{w('trPr')}/{w('tblHeader')}") is not None)
            keys.append(("tbl", f"{len(block.findall(columns))}|{before}|{head}"))
        else:
            before = _text(block)
            keys.append((block.tag, before))
    return keys


def _pair(old: Sequence[etree._Element], new: Sequence[etree._Element],
          alike: Callable[[etree._Element, etree._Element], bool]
          ) -> list[tuple[etree._Element | None, etree._Element | None]]:
    """Within a replaced stretch, pair each new element with the most similar old one of
    its kind, in order; the rest are deleted or inserted where they stood."""
    out: list[tuple[etree._Element | None, etree._Element | None]] = []
    i = 0
    for n in new:
        best, score = None, 0.5
        for k in range(i, len(old)):
            if alike(old[k], n):
                ratio = SequenceMatcher(None, _text(old[k]), _text(n), autojunk=False).ratio()
                if ratio > score:
                    best, score = k, ratio
        if best is None:
            out.append((None, n))
            continue
        out += [(o, None) for o in old[i:best]]
        out.append((old[best], n))
        i = best + 1
    out += [(o, None) for o in old[i:]]
    return out


def _diff_part(old_xml: bytes, new_xml: bytes, differ: Differ) -> bytes:
    old_root, new_root = etree.fromstring(old_xml), etree.fromstring(new_xml)
    old_body = old_root.find(w("body"))
    new_body = new_root.find(w("body"))
    if new_body is None:  # a header or footer: its paragraphs are the body
        old_body, new_body = old_root, new_root
    assert old_body is not None
    keep = [c for c in new_body if c.tag == w("sectPr")]
    differ.find_moves(old_body, new_body)
    merged = differ.blocks([c for c in old_body if c.tag != w("sectPr")],
                           [c for c in new_body if c.tag != w("sectPr")])
    for child in list(new_body):
        new_body.remove(child)
    new_body.extend(merged + keep)
    return bytes(etree.tostring(new_root, xml_declaration=True, encoding="UTF-8",
                                standalone=True))


def track_changes(old_docx: bytes, new_docx: bytes, author: str, when: dt.datetime) -> bytes:
    """``new_docx`` with its differences from ``old_docx`` as tracked changes. Both are
    documents of the same writer; their other parts are ``new_docx``'s."""
    differ = Differ(Marker(author, when))
    with zipfile.ZipFile(io.BytesIO(old_docx)) as a, zipfile.ZipFile(io.BytesIO(new_docx)) as b:
        old_names = set(a.namelist())
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for info in b.infolist():
                data = b.read(info.filename)
                if _PARTS.match(info.filename) and info.filename in old_names:
                    data = _diff_part(a.read(info.filename), data, differ)
                z.writestr(info, data)
    return out.getvalue()
