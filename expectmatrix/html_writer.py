"""View -> HTML through the Jinja templates (the PDF's source, or a standalone page)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

from .standalone import Inliner, file_url
from .templating import environment, prepare, render_template, search_path
from .view import View


def css_string(value: object) -> str:
    """Text made safe inside a double-quoted CSS string."""
    text = str(value)
    for bad, good in (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\a "), ("<", "\\3c "), ("&", "\\26 ")):
        text = text.replace(bad, good)
    return text


class HtmlRenderer:
    def __init__(self, template_dirs: Sequence[str | Path] = ()) -> None:
        self.search_path = search_path(template_dirs)
        self.env = environment(template_dirs)
        self.env.filters["css_string"] = css_string
        prepare(self.env, "matrix.html")  # template errors surface before any document

    def render(self, view: View, standalone: bool = False) -> str:
        """The document's HTML. ``standalone``: a page to keep or send on its own, with
        the stylesheet, fonts and logo inlined (the PDF's HTML refers to files instead)."""
        if not standalone:
            return render_template(self.env, "matrix.html", view=view, stylesheet="",
                                   asset=file_url)
        stylesheet = next(root / "matrix.css" for root in self.search_path
                          if (root / "matrix.css").is_file())
        css = stylesheet.read_text(encoding="utf-8")
        look = view.look
        files = [p for p in (look.logo.path if look.logo else None, look.font_file) if p]
        # A first pass finds the characters the page shows; the fonts keep only those.
        draft = render_template(self.env, "matrix.html", view=view, stylesheet="",
                                asset=file_url)
        inliner = Inliner(self.search_path, files, html.unescape(draft) + css)
        page = render_template(self.env, "matrix.html", view=view,
                               stylesheet=inliner.css(css, stylesheet.parent),
                               asset=inliner.asset)
        # Relative URLs in the template's own styles resolve as for the PDF.
        return inliner.page(page, self.search_path[0])
