"""View -> HTML through the Jinja templates (the PDF's source, or a standalone page)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

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
        """The document's HTML; ``standalone`` inlines the stylesheet for a .html file."""
        stylesheet = ""
        if standalone:
            for root in self.search_path:
                if (root / "matrix.css").is_file():
                    stylesheet = (root / "matrix.css").read_text(encoding="utf-8")
                    break
        return render_template(self.env, "matrix.html", view=view, stylesheet=stylesheet)
