"""The DOCX body: the content of templates/matrix.html, in the same order, as
WordprocessingML text. Sizes and spaces are matrix.css's, so that in the same font (the
bundled one, embedded) the DOCX paginates as the PDF does."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from expectmatrix.render import ooxml as ox
from expectmatrix.render.view import NONSTANDARD_MARK, Cell, FrameView, PartyView, View
from expectmatrix.spec.placeholders import fill

TABLE_STYLE = "MatrixTable"
_ANSWER = {"yes": "EmYes", "no": "EmNo", "unknown": "EmUnknown"}
P_AFTER = 3.4  # points: p { margin-bottom: 1.2mm }
_KASHIDA = {"ar", "fa", "ur", "ps", "sd", "ug"}  # languages written in Arabic script
INTERNAL_COLOUR = "B00020"  # .internal-note's border and text
LINE_SPACING = 0.99  # of single: line-height 1.35 in a font whose single line is 1.362 em


def justified(language: str) -> bool:
    """Whether clause text is justified: not in Arabic script, which Word and LibreOffice
    would justify by stretching letters (kashida), as the PDF does not."""
    return language.split("-")[0] not in _KASHIDA


def _pt(mm: float) -> float:
    return round(mm * 72 / 25.4, 1)


def _mm(mm: float) -> int:  # in twips
    return ox.twips(mm)


def _expectation(item: Cell | None) -> list[str]:
    if item is None:
        return [ox.para(after=0)]
    mark = [ox.run(f"{NONSTANDARD_MARK} ", "EmMark")] if item.nonstandard else []
    out = [ox.para(*mark, ox.run(item.id + " ", "EmId"), ox.run(item.text))]
    # .detail { margin: 0.6mm 0 0 }, which the text's 1.2mm below swallows (CSS collapses
    # the two margins; Word would add them)
    out += [ox.para(ox.run(f"{label}: ", "EmLabel"), ox.run(value, "EmDetail"),
                    before=_pt(0.6) if n else 0, after=0, size=8.5)
            for n, (label, value) in enumerate(item.details)]
    return out


def facts_row(pair: tuple[tuple[str, str], ...], widths: list[int]) -> list[str]:
    """Two facts side by side; a last fact alone takes the row's width, no empty cells."""
    cells = []
    for i, (label, value) in enumerate(pair):
        alone = len(pair) == 1
        cells.append(ox.cell(widths[2 * i], [ox.para(ox.run(label, "EmStrong"), after=0)]))
        cells.append(ox.cell(sum(widths[2 * i + 1:]) if alone else widths[2 * i + 1],
                             [ox.para(ox.run(value), after=0)],
                             span=len(widths) - 1 if alone else 1))
    return cells


_SIGN_GAP = _mm(6)  # between the two blocks' lines, as in the PDF


def _signature_blocks(view: View, half: int) -> str:
    """Both parties' blocks in one borderless table of four columns (label, line; label,
    line): lines to sign and write on are paragraph rules, not typed underscores."""
    labels = view.labels
    label_width = _mm(14)
    widths = [label_width, half - label_width] * 2

    def both(make: Any) -> str:
        return ox.row([ox.cell(half, make(party), span=2)
                       for party in (view.vendor, view.customer)])

    def field(key: str, value: Any) -> str:
        keep = key != "date_label"
        return ox.row(cell for party in (view.vendor, view.customer) for cell in (
            ox.cell(label_width, [ox.para(ox.run(f"{labels[key]}:", "EmSmall"), before=_pt(5),
                                          after=0, keep_next=keep, size=8)]),
            ox.cell(half - label_width, [ox.para(ox.run(value(party) or ""), before=_pt(5),
                                                 after=0, keep_next=keep, line_below=True,
                                                 end_indent=_SIGN_GAP)])))

    # an empty line is as high as a full one in Word, not in the PDF: no address, no row
    addressed = view.vendor.address or view.customer.address
    where = [both(lambda p: [ox.para(ox.run(p.address_line, "EmSmall"), keep_next=True,
                                     after=0, size=8)])] if addressed else []
    return ox.table(widths, [
        both(lambda p: [ox.para(ox.run(fill(str(labels["for_party"]), party=p.name), "EmStrong"),
                                keep_next=True, after=0)]),
        *where,
        # tr.sign td { padding-top: 16mm }, less the line the empty paragraph takes
        both(lambda p: [ox.para(before=_pt(11.5), after=0, keep_next=True, line_below=True,
                                end_indent=_SIGN_GAP),
                        ox.para(ox.run(str(labels["signature"]), "EmSmall"), keep_next=True,
                                after=0, size=8)]),
        field("name", lambda p: p.signatory_name),
        field("title", lambda p: p.signatory_title),
        field("date_label", lambda p: None),
    ], rtl=view.rtl, style=TABLE_STYLE, borders=False, padding=(0, 0, 0, 0))


def _party(p: PartyView, labels: dict[str, Any], rule: str, rtl: bool = False) -> list[str]:
    lines = [ox.para(ox.run(p.role.upper(), "EmSmall"), after=_pt(1), rule_above=rule, size=8),
             ox.para(ox.run(p.name, "EmParty"))]
    lines += [ox.para(ox.run(line, "EmDetail"), after=0, size=8.5) for line in p.address]
    if p.registration:
        lines.append(ox.para(ox.run(f"{labels['registration']}: {p.registration}", "EmDetail"),
                             after=0, size=8.5))
    if p.contacts:
        lines.append(ox.para(ox.run(str(labels["contacts"]).upper(), "EmSmall"),
                             before=_pt(1.5), after=_pt(0.3), size=8))
    for c in p.contacts:
        if rtl:  # one isolated run, or the paragraph would put the role before the name
            lines.append(ox.para(ox.run(c.line, "EmDetail"), size=8.5))
            continue
        text = c.name + (f", {c.role}" if c.role else "") + (
            f" · {c.email}" if c.email else "") + (" · " if c.phone else "")
        phone = [ox.unbroken_run(c.phone, "EmDetail")] if c.phone else []
        lines.append(ox.para(ox.run(text, "EmDetail"), *phone, size=8.5))
    return lines


def body_xml(view: View, width: int) -> Iterable[str]:
    """The same content in the same order as templates/matrix.html."""
    labels = view.labels
    half = width // 2
    tbl = partial(ox.table, rtl=view.rtl, style=TABLE_STYLE)
    yield ox.para(ox.run(str(labels["doc_kind"]).upper(), "EmSmall"), size=8)
    yield ox.para(ox.run(view.title), style="Title")
    yield ox.para(ox.run(f"{view.vendor.name} & {view.customer.name}", "EmParty"),
                  after=_pt(5))
    if view.internal:
        note = fill(str(labels["internal_note"]), vendor=view.vendor.name,
                    customer=view.customer.name)
        more = f" {view.counterparty_note}" if view.counterparty_note else ""
        yield ox.notice(f"{labels['internal']}: {note}{more}", "EmNotice", INTERNAL_COLOUR)

    # table.facts: th 22%, td 28%, padded 1mm 2mm 1mm 0, no rules
    quarter = [int(width * s) for s in (0.22, 0.28, 0.22)]
    quarter.append(width - sum(quarter))
    yield tbl(quarter, (ox.row(facts_row(view.facts[i:i + 2], quarter))
                        for i in range(0, len(view.facts), 2)),
              borders=False, padding=(_mm(1), _mm(2), _mm(1), 0))
    if view.notes:
        yield ox.para(ox.run(view.notes, italic=True), before=_pt(3))

    # .frame { text-align: justify }, but not in Arabic script: Word and LibreOffice would
    # justify it by stretching letters (kashida), as the PDF does not, and LibreOffice
    # writes those stretches into its PDF's text as stray characters.
    justify = justified(view.language)

    def frame(parts: Iterable[FrameView]) -> Iterable[str]:
        for f in parts:
            mark = ([ox.run(f"{NONSTANDARD_MARK} ", "EmMark")]
                    if f.nonstandard and view.mark_nonstandard else [])
            yield ox.para(*mark, ox.run(f.text), justify=justify)

    if view.preamble:
        yield ox.para(ox.run(str(labels["frame_heading"])), style="Heading1", keep_next=True)
        yield from frame(view.preamble)
    yield ox.gap(3)  # .parties { margin-top: 3mm }
    # .parties: side by side, 8mm apart, a rule over each
    rule = ox.hex6(view.look.primary)
    apart = [(0, _mm(4), 0, 0), (0, 0, 0, _mm(4))][::-1 if view.rtl else 1]
    yield tbl([half, half], [ox.row([ox.cell(half, _party(party, labels, rule, view.rtl), pad=pad)
                                     for party, pad in zip((view.vendor, view.customer), apart,
                                                             strict=True)])],
              borders=False, padding=(0, 0, 0, 0))
    balance = f" {view.balance_label}." if view.balance_label else ""
    yield ox.para(ox.run(f"{view.summary}{balance}"), before=_pt(4))
    if view.nonstandard_note:
        yield ox.para(ox.run(view.nonstandard_note, "EmMark"))

    # A table per area, as in the PDF: its two head rows (the columns, the area's name)
    # come again on every page the area continues on.
    yield ox.para(ox.run(str(labels["matrix"])), style="Heading1", keep_next=True)
    shade = ox.hex6(view.look.primary)
    columns = ox.row([ox.cell(half, [ox.para(ox.run(heading, "EmWhite"), after=0, keep_next=True)],
                              shade=shade)
                      for heading in (view.vendor_heading, view.customer_heading)], header=True)
    for n, area in enumerate(view.areas):
        if n:  # table.matrix + table.matrix { margin-top: 4mm }; Word joins tables that touch
            yield ox.gap(4)
        name = ox.row([ox.cell(width, [ox.para(ox.run(area.name.upper(), "EmArea"), after=0,
                                               keep_next=True, size=9)], span=2,
                               pad=(_mm(1.8), _mm(2.5), _mm(1), _mm(2.5)))], header=True)
        yield tbl([half, half], [columns, name, *(
            ox.row([ox.cell(half, _expectation(r.vendor)), ox.cell(half, _expectation(r.customer))])
            for r in area.rows)], padding=(_mm(2), _mm(2.5), _mm(2), _mm(2.5)))
    if view.legend:
        yield ox.para(ox.run(view.legend, "EmSmall"), before=_pt(1.5), size=8)

    cell_padding = (_mm(1.5), _mm(2), _mm(1.5), _mm(2))
    if view.readiness:
        notes = any(r.note for r in view.readiness)
        shares = (0.56, 0.13, 0.31) if notes else (0.8, 0.2)
        heads = (labels["question"], labels["answer"]) + ((labels["note"],) if notes else ())
        widths = [int(width * s) for s in shares]
        yield ox.para(ox.run(str(labels["readiness"])), style="Heading1", keep_next=True)
        body = [ox.row((ox.cell(w, [ox.para(ox.run(str(h), "EmStrong"), after=0)])
                        for w, h in zip(widths, heads, strict=True)), header=True)]
        for r in view.readiness:
            cells = [ox.cell(widths[0], [ox.para(ox.run(r.question), after=0)]),
                     ox.cell(widths[1], [ox.para(ox.run(r.answer_label, _ANSWER[r.answer]),
                                                 after=0)])]
            if notes:
                cells.append(ox.cell(widths[2], [ox.para(ox.run(r.note or ""), after=0)]))
            body.append(ox.row(cells))
        yield tbl(widths, body, padding=cell_padding)
        yield from frame(view.readiness_terms)

    if view.remedies:
        yield ox.para(ox.run(str(labels["missed_heading"])), style="Heading1", keep_next=True)
        yield from frame(view.remedies)

    if view.approvals:
        # the date's column holds "18 November 2026" on one line, as the PDF's does
        widths = [int(width * s) for s in (0.29, 0.15, 0.33, 0.23)]
        heads = (labels["name"], labels["side"], labels["title"], labels["date_label"])
        yield ox.para(ox.run(str(labels["approvals"])), style="Heading1", keep_next=True)
        yield tbl(widths, [ox.row((ox.cell(w, [ox.para(ox.run(str(h), "EmStrong"), after=0)])
                                   for w, h in zip(widths, heads, strict=True)), header=True)]
                  + [ox.row(ox.cell(w, [ox.para(ox.run(str(v)), after=0)])
                            for w, v in zip(widths, (a.name, a.side_label, a.role, a.date),
                                            strict=True))
                     for a in view.approvals], padding=cell_padding)

    # The signature page: heading, caption and both blocks kept together; one table,
    # so the two blocks' lines stay level whatever the names' lengths.
    yield ox.para(ox.run(str(labels["signatures"])), style="Heading1", keep_next=True)
    yield ox.para(ox.run(view.signature_caption, "EmDetail"), keep_next=True, after=_pt(4),
                  size=8.5)
    yield _signature_blocks(view, half)
