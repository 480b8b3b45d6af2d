"""View -> DOCX bytes: real Word tables and styles that legal can redline.

python-docx gives the package, the section, the styles, header, footer and properties.
The body is written as WordprocessingML text and parsed once: python-docx's run-by-run
API costs about a millisecond per table cell, which would make the DOCX slower than the
PDF. The same markup gives us what python-docx has no API for: repeating header rows
(``w:tblHeader``), rows that do not split (``w:cantSplit``) and page fields. The body
is docxbody.py's; the fonts it is set in are embedded by docxfonts.py.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from docx import Document
from docx.oxml import parse_xml
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from expectmatrix.render import ooxml as ox
from expectmatrix.render.docxbody import LINE_SPACING, P_AFTER, TABLE_STYLE, body_xml
from expectmatrix.render.docxfonts import embed_fonts, script_family
from expectmatrix.render.docxlines import exact_lines
from expectmatrix.render.letterhead import read_letterhead
from expectmatrix.render.view import View

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
    "EmInternal": ("Matrix internal", True, 9, "B00020"),
    "EmNotice": ("Matrix internal note", False, 8.5, "B00020"),
    # readiness answers, coloured as in the PDF
    "EmYes": ("Answer yes", True, None, "1E7E34"),
    "EmNo": ("Answer no", True, None, "B00020"),
    "EmUnknown": ("Answer unknown", True, None, "9A6700"),
}
# What absorb reads runs by: LibreOffice renames style ids after the names on re-saving.
CHAR_STYLE_NAMES = {key: spec[0] for key, spec in _CHAR_STYLES.items()}
VML_NS = ('xmlns:v="urn:schemas-microsoft-com:vml" '
          'xmlns:o="urn:schemas-microsoft-com:office:office"')


def watermark(text: str, colour: str) -> str:
    """A run holding Word's own kind of text watermark: a WordArt shape, rotated, faint,
    behind the text and centred on the page, as Word's Design > Watermark writes it (the
    shape's id is the one Word and LibreOffice recognise as a watermark)."""
    return ('<w:r><w:rPr><w:noProof/></w:rPr><w:pict>'
            '<v:shapetype id="_x0000_t136" coordsize="21600,21600" o:spt="136" adj="10800" '
            'path="m@7,l@8,m@5,21600l@6,21600e"><v:formulas>'
            + "".join(f'<v:f eqn="{e}"/>' for e in (
                "sum #0 0 10800", "prod #0 2 1", "sum 21600 0 @1", "sum 0 0 @2",
                "sum 21600 0 @3", "if @0 @3 0", "if @0 21600 @1", "if @0 0 @2",
                "if @0 @4 21600", "mid @5 @6", "mid @8 @5", "mid @7 @8", "mid @6 @7",
                "sum @6 0 @5"))
            + '</v:formulas><v:path textpathok="t" o:connecttype="custom" '
            'o:connectlocs="@9,0;@10,10800;@11,21600;@12,10800" '
            'o:connectangles="270,180,90,0"/><v:textpath on="t" fitshape="t"/>'
            '<o:lock v:ext="edit" text="t" shapetype="t"/></v:shapetype>'
            '<v:shape id="PowerPlusWaterMarkObject1" o:spid="_x0000_s2049" type="#_x0000_t136" '
            'style="position:absolute;margin-left:0;margin-top:0;width:440pt;height:110pt;'
            "rotation:315;z-index:-251657216;mso-position-horizontal:center;"
            "mso-position-horizontal-relative:margin;mso-position-vertical:center;"
            f'mso-position-vertical-relative:margin" o:allowincell="f" '
            f'fillcolor="#{ox.hex6(colour)}" stroked="f"><v:fill opacity=".15"/>'
            '<v:textpath style="font-family:&quot;Noto Sans&quot;;font-size:1pt" '
            f'string="{escape(text, {chr(34): "&quot;"})}"/></v:shape></w:pict></w:r>')


# What the base document keeps of python-docx's template: the styles the writer uses (and
# what they are based on); not its 160 others, latent styles, nor stylesWithEffects.
_KEPT_STYLES = {"Normal", "Title", "TitleChar", "Heading1", "Heading1Char", "Header",
                "HeaderChar", "Footer", "FooterChar", "DefaultParagraphFont", "TableNormal",
                "TableGrid", "NoList"}


def _complex_script_size(r_pr: Any, size: float) -> None:
    """A style's size for Arabic and Hebrew text too (w:szCs, right after w:sz), which
    Word and LibreOffice would otherwise take from the document defaults (11pt)."""
    for old in r_pr.findall(qn("w:szCs")):
        r_pr.remove(old)
    r_pr.find(qn("w:sz")).addnext(parse_xml(f'<w:szCs {ox.NS} w:val="{round(size * 2)}"/>'))


@cache
def base_document() -> bytes:
    """The package every DOCX without a letterhead starts from, built once per process:
    python-docx's template cut down to the styles this writer uses, without the parts
    Word would otherwise believe (a thumbnail of a blank page, stylesWithEffects)."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT

    doc = Document()
    styles = doc.styles.element
    for style in styles.xpath("w:style"):
        if style.get(qn("w:styleId")) not in _KEPT_STYLES:
            styles.remove(style)
    for latent in styles.xpath("w:latentStyles"):
        styles.remove(latent)
    for part in (doc.part, doc.part.package):
        for rel_id, rel in list(part.rels.items()):
            if rel.reltype == RT.THUMBNAIL or rel.reltype.endswith("/stylesWithEffects"):
                del part.rels[rel_id]
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _table_style() -> str:
    """The tables' own style, so that Word lists them as "Matrix Table" and a restyle
    in Word reaches every table of the agreement at once."""
    return (f'<w:style w:type="table" w:customStyle="1" w:styleId="{TABLE_STYLE}">'
            '<w:name w:val="Matrix Table"/><w:basedOn w:val="TableNormal"/><w:uiPriority '
            'w:val="59"/><w:tblPr>'
            + ox.BORDERS + '<w:tblCellMar><w:top w:w="57" w:type="dxa"/><w:left w:w="85" '
            'w:type="dxa"/><w:bottom w:w="57" w:type="dxa"/><w:right w:w="85" w:type="dxa"/>'
            "</w:tblCellMar></w:tblPr></w:style>")


# --- the document ------------------------------------------------------------------------


class DocxRenderer:
    """Renders Views to DOCX bytes; build once, call :meth:`render` many times.

    With ``base`` (a company's letterhead .docx), its page set-up, styles, headers,
    footers and logo are kept, less what reaches out or runs code (letterhead.py): the
    matrix replaces its body, and the DRAFT mark, the fingerprint and the page numbers
    are added below its own header and footer lines.
    """

    def __init__(self, base: str | Path | None = None) -> None:
        self.base: bytes | None = None
        self.notices: list[str] = []  # what was done to the letterhead, for the user
        if base is not None:
            self.base, self.notices = read_letterhead(base)

    def _document(self) -> Any:
        """A new document: the letterhead with its body emptied (its section kept), or the
        built-in base."""
        doc = Document(io.BytesIO(self.base or base_document()))
        if self.base:
            body = doc.element.body
            for child in list(body):
                if child.tag != qn("w:sectPr"):
                    body.remove(child)
        return doc

    def render(self, view: View) -> bytes:
        doc = self._document()
        width = self._setup(doc, view)
        self._header_footer(doc, view, width)
        body = "".join(body_xml(view, width))
        anchor = doc.element.body.sectPr
        for element in parse_xml(f"<w:body {ox.NS}>{body}</w:body>"):
            anchor.addprevious(element)
        if view.rtl:  # Arabic's font has a tall line: set the PDF's line heights instead
            section = doc.sections[-1]
            exact_lines([doc.element.body, section.header._element, section.footer._element],
                        doc.styles.element)
        self._properties(doc, view)
        fonts = {} if self.base else (  # a letterhead's styles name its own fonts
            embed_fonts(doc, (view.look.docx_font, script_family(view.language) or "")))
        _embed(doc, view)
        _honest_package(doc, view)
        buffer = io.BytesIO()
        doc.save(buffer)
        return ox.with_members(ox.fixed_zip_times(buffer.getvalue(), view.created), fonts)

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
        normal.paragraph_format.space_after = Pt(P_AFTER)
        for name in ("Normal", "Title", "Heading 1"):
            # Theme fonts (Calibri and friends) would win over w:ascii: drop them.
            fonts = styles[name].element.get_or_add_rPr().get_or_add_rFonts()
            for attr in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
                fonts.attrib.pop(qn(f"w:{attr}"), None)
            for attr in ("ascii", "hAnsi", "cs", "eastAsia"):
                fonts.set(qn(f"w:{attr}"), view.look.docx_font)
            # Arabic or Hebrew text in the family the PDF sets it in
            fonts.set(qn("w:cs"), script_family(view.language) or view.look.docx_font)
        # matrix.css: h1 20pt then 2mm, h2 12pt after 7mm and before 2.5mm
        for name, size, before, after in (("Title", 20, 0, 5.7), ("Heading 1", 12, 19.8, 7.1)):
            style = styles[name]
            style.font.size = Pt(size)
            style.font.color.rgb = RGBColor.from_string(ox.hex6(view.look.primary))
            style.font.bold = True
            spacing = style.paragraph_format
            spacing.space_before, spacing.space_after = Pt(before), Pt(after)
            p_pr = style.element.get_or_add_pPr()
            for extra in p_pr.xpath("w:pBdr | w:contextualSpacing"):  # the template's rule
                p_pr.remove(extra)
        for name, points in (("Normal", 9.5), ("Title", 20), ("Heading 1", 12)):
            # CSS line-height 1.35 over Noto Sans's own line (1.362 em), which Word calls single
            styles[name].paragraph_format.line_spacing = LINE_SPACING
            _complex_script_size(styles[name].element.get_or_add_rPr(), points)

    def _add_char_styles(self, styles: Any, view: View) -> None:
        # As XML in one go: python-docx's add_style searches every style by name each time.
        colours = {"primary": view.look.primary.lstrip("#"),
                   "accent": view.look.accent.lstrip("#")}
        existing = set(styles.element.xpath("w:style/@w:styleId"))
        xml = []
        for style_id, (name, bold, size, colour) in _CHAR_STYLES.items():
            if style_id in existing:
                continue
            # Arabic and Hebrew (complex scripts) take their own bold and size: bCs, szCs
            props = ("<w:b/><w:bCs/>" if bold else "") + (
                f'<w:color w:val="{ox.hex6(colours.get(colour, colour))}"/>' if colour else "") + (
                f'<w:sz w:val="{round(size * 2)}"/><w:szCs w:val="{round(size * 2)}"/>'
                if size else "")
            xml.append(f'<w:style w:type="character" w:customStyle="1" w:styleId="{style_id}">'
                       f'<w:name w:val="{escape(name)}"/><w:rPr>{props}</w:rPr></w:style>')
        if TABLE_STYLE not in existing:
            xml.append(_table_style())
        for element in parse_xml(f"<w:styles {ox.NS}>{''.join(xml)}</w:styles>"):
            styles.element.append(element)

    def _header_footer(self, doc: Any, view: View, width: int) -> None:
        section = doc.sections[-1]
        mark = (ox.run(str(view.labels["draft"]), "EmDraft") if view.draft
                else ox.run(view.status_label, "EmSmall"))
        internal = [ox.run(f"{view.labels['internal']} · ", "EmInternal")] if view.internal else []
        # the watermark Word draws behind every page: a shape anchored in the header
        shape = [watermark(str(view.labels["draft"]), view.look.accent)] if view.draft else []
        # no space after these lines, or the header would reach down into the body's margin
        header = ox.sides([ox.run(f"{view.deal_id} · v{view.version}", "EmSmall")],
                          [*internal, mark, *shape], width, view.rtl)
        footer = (ox.sides([ox.run(f"{view.labels['fingerprint']}: ", "EmTiny"),
                            ox.run(view.fingerprint, "EmTiny")], [], width, view.rtl)
                  + ox.sides([], ox.page_runs(str(view.labels["page"])), width, view.rtl))
        self._place_furniture(section, header, footer, view.look)

    def _place_furniture(self, section: Any, header: str, footer: str, look: Any) -> None:
        """The header and footer paragraphs, and the logo, put into the section (below a
        letterhead's own)."""
        for part, xml in ((section.header, header), (section.footer, footer)):
            element = part._element
            if not self.base:  # python-docx's own template has an empty paragraph there
                for p in list(element):
                    element.remove(p)
            for child in parse_xml(f"<w:hdr {ox.NS} {VML_NS}>{xml}</w:hdr>"):
                element.append(child)
        logo = look.logo
        if logo is not None and logo.kind != "svg":  # python-docx cannot place SVG
            picture = section.header.add_paragraph().add_run()
            picture.add_picture(io.BytesIO(logo.data), height=Mm(12))

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


_APP_NS = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"


def _honest_package(doc: Any, view: View) -> None:
    """No stale word from the template the package started as: the application is
    expectmatrix (page and word counts are left for Word to fill in, as it does on open),
    and there is no thumbnail of a blank page."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT

    package = doc.part.package
    for rel_id, rel in list(package.rels.items()):
        if rel.reltype == RT.THUMBNAIL:
            del package.rels[rel_id]
        elif rel.reltype == RT.EXTENDED_PROPERTIES:
            company = f"<Company>{escape(view.vendor.name)}</Company>"
            rel.target_part._blob = (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                f'<Properties xmlns="{_APP_NS}"><Application>{escape(view.generator)}'
                f"</Application><DocSecurity>0</DocSecurity>{company}"
                "<LinksUpToDate>false</LinksUpToDate><SharedDoc>false</SharedDoc>"
                "<HyperlinksChanged>false</HyperlinksChanged></Properties>").encode()


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
    options = view.options
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
