"""Redlines: a Diff as an HTML or PDF change list (struck deletions, underlined
insertions), and the whole agreement as a DOCX with Word tracked changes that a reviewer
can accept or reject (the changes themselves are worked out in tracked.py)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path
from typing import TYPE_CHECKING

from expectmatrix.errors import RenderError
from expectmatrix.render import ooxml as ox
from expectmatrix.render.html import spec_files
from expectmatrix.render.plain import Data, plain
from expectmatrix.spec.shape import sides
from expectmatrix.version import __version__

if TYPE_CHECKING:
    import jinja2

    from expectmatrix.checks import LibrarySource
    from expectmatrix.render.pipeline import RenderOptions
    from expectmatrix.spec.models import FrameText, Spec
from expectmatrix.render.templating import prepare, render_template
from expectmatrix.review.compare import Diff, FieldChange, shown


def redline_data(diff: Diff) -> Data:
    """The diff as a template sees it: plain values, word edits worked out."""
    def change(c: FieldChange) -> dict[str, object]:
        return {"name": c.name, "old": c.old, "new": c.new, "words": shown(c.words)}

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
                           sides=plain({side: side for side in sides()}),
                           generator=f"expectmatrix {__version__}",
                           created=when.strftime("%Y-%m-%dT%H:%M:%SZ"))


def redline(diff: Diff, fmt: str, when: dt.datetime,
            template_dirs: tuple[str | Path, ...] = ()) -> bytes:
    """The change list in ``fmt`` (html or pdf), as bytes."""
    if fmt == "html":
        from expectmatrix.render.templating import environment

        return redline_html(diff, environment(template_dirs), when).encode("utf-8")
    if fmt == "pdf":
        return redline_pdf(diff, when, tuple(map(str, template_dirs)))
    raise RenderError(f"no change list in {fmt!r}; choose html or pdf (the DOCX redline is "
                      "the whole agreement with tracked changes: agreement_redline)")


def redline_pdf(diff: Diff, when: dt.datetime, template_dirs: tuple[str, ...] = ()) -> bytes:
    from expectmatrix.render.pdf import PdfRenderer

    renderer = PdfRenderer(template_dirs)
    html = redline_html(diff, renderer.html.env, when)
    return renderer.write(html, hashlib.sha256(html.encode()).hexdigest(), matrix_style=False)


def frame_for(spec: Spec, library: LibrarySource) -> tuple[FrameText, ...]:
    """The agreement frame of a spec read for comparing, decided as checking decides it."""
    from expectmatrix.checks import frame_clauses, frame_defaults, library_if_needed
    from expectmatrix.library.frame import resolve_frame

    chosen = library_if_needed(spec, library)
    return resolve_frame(spec, frame_clauses(chosen, library), frame_defaults(chosen, library))[0]


def default_author(given: str | None = None) -> str:
    """Who a DOCX redline's tracked changes are by: as given, else $EXPECTMATRIX_AUTHOR,
    else the user's login name."""
    import getpass
    import os

    return given or os.environ.get("EXPECTMATRIX_AUTHOR") or getpass.getuser()


def redline_time() -> dt.datetime:
    """When a redline's changes are dated: now (SOURCE_DATE_EPOCH when set)."""
    from expectmatrix.clock import source_date

    return source_date() or dt.datetime.now(dt.UTC).replace(microsecond=0)


def agreement_redline(old: Spec, new: Spec, frames: tuple[tuple[FrameText, ...],
                                                      tuple[FrameText, ...]],
                      options: RenderOptions, author: str, when: dt.datetime) -> bytes:
    """The whole agreement of ``new``, laid out as ``render`` lays it out, with every
    difference from ``old`` as Word tracked changes by ``author`` at ``when``: accepting
    them all gives ``new``'s document, rejecting them all ``old``'s."""
    from expectmatrix.render.pipeline import render_spec
    from expectmatrix.review.tracked import track_changes

    renderers = options.renderers()
    edition = options.edition()
    documents = [render_spec(spec, ("docx",), renderers, edition=edition, frame=frame,
                             mark_nonstandard=options.mark_nonstandard)["docx"]
                 for spec, frame in zip((old, new), frames, strict=True)]
    return ox.fixed_zip_times(track_changes(documents[0], documents[1], author, when), when)


def agreement_redline_pdf(old: Spec, new: Spec, frames: tuple[tuple[FrameText, ...],
                                                          tuple[FrameText, ...]],
                          options: RenderOptions, folder: str | None = None) -> bytes:
    """The agreement of ``new`` as a PDF, laid out as ``render`` lays it out, with the
    words deleted since ``old`` struck through and those inserted underlined, after a
    first page that says what changed, in the documents' language, with both
    fingerprints."""
    import dataclasses
    import html

    from expectmatrix.render.html import marks_as_elements
    from expectmatrix.review.merged import DEL, DEL_END, INS, INS_END, merged_view, summary
    from expectmatrix.spec.placeholders import fill

    renderers = options.renderers()
    views = [renderers.view(spec, folder, {}, options.mark_nonstandard, None,
                            options.edition(), frame)
             for spec, frame in zip((old, new), frames, strict=True)]
    before, after = views
    view = dataclasses.replace(merged_view(before, after), fingerprint=after.fingerprint)
    labels = after.labels
    items = "".join(
        f"<li><span class=\"what\">{html.escape(c.line)}</span>"
        + "".join(f"<div class=\"detail\">{html.escape(d)}</div>" for d in c.details)
        + "</li>" for c in summary(before, after)) or (
        f"<li>{html.escape(str(labels['redline_none']))}</li>")
    first = (f'<section class="redline-summary"><h1>'
             f"{html.escape(fill(str(labels['redline_title']), old=before.version, new=after.version))}"
             f"</h1><p>{html.escape(str(labels['redline_legend']))}</p><ul>{items}</ul>"
             f'<p class="fingerprints">'
             + html.escape(fill(str(labels["redline_fingerprints"]), old=before.version,
                                new=after.version, old_fp=before.fingerprint,
                                new_fp=after.fingerprint)) + "</p></section>")
    pdf = renderers.get("pdf")
    pdf.fetcher.files = {path.resolve(): (data, mime)
                         for path, data, mime in spec_files(view).values()}
    try:
        # The summary goes in before the marks become elements: its details carry marks.
        page = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + first, pdf.html.html(view),
                      count=1)
        page = marks_as_elements(page, {
            DEL: '<del class="redline">', DEL_END: "</del>",
            INS: '<ins class="redline">', INS_END: "</ins>"}, dropped=DEL + DEL_END)
        identity = hashlib.sha256(page.encode("utf-8")).hexdigest()
        return bytes(pdf.write(page, identity))
    finally:
        pdf.fetcher.files = {}
