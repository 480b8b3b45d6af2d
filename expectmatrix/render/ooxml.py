"""WordprocessingML written as text: runs, paragraphs, fields, tables, page geometry and
zip timestamps. The DOCX writer and the redline both build documents from these, so a
redline looks like the agreement it marks up.

python-docx's run-by-run API costs about a millisecond per table cell; markup written
as text and parsed once is fast, and gives what python-docx has no API for: repeating
header rows (``w:tblHeader``), rows that do not split (``w:cantSplit``), page fields and
tracked changes.
"""

from __future__ import annotations

import datetime as dt
import re
import struct
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from xml.sax.saxutils import escape

from docx.oxml.ns import nsdecls
from docx.shared import Mm, Pt

NS = nsdecls("w")
PAPER = {"A4": (Mm(210), Mm(297)), "Letter": (Mm(215.9), Mm(279.4))}


def run(text: str, style: str | None = None, italic: bool = False) -> str:
    props = (f'<w:rStyle w:val="{style}"/>' if style else "") + ("<w:i/>" if italic else "")
    return (f"<w:r>{f'<w:rPr>{props}</w:rPr>' if props else ''}"
            f'<w:t xml:space="preserve">{escape(text)}</w:t></w:r>')


def unbroken_run(text: str, style: str | None = None) -> str:
    """A run Word keeps on one line (a phone number): no-break spaces, and hyphens as
    Word's non-breaking hyphen, which reads back as a hyphen."""
    pieces = text.replace(" ", "\u00a0").split("-")
    body = "<w:noBreakHyphen/>".join(
        f'<w:t xml:space="preserve">{escape(piece)}</w:t>' if piece else "" for piece in pieces)
    props = f'<w:rPr><w:rStyle w:val="{style}"/></w:rPr>' if style else ""
    return f"<w:r>{props}{body}</w:r>"


def para(*runs: str, style: str | None = None, keep_next: bool = False, before: float = 0,
         tab_right: int | None = None, justify: bool = False, line_below: bool = False,
         end_indent: int = 0, after: float | None = None, rule_above: str | None = None,
         size: float | None = None) -> str:
    """A paragraph; ``before``/``after``: space in points (``after`` None: the style's);
    ``line_below``: a rule under it as wide as the paragraph, to sign or write on;
    ``end_indent`` (twips) keeps it off the cell's end; ``rule_above``: the colour of a
    rule over it, as the PDF draws over each party; ``size``: of the paragraph mark, in
    points, which sets the height of the paragraph's last line in Word."""
    props = ""
    if style:
        props += f'<w:pStyle w:val="{style}"/>'
    if keep_next:
        props += "<w:keepNext/>"
    if line_below or rule_above:
        props += "<w:pBdr>" + (
            f'<w:top w:val="single" w:sz="12" w:space="4" w:color="{rule_above}"/>'
            if rule_above else "") + (
            '<w:bottom w:val="single" w:sz="6" w:space="1" w:color="333333"/>'
            if line_below else "") + "</w:pBdr>"
    if tab_right is not None:
        props += (f'<w:tabs><w:tab w:val="clear" w:pos="4680"/><w:tab w:val="clear" '
                  f'w:pos="9360"/><w:tab w:val="right" w:pos="{tab_right}"/></w:tabs>')
    if before or after is not None:
        props += ("<w:spacing" + (f' w:before="{round(before * 20)}"' if before else "")
                  + (f' w:after="{round(after * 20)}"' if after is not None else "") + "/>")
    if end_indent:
        props += f'<w:ind w:right="{end_indent}"/>'
    if justify:
        props += '<w:jc w:val="both"/>'
    if size:
        props += f'<w:rPr><w:sz w:val="{round(size * 2)}"/><w:szCs w:val="{round(size * 2)}"/></w:rPr>'
    return f"<w:p>{f'<w:pPr>{props}</w:pPr>' if props else ''}{''.join(runs)}</w:p>"


def sides(left: Sequence[str], right: Sequence[str], width: int, rtl: bool) -> str:
    """One line of a page's header or footer with ``left`` on the page's left and ``right``
    on its right, as the PDF's @top-left and @top-right boxes are, whatever the writing
    direction. A right-to-left paragraph (w:bidi) starts on the right and mirrors its tab
    stops, so its runs go the other way round."""
    start, end = (right, left) if rtl else (left, right)
    if not end:
        return para(*start, after=0)
    return para(*start, run("\t"), *end, tab_right=width, after=0)


def notice(text: str, style: str, colour: str) -> str:
    """The internal edition's notice: a paragraph boxed in ``colour``, as .internal-note is
    in the PDF (a 1.2px border, padded 1.5mm 2.5mm, 3mm below). Word draws a paragraph's
    border outside its text by the border's space: the indents keep the box within the
    text width, as the PDF's is."""
    inset = twips(2.5)
    edge = f'w:val="single" w:sz="7" w:color="{hex6(colour)}"'
    borders = "".join(f'<w:{side} {edge} w:space="{space}"/>' for side, space in (
        ("top", 4), ("left", 7), ("bottom", 4), ("right", 7)))
    return (f'<w:p><w:pPr><w:pBdr>{borders}</w:pBdr><w:spacing w:before="0" '
            f'w:after="{twips(3)}"/><w:ind w:left="{inset}" w:right="{inset}"/></w:pPr>'
            f"{run(text, style)}</w:p>")


def field(instruction: str, style: str) -> str:
    return (f'<w:fldSimple w:instr=" {instruction} ">{run("1", style)}</w:fldSimple>')


def cell(width: int, paragraphs: Sequence[str], shade: str | None = None, span: int = 1,
         pad: tuple[int, int, int, int] | None = None) -> str:
    """``pad``: this cell's own top, right, bottom and left margins in twips."""
    props = f'<w:tcW w:w="{width}" w:type="dxa"/>'
    if span > 1:
        props += f'<w:gridSpan w:val="{span}"/>'
    if shade:
        props += f'<w:shd w:val="clear" w:color="auto" w:fill="{shade}"/>'
    if pad:
        props += "<w:tcMar>" + "".join(
            f'<w:{edge} w:w="{value}" w:type="dxa"/>' for edge, value in zip(
                ("top", "left", "bottom", "right"), (pad[0], pad[3], pad[2], pad[1]),
                strict=True)) + "</w:tcMar>"
    return f"<w:tc><w:tcPr>{props}</w:tcPr>{''.join(paragraphs) or para()}</w:tc>"


def row(cells: Iterable[str], header: bool = False) -> str:
    # Every row: never split across pages. Header rows: repeated on every page.
    props = "<w:cantSplit/>" + ("<w:tblHeader/>" if header else "")
    return f"<w:tr><w:trPr>{props}</w:trPr>{''.join(cells)}</w:tr>"


# Explicit borders: a letterhead document may have no "Table Grid" style to lend them.
BORDERS = "<w:tblBorders>" + "".join(
    f'<w:{edge} w:val="single" w:sz="4" w:space="0" w:color="A0A0A0"/>'
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV")) + "</w:tblBorders>"


NO_BORDERS = "<w:tblBorders>" + "".join(
    f'<w:{edge} w:val="nil"/>'
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV")) + "</w:tblBorders>"


def table(widths: Sequence[int], rows: Iterable[str], rtl: bool = False,
          borders: bool = True, style: str = "TableGrid",
          padding: tuple[int, int, int, int] | None = None) -> str:
    """``padding``: the cells' top, right, bottom and left margins in twips (None: the
    style's), as the PDF's table cells are padded (CSS padding is physical too)."""
    grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
    margins = ""
    if padding is not None:
        margins = "<w:tblCellMar>" + "".join(
            f'<w:{edge} w:w="{value}" w:type="dxa"/>' for edge, value in zip(
                ("top", "right", "bottom", "left"), padding, strict=True)) + "</w:tblCellMar>"
    return (f'<w:tbl {NS}><w:tblPr><w:tblStyle w:val="{style}"/>'
            f'{"<w:bidiVisual/>" if rtl else ""}'
            f'<w:tblW w:w="{sum(widths)}" w:type="dxa"/><w:jc w:val="center"/>'
            f'{BORDERS if borders else NO_BORDERS}'
            f'<w:tblLayout w:type="fixed"/>{margins}</w:tblPr><w:tblGrid>{grid}</w:tblGrid>'
            f"{''.join(rows)}</w:tbl>")


def gap(mm: float) -> str:
    """An empty paragraph exactly ``mm`` high: the space the PDF leaves above a table."""
    return (f'<w:p><w:pPr><w:spacing w:before="0" w:after="0" w:line="{twips(mm)}" '
            'w:lineRule="exact"/></w:pPr></w:p>')


def page_runs(label: str) -> list[str]:
    """ "Page {page} of {pages}" in the document's language, with live fields."""
    fields = {"{page}": "PAGE", "{pages}": "NUMPAGES"}
    return [field(fields[part], "EmSmall") if part in fields else run(part, "EmSmall")
            for part in re.split(r"(\{page\}|\{pages\})", label) if part]


def twips(mm: float) -> int:
    return round(mm * 1440 / 25.4)


def text_width(section: Any) -> int:
    """The width between a section's margins, in twips (what table widths are given in)."""
    return int(section.page_width - section.left_margin - section.right_margin) * 1440 // 914400


def margins(css: str) -> tuple[int, int, int, int]:
    """CSS margin shorthand (1-4 lengths in mm, cm, in or pt) -> top, right, bottom, left."""
    units = {"mm": Mm(1), "cm": Mm(10), "in": 914400, "pt": Pt(1)}
    values = [int(float(v[:-2]) * units[v[-2:]]) for v in css.split()]
    while len(values) < 4:
        values.append(values[{1: 0, 2: 0, 3: 1}[len(values)]])
    return values[0], values[1], values[2], values[3]


def hex6(colour: str) -> str:
    colour = colour.lstrip("#").upper()
    return "".join(c * 2 for c in colour) if len(colour) == 3 else colour


def fixed_zip_times(data: bytes, when: dt.datetime) -> bytes:
    """Set every entry's DOS date and time in place, so equal input gives equal bytes.

    Only the timestamp fields of the local headers and the central directory change;
    rewriting the package instead would inflate and deflate every part again.
    """
    when = max(when, dt.datetime(1980, 1, 1, tzinfo=dt.UTC))
    dos_time = (when.hour << 11) | (when.minute << 5) | (when.second // 2)
    dos_date = ((when.year - 1980) << 9) | (when.month << 5) | when.day
    stamp = struct.pack("<HH", dos_time, dos_date)
    out = bytearray(data)
    end = out.rfind(b"PK\x05\x06")
    count, _size, start = struct.unpack_from("<HII", out, end + 10)
    pos = start
    for _ in range(count):
        assert out[pos:pos + 4] == b"PK\x01\x02"
        out[pos + 12:pos + 16] = stamp
        local = struct.unpack_from("<I", out, pos + 42)[0]
        assert out[local:local + 4] == b"PK\x03\x04"
        out[local + 10:local + 14] = stamp
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", out, pos + 28)
        pos += 46 + name_len + extra_len + comment_len
    return bytes(out)


def with_members(data: bytes, members: Mapping[str, tuple[bytes, int, int]]) -> bytes:
    """The zip ``data`` with the named members' contents replaced by streams deflated
    beforehand (raw deflate, CRC-32, size), every other member copied as it is: a large
    part that is the same in every document (an embedded font) is compressed once per
    process rather than once per document."""
    if not members:
        return data
    out, central = bytearray(), bytearray()
    end = data.rfind(b"PK\x05\x06")
    count, _size, pos = struct.unpack_from("<HII", data, end + 10)
    for _ in range(count):
        entry = bytearray(data[pos:pos + 46])
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", entry, 28)
        rest = data[pos + 46:pos + 46 + name_len + extra_len + comment_len]
        pos += 46 + len(rest)
        flags, compressed = struct.unpack_from("<H", entry, 8)[0], struct.unpack_from("<I", entry, 20)[0]
        assert not flags & 0x08, "a zip member with a data descriptor"
        local = struct.unpack_from("<I", entry, 42)[0]
        start = local + 30 + sum(struct.unpack_from("<HH", data, local + 26))
        header, body = bytearray(data[local:start]), data[start:start + compressed]
        replacement = members.get(rest[:name_len].decode("utf-8"))
        if replacement is not None:
            body, crc, size = replacement
            for record, at in ((header, 8), (entry, 10)):  # method: deflate, then sizes
                struct.pack_into("<HHHIII", record, at, 8, *struct.unpack_from("<HH", record, at + 2),
                                 crc, len(body), size)
        struct.pack_into("<I", entry, 42, len(out))
        out += header + body
        central += entry + rest
    tail = bytearray(data[end:])
    struct.pack_into("<II", tail, 12, len(central), len(out))
    return bytes(out + central + tail)
