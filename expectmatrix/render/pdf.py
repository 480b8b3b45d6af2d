"""View -> PDF bytes through the HTML template and WeasyPrint.

A :class:`PdfRenderer` is built once per process: the Jinja environment, the font
configuration and the parsed stylesheet are reused for every document, which is where
most of the time of a small document would otherwise go.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import mimetypes
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from expectmatrix.errors import InputError, RenderError, TimeUp
from expectmatrix.render.html import MAX_STYLESHEET_BYTES, HtmlRenderer, spec_files
from expectmatrix.render.pdftags import tag_tables
from expectmatrix.render.templating import template_file
from expectmatrix.render.view import View
from expectmatrix.spec.inputs import read_bytes, read_text

SPEC_ATTACHMENT = "expectmatrix-spec.json"


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        # A note about a missing optional system library, not about the document.
        if "HarfBuzz-Subset" not in message:
            self.messages.append(message)


@contextmanager
def _warnings_fail() -> Iterator[None]:
    """WeasyPrint only logs a failed fetch or a bad CSS rule; we refuse the document."""
    logger = logging.getLogger("weasyprint")
    handler = _Collect()
    logger.addHandler(handler)
    propagate = logger.propagate
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate
    if handler.messages:
        raise RenderError("the PDF could not be made as designed: " + "; ".join(
            dict.fromkeys(handler.messages)))


@contextmanager
def _weasyprint_errors(what: str) -> Iterator[None]:
    """WeasyPrint's failures as RenderError; a refused fetch (FatalURLFetchingError) is a
    BaseException, so catch wide, but never swallow an interrupt or an exit."""
    try:
        yield
    except (RenderError, TimeUp, KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except BaseException as e:
        cause = f": {e.__cause__}" if e.__cause__ else ""
        raise RenderError(f"{what}: {e}{cause}") from None


MAX_FILE_BYTES = 30_000_000  # a font or image of the template folders


def _fetcher_class() -> type:
    from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

    class LocalFetcher(URLFetcher):  # type: ignore[misc]  # WeasyPrint has no type information
        """Serves data: URLs, files inside the template folders and the spec's checked
        logo and font (from the bytes that were checked); refuses everything else (no
        http, no ftp, no file outside), so a template cannot read or leak local files.
        Every file is read as any input is: a regular file, of a bounded size."""

        def __init__(self, roots: Sequence[Path]) -> None:
            super().__init__(allowed_protocols={"file", "data"}, fail_on_errors=True)
            self.roots = [r.resolve() for r in roots]
            # the current document's checked files: path -> (bytes, media type)
            self.files: dict[Path, tuple[bytes, str]] = {}

        def fetch(self, url: str, headers: object = None) -> Any:
            if url.startswith("data:"):
                return super().fetch(url, headers)
            if url.startswith("file:"):
                path = file_url_path(url).resolve()
                if path in self.files:
                    data, mime = self.files[path]
                    return URLFetcherResponse(url, data, {"Content-Type": mime})
                if may_read(path, self.roots, ()):
                    try:
                        data = read_bytes(path, MAX_FILE_BYTES, "file")
                    except InputError as e:
                        raise FatalURLFetchingError(str(e)) from None
                    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                    return URLFetcherResponse(url, data, {"Content-Type": mime})
            raise FatalURLFetchingError(f"refused to fetch {url[:200]!r}: documents may only "
                                        "use files from the template folders")

    return LocalFetcher


# The head.modified that fontTools gives the fonts it subsets while this thread writes a
# document; None: fontTools' own answer.
_FONT_TIMESTAMP: ContextVar[int | None] = ContextVar("font_timestamp", default=None)


def _pin_font_timestamps() -> None:
    """Without the HarfBuzz subsetting library, WeasyPrint subsets fonts with fontTools,
    which stamps each font's head.modified with the current time (or SOURCE_DATE_EPOCH),
    so the same document would give other bytes each second. Setting that variable would
    reach every thread and child process of the program; instead fontTools' clock is
    wrapped once, to answer with the date of the document this thread is writing, and
    as before otherwise."""
    from fontTools.ttLib.tables import _h_e_a_d as head

    original = head.timestampNow
    if getattr(original, "pinned_by_document", False):
        return

    def timestamp_now() -> int:
        pinned = _FONT_TIMESTAMP.get()
        return original() if pinned is None else pinned

    timestamp_now.pinned_by_document = True  # type: ignore[attr-defined]
    head.timestampNow = timestamp_now


def _font_timestamp(created: str | None) -> int:
    """A document's dcterms.created as fontTools counts time (seconds since 1904); a
    document without a date gets fontTools' epoch, still the same every time."""
    from fontTools.misc.timeTools import timestampSinceEpoch

    try:
        when = dt.datetime.fromisoformat(created or "")
    except ValueError:
        return 0
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0, int(timestampSinceEpoch(when.timestamp())))


class PdfRenderer:
    """Renders Views to PDF bytes; build once, call :meth:`render` many times."""

    def __init__(self, template_dirs: Sequence[str | Path] = (), variant: str | None = None
                 ) -> None:
        self.variant = variant  # pdf/a-3b or pdf/ua-1
        import weasyprint
        from weasyprint.text.fonts import FontConfiguration

        self._weasyprint = weasyprint
        self.html = HtmlRenderer(template_dirs)
        self.roots = self.html.search_path
        self.fetcher = _fetcher_class()(self.roots)
        self.font_config = FontConfiguration()
        _pin_font_timestamps()
        stylesheet = template_file("matrix.css", self.roots)
        css = read_text(stylesheet, MAX_STYLESHEET_BYTES, "stylesheet")
        with _weasyprint_errors(f"{stylesheet}"), _warnings_fail():
            self.css = weasyprint.CSS(string=css, base_url=stylesheet.parent.as_uri() + "/",
                                      font_config=self.font_config, url_fetcher=self.fetcher)

    def render(self, view: View) -> bytes:
        """The matrix as PDF, carrying the canonical spec as an embedded file and the
        fingerprint in its metadata, in the renderer's PDF variant."""
        from weasyprint import Attachment

        spec = Attachment(string=view.spec_json.decode("utf-8"), name=SPEC_ATTACHMENT,
                          description=f"expectmatrix spec, SHA-256 {view.fingerprint}",
                          created=view.created, modified=view.created, relationship="Source",
                          url_fetcher=self.fetcher)
        self.fetcher.files = {path.resolve(): (data, mime)
                              for path, data, mime in spec_files(view).values()}
        try:
            return self.write(self.html.html(view), view.fingerprint,
                              attachments=[spec], variant=self.variant)
        finally:
            self.fetcher.files = {}

    def write(self, html: str, identity: str, attachments: Sequence[object] = (),
              variant: str | None = None, matrix_style: bool = True) -> bytes:
        """Any of our HTML to PDF: same fonts, fetcher and warnings policy. The matrix
        stylesheet applies unless ``matrix_style`` is False (a redline brings its own)."""
        # Relative URLs in templates resolve against the first template folder.
        base = self.roots[0].resolve().as_uri() + "/"
        options = {
            "stylesheets": [self.css] if matrix_style else [],
            "attachments": list(attachments), "custom_metadata": True, "pdf_variant": variant,
            # Same input, same bytes: the /ID comes from the content's identity.
            "pdf_identifier": hashlib.md5(identity.encode()).hexdigest().encode()}
        with _weasyprint_errors("the PDF could not be made"), _warnings_fail():
            html_document = self._weasyprint.HTML(string=html, base_url=base,
                                                  url_fetcher=self.fetcher)
            document = html_document.render(font_config=self.font_config, **options)
            # Fonts are subset while the PDF is written: they carry the document's date.
            token = _FONT_TIMESTAMP.set(_font_timestamp(document.metadata.created))
            try:
                pdf = document.write_pdf(finisher=tag_tables, **options)
            finally:
                _FONT_TIMESTAMP.reset(token)
        assert isinstance(pdf, bytes)
        return pdf


def may_read(path: Path, roots: Iterable[Path], files: Collection[Path]) -> bool:
    """The one rule for any file a document uses, in the PDF or a standalone page: inside
    a template folder, or the spec's own checked logo or font (all paths resolved)."""
    path = path.resolve()
    return path in files or any(path.is_relative_to(r) for r in roots)


def file_url_path(url: str) -> Path:
    """``file:///a/b%20c.png?x`` -> ``/a/b c.png``."""
    from urllib.parse import urlsplit
    from urllib.request import url2pathname

    return Path(url2pathname(urlsplit(url).path))
