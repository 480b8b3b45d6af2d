"""StatementView -> DOCX: the fulfilment statement with the matrix's page, styles, tables
and letterhead (a DocxRenderer whose body is the statement's), in the same order as
templates/statement.html."""

from __future__ import annotations

import io
from collections.abc import Iterable
from functools import partial
from typing import Any
from xml.sax.saxutils import escape

from docx.oxml import parse_xml

from expectmatrix.render import ooxml as ox
from expectmatrix.render.docx import (
    DocxRenderer,
    _honest_package,
    watermark,
)
from expectmatrix.render.docxbody import (
    INTERNAL_COLOUR,
    TABLE_STYLE,
    facts_row,
    justified,
)
from expectmatrix.render.statement import EscalationView, StatementView, StatusCell
from expectmatrix.render.view import View
from expectmatrix.spec.placeholders import fill

# Character styles of the statuses, by tone (render/statement.py TONES), as in the PDF.
_TONE_STYLES = {"good": ("EmGood", "Status done", "1E7E34"),
                "soon": ("EmSoon", "Status soon", "9A6700"),
                "late": ("EmLate", "Status late", "B00020"),
                "quiet": ("EmQuiet", "Status quiet", "666666"),
                "plain": ("EmPlain", "Status running", "24425E")}
SPEC_PROPERTY = "expectmatrix-statement-spec"
JOURNAL_PROPERTY = "expectmatrix-statement-journal"
EVENTS_PROPERTY = "expectmatrix-statement-events"
_CUSTOM_PROPS_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
_VT_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"


def _tone(tone: str) -> str:
    return _TONE_STYLES.get(tone, _TONE_STYLES["plain"])[0]


class StatementDocxRenderer(DocxRenderer):
    """Writes statements; built like the matrix's writer (``base``: a letterhead)."""

    def statement(self, s: StatementView) -> bytes:
        view = s.matrix
        doc = self._document()
        width = self._setup(doc, view)
        self._statement_header_footer(doc, s, width)
        anchor = doc.element.body.sectPr
        xml = "".join(self._statement_body(s, width))
        for element in parse_xml(f"<w:body {ox.NS}>{xml}</w:body>"):
            anchor.addprevious(element)
        _statement_properties(doc, s)
        _honest_package(doc, view)
        buffer = io.BytesIO()
        doc.save(buffer)
        return ox.fixed_zip_times(buffer.getvalue(), s.created)

    def _add_char_styles(self, styles: Any, view: View) -> None:
        super()._add_char_styles(styles, view)
        existing = set(styles.element.xpath("w:style/@w:styleId"))
        xml = "".join(
            f'<w:style w:type="character" w:customStyle="1" w:styleId="{style_id}">'
            f'<w:name w:val="{name}"/><w:rPr><w:b/><w:color w:val="{colour}"/></w:rPr></w:style>'
            for style_id, name, colour in _TONE_STYLES.values() if style_id not in existing)
        if "EmHash" not in existing:  # 6pt: 64 hex digits within a matrix cell
            xml += ('<w:style w:type="character" w:customStyle="1" w:styleId="EmHash">'
                    '<w:name w:val="Statement hash"/><w:rPr><w:color w:val="555555"/>'
                    '<w:sz w:val="12"/><w:szCs w:val="12"/></w:rPr></w:style>')
        for element in parse_xml(f"<w:styles {ox.NS}>{xml}</w:styles>"):
            styles.element.append(element)

    def _statement_header_footer(self, doc: Any, s: StatementView, width: int) -> None:
        view = s.matrix
        labels = view.labels
        section = doc.sections[-1]
        right = ([ox.run(f"{labels['internal']} · ", "EmInternal")] if view.internal else []) + (
            [ox.run(f"{labels['draft']} · ", "EmDraft")] if view.draft else []) + [
            ox.run(s.header, "EmSmall")]
        header = ox.sides([ox.run(f"{view.deal_id} · v{view.version}", "EmSmall")], right,
                          width, view.rtl)
        if view.draft:
            header += ox.para(watermark(str(labels["draft"]), view.look.accent))
        footer = (ox.sides([ox.run(f"{labels['fingerprint']}: ", "EmTiny"),
                            ox.run(s.spec_fingerprint, "EmTiny")], [], width, view.rtl)
                  + ox.sides([ox.run(f"{_record_label(s)}: ", "EmTiny"),
                              ox.run(_record_hash(s) or "–", "EmTiny")], [], width, view.rtl)
                  + ox.sides([], ox.page_runs(str(labels["page"])), width, view.rtl))
        self._place_furniture(section, header, footer, view.look)

    def _statement_body(self, s: StatementView, width: int) -> Iterable[str]:
        view = s.matrix
        labels = view.labels
        half = width // 2
        tbl = partial(ox.table, rtl=view.rtl, style=TABLE_STYLE)

        def heading(key: str) -> str:
            return ox.para(ox.run(str(labels[key])), style="Heading1", keep_next=True)

        yield ox.para(ox.run(str(labels["statement_kind"]).upper(), "EmSmall"))
        yield ox.para(ox.run(view.title), style="Title")
        yield ox.para(ox.run(f"{view.vendor.name} & {view.customer.name}", "EmParty"))
        if view.internal:
            note = fill(str(labels["internal_note"]), vendor=view.vendor.name,
                        customer=view.customer.name)
            more = f" {view.counterparty_note}" if view.counterparty_note else ""
            yield ox.notice(f"{labels['internal']}: {note}{more}", "EmNotice", INTERNAL_COLOUR)

        # as the matrix's facts: no rules, and a last fact alone spans the row (no empty cells)
        quarter = [ox.twips(38), ox.twips(50), ox.twips(38), width - ox.twips(126)]
        yield tbl(quarter, (ox.row(facts_row(tuple(s.facts[i:i + 2]), quarter))
                            for i in range(0, len(s.facts), 2)),
                  borders=False, padding=(ox.twips(1), ox.twips(2), ox.twips(1), 0))
        yield ox.para(ox.run(s.intro), before=6)

        yield heading("statement_summary")
        widths = [width - 2 * (width * 3 // 10), width * 3 // 10, width * 3 // 10]
        heads = (str(labels["status"]), f"{view.vendor.name} ({labels['sides']['vendor']})",
                 f"{view.customer.name} ({labels['sides']['customer']})")
        lines = [ox.row((ox.cell(w, [ox.para(ox.run(h, "EmStrong"))])
                         for w, h in zip(widths, heads, strict=True)), header=True)]
        lines += [ox.row(ox.cell(w, [ox.para(ox.run(v, _tone(line.tone) if i == 0 else None))])
                         for i, (w, v) in enumerate(zip(widths, (line.label, line.vendor,
                                                                 line.customer), strict=True)))
                  for line in s.summary]
        total = s.totals
        lines.append(ox.row(ox.cell(w, [ox.para(ox.run(v, "EmStrong"))]) for w, v in
                            zip(widths, (total.label, total.vendor, total.customer), strict=True)))
        yield tbl(widths, lines)

        yield heading("statement_escalations")
        yield ox.para(ox.run(s.window))

        def item(e: EscalationView, style: str) -> str:
            return ox.para(ox.run(f"{e.id} ", "EmId"), ox.run(f"({e.side}) {e.text} "),
                           ox.run(e.detail, style), before=2)

        if s.escalated:
            yield from (item(e, "EmLate") for e in s.escalated)
        else:
            yield ox.para(ox.run(str(labels["statement_none_escalated"])), before=2)
        if s.pending:
            yield ox.para(ox.run(str(labels["statement_pending"]), "EmLabel"), before=4,
                          keep_next=True)
            yield from (item(e, "EmSoon") for e in s.pending)
        for part in view.remedies:
            yield ox.para(ox.run(part.text), before=3, justify=justified(view.language))

        yield heading("statement_matrix")
        shade = ox.hex6(view.look.primary)
        rows = [ox.row([ox.cell(half, [ox.para(ox.run(view.vendor_heading, "EmWhite"))], shade=shade),
                        ox.cell(half, [ox.para(ox.run(view.customer_heading, "EmWhite"))],
                                shade=shade)], header=True)]
        for area in s.areas:
            rows.append(ox.row([ox.cell(width, [ox.para(ox.run(area.name.upper(), "EmArea"),
                                                        keep_next=True)], span=2)]))
            rows += [ox.row([ox.cell(half, _cell(r.vendor, labels)),
                             ox.cell(half, _cell(r.customer, labels))]) for r in area.rows]
        yield tbl([half, half], rows)

        yield heading("statement_fingerprints")
        yield ox.para(ox.run(f"{labels['fingerprint']}: ", "EmLabel"),
                      ox.run(s.spec_fingerprint, "EmDetail"))
        recorded = _record_hash(s)
        if recorded:
            yield ox.para(ox.run(f"{_record_label(s)}: ", "EmLabel"),
                          ox.run(recorded, "EmDetail"))
        else:
            yield ox.para(ox.run(str(labels["statement_no_journal"])))
        note = "statement_fingerprints_note" if view.internal else "statement_events_note"
        yield ox.para(ox.run(str(labels[note]), "EmSmall"), before=3)


def _record_label(s: StatementView) -> str:
    """The internal edition names the journal file's hash; the counterparty edition the
    digest of the events it shows (render/statement.py says why)."""
    key = "statement_journal_fingerprint" if s.matrix.internal else "statement_events_fingerprint"
    return str(s.matrix.labels[key])


def _record_hash(s: StatementView) -> str | None:
    return s.journal_sha256 if s.matrix.internal else s.events_sha256


def _cell(c: StatusCell | None, labels: dict[str, Any]) -> list[str]:
    if c is None:
        return []
    out = [ox.para(ox.run(c.id + " ", "EmId"), ox.run(c.text)),
           ox.para(ox.run(c.status_label, _tone(c.tone)), before=2)]
    out += [ox.para(ox.run(f"{label}: ", "EmLabel"), ox.run(value, "EmDetail"), before=1)
            for label, value in c.details]
    if c.evidence:
        out.append(ox.para(ox.run(f"{labels['statement_evidence']}: ", "EmLabel"),
                           ox.run(c.evidence, "EmDetail"), before=1))
        # the hash on a line of its own, small enough to fit half the page unbroken
        out.append(ox.para(ox.run("SHA-256", "EmTiny"), after=0))
        out.append(ox.para(ox.run(c.evidence_sha256 or "", "EmHash")))
    if c.escalation:
        out.append(ox.para(ox.run(c.escalation, "EmLate" if c.status == "escalated" else "EmSoon"),
                           before=1))
    return out


def _statement_properties(doc: Any, s: StatementView) -> None:
    """Title, parties and both fingerprints in the core and custom properties, dated as
    the statement is: the same statement gives the same bytes."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    view = s.matrix
    labels = view.labels
    kind = str(labels["statement_kind"])
    props = doc.core_properties
    props.title = f"{kind}: {view.title}"
    props.author = view.vendor.name
    props.subject = f"{kind}: {view.vendor.name} and {view.customer.name}, {s.as_of}"
    props.keywords = f"{view.deal_id}, fulfilment statement"
    props.comments = (f"{labels['fingerprint']}: {s.spec_fingerprint}; "
                      f"{_record_label(s)}: {_record_hash(s) or '-'}")
    props.category = kind
    props.last_modified_by = view.generator
    props.revision = view.version
    created = s.created.replace(tzinfo=None)
    props.created = props.modified = props.last_printed = created
    props.language = view.language
    values = ((SPEC_PROPERTY, s.spec_fingerprint),
              (JOURNAL_PROPERTY if view.internal else EVENTS_PROPERTY, _record_hash(s) or "none"))
    items = "".join(f'<property fmtid="{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}" pid="{pid}" '
                    f'name="{name}"><vt:lpwstr>{escape(value)}</vt:lpwstr></property>'
                    for pid, (name, value) in enumerate(values, start=2))
    custom = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
              f'<Properties xmlns="{_CUSTOM_PROPS_NS}" xmlns:vt="{_VT_NS}">{items}</Properties>')
    package = doc.part.package
    part = Part(PackURI("/docProps/custom.xml"),
                "application/vnd.openxmlformats-officedocument.custom-properties+xml",
                custom.encode("utf-8"), package)
    package.relate_to(part, RT.CUSTOM_PROPERTIES)
