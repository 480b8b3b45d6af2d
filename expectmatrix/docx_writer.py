"""View -> DOCX bytes with python-docx: real Word tables and styles legal can redline.

python-docx has no API for fields, repeating header rows or rows that must not split, so
those few OOXML elements are written with its oxml helpers.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Sequence

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor, Twips
from docx.table import Table, _Cell, _Row

from .view import Cell, View

FONT = "Arial"  # present on Windows and macOS; LibreOffice maps it to Liberation Sans
PAPER = {"A4": (Mm(210), Mm(297)), "Letter": (Mm(215.9), Mm(279.4))}


def _rgb(color: str) -> RGBColor:
    color = color.lstrip("#")
    if len(color) == 3:
        color = "".join(c * 2 for c in color)
    return RGBColor.from_string(color.upper())


def _shade(cell: _Cell, color: str) -> None:
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), color.lstrip("#"))
    cell._tc.get_or_add_tcPr().append(shd)


def _row_props(row: _Row, header: bool = False) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:cantSplit"))
    if header:
        tr_pr.append(OxmlElement("w:tblHeader"))


def _field(paragraph, instruction: str, size: Pt) -> None:  # type: ignore[no-untyped-def]
    """A simple field (PAGE, NUMPAGES) that Word and LibreOffice update on display."""
    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), f" {instruction} ")
    run = OxmlElement("w:r")
    r_pr = OxmlElement("w:rPr")
    sz = OxmlElement("w:sz")
    sz.set(qn("w:val"), str(int(size.pt * 2)))
    r_pr.append(sz)
    run.append(r_pr)
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    fld.append(run)
    paragraph._p.append(fld)


def _right_tab(paragraph, position: int) -> None:  # type: ignore[no-untyped-def]
    """One right-aligned tab at the margin; the Header/Footer styles' centre and right stops
    (set for Letter paper) are cleared so a single tab lands there."""
    stops = paragraph.paragraph_format.tab_stops
    for twips in (4680, 9360):
        stops.add_tab_stop(Twips(twips), WD_TAB_ALIGNMENT.CLEAR)
    stops.add_tab_stop(position, WD_TAB_ALIGNMENT.RIGHT)


def _text(paragraph, text: str, *, bold: bool = False, size: float | None = None,  # type: ignore[no-untyped-def]
          color: str | None = None, italic: bool = False):
    run = paragraph.add_run(text)
    run.bold = bold or None
    run.italic = italic or None
    if size:
        run.font.size = Pt(size)
    if color:
        run.font.color.rgb = _rgb(color)
    return run


def _table(doc, rows: int, cols: int) -> Table:  # type: ignore[no-untyped-def]
    table = doc.add_table(rows=rows, cols=cols)
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    return table


def _set_widths(table: Table, widths: Sequence[float]) -> None:
    """Word reads the grid, LibreOffice each cell: set both, once the table is complete."""
    for col, width in zip(table.columns, widths, strict=True):
        col.width = Mm(width)
    for row in table.rows:
        i = 0
        for tc in row._tr.tc_lst:
            tc.width = Mm(sum(widths[i:i + tc.grid_span]))
            i += tc.grid_span


def _fill(cell: _Cell, text: str, *, bold: bool = False, color: str | None = None,
          size: float | None = None) -> None:
    paragraph = cell.paragraphs[0]
    _text(paragraph, text, bold=bold, color=color, size=size)


def _expectation(cell: _Cell, item: Cell | None, primary: str) -> None:
    if item is None:
        return
    first = cell.paragraphs[0]
    _text(first, item.id + " ", bold=True, color=primary)
    _text(first, item.text)
    for label, value in item.details:
        p = cell.add_paragraph()
        p.paragraph_format.space_before = Pt(1)
        _text(p, f"{label}: ", bold=True, size=8.5, color="#555555")
        _text(p, value, size=8.5)


class DocxRenderer:
    """Renders Views to DOCX bytes; build once, call :meth:`render` many times."""

    def render(self, view: View) -> bytes:
        doc = Document()
        self._setup(doc, view)
        self._header_footer(doc, view)
        self._cover(doc, view)
        self._matrix(doc, view)
        self._readiness(doc, view)
        self._signatures(doc, view)
        self._properties(doc, view)
        buffer = io.BytesIO()
        doc.save(buffer)
        return _fixed_zip(buffer.getvalue(), view.created)

    def _setup(self, doc, view: View) -> None:  # type: ignore[no-untyped-def]
        section = doc.sections[0]
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = PAPER[view.paper]
        section.left_margin = section.right_margin = Mm(16)
        section.top_margin = section.bottom_margin = Mm(20)
        section.header_distance = section.footer_distance = Mm(8)
        normal = doc.styles["Normal"]
        normal.font.name = FONT
        normal.font.size = Pt(9.5)
        normal.paragraph_format.space_after = Pt(2)
        r_fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
        for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
            r_fonts.set(qn(attr), FONT)
        for name, size in (("Title", 20), ("Heading 1", 13), ("Heading 2", 11)):
            style = doc.styles[name]
            style.font.name = FONT
            style.font.size = Pt(size)
            style.font.color.rgb = _rgb(view.primary_color)
            style.font.bold = True
            style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:asciiTheme"), "")
        doc.settings.odd_and_even_pages_header_footer = False

    def _header_footer(self, doc, view: View) -> None:  # type: ignore[no-untyped-def]
        section = doc.sections[0]
        width = section.page_width - section.left_margin - section.right_margin
        header = section.header.paragraphs[0]
        _right_tab(header, width)
        _text(header, f"{view.deal_id} · v{view.version}", size=8, color="#555555")
        header.add_run("\t")
        if view.draft:
            _text(header, str(view.labels["draft"]), bold=True, size=10, color=view.accent_color)
        else:
            _text(header, view.status_label, size=8, color="#555555")

        footer = section.footer
        fp = footer.paragraphs[0]
        _text(fp, f"{view.labels['fingerprint']}: ", size=6.5, color="#555555")
        _text(fp, view.fingerprint, size=6.5, color="#555555")
        pages = footer.add_paragraph()
        _right_tab(pages, width)
        pages.add_run("\t")
        _text(pages, "Page ", size=8)
        _field(pages, "PAGE", Pt(8))
        _text(pages, " of ", size=8)
        _field(pages, "NUMPAGES", Pt(8))

    def _cover(self, doc, view: View) -> None:  # type: ignore[no-untyped-def]
        kind = doc.add_paragraph()
        _text(kind, str(view.labels["doc_kind"]).upper(), size=8, color="#666666")
        doc.add_paragraph(view.title, style="Title")
        between = doc.add_paragraph()
        _text(between, f"{view.vendor.name} & {view.customer.name}", size=11)

        labels = view.labels
        facts = [
            (labels["deal"], view.deal_id, labels["version"], str(view.version)),
            (labels["effective"], view.effective, labels["status"], view.status_label),
            (labels["segment"], view.segment_label, labels["value"], view.value or "–"),
        ]
        table = _table(doc, len(facts), 4)
        for row, values in zip(table.rows, facts, strict=True):
            _row_props(row)
            for i, (cell, value) in enumerate(zip(row.cells, values, strict=True)):
                _fill(cell, str(value), bold=i % 2 == 0)
        _set_widths(table, (38, 50, 38, 52))
        if view.notes:
            notes = doc.add_paragraph()
            notes.paragraph_format.space_before = Pt(6)
            _text(notes, view.notes, italic=True)
        doc.add_paragraph()

        parties = _table(doc, 1, 2)
        _row_props(parties.rows[0])
        for cell, party in zip(parties.rows[0].cells, (view.vendor, view.customer), strict=True):
            _fill(cell, party.role.upper(), size=8, color="#666666")
            _text(cell.add_paragraph(), party.name, bold=True, size=11)
            for c in party.contacts:
                line = c.name + "".join(f", {x}" if i == 0 else f" · {x}" for i, x in
                                        enumerate(v for v in (c.role, c.email, c.phone) if v))
                _text(cell.add_paragraph(), line, size=8.5)
        _set_widths(parties, (89, 89))
        summary = doc.add_paragraph(f"{view.summary} {view.balance_label}.")
        summary.paragraph_format.space_before = Pt(6)

    def _matrix(self, doc, view: View) -> None:  # type: ignore[no-untyped-def]
        doc.add_heading(str(view.labels["matrix"]), level=1)
        table = _table(doc, 1, 2)
        head = table.rows[0]
        _row_props(head, header=True)
        for cell, text in zip(head.cells, (view.vendor_heading, view.customer_heading),
                              strict=True):
            _shade(cell, view.primary_color)
            _fill(cell, text, bold=True, color="#FFFFFF")
        for area in view.areas:
            row = table.add_row()
            _row_props(row)
            merged = row.cells[0].merge(row.cells[1])
            _fill(merged, area.name.upper(), bold=True, color=view.primary_color, size=9)
            merged.paragraphs[0].paragraph_format.keep_with_next = True
            for pair in area.rows:
                row = table.add_row()
                _row_props(row)
                _expectation(row.cells[0], pair.vendor, view.primary_color)
                _expectation(row.cells[1], pair.customer, view.primary_color)
        _set_widths(table, (89, 89))

    def _readiness(self, doc, view: View) -> None:  # type: ignore[no-untyped-def]
        labels = view.labels
        sections = []
        if view.readiness:
            sections.append((labels["readiness"], (labels["question"], labels["answer"],
                             labels["note"]), (100, 22, 56),
                             [(r.question, labels["answers"][r.answer], r.note or "")  # type: ignore[index]
                              for r in view.readiness]))
        if view.approvals:
            sections.append((labels["approvals"], (labels["name"], "", labels["title"],
                             labels["date"]), (55, 30, 60, 33),
                             [(a.name, labels["sides"][a.side], a.role, a.date.isoformat())  # type: ignore[index]
                              for a in view.approvals]))
        for title, heads, widths, rows in sections:
            doc.add_heading(str(title), level=1)
            table = _table(doc, 1, len(heads))
            _row_props(table.rows[0], header=True)
            for cell, text in zip(table.rows[0].cells, heads, strict=True):
                _fill(cell, str(text), bold=True)
            for values in rows:
                row = table.add_row()
                _row_props(row)
                for cell, text in zip(row.cells, values, strict=True):
                    _fill(cell, str(text))
            _set_widths(table, widths)

    def _signatures(self, doc, view: View) -> None:  # type: ignore[no-untyped-def]
        labels = view.labels
        heading = doc.add_heading(str(labels["signatures"]), level=1)
        heading.paragraph_format.keep_with_next = True
        table = _table(doc, 1, 2)
        _row_props(table.rows[0])
        for cell, party in zip(table.rows[0].cells, (view.vendor, view.customer), strict=True):
            _fill(cell, str(labels["for_party"]).format(party=party.name), bold=True)
            for _ in range(3):
                cell.add_paragraph()
            _text(cell.add_paragraph(), "_" * 34)
            _text(cell.add_paragraph(), str(labels["signature"]), size=8, color="#555555")
            cell.add_paragraph(f"{labels['name']}: {party.signatory_name or ''}")
            cell.add_paragraph(f"{labels['title']}: {party.signatory_title or ''}")
            cell.add_paragraph(f"{labels['date']}:")
        _set_widths(table, (89, 89))

    def _properties(self, doc, view: View) -> None:  # type: ignore[no-untyped-def]
        props = doc.core_properties
        props.title = view.title
        props.author = view.vendor.name
        props.subject = (f"{view.labels['doc_kind']}: {view.vendor.name} and "
                         f"{view.customer.name}")
        props.keywords = ", ".join(view.keywords)
        props.comments = f"{view.labels['fingerprint']}: {view.fingerprint}"
        props.category = str(view.labels["doc_kind"])
        props.last_modified_by = view.generator
        props.revision = view.version
        created = view.created.replace(tzinfo=None)
        props.created = created
        props.modified = created
        props.last_printed = created
        props.language = view.language
        props.identifier = view.fingerprint


def _fixed_zip(data: bytes, when: dt.datetime) -> bytes:
    """Rewrite the package with fixed entry times, so equal input gives equal bytes."""
    stamp = max(when, dt.datetime(1980, 1, 1, tzinfo=dt.UTC)).timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            dst.writestr(info, src.read(item.filename))
    return out.getvalue()
