"""A standalone HTML page that needs nothing beside it, and can fetch nothing when opened.

The HTML laid out to PDF refers to the template folder's fonts and to the spec's logo by
file URL. A page that is sent on must not: such URLs break on any other machine, name
folders of the machine that made it, and a template (untrusted) could make a browser
call out. So:

- each file the stylesheet or the page uses becomes a data: URL (fonts cut down to the
  characters of the document, as WOFF2); only the template folders and the spec's
  checked logo and font are read;
- CSS is read with a real tokenizer (tinycss2, which decodes escapes such as ``u\\72l(``
  and ``@\\69mport`` as a browser does); ``@import``, ``image-set()`` and any url() that
  is not one of our data: URLs are refused;
- the page may hold only the elements and attributes of an allow list (no script, frame,
  object, link, base or meta refresh);
- and a Content-Security-Policy in the page forbids every fetch but data: fonts and
  images, should anything pass the checks above.
"""

from __future__ import annotations

import base64
import io
import mimetypes
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from expectmatrix.errors import InputError, RenderError
from expectmatrix.render.templating import template_file
from expectmatrix.spec.inputs import read_bytes

CSP = ("default-src 'none'; img-src data:; font-src data:; style-src 'unsafe-inline'; "
       "base-uri 'none'; form-action 'none'; frame-src 'none'; object-src 'none'")
MAX_FILE_BYTES = 30_000_000
_FONTS = {".ttf", ".otf", ".woff", ".woff2"}
_IMAGES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
           ".gif": "image/gif", ".webp": "image/webp", ".svg": "image/svg+xml"}
# Kept whatever the text: it covers what CSS may add (counters, quotes), and most pages in
# a batch then share one character set, so each font is cut once per process, not per page.
_BASE = frozenset([chr(c) for c in range(0x20, 0x7F)] + [chr(c) for c in range(0xA0, 0x100)]
                  + list("–—‘’‚“”„•…€†‡·‹›"))

# At-rules a page's CSS may use (@page and its margin boxes, fonts, media queries).
_AT_RULES = frozenset({"page", "font-face", "media", "supports", "keyframes", "top-left",
                       "top-center", "top-right", "bottom-left", "bottom-center",
                       "bottom-right", "top-left-corner", "top-right-corner",
                       "bottom-left-corner", "bottom-right-corner", "left-top",
                       "left-middle", "left-bottom", "right-top", "right-middle",
                       "right-bottom", "footnote"})
# CSS functions that take a URL as a plain string: a way around url() checks.
_URL_FUNCTIONS = frozenset({"image-set", "-webkit-image-set", "image", "cross-fade",
                            "-webkit-cross-fade", "element", "-moz-element", "src"})

_GLOBAL_ATTRS = frozenset({"class", "id", "lang", "dir", "title", "role", "style",
                           "translate", "hidden"})
_PLAIN_ELEMENTS = (
    "html", "head", "title", "body", "div", "span", "p", "br", "hr", "h1", "h2", "h3", "h4", "h5",
    "h6", "header", "footer", "main", "section", "article", "aside", "nav", "address", "strong",
    "em", "b", "i", "u", "s", "small", "sup", "sub", "mark", "abbr", "blockquote", "q", "cite",
    "code", "pre", "ul", "ol", "li", "dl", "dt", "dd", "figure", "figcaption", "table", "caption",
    "thead", "tbody", "tfoot", "tr", "del", "ins", "bdi", "bdo", "wbr",
)
_ELEMENT_ATTRS: dict[str, frozenset[str]] = dict.fromkeys(_PLAIN_ELEMENTS, frozenset())
_ELEMENT_ATTRS |= {
    "style": frozenset({"media"}), "meta": frozenset({"charset", "name", "content"}),
    "img": frozenset({"src", "alt", "width", "height"}), "a": frozenset({"href"}),
    "td": frozenset({"colspan", "rowspan", "headers"}),
    "th": frozenset({"colspan", "rowspan", "headers", "scope", "abbr"}),
    "col": frozenset({"span"}), "colgroup": frozenset({"span"}),
    "time": frozenset({"datetime"}), "ol": frozenset({"start", "reversed", "type"}),
    "li": frozenset({"value"}), "del": frozenset({"datetime"}), "ins": frozenset({"datetime"}),
}
_LINKS = re.compile(r"^(?:https?:|mailto:|tel:|#)", re.IGNORECASE)


class Inliner:
    """Turns the files of one document into data: URLs, and checks the finished page."""

    def __init__(self, roots: Sequence[Path], files: Mapping[str, tuple[Path, bytes, str]],
                 text: str) -> None:
        self.roots = [r.resolve() for r in roots]
        self.files = dict(files)
        self.made: set[str] = set()  # the data: URLs we wrote: the only ones a page may hold
        # Upper and lower case too: the stylesheet may transform the text's case.
        self.chars = _BASE | {v for c in set(text) for v in (c, c.upper(), c.lower())
                              if len(v) == 1}

    def asset(self, name: str) -> str:
        """A file a template names (``@logo``, ``@font`` or a template folder file)."""
        if name in self.files:
            path, data, mime = self.files[name]
            return self._data_url(path, data, mime)
        return self._file(template_file(name, self.roots))

    def _file(self, path: Path) -> str:
        path = path.resolve()
        if not any(path.is_relative_to(r) for r in self.roots):
            raise RenderError(f"refused to include {path.name}: a page may only use files "
                              "from the template folders and the spec's logo and font")
        if not path.exists():
            raise RenderError(f"{path.name} is used by the page but does not exist")
        try:
            data = read_bytes(path, MAX_FILE_BYTES, "file")
        except InputError as e:
            raise RenderError(str(e)) from None
        return self._data_url(path, data, mimetypes.guess_type(path.name)[0] or "")

    def _data_url(self, path: Path, data: bytes, mime: str) -> str:
        suffix = path.suffix.lower()
        if suffix in _FONTS or mime.startswith("font/"):
            url = "data:font/woff2;base64," + base64.b64encode(
                _subset(data, self.chars, path.name)).decode("ascii")
        elif suffix in _IMAGES or mime.startswith("image/"):
            url = (f"data:{_IMAGES.get(suffix, mime)};base64,"
                   + base64.b64encode(data).decode("ascii"))
        else:
            raise RenderError(f"a standalone page cannot carry {path.name}: only fonts "
                              f"({', '.join(sorted(_FONTS))}) and images "
                              f"({', '.join(sorted(_IMAGES))}) are inlined")
        self.made.add(url)
        return url

    def css(self, css: str, base: Path) -> str:
        """A stylesheet with every url() it makes inlined; relative to ``base``."""
        import tinycss2

        rules = tinycss2.parse_stylesheet(css, skip_comments=True)
        _walk_css(rules, lambda url: self._inline_url(url, base))
        return str(tinycss2.serialize(rules))

    def _inline_url(self, url: str, base: Path) -> str:
        if url.startswith("data:") and url in self.made:
            return url
        parts = urlsplit(url)
        if parts.scheme or parts.netloc or not parts.path:
            raise RenderError(f"the stylesheet refers to {url[:80]!r}; a standalone page may "
                              "only use files from the template folders")
        return self._file(base / unquote(parts.path))

    def page(self, html: str, base: Path) -> str:
        """The finished page, checked against the allow list, its <style> blocks inlined
        (relative to ``base``), with the Content-Security-Policy first in its head."""
        checker = _PageCheck(self, base)
        checker.feed(html)
        checker.close()
        if checker.head_end is None:
            raise RenderError("a standalone page needs a <head> element")
        out = "".join(checker.out)
        meta = f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        return out[:checker.head_end] + meta + out[checker.head_end:]

    def check_url(self, url: str) -> str:
        """A URL left in the finished page: only data: URLs this inliner made."""
        if url in self.made:
            return url
        raise RenderError(f"{url[:80]!r} would be fetched when the page is opened; a "
                          "standalone page may only use files it carries: write "
                          "{{ asset(name) }}")


def _walk_css(nodes: Iterable[object], on_url: Callable[[str], str]) -> None:
    """Check every at-rule and function, and replace each URL by ``on_url(url)``."""
    import tinycss2.ast as ast

    for node in nodes:
        if isinstance(node, ast.AtRule | ast.AtKeywordToken):
            keyword = node.lower_at_keyword if isinstance(node, ast.AtRule) else node.lower_value
            if keyword not in _AT_RULES:
                raise RenderError(f"@{keyword} is not allowed in a template's CSS "
                                  "(a page may not load other stylesheets)")
        if isinstance(node, ast.URLToken):
            node.value = on_url(node.value)
            node.representation = f'url("{_css_url(node.value)}")'
            continue
        if isinstance(node, ast.FunctionBlock):
            if node.lower_name in _URL_FUNCTIONS:
                raise RenderError(f"{node.lower_name}() is not allowed in a template's CSS; "
                                  "use url() with a file of the template folder")
            if node.lower_name == "url":
                strings = [t for t in node.arguments if isinstance(t, ast.StringToken)]
                if len(strings) != 1:
                    raise RenderError("a CSS url() must hold one quoted address")
                strings[0].value = on_url(strings[0].value)
                strings[0].representation = f'"{_css_url(strings[0].value)}"'
                continue
        for children in ("prelude", "content", "arguments", "value"):
            value = getattr(node, children, None)
            if isinstance(value, list):
                _walk_css(value, on_url)


def _css_url(url: str) -> str:
    # Our data: URLs hold only base64 and a media type; anything else is refused above.
    if re.search(r"[\"'\\()\s<>]", url):
        raise RenderError("an inlined file's address cannot be written into CSS")
    return url


class _PageCheck(HTMLParser):
    """Holds a page to the allow list, inlines and checks its CSS, and copies it out."""

    def __init__(self, inliner: Inliner, base: Path) -> None:
        super().__init__(convert_charrefs=False)
        self.inliner = inliner
        self.base = base
        self.out: list[str] = []
        self.size = 0
        self.head_end: int | None = None
        self.in_style = False

    def _emit(self, text: str) -> None:
        self.out.append(text)
        self.size += len(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._element(tag, attrs)
        self._emit(self.get_starttag_text() or "")
        if tag == "head" and self.head_end is None:
            self.head_end = self.size
        self.in_style = tag == "style"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._element(tag, attrs)
        self._emit(self.get_starttag_text() or "")

    def handle_endtag(self, tag: str) -> None:
        self.in_style = False
        self._emit(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if self.in_style:
            import tinycss2

            rules = tinycss2.parse_stylesheet(data, skip_comments=True)
            _walk_css(rules, lambda url: self.inliner._inline_url(url, self.base))
            data = tinycss2.serialize(rules)
        self._emit(data)

    def handle_entityref(self, name: str) -> None:
        self._emit(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self._emit(f"&#{name};")

    def handle_comment(self, data: str) -> None:
        pass  # comments are left out: nothing in them is for the reader

    def handle_decl(self, decl: str) -> None:
        self._emit(f"<!{decl}>")

    def handle_pi(self, data: str) -> None:
        raise RenderError("processing instructions are not allowed in a page")

    def unknown_decl(self, data: str) -> None:
        raise RenderError(f"<![{data[:20]}...]> is not allowed in a page")

    def _element(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        allowed = _ELEMENT_ATTRS.get(tag)
        if allowed is None:
            raise RenderError(f"<{tag}> is not allowed in a standalone page (it could run "
                              "code or load something when the page is opened)")
        for name, value in attrs:
            value = value or ""
            if not (name in _GLOBAL_ATTRS or name in allowed or name.startswith("aria-")):
                raise RenderError(f"the attribute {name}= is not allowed on <{tag}> in a "
                                  "standalone page")
            if name == "style":
                import tinycss2

                declarations = tinycss2.parse_blocks_contents(value)
                _walk_css(declarations, self.inliner.check_url)
            elif tag == "img" and name == "src":
                self.inliner.check_url(value.strip())
            elif tag == "a" and name == "href" and not _LINKS.match(value.strip()):
                raise RenderError(f"the link {value[:60]!r} is not allowed; links go to "
                                  "http(s), mailto, tel or # addresses")


@lru_cache(maxsize=64)
def _subset(data: bytes, chars: frozenset[str], name: str) -> bytes:
    """The font cut down to ``chars``, as WOFF2 (the font's layout features kept, so
    Arabic still joins). Cached per font and character set."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]
    options.name_IDs = ["*"]  # keeps the copyright and licence entries the OFL asks for
    options.name_languages = ["*"]
    options.notdef_outline = True
    try:
        font = TTFont(io.BytesIO(data))
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=[ord(c) for c in chars])
        subsetter.subset(font)
        out = io.BytesIO()
        font.flavor = "woff2"
        font.save(out)
    except RenderError:  # the time limit, not the font
        raise
    except Exception as e:  # fontTools raises many kinds for a damaged font
        raise RenderError(f"the font {name} could not be prepared for the page: {e}") from None
    return out.getvalue()
