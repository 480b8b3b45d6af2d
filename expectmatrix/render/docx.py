"""View -> DOCX bytes: real Word tables and styles that legal can redline.

python-docx gives the package, the section, the styles, header, footer and properties.
The body is written as WordprocessingML text and parsed once: python-docx's run-by-run
API costs about a millisecond per table cell, which would make the DOCX slower than the
PDF. The same markup gives us what python-docx has no API for: repeating header rows
(``w:tblHeader``), rows that do not split (``w:cantSplit``) and page fields.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from docx import Document
from docx.oxml import parse_xml
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from expectmatrix.render import ooxml as ox
from expectmatrix.render.view import NONSTANDARD_MARK, Cell, PartyView, View
from expectmatrix.spec.findings import RenderError
from expectmatrix.spec.inputs import MACRO_PARTS, InputError, check_zip, macro_parts, read_bytes
from expectmatrix.spec.placeholders import fill

# Character styles, created once per document: (name, bold, size pt, colour or None).
_CHAR_STYLES = {
    "EmId": ("Matrix id", True, None, "primary"),
    "EmLabel": ("Matrix label", True, 8.5, "555555"),
    "EmDetail": ("Matrix detail", False, 8.5, None),
    "EmSmall": ("Matrix small", False, 8, "555555"),
    "EmTiny": ("Matrix fingerprint", False, 6.5, "555555"),
    "EmStrong": ("Matrix strong", True, None, None),
    "EmWhite": ("Matrix header", True, None, "FFFFFF"),
    "EmArea": ("Matrix area", True, 9, "primary"),
    "EmDraft": ("Matrix draft", True, 10, "accent"),
    "EmParty": ("Matrix party", True, 11, None),
    "EmMark": ("Matrix non-standard", True, None, "B45F06"),
}


def _expectation(item: Cell | None) -> list[str]:
    if item is None:
        return []
    mark = [ox.run(f"{NONSTANDARD_MARK} ", "EmMark")] if item.nonstandard else []
    out = [ox.para(*mark, ox.run(item.id + " ", "EmId"), ox.run(item.text))]
    out += [ox.para(ox.run(f"{label}: ", "EmLabel"), ox.run(value, "EmDetail"), before=1)
            for label, value in item.details]
    return out


# --- the document ------------------------------------------------------------------------


class DocxRenderer:
    """Renders Views to DOCX bytes; build once, call :meth:`render` many times.

    With ``base`` (a company's letterhead .docx), its page set-up, styles, headers,
    footers and logo are kept: the matrix replaces its body, and the DRAFT mark, the
    fingerprint and the page numbers are added below its own header and footer lines.
    """

    def __init__(self, base: str | Path | None = None) -> None:
        self.base: bytes | None = None
        self.notices: list[str] = []  # what was done to the letterhead, for the user
        if base is not None:
            self.base, self.notices = read_letterhead(base)

    def render(self, view: View) -> bytes:
        doc = Document(io.BytesIO(self.base)) if self.base else Document()
        if self.base:
            body = doc.element.body
            for child in list(body):
                if child.tag != qn("w:sectPr"):
                    body.remove(child)
        width = self._setup(doc, view)
        self._header_footer(doc, view, width)
        body = "".join(self._body(view, width))
        anchor = doc.element.body.sectPr
        for element in parse_xml(f"<w:body {ox.NS}>{body}</w:body>"):
            anchor.addprevious(element)
        self._properties(doc, view)
        _embed(doc, view)
        buffer = io.BytesIO()
        doc.save(buffer)
        return ox.fixed_zip_times(buffer.getvalue(), view.created)

    def _setup(self, doc: Any, view: View) -> int:
        """Page and styles (a letterhead keeps its own); returns the text width in twips."""
        section = doc.sections[-1]
        styles = doc.styles
        if not self.base:
            self._page_and_styles(section, styles, view)
        if view.rtl:  # right to left, letterhead or not: paragraphs (w:bidi), runs (w:rtl)
            normal = styles["Normal"].element
            normal.get_or_add_pPr().append(parse_xml(f"<w:bidi {ox.NS}/>"))
            normal.get_or_add_rPr().append(parse_xml(f"<w:rtl {ox.NS}/>"))
        self._add_char_styles(styles, view)
        return ox.text_width(section)

    def _page_and_styles(self, section: Any, styles: Any, view: View) -> None:
        section.page_width, section.page_height = ox.PAPER[view.look.paper]
        top, right, bottom, left = ox.margins(view.look.margins)
        section.top_margin, section.right_margin = top, right
        section.bottom_margin, section.left_margin = bottom, left
        section.header_distance = section.footer_distance = Mm(8)
        normal = styles["Normal"]
        normal.font.size = Pt(9.5)
        normal.paragraph_format.space_after = Pt(2)
        for name in ("Normal", "Title", "Heading 1"):
            # Theme fonts (Calibri and friends) would win over w:ascii: drop them.
            fonts = styles[name].element.get_or_add_rPr().get_or_add_rFonts()
            for attr in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
                fonts.attrib.pop(qn(f"w:{attr}"), None)
            for attr in ("ascii", "hAnsi", "cs", "eastAsia"):
                fonts.set(qn(f"w:{attr}"), view.look.docx_font)
        for name, size in (("Title", 20), ("Heading 1", 13)):
            style = styles[name]
            style.font.size = Pt(size)
            style.font.color.rgb = RGBColor.from_string(ox.hex6(view.look.primary))
            style.font.bold = True

    def _add_char_styles(self, styles: Any, view: View) -> None:
        # As XML in one go: python-docx's add_style searches every style by name each time.
        colours = {"primary": view.look.primary.lstrip("#"),
                   "accent": view.look.accent.lstrip("#")}
        existing = set(styles.element.xpath("w:style/@w:styleId"))
        xml = []
        for style_id, (name, bold, size, colour) in _CHAR_STYLES.items():
            if style_id in existing:
                continue
            props = ("<w:b/>" if bold else "") + (
                f'<w:color w:val="{ox.hex6(colours.get(colour, colour))}"/>' if colour else "") + (
                f'<w:sz w:val="{round(size * 2)}"/>' if size else "")
            xml.append(f'<w:style w:type="character" w:customStyle="1" w:styleId="{style_id}">'
                       f'<w:name w:val="{escape(name)}"/><w:rPr>{props}</w:rPr></w:style>')
        for element in parse_xml(f"<w:styles {ox.NS}>{''.join(xml)}</w:styles>"):
            styles.element.append(element)

    def _header_footer(self, doc: Any, view: View, width: int) -> None:
        section = doc.sections[-1]
        mark = (ox.run(str(view.labels["draft"]), "EmDraft") if view.draft
                else ox.run(view.status_label, "EmSmall"))
        header = ox.para(ox.run(f"{view.deal_id} · v{view.version}", "EmSmall"), ox.run("\t"), mark,
                    tab_right=width)
        footer = (ox.para(ox.run(f"{view.labels['fingerprint']}: ", "EmTiny"),
                          ox.run(view.fingerprint, "EmTiny"))
                  + ox.para(ox.run("\t"), *ox.page_runs(str(view.labels["page"])), tab_right=width))
        for part, xml in ((section.header, header), (section.footer, footer)):
            element = part._element
            if not self.base:  # python-docx's own template has an empty paragraph there
                for p in list(element):
                    element.remove(p)
            for child in parse_xml(f"<w:hdr {ox.NS}>{xml}</w:hdr>"):
                element.append(child)
        logo = view.look.logo
        if logo is not None and logo.kind != "svg":  # python-docx cannot place SVG
            picture = section.header.add_paragraph().add_run()
            picture.add_picture(io.BytesIO(logo.data), height=Mm(12))

    def _body(self, view: View, width: int) -> Iterable[str]:
        labels = view.labels
        half = width // 2
        tbl = partial(ox.table, rtl=view.rtl)
        yield ox.para(ox.run(str(labels["doc_kind"]).upper(), "EmSmall"))
        yield ox.para(ox.run(view.title), style="Title")
        yield ox.para(ox.run(f"{view.vendor.name} & {view.customer.name}", "EmParty"))

        facts = [(labels["deal"], view.deal_id, labels["version"], str(view.version)),
                 (labels["effective"], view.effective, labels["status"], view.status_label),
                 (labels["segment"], view.segment_label, labels["value"], view.value or "–")]
        quarter = [ox.twips(38), ox.twips(50), ox.twips(38), width - ox.twips(126)]
        yield tbl(quarter, (ox.row(ox.cell(w, [ox.para(ox.run(str(v), "EmStrong" if i % 2 == 0 else None))])
                                 for i, (w, v) in enumerate(zip(quarter, row, strict=True)))
                             for row in facts))
        if view.notes:
            yield ox.para(ox.run(view.notes, italic=True), before=6)
        yield ox.para()

        def party(p: PartyView) -> list[str]:
            lines = [ox.para(ox.run(p.role.upper(), "EmSmall")), ox.para(ox.run(p.name, "EmParty"))]
            for c in p.contacts:
                extra = ", ".join(x for x in (c.role,) if x)
                rest = " · ".join(x for x in (c.email, c.phone) if x)
                text = c.name + (f", {extra}" if extra else "") + (f" · {rest}" if rest else "")
                lines.append(ox.para(ox.run(text, "EmDetail")))
            return lines

        yield tbl([half, half], [ox.row([ox.cell(half, party(view.vendor)),
                                       ox.cell(half, party(view.customer))])])
        yield ox.para(ox.run(f"{view.summary} {view.balance_label}."), before=6)
        if view.nonstandard_note:
            yield ox.para(ox.run(view.nonstandard_note, "EmMark"))

        yield ox.para(ox.run(str(labels["matrix"])), style="Heading1", keep_next=True)
        primary = view.look.primary.lstrip("#")
        shade = ox.hex6(primary)
        rows = [ox.row([ox.cell(half, [ox.para(ox.run(view.vendor_heading, "EmWhite"))], shade=shade),
                        ox.cell(half, [ox.para(ox.run(view.customer_heading, "EmWhite"))],
                                shade=shade)],
                    header=True)]
        for area in view.areas:
            rows.append(ox.row([ox.cell(width, [ox.para(ox.run(area.name.upper(), "EmArea"), keep_next=True)],
                                 span=2)]))
            rows += [ox.row([ox.cell(half, _expectation(r.vendor)), ox.cell(half, _expectation(r.customer))])
                     for r in area.rows]
        yield tbl([half, half], rows)
        if view.mark_nonstandard:
            yield ox.para(ox.run(str(labels["nonstandard_legend"]), "EmSmall"), before=3)

        tables: list[tuple[object, tuple[object, ...], tuple[float, ...],
                           list[tuple[str, ...]]]] = []
        if view.readiness:
            tables.append((labels["readiness"], (labels["question"], labels["answer"],
                           labels["note"]), (0.56, 0.13, 0.31),
                           [(r.question, r.answer_label, r.note or "") for r in view.readiness]))
        if view.approvals:
            tables.append((labels["approvals"], (labels["name"], "", labels["title"],
                           labels["date_label"]), (0.31, 0.17, 0.34, 0.18),
                           [(a.name, a.side_label, a.role, a.date) for a in view.approvals]))
        for title, heads, shares, values in tables:
            widths = [int(width * s) for s in shares]
            yield ox.para(ox.run(str(title)), style="Heading1", keep_next=True)
            yield tbl(widths, [ox.row((ox.cell(w, [ox.para(ox.run(str(h), "EmStrong"))])
                                     for w, h in zip(widths, heads, strict=True)), header=True)]
                       + [ox.row(ox.cell(w, [ox.para(ox.run(str(v)))])
                                 for w, v in zip(widths, row, strict=True))
                          for row in values])

        yield ox.para(ox.run(str(labels["signatures"])), style="Heading1", keep_next=True)

        def signature(p: PartyView) -> list[str]:
            return [ox.para(ox.run(fill(str(labels["for_party"]), party=p.name), "EmStrong")),
                    ox.para(), ox.para(), ox.para(), ox.para(ox.run("_" * 34)),
                    ox.para(ox.run(str(labels["signature"]), "EmSmall")),
                    ox.para(ox.run(f"{labels['name']}: {p.signatory_name or ''}")),
                    ox.para(ox.run(f"{labels['title']}: {p.signatory_title or ''}")),
                    ox.para(ox.run(f"{labels['date_label']}:"))]

        yield tbl([half, half], [ox.row([ox.cell(half, signature(view.vendor)),
                                       ox.cell(half, signature(view.customer))])])

    def _properties(self, doc: Any, view: View) -> None:
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
        props.created = props.modified = props.last_printed = created
        props.language = view.language
        props.identifier = view.fingerprint


CUSTOM_XML_NS = "urn:expectmatrix:spec:1"
FINGERPRINT_PROPERTY = "expectmatrix-fingerprint"
OPTIONS_PROPERTY = "expectmatrix-options"
_CUSTOM_PROPS_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
_VT_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"


def _embed(doc: Any, view: View) -> None:
    """The canonical spec as a custom XML part, the fingerprint as a custom property: the
    DOCX counterpart of the PDF's embedded file and metadata."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    package = doc.part.package
    spec = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<expectmatrix xmlns="{CUSTOM_XML_NS}" fingerprint="{view.fingerprint}">'
            f"<spec>{escape(view.spec_json.decode('utf-8'))}</spec></expectmatrix>")
    # python-docx's default template already has a customXml/item1.xml: take the next name.
    item = Part(package.next_partname("/customXml/item%d.xml"), "application/xml",
                spec.encode("utf-8"), package)
    doc.part.relate_to(item, RT.CUSTOM_XML)
    options = f"mark-nonstandard={'yes' if view.mark_nonstandard else 'no'}"
    props = "".join(
        f'<property fmtid="{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}" pid="{pid}" '
        f'name="{name}"><vt:lpwstr>{value}</vt:lpwstr></property>'
        for pid, (name, value) in enumerate(((FINGERPRINT_PROPERTY, view.fingerprint),
                                             (OPTIONS_PROPERTY, options)), start=2))
    custom = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
              f'<Properties xmlns="{_CUSTOM_PROPS_NS}" xmlns:vt="{_VT_NS}">{props}</Properties>')
    part = Part(PackURI("/docProps/custom.xml"),
                "application/vnd.openxmlformats-officedocument.custom-properties+xml",
                custom.encode("utf-8"), package)
    package.relate_to(part, RT.CUSTOM_PROPERTIES)


MAX_LETTERHEAD_BYTES = 20_000_000


def read_letterhead(path: str | Path) -> tuple[bytes, list[str]]:
    """A letterhead .docx, checked as any zip we are given, with parts that run code
    (VBA macros, ActiveX) taken out: a document we write never carries them."""
    name = str(path)
    try:
        data = read_bytes(path, MAX_LETTERHEAD_BYTES, "letterhead")
        archive = check_zip(data, name, "Word letterhead (.docx)")
    except InputError as e:
        raise RenderError(str(e)) from None
    dropped = macro_parts(archive.namelist())
    try:
        document = Document(io.BytesIO(data))
    except Exception as e:  # python-docx raises many kinds for a non-DOCX file
        raise RenderError(f"{name}: not a usable Word letterhead (.docx): {e}") from None
    if not dropped:
        return data, []
    for part in document.part.package.iter_parts():
        for rel_id, rel in list(part.rels.items()):
            target = "" if rel.is_external else str(rel.target_part.partname).lower()
            if any(m in target for m in MACRO_PARTS) or "vbaproject" in rel.reltype.lower():
                del part.rels[rel_id]
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue(), [f"{name}: the letterhead's macro parts were left out "
                               f"({', '.join(dropped)}); documents never carry them"]



