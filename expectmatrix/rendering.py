"""Spec file -> documents on disk: load, check, view, render every format, write.

The renderers are built lazily and kept in a :class:`Renderers` object, so one process
(the CLI, or a batch worker) sets up Jinja, fonts and WeasyPrint once.
"""

from __future__ import annotations

import hashlib
import signal
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .assets import AssetError, Look, look_for
from .checks import LibrarySource, check_loaded
from .findings import Finding, RenderError, errors
from .i18n import available, label_file, labels_for
from .loading import Loaded, load
from .output import ensure_dir, output_name, write_atomic
from .settings import Settings
from .spec import Spec
from .view import View, build_view

FORMATS = ("pdf", "docx", "html")
DEFAULT_FORMATS = ("pdf", "docx")


@dataclass
class Renderers:
    """One renderer per format, built on first use and reused."""

    template_dirs: Sequence[str | Path] = ()
    pdf_variant: str | None = None
    settings: Settings = field(default_factory=Settings)  # organisation branding defaults
    docx_base: str | Path | None = None  # a letterhead .docx to write the matrix into
    _built: dict[str, Any] = field(default_factory=dict)
    _labels: dict[str, tuple[dict[str, Any], bool]] = field(default_factory=dict)

    def labels(self, language: str) -> tuple[dict[str, Any], bool]:
        """The language's labels, and whether the template folders have any for it (looked
        up once per language: a batch worker renders many specs in the same few)."""
        if language not in self._labels:
            dirs = tuple(Path(d) for d in self.template_dirs)
            self._labels[language] = (labels_for(language, dirs),
                                      label_file(language, dirs) is not None)
        return self._labels[language]

    def view(self, spec: Spec, spec_file: str | Path | None, nonstandard: Mapping[str, str],
             mark_nonstandard: bool | None) -> View:
        labels, _ = self.labels(spec.deal.language)
        return build_view(spec, nonstandard, mark_nonstandard, self.look(spec, spec_file), labels)

    def look(self, spec: Spec, spec_file: str | Path | None) -> Look:
        """The spec's branding over the organisation's; files relative to the spec."""
        base = Path(spec_file).parent if spec_file else Path.cwd()
        settings = self.settings
        try:
            return look_for(spec.branding, base, settings.branding,
                            settings.source.parent if settings.source else None)
        except AssetError as e:
            raise RenderError(str(e)) from None

    def get(self, fmt: str) -> Any:
        if fmt not in self._built:
            if fmt == "pdf":
                from .pdf_writer import PdfRenderer

                self._built[fmt] = PdfRenderer(self.template_dirs)
            elif fmt == "docx":
                from .docx_writer import DocxRenderer

                self._built[fmt] = DocxRenderer(self.docx_base or self.settings.docx_base)
            elif fmt == "html":
                from .html_writer import HtmlRenderer

                self._built[fmt] = HtmlRenderer(self.template_dirs)
            else:
                raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
        return self._built[fmt]

    def notices(self, formats: Sequence[str]) -> list[Finding]:
        """What the writers of these formats did that the user should know of (macro
        parts left out of a letterhead, say)."""
        return [Finding("notice", text, "warning") for fmt in dict.fromkeys(formats)
                for text in getattr(self.get(fmt), "notices", ())]

    def render(self, view: View, fmt: str) -> bytes:
        renderer = self.get(fmt)
        if fmt == "html":
            return renderer.render(view, standalone=True).encode("utf-8")
        if fmt == "pdf":
            return renderer.render(view, self.pdf_variant)
        return renderer.render(view)


def render_spec(spec: Spec, formats: Sequence[str] = DEFAULT_FORMATS,
                renderers: Renderers | None = None, nonstandard: Mapping[str, str] | None = None,
                mark_nonstandard: bool | None = None,
                source: str | Path | None = None) -> dict[str, bytes]:
    """A valid, resolved spec -> {format: document bytes}. Writes nothing."""
    renderers = renderers or Renderers()
    view = renderers.view(spec, source, nonstandard or {}, mark_nonstandard)
    return {fmt: renderers.render(view, fmt) for fmt in dict.fromkeys(formats)}


@dataclass(frozen=True)
class OutputFile:
    path: Path
    size: int
    sha256: str

    def to_dict(self) -> dict[str, object]:
        return {"file": self.path.name, "bytes": self.size, "sha256": self.sha256}


@dataclass
class RenderResult:
    source: str
    findings: list[Finding]
    files: list[OutputFile] = field(default_factory=list)
    deal_id: str | None = None
    fingerprint: str | None = None

    @property
    def ok(self) -> bool:
        return not errors(self.findings)

    @property
    def outputs(self) -> list[Path]:
        return [f.path for f in self.files]


def render_loaded(loaded: Loaded, outdir: str | Path, formats: Sequence[str] = DEFAULT_FORMATS,
                  renderers: Renderers | None = None,
                  mark_nonstandard: bool | None = None) -> RenderResult:
    """Render an already checked spec; nothing is written unless every format rendered."""
    if errors(loaded.findings) or loaded.spec is None:
        return RenderResult(loaded.file, loaded.findings)
    spec = loaded.spec
    renderers = renderers or Renderers()
    view = renderers.view(spec, loaded.file, loaded.nonstandard, mark_nonstandard)
    findings = list(loaded.findings) + _language_findings(loaded, renderers)
    documents = {fmt: renderers.render(view, fmt) for fmt in dict.fromkeys(formats)}
    findings += renderers.notices(formats)
    folder = ensure_dir(outdir)
    files = [OutputFile(write_atomic(folder / output_name(spec.deal.id, spec.deal.version, fmt), data),
                        len(data), hashlib.sha256(data).hexdigest())
             for fmt, data in documents.items()]
    return RenderResult(loaded.file, findings, files, spec.deal.id, view.fingerprint)


def _language_findings(loaded: Loaded, renderers: Renderers) -> list[Finding]:
    """A language with no labels in the template folders is rendered in English: say so."""
    assert loaded.spec is not None
    language = loaded.spec.deal.language
    if renderers.labels(language)[1]:
        return []
    line, column = loaded.positions.locate(("deal", "language"))
    dirs = tuple(Path(d) for d in renderers.template_dirs)
    return [Finding("language", f"no labels for language {language!r} (there are: "
                    f"{', '.join(available(dirs))}); the documents use English. Add "
                    f"labels/{language}.yaml to a template folder to translate them",
                    "warning", ("deal", "language"), loaded.file, line, column)]


def render_file(path: str | Path, outdir: str | Path, formats: Sequence[str] = DEFAULT_FORMATS,
                strict: bool = False, renderers: Renderers | None = None,
                library: LibrarySource = None,
                mark_nonstandard: bool | None = None) -> RenderResult:
    """Load, check and render one spec file into ``outdir``."""
    loaded = check_loaded(load(path), strict=strict, library=library)
    return render_loaded(loaded, outdir, formats, renderers, mark_nonstandard)


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Stop one document that takes too long (a template that loops, a huge table).

    Documents are rendered on the main thread (batch workers too), so an alarm can
    interrupt Jinja and WeasyPrint between any two Python steps; the atomic writes leave
    nothing behind.
    """
    if not seconds:
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise RenderError(f"rendering took longer than {seconds:g} s and was stopped")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
