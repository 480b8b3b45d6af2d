"""View -> HTML through the Jinja templates (the PDF's source, or a standalone page).

Templates get the view as plain data (plain.py) and reach files only through
``asset(name)``: ``"@logo"`` and ``"@font"`` are the spec's checked logo and font, any
other name a file in the template folders.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from markupsafe import Markup

from expectmatrix.errors import RenderError
from expectmatrix.render.plain import Data, plain
from expectmatrix.render.templating import (
    environment,
    prepare,
    render_template,
    search_path,
    template_file,
)
from expectmatrix.render.view import View
from expectmatrix.spec.inputs import read_text

LOGO, FONT = "@logo", "@font"
MAX_STYLESHEET_BYTES = 2_000_000


def css_string(value: object) -> str:
    """Text made safe inside a double-quoted CSS string."""
    text = str(value)
    for bad, good in (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\a "), ("<", "\\3c "), ("&", "\\26 ")):
        text = text.replace(bad, good)
    return text


def page_counters(label: object) -> Markup:
    """A localised "Page {page} of {pages}" as a CSS content value with page counters."""
    parts = re.split(r"(\{page\}|\{pages\})", str(label))
    counters = {"{page}": "counter(page)", "{pages}": "counter(pages)"}
    return Markup(" ".join(counters.get(p) or f'"{css_string(p)}"' for p in parts if p))


def template_view(view: View) -> Data:
    """The view as a template sees it: plain values, files named, never handed over."""
    look = view.look
    data = dict(plain(view))
    data["look"] = Data({
        "paper": look.paper, "primary": look.primary, "accent": look.accent,
        "margins": look.margins, "css_font": look.css_font, "docx_font": look.docx_font,
        "logo": Data({"kind": look.logo.kind, "width": look.logo.width,
                      "height": look.logo.height, "path": LOGO}) if look.logo else None,
        "font_file": FONT if look.font else None})
    return Data(data)


def spec_files(view: View) -> dict[str, tuple[Path, bytes, str]]:
    """The spec's own files a page may use: name -> (path, checked bytes, media type)."""
    look = view.look
    files = {}
    if look.logo is not None:
        files[LOGO] = (look.logo.path, look.logo.data, look.logo.mime)
    if look.font is not None:
        files[FONT] = (look.font.path, look.font.data, "font/ttf")
    return files


def file_assets(view: View, roots: Sequence[Path]) -> Callable[[str], str]:
    """``asset()`` for HTML laid out to PDF: file URLs, which the PDF writer's fetcher
    serves (the spec's files from the bytes that were checked)."""
    files = spec_files(view)

    def asset(name: str) -> str:
        path = files[name][0] if name in files else template_file(name, roots)
        return path.resolve().as_uri()

    return asset


_FSI, _PDI = "\u2068", "\u2069"
_BODY_TEXT = re.compile(r">([^<]*)<")
_TAG = re.compile(r"<[^>]*>")


def isolates_as_spans(page: str) -> str:
    """The view isolates left-to-right text in a right-to-left document with FSI ... PDI;
    WeasyPrint lays those out as if they were not there, but honours a left-to-right
    embedding element (``.ltr`` in matrix.css). In the body's text they become such spans
    (spec text cannot hold FSI or PDI: loading refuses bidi controls, so every pair is the
    view's); in the head, in attributes and in CSS strings they are dropped."""
    return marks_as_elements(page, {_FSI: '<span class="ltr">', _PDI: "</span>"})


def marks_as_elements(page: str, marks: Mapping[str, str], dropped: str = "") -> str:
    """Mark characters the view put in its texts -> elements in the body's text (each
    character to the markup ``marks`` gives); out of the head and attributes. There,
    what lies between the two characters of ``dropped`` goes too (a redline's deleted
    words have no place in a title)."""
    if not any(m in page for m in marks):
        return page
    strip = re.compile("[" + re.escape("".join(marks)) + "]")
    cut = re.compile(re.escape(dropped[0]) + ".*?" + re.escape(dropped[1]), re.S) if dropped \
        else None

    def plain(text: str) -> str:
        return strip.sub("", cut.sub("", text) if cut else text)

    head, sep, body = page.partition("<body")
    body = _TAG.sub(lambda m: plain(m.group(0)), body)
    body = _BODY_TEXT.sub(lambda m: ">" + "".join(marks.get(c, c) for c in m.group(1)) + "<",
                          body)
    return plain(head) + sep + body


class HtmlRenderer:
    def __init__(self, template_dirs: Sequence[str | Path] = ()) -> None:
        self.search_path = search_path(template_dirs)
        self.env = environment(template_dirs)
        self.env.filters["css_string"] = css_string
        self.env.filters["page_counters"] = page_counters
        self._asset: Callable[[str], str] = self._no_asset

        def asset(name: str) -> str:
            return self._asset(name)

        self.env.globals["asset"] = self.env.allow_call(asset)
        prepare(self.env, "matrix.html")  # template errors surface before any document

    @staticmethod
    def _no_asset(name: str) -> str:
        raise RenderError("asset() is only available while a document is rendered")

    def _render(self, view: Data, stylesheet: str, asset: Callable[[str], str]) -> str:
        return self.page("matrix.html", asset, view=view, stylesheet=stylesheet)

    def page(self, name: str, asset: Callable[[str], str], **context: object) -> str:
        """Template ``name`` with ``context`` (plain data), ``asset()`` answering as
        ``asset`` does while it renders, and the view's direction marks as spans."""
        self._asset = asset
        try:
            page = render_template(self.env, name, **context)
        finally:
            self._asset = self._no_asset
        return isolates_as_spans(page)

    def render(self, view: View) -> bytes:
        """The standalone page: the ``html`` format's document."""
        return self.html(view, standalone=True).encode("utf-8")

    def html(self, view: View, standalone: bool = False,
             asset: Callable[[str], str] | None = None) -> str:
        """The document's HTML. ``standalone``: a page to keep or send on its own, with
        the stylesheet, fonts and logo inlined (the PDF's HTML refers to files instead,
        through ``asset``, which the PDF writer gives)."""
        data = template_view(view)
        if not standalone:
            return self._render(data, "", asset or file_assets(view, self.search_path))
        from expectmatrix.render.standalone import Inliner

        stylesheet = template_file("matrix.css", self.search_path)
        css = read_text(stylesheet, MAX_STYLESHEET_BYTES, "stylesheet")
        files = spec_files(view)

        def names_only(name: str) -> str:
            return "about:blank"

        # A first pass finds the characters the page shows; the fonts keep only those.
        draft = self._render(data, "", names_only)
        inliner = Inliner(self.search_path, files, html.unescape(draft) + css)
        page = self._render(data, inliner.css(css, stylesheet.parent), inliner.asset)
        # Relative URLs in the template's own styles resolve as for the PDF.
        return inliner.page(page, self.search_path[0])
