"""A standalone HTML page that needs nothing beside it: its fonts and images inlined.

The HTML laid out to PDF refers to the template folder's fonts and to the spec's logo by
file URL. A page that is sent on must not: such URLs break on any other machine and name
folders of the machine that made it. So each file the stylesheet or the page uses becomes
a data: URL, fonts cut down to the characters of the document (WOFF2) to keep the page small.
Only files a PDF may use are read: the template folders and the spec's checked logo and font.
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .assets import file_url_path, may_read
from .findings import RenderError

_CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)"'\s]*))\s*\)""", re.IGNORECASE)
_CSS_IMPORT = re.compile(r"""@import\s*["']""", re.IGNORECASE)
_STYLE_BLOCK = re.compile(r"(<style[^>]*>)(.*?)(</style>)", re.IGNORECASE | re.DOTALL)
_IMG_FILE = re.compile(r"""(<img\b[^>]*?\bsrc=")(file:[^"]*)(")""", re.IGNORECASE)
# Attributes a browser fetches from (a link's href is followed only when clicked).
_FETCHED = {"src", "srcset", "href", "xlink:href", "poster", "data", "background", "action",
            "formaction"}
_FONTS = {".ttf", ".otf", ".woff", ".woff2"}
_IMAGES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
           ".gif": "image/gif", ".webp": "image/webp", ".svg": "image/svg+xml"}
# Kept whatever the text: it covers what CSS may add (counters, quotes), and most pages in
# a batch then share one character set, so each font is cut once per process, not per page.
_BASE = frozenset([chr(c) for c in range(0x20, 0x7F)] + [chr(c) for c in range(0xA0, 0x100)]
                  + list("–—‘’‚“”„•…€†‡·‹›"))


def file_url(path: Path) -> str:
    """How the PDF's HTML refers to a file (WeasyPrint's fetcher checks it)."""
    return path.resolve().as_uri()


class Inliner:
    """Turns the files of one document into data: URLs."""

    def __init__(self, roots: Sequence[Path], files: Iterable[Path], text: str) -> None:
        self.roots = [r.resolve() for r in roots]
        self.files = {f.resolve() for f in files}
        # Upper and lower case too: the stylesheet may transform the text's case.
        self.chars = _BASE | {v for c in set(text) for v in (c, c.upper(), c.lower())
                              if len(v) == 1}

    def asset(self, path: Path) -> str:
        """A file the page refers to, as a data: URL."""
        path = path.resolve()
        if not may_read(path, self.roots, self.files):
            raise RenderError(f"refused to include {path.name}: a page may only use files "
                              "from the template folders and the spec's logo and font")
        if not path.is_file():
            raise RenderError(f"{path} is used by the page but does not exist")
        suffix = path.suffix.lower()
        if suffix in _FONTS:
            return "data:font/woff2;base64," + base64.b64encode(
                _subset(str(path), path.stat().st_mtime_ns, self.chars)).decode("ascii")
        if suffix in _IMAGES:
            try:
                data = path.read_bytes()
            except OSError as e:
                raise RenderError(f"cannot read {path.name}: {e.strerror or e}") from None
            return f"data:{_IMAGES[suffix]};base64," + base64.b64encode(data).decode("ascii")
        raise RenderError(f"a standalone page cannot carry {path.name}: only fonts "
                          f"({', '.join(sorted(_FONTS))}) and images "
                          f"({', '.join(sorted(_IMAGES))}) are inlined")

    def css(self, css: str, base: Path) -> str:
        """A stylesheet with every url() it makes inlined; relative to ``base``."""

        def inline(match: re.Match[str]) -> str:
            url = next(g for g in match.groups() if g is not None)
            if not url or url.startswith(("data:", "#")):
                return match.group(0)
            parts = urlsplit(url)
            if parts.scheme == "file":
                path = file_url_path(url)
            elif not parts.scheme and not parts.netloc:
                path = base / unquote(parts.path)
            else:
                raise RenderError(f"the stylesheet refers to {url!r}; a standalone page may "
                                  "only use files from the template folders")
            return f'url("{self.asset(path)}")'

        if _CSS_IMPORT.search(css):
            raise RenderError("a standalone page cannot @import a stylesheet; put its rules "
                              "in matrix.css")
        return _CSS_URL.sub(inline, css)

    def page(self, html: str, base: Path) -> str:
        """The finished page, its <style> blocks inlined against ``base``; refused if an
        element would still fetch something when the page is opened."""
        html = _STYLE_BLOCK.sub(lambda m: m.group(1) + self.css(m.group(2), base) + m.group(3),
                                html)
        # Templates copied before asset() existed give the logo a file URL: inline it too.
        # (Spec text cannot write an <img>: autoescaping turns its "<" into "&lt;".)
        html = _IMG_FILE.sub(lambda m: m.group(1) + self.asset(file_url_path(m.group(2)))
                             + m.group(3), html)
        _FetchCheck().feed(html)
        return html


class _FetchCheck(HTMLParser):
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            value = (value or "").strip()
            if name == "style":
                urls = [next(g for g in m.groups() if g is not None)
                        for m in _CSS_URL.finditer(value)]
            elif name in _FETCHED and not (tag == "a" and name == "href"):
                urls = [value]
            else:
                continue
            for url in urls:
                if url and not url.startswith(("data:", "#")):
                    raise RenderError(f"the template's <{tag} {name}=\"{url}\"> would be "
                                      "fetched when the page is opened; a standalone page may "
                                      "only use files it carries: write "
                                      "{{ asset(path) }}")


@lru_cache(maxsize=64)
def _subset(path: str, mtime_ns: int, chars: frozenset[str]) -> bytes:
    """The font cut down to ``chars``, as WOFF2 (the font's layout features kept, so
    Arabic still joins). Cached per file version and character set."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]
    options.name_IDs = ["*"]  # keeps the copyright and licence entries the OFL asks for
    options.name_languages = ["*"]
    options.notdef_outline = True
    try:
        font = TTFont(path)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=[ord(c) for c in chars])
        subsetter.subset(font)
        out = io.BytesIO()
        font.flavor = "woff2"
        font.save(out)
    except RenderError:  # the time limit, not the font
        raise
    except Exception as e:  # fontTools raises many kinds for a damaged font
        raise RenderError(f"the font {Path(path).name} could not be prepared for the page: "
                          f"{e}") from None
    return out.getvalue()
