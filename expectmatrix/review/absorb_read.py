"""An edited DOCX read back cell by cell: what each matrix cell now says (every tracked
change accepted), what it said before the tracked changes (every one rejected), who
changed it and when, the rows deleted and added, the tracked changes outside the matrix,
and Word's comments with the cell they are anchored to.

The DOCX writer gives each expectation one cell: a first paragraph with the id (a run of
style EmId) and the text, then one paragraph per detail, "Label: value" (runs EmLabel and
EmDetail). Word keeps run styles when text is typed into a run or tracked, so the styles
still say which run is which after legal's edits. LibreOffice keeps them too, but renames
their ids after their names (EmId becomes "Matrixid"): styles are read by name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from expectmatrix.errors import DocumentError, InputError
from expectmatrix.render.view import NONSTANDARD_MARK
from expectmatrix.spec.inputs import check_zip, read_member

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def w(tag: str) -> str:
    return f"{{{W_NS}}}{tag}"


_INSERTED = {w("ins"), w("moveTo")}
_DELETED = {w("del"), w("moveFrom")}
_MARKS = _INSERTED | _DELETED
MAX_PART_BYTES = 50_000_000  # a matrix of 1,000 rows is a few MB of XML


@dataclass(frozen=True)
class Mark:
    """One tracked change: inserted or deleted text, by whom and when, if recorded."""

    kind: str  # inserted | deleted
    text: str
    author: str | None
    date: str | None


@dataclass
class Para:
    now: str  # every tracked change accepted
    before: str  # every tracked change rejected
    styled_now: list[tuple[str, str]]  # (run style, text) as accepted
    styled_before: list[tuple[str, str]]  # (run style, text) as rejected
    marks: list[Mark] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)  # ids of comments anchored here


@dataclass
class DocCell:
    side_index: int  # 0: the vendor's column, 1: the customer's
    paragraphs: list[Para]

    @property
    def marks(self) -> list[Mark]:
        return [m for p in self.paragraphs for m in p.marks]

    @property
    def comments(self) -> list[str]:
        return [c for p in self.paragraphs for c in p.comments]


@dataclass
class DocRow:
    kind: str  # area | expectations
    cells: list[DocCell]
    area: str = ""  # an area row's heading, as the document now says it
    row_mark: Mark | None = None  # the row as a whole inserted or deleted


@dataclass
class Outside:
    """A tracked change outside the matrix's expectations: it cannot be placed in the spec."""

    place: str
    mark: Mark


@dataclass(frozen=True)
class Line:
    """A paragraph outside the matrix, as the document now says it."""

    place: str
    text: str
    tracked: bool  # it holds tracked changes (listed as such)


@dataclass
class Comment:
    id: str
    author: str | None
    date: str | None
    text: str


@dataclass
class EditedDocx:
    rows: list[DocRow]
    outside: list[Outside]
    comments: list[Comment]
    anchors: dict[str, str]  # comment id -> where it is anchored outside the matrix
    lines: list[Line] = field(default_factory=list)


def parse_part(data: bytes, name: str, part: str) -> etree._Element:
    """A part's XML; a DOCTYPE (which could declare entities) is refused: Word never
    writes one."""
    from expectmatrix.review.documents import refuse_entities

    refuse_entities(data, name, part)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as e:
        raise DocumentError(f"{name}: a damaged DOCX part ({part}): {e}") from None


def read_parts(data: bytes, name: str) -> dict[str, bytes]:
    """The document, header, footer and comments parts, read within the zip limits."""
    try:
        with check_zip(data, name, "DOCX document") as z:
            names = set(z.namelist())
            if "word/document.xml" not in names:
                raise DocumentError(f"{name}: a zip file, but not a DOCX document")
            wanted = sorted(n for n in names if re.fullmatch(
                r"word/(document|comments|styles|header\d*|footer\d*)\.xml", n))
            for n in wanted:
                if z.getinfo(n).file_size > MAX_PART_BYTES:
                    raise DocumentError(f"{name}: the part {n} is larger than "
                                        f"{MAX_PART_BYTES // 1_000_000} MB")
            return {n: read_member(z, n, name) for n in wanted}
    except InputError as e:
        raise DocumentError(str(e)) from None


def _mark_of(element: etree._Element, text: str) -> Mark:
    return Mark("inserted" if element.tag in _INSERTED else "deleted", text,
                element.get(w("author")), element.get(w("date")))


def _style(run: etree._Element) -> str:
    found = run.find(f"{w('rPr')}/{w('rStyle')}")
    return (found.get(w("val")) or "") if found is not None else ""


# The writer isolates left-to-right text in a right-to-left document (U+2068 ... U+2069)
# and Word or LibreOffice may add direction marks; a spec never holds them (loading refuses
# bidi controls), so they are no part of what the document says.
_INVISIBLE_BIDI = dict.fromkeys(map(ord, "\u200e\u200f\u2066\u2067\u2068\u2069"))


def _run_text(run: etree._Element) -> str:
    out = []
    for child in run:
        if child.tag in (w("t"), w("delText")):
            out.append(child.text or "")
        elif child.tag == w("tab"):
            out.append("\t")
    return "".join(out).translate(_INVISIBLE_BIDI)


def read_paragraph(p: etree._Element) -> Para:
    styled_now: list[tuple[str, str]] = []
    before: list[tuple[str, str]] = []
    marks: list[Mark] = []
    comments: list[str] = []

    fields: list[bool] = []  # per open complex field: whether its result has begun

    def walk(node: etree._Element, state: str | None) -> None:
        for child in node:
            tag = child.tag
            if tag == w("pPr"):
                continue
            for char in child.iter(w("fldChar")) if tag == w("r") else ():
                kind = char.get(w("fldCharType"))
                if kind == "begin":
                    fields.append(False)
                elif kind == "separate" and fields:
                    fields[-1] = True
                elif kind == "end" and fields:
                    fields.pop()
            if any(fields):
                continue  # a field's result (a page number): Word refreshes it
            if tag in _MARKS:
                text = "".join(_run_text(r) for r in child.iter(w("r")))
                if text:
                    marks.append(_mark_of(child, text))
                walk(child, "inserted" if tag in _INSERTED else "deleted")
            elif tag == w("r"):
                text = _run_text(child)
                if state != "deleted":
                    styled_now.append((_style(child), text))
                if state != "inserted":
                    before.append((_style(child), text))
            elif tag == w("commentRangeStart"):
                comments.append(child.get(w("id")) or "")
            elif tag in (w("hyperlink"), w("smartTag"), w("sdt"), w("sdtContent"),
                         w("customXml")):
                walk(child, state)

    walk(p, None)
    return Para("".join(t for _, t in styled_now), "".join(t for _, t in before), styled_now,
                before, marks, comments)


def _row_mark(tr: etree._Element) -> Mark | None:
    trpr = tr.find(w("trPr"))
    if trpr is None:
        return None
    for child in trpr:
        if child.tag in (w("ins"), w("del")):
            text = " | ".join(read_paragraph(p).before for p in tr.iter(w("p")))
            return _mark_of(child, text)
    return None


def _is_matrix(tbl: etree._Element) -> bool:
    """An area's table: ids, or its heading alone once legal deleted all its rows."""
    return any(_style(r) in ("EmId", "EmArea") for r in tbl.iter(w("r")))


def _place(before_matrix: bool, part: str) -> str:
    if part.startswith("word/header"):
        return "page header (deal and version)"
    if part.startswith("word/footer"):
        return "page footer (fingerprint, page numbers)"
    return "frame wording" if before_matrix else \
        "text after the matrix (readiness, remedies, approvals or signature page)"


def _style_ids(parts: dict[str, bytes], name: str) -> dict[str, str]:
    """The document's character style ids -> the writer's own (by the style's name)."""
    from expectmatrix.render.docx import CHAR_STYLE_NAMES

    ours = {v.casefold(): k for k, v in CHAR_STYLE_NAMES.items()}
    found = {k: k for k in CHAR_STYLE_NAMES}
    if "word/styles.xml" in parts:
        for style in parse_part(parts["word/styles.xml"], name, "word/styles.xml"
                                ).iter(w("style")):
            named = style.find(w("name"))
            key = ours.get((named.get(w("val")) or "").casefold()) if named is not None \
                else None
            if key is not None and style.get(w("styleId")):
                found[style.get(w("styleId")) or ""] = key
    return found


def _canonical_styles(root: etree._Element, ids: dict[str, str]) -> etree._Element:
    for ref in root.iter(w("rStyle")):
        val = ref.get(w("val")) or ""
        if val in ids:
            ref.set(w("val"), ids[val])
    return root


def read_edited(data: bytes, name: str) -> EditedDocx:
    """The matrix and the rest of an edited DOCX; DocumentError when it has no matrix."""
    parts = read_parts(data, name)
    ids = _style_ids(parts, name)
    root = _canonical_styles(parse_part(parts["word/document.xml"], name,
                                        "word/document.xml"), ids)
    body = root.find(w("body"))
    # The matrix is a table per area (its heads repeat on a continued page), in order.
    tables = [] if body is None else [t for t in body.iter(w("tbl")) if _is_matrix(t)]
    if not tables:
        raise DocumentError(f"{name}: has no expectations matrix (no table of expectation "
                            "ids); it was not made by expectmatrix, or the matrix was removed")
    matrix = set(tables)
    rows: list[DocRow] = []
    anchors: dict[str, str] = {}
    for tr in (tr for table in tables for tr in table.findall(w("tr"))):
        trpr = tr.find(w("trPr"))
        tcs = tr.findall(w("tc"))
        if trpr is not None and trpr.find(w("tblHeader")) is not None and len(tcs) != 1:
            continue  # the column heads a table repeats (its area's name is read below)
        cells = [DocCell(i, [read_paragraph(p) for p in tc.iter(w("p"))])
                 for i, tc in enumerate(tcs)]
        if len(tcs) == 1:
            rows.append(DocRow("area", cells, " ".join(p.now for p in cells[0].paragraphs).strip(),
                               _row_mark(tr)))
        else:
            rows.append(DocRow("expectations", cells[:2], row_mark=_row_mark(tr)))
    outside: list[Outside] = []
    lines: list[Line] = []
    for part, blob in parts.items():
        if part in ("word/comments.xml", "word/styles.xml"):
            continue
        tree = root if part == "word/document.xml" else \
            _canonical_styles(parse_part(blob, name, part), ids)
        seen_matrix = False
        for element in tree.iter():
            if element in matrix:
                seen_matrix = True
            if element in matrix or any(a in matrix for a in element.iterancestors()):
                continue  # (the proxies of the tables are held, so they compare as found)
            parent = element.getparent()
            if element.tag in _MARKS and parent is not None and \
                    parent.tag not in (w("rPr"), w("trPr")):
                text = "".join(_run_text(r) for r in element.iter(w("r")))
                if text.strip():
                    outside.append(Outside(_place(not seen_matrix, part),
                                           _mark_of(element, text)))
            elif element.tag == w("commentRangeStart"):
                anchors[element.get(w("id")) or ""] = _place(not seen_matrix, part)
            elif element.tag == w("p"):
                para = read_paragraph(element)
                if para.now.strip():
                    lines.append(Line(_place(not seen_matrix, part), " ".join(para.now.split()),
                                      any(True for _ in element.iter(*_MARKS))))
    comments = _comments(parts.get("word/comments.xml"), name)
    return EditedDocx(rows, outside, comments, anchors, lines)


def _comments(data: bytes | None, name: str) -> list[Comment]:
    if data is None:
        return []
    root = parse_part(data, name, "word/comments.xml")
    return [Comment(c.get(w("id")) or "", c.get(w("author")), c.get(w("date")),
                    "\n".join(read_paragraph(p).now for p in c.iter(w("p"))).strip())
            for c in root.iter(w("comment"))]


_TYPED_ID = re.compile(r"^\s*[A-Z]{1,3}\d+\s+")


def cell_fields(cell: DocCell, labels: dict[str, str]) -> tuple[str | None, dict[str, str],
                                                                 list[str]]:
    """A cell as the document now says it: its printed id (None for a cell typed anew),
    its fields (text, and measure/due/owner read by their printed labels), and the
    paragraphs that are no field."""
    paragraphs = [p for p in cell.paragraphs if p.now.strip()]
    if not paragraphs:
        return None, {}, []
    first = paragraphs[0]
    ids = [t for s, t in first.styled_now if s == "EmId"]
    eid = "".join(ids).strip() or None
    text = "".join(t for s, t in first.styled_now if s not in ("EmId", "EmMark"))
    if eid is None:
        text = _TYPED_ID.sub("", text.lstrip(f"{NONSTANDARD_MARK} "))
    found = {"text": text.strip()}
    stray = []
    by_label = {label.strip().rstrip(":").casefold(): key for key, label in labels.items()}
    for p in paragraphs[1:]:
        label, colon, value = p.now.partition(":")
        key = by_label.get(label.strip().casefold())
        if key is None or not colon:
            stray.append(p.now.strip())
        else:
            found[key] = value.strip()
    return eid, found, stray


def id_before(cell: DocCell) -> str | None:
    """The id a cell printed before the tracked changes (of a row or cell deleted)."""
    for p in cell.paragraphs:
        ids = "".join(t for s, t in p.styled_before if s == "EmId").strip()
        if ids:
            return ids
    return None
