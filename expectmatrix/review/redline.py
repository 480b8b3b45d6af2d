"""A Diff as a document: HTML or PDF (struck deletions, underlined insertions) and DOCX
with real Word tracked changes that a reviewer can accept or reject."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from expectmatrix import __version__
from expectmatrix.render import ooxml as ox
from expectmatrix.render.plain import Data, plain
from expectmatrix.spec.findings import RenderError

if TYPE_CHECKING:
    import jinja2
from expectmatrix.render.templating import prepare, render_template
from expectmatrix.review.compare import SIDE_LABEL, Diff, FieldChange


def redline_data(diff: Diff) -> Data:
    """The diff as a template sees it: plain values, word edits worked out."""
    def change(c: FieldChange) -> dict[str, object]:
        return {"name": c.name, "old": c.old, "new": c.new, "words": c.words}

    data = plain({
        "old_name": diff.old_name, "new_name": diff.new_name, "changed": diff.changed,
        "counts": list(diff.counts().items()),
        "balance_before": diff.balance_before, "balance_after": diff.balance_after,
        "header": [change(c) for c in diff.header],
        "expectations": [{"kind": e.kind, "side": e.side, "label": e.label,
                          "old_id": e.old_id, "new_id": e.new_id,
                          "fields": [change(f) for f in e.fields]} for e in diff.expectations],
    })
    assert isinstance(data, Data)
    return data


def redline_html(diff: Diff, env: jinja2.Environment, when: dt.datetime) -> str:
    prepare(env, "redline.html")
    return render_template(env, "redline.html", diff=redline_data(diff),
                           sides=plain(SIDE_LABEL), generator=f"expectmatrix {__version__}",
                           created=when.strftime("%Y-%m-%dT%H:%M:%SZ"))


def redline(diff: Diff, fmt: str, when: dt.datetime,
            template_dirs: tuple[str | Path, ...] = ()) -> bytes:
    """The redline in ``fmt`` (html, pdf or docx), as bytes."""
    if fmt == "html":
        from expectmatrix.render.templating import environment

        return redline_html(diff, environment(template_dirs), when).encode("utf-8")
    if fmt == "pdf":
        return redline_pdf(diff, when, tuple(map(str, template_dirs)))
    if fmt == "docx":
        return redline_docx(diff, when)
    raise RenderError(f"no redline in {fmt!r}; choose html, pdf or docx")


def redline_pdf(diff: Diff, when: dt.datetime, template_dirs: tuple[str, ...] = ()) -> bytes:
    from expectmatrix.render.pdf import PdfRenderer

    renderer = PdfRenderer(template_dirs)
    html = redline_html(diff, renderer.html.env, when)
    return renderer.write(html, hashlib.sha256(html.encode()).hexdigest(), matrix_style=False)


class _Tracked:
    """Numbered w:ins / w:del runs, all by one author at one time."""

    def __init__(self, when: dt.datetime) -> None:
        self.date = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        self.next_id = 1

    def _attrs(self) -> str:
        self.next_id += 1
        return f'w:id="{self.next_id}" w:author="expectmatrix" w:date="{self.date}"'

    def runs(self, change: FieldChange) -> Iterator[str]:
        from xml.sax.saxutils import escape

        for op, text in change.words:
            if op == "equal":
                yield ox.run(text)
            elif op == "insert":
                yield f"<w:ins {self._attrs()}>{ox.run(text)}</w:ins>"
            else:
                yield (f'<w:del {self._attrs()}><w:r><w:delText xml:space="preserve">'
                       f"{escape(text)}</w:delText></w:r></w:del>")


def redline_docx(diff: Diff, when: dt.datetime) -> bytes:
    from docx import Document
    from docx.oxml import parse_xml

    doc = Document()
    track = _Tracked(when)
    width = ox.text_width(doc.sections[0])
    body = [ox.para(ox.run(f"Changes from {diff.old_name} to {diff.new_name}"), style="Title")]
    if not diff.changed:
        body.append(ox.para(ox.run("No changes.")))
    else:
        (v0, c0), (v1, c1) = diff.balance_before, diff.balance_after
        counts = ", ".join(f"{n} {k}" for k, n in diff.counts().items())
        body.append(ox.para(ox.run(f"Balance: {v0} of vendor, {c0} of customer → {v1} of vendor, "
                          f"{c1} of customer. Expectations: {counts}.")))
        if diff.header:
            body.append(ox.para(ox.run("Deal and parties"), style="Heading1", keep_next=True))
            widths = [width * 3 // 10, width * 7 // 10]
            body.append(ox.table(widths, [ox.row([ox.cell(widths[0], [ox.para(ox.run("Field"))]),
                                           ox.cell(widths[1], [ox.para(ox.run("Change"))])], header=True)]
                             + [ox.row([ox.cell(widths[0], [ox.para(ox.run(c.name))]),
                                     ox.cell(widths[1], [ox.para(*track.runs(c))])]) for c in diff.header]))
        if diff.expectations:
            body.append(ox.para(ox.run("Expectations"), style="Heading1", keep_next=True))
            widths = [width * 15 // 100, width * 12 // 100, width * 12 // 100, width * 61 // 100]
            rows = [ox.row([ox.cell(w, [ox.para(ox.run(h))]) for w, h in
                         zip(widths, ("Id", "Side", "Change", "Fields"), strict=True)], header=True)]
            for change in diff.expectations:
                fields = [ox.para(ox.run(f"{f.name}: "), *track.runs(f)) for f in change.fields]
                rows.append(ox.row([ox.cell(widths[0], [ox.para(ox.run(change.label))]),
                                 ox.cell(widths[1], [ox.para(ox.run(SIDE_LABEL[change.side]))]),
                                 ox.cell(widths[2], [ox.para(ox.run(change.kind))]),
                                 ox.cell(widths[3], fields)]))
            body.append(ox.table(widths, rows))
    anchor = doc.element.body.sectPr
    for element in parse_xml(f"<w:body {ox.NS}>{''.join(body)}</w:body>"):
        anchor.addprevious(element)
    props = doc.core_properties
    props.title = f"Changes from {diff.old_name} to {diff.new_name}"
    props.author = props.last_modified_by = f"expectmatrix {__version__}"
    props.created = props.modified = when.replace(tzinfo=None)
    props.revision = 1
    buffer = io.BytesIO()
    doc.save(buffer)
    return ox.fixed_zip_times(buffer.getvalue(), when)
