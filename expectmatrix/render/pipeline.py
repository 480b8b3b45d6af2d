"""Spec file -> documents on disk: load, check, view, render every format, write.

The renderers are built lazily and kept in a :class:`Renderers` object, so one process
(the CLI, or a batch worker) sets up Jinja, fonts and WeasyPrint once. With a time limit,
they are built in the worker that makes the document, within the document's time.
"""

from __future__ import annotations

import hashlib
import signal
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cache
from itertools import islice
from pathlib import Path
from typing import Any

from expectmatrix.checks import LibrarySource, check_loaded
from expectmatrix.errors import AssetError, RenderError, TimeUp
from expectmatrix.language.labels import labels_for
from expectmatrix.render.audience import Edition, edition_fingerprint
from expectmatrix.render.look import Look, look_for
from expectmatrix.render.output import output_name
from expectmatrix.render.view import View, build_view
from expectmatrix.settings import Settings
from expectmatrix.spec.findings import Finding, errors
from expectmatrix.spec.loading import Loaded, load
from expectmatrix.spec.models import FrameText, Spec
from expectmatrix.spec.terms import DEFAULT_FORMATS, FORMATS, Audience
from expectmatrix.writing import ensure_dir, folder_lock, write_documents


@dataclass
class Renderers:
    """One renderer per format, built on first use and reused."""

    template_dirs: Sequence[str | Path] = ()
    pdf_variant: str | None = None
    settings: Settings = field(default_factory=Settings)  # organisation branding defaults
    docx_base: str | Path | None = None  # a letterhead .docx to write the matrix into
    _built: dict[str, Any] = field(default_factory=dict)
    _labels: dict[str, dict[str, Any]] = field(default_factory=dict)

    def labels(self, language: str) -> dict[str, Any]:
        """The language's labels, looked up once per language (a batch worker renders many
        specs in the same few)."""
        if language not in self._labels:
            self._labels[language] = labels_for(language, tuple(map(Path, self.template_dirs)))
        return self._labels[language]

    def view(self, spec: Spec, folder: str | Path | None, nonstandard: Mapping[str, str],
             mark_nonstandard: bool | None, canonical: bytes | None = None,
             edition: Edition | None = None, frame: Sequence[FrameText] = ()) -> View:
        return build_view(spec, nonstandard, mark_nonstandard, self.look(spec, folder),
                          self.labels(spec.deal.language), canonical, edition, frame)

    def look(self, spec: Spec, folder: str | Path | None) -> Look:
        """The spec's branding over the organisation's; files relative to ``folder``."""
        base = Path(folder) if folder else Path.cwd()
        settings = self.settings
        try:
            return look_for(spec.branding, base, settings.branding,
                            settings.source.parent if settings.source else None)
        except AssetError as e:
            raise RenderError(str(e)) from None

    def get(self, fmt: str) -> Any:
        if fmt not in self._built:
            if fmt == "pdf":
                from expectmatrix.render.pdf import PdfRenderer

                self._built[fmt] = PdfRenderer(self.template_dirs, self.pdf_variant)
            elif fmt == "docx":
                from expectmatrix.render.docx import DocxRenderer

                self._built[fmt] = DocxRenderer(self.docx_base)
            elif fmt == "html":
                from expectmatrix.render.html import HtmlRenderer

                self._built[fmt] = HtmlRenderer(self.template_dirs)
            else:
                raise RenderError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
        return self._built[fmt]

    def render(self, view: View, fmt: str) -> bytes:
        return self.get(fmt).render(view)  # type: ignore[no-any-return]

    def notices(self, formats: Sequence[str]) -> list[Finding]:
        """What the writers of these formats did that the user should know of (macro
        parts left out of a letterhead, say)."""
        return [Finding("notice", text, "warning") for fmt in dict.fromkeys(formats)
                for text in getattr(self.get(fmt), "notices", ())]


def machine_notices(formats: Sequence[str]) -> list[Finding]:
    """What this machine lacks that the documents would show: said once per run."""
    if "pdf" in formats and not harfbuzz_subset_available():
        return [Finding("harfbuzz-subset", "this machine has no HarfBuzz subsetting library, "
                        "so WeasyPrint cuts fonts another way and the same spec no longer "
                        "gives byte-identical PDFs from machine to machine; install it (on "
                        "Debian or Ubuntu: apt-get install libharfbuzz-subset0)", "warning")]
    return []


@cache
def harfbuzz_subset_available() -> bool:
    """Whether WeasyPrint finds libharfbuzz-subset (asked without importing WeasyPrint)."""
    import ctypes
    import ctypes.util

    for name in ("libharfbuzz-subset.so.0", "libharfbuzz-subset.0.dylib"):
        try:
            ctypes.CDLL(name)
            return True
        except OSError:
            continue
    return ctypes.util.find_library("harfbuzz-subset") is not None


def render_spec(spec: Spec, formats: Sequence[str] = DEFAULT_FORMATS,
                renderers: Renderers | None = None, nonstandard: Mapping[str, str] | None = None,
                mark_nonstandard: bool | None = None, folder: str | Path | None = None,
                canonical: bytes | None = None, edition: Edition | None = None,
                frame: Sequence[FrameText] = ()) -> dict[str, bytes]:
    """A valid, resolved spec -> {format: document bytes}. Writes nothing. ``folder``:
    where the spec's logo and font are (default: the current folder); ``canonical``: the
    spec's canonical form, if the caller has it already; ``frame``: the agreement frame
    as checking decided it (none given: no frame is printed)."""
    renderers = renderers or Renderers()
    view = renderers.view(spec, folder, nonstandard or {}, mark_nonstandard, canonical,
                          edition, frame)
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
    fingerprint: str | None = None  # the one the documents print (their edition's)

    @property
    def ok(self) -> bool:
        return not errors(self.findings)

    @property
    def outputs(self) -> list[Path]:
        return [f.path for f in self.files]


@dataclass(frozen=True)
class RenderOptions:
    """How documents are made, from the command line (or a caller) down to the writers
    and the batch workers: one value instead of long parameter lists.

    ``template_dirs`` and ``docx_base`` are the ones in force: :meth:`from_settings` is
    the one place where a run's own choices meet the settings file's. Built directly, the
    options hold exactly what they are given (``settings`` then only brings branding,
    the internal fields and the approval rules)."""

    formats: tuple[str, ...] = DEFAULT_FORMATS
    template_dirs: tuple[Path, ...] = ()
    pdf_variant: str | None = None
    settings: Settings = field(default_factory=Settings)
    docx_base: Path | None = None
    mark_nonstandard: bool | None = None
    audience: Audience = "counterparty"
    # Seconds one document may take. Set, documents are made in a worker process that is
    # stopped when the time is up; None, in this process, without a limit.
    timeout: float | None = None

    @classmethod
    def from_settings(cls, settings: Settings, *, formats: Sequence[str] = DEFAULT_FORMATS,
                      template_dirs: Sequence[Path] = (), docx_base: Path | None = None,
                      pdf_variant: str | None = None, mark_nonstandard: bool | None = None,
                      audience: Audience = "counterparty", timeout: float | None = None
                      ) -> RenderOptions:
        """The settings give the defaults, a run's own options override them: template
        folders given here are searched before the settings file's (so their templates
        and labels win, and the file's still fill in the rest); a letterhead given here
        replaces the file's."""
        return cls(tuple(dict.fromkeys(formats or DEFAULT_FORMATS)),
                   (*template_dirs, *settings.template_dirs), pdf_variant, settings,
                   docx_base or settings.docx_base, mark_nonstandard, audience, timeout)

    def renderers(self) -> Renderers:
        return Renderers(self.template_dirs, self.pdf_variant, self.settings, self.docx_base)

    def edition(self) -> Edition:
        return Edition(self.audience, self.settings.internal_fields)


@dataclass(frozen=True)
class RenderJob:
    """One valid, resolved spec to render, as it travels to a worker process."""

    source: str
    canonical: bytes  # the canonical form: computed once per document, here
    nonstandard: dict[str, str]
    folder: str | None  # where the spec's logo and font are
    frame: tuple[FrameText, ...] = ()

    @classmethod
    def of(cls, loaded: Loaded) -> RenderJob:
        from expectmatrix.spec.canonical import canonical_json

        assert loaded.spec is not None
        canonical = canonical_json(loaded.spec)
        return cls(loaded.file, canonical, dict(loaded.nonstandard),
                   str(loaded.folder) if loaded.folder else None, loaded.frame)

    def spec(self) -> Spec:
        return Spec.model_validate_json(self.canonical)


# The one piece of state a worker keeps: its options and the renderers it built. One per
# thread: a dask worker runs jobs on threads, and no two of them share a renderer.
_worker = threading.local()

# What each format's writer imports: loaded when a worker starts, so that a document's
# time goes to its templates and layout, not to importing libraries.
_WRITER_MODULES = {"pdf": ("weasyprint", "expectmatrix.render.pdf"),
                   "docx": ("docx", "expectmatrix.render.docx"),
                   "html": ("expectmatrix.render.html", "expectmatrix.render.standalone")}


def init_worker(options: RenderOptions, hook: Callable[[], None] | None = None,
                files: tuple[tuple[str, int, int], ...] = ()) -> None:
    """Ready a worker process for its jobs: the writers' libraries imported, nothing of
    the user's templates or letterhead read yet. Compiling those can take as long as
    rendering (Jinja folds constant expressions while it compiles), so it happens in the
    first job, within that document's time limit, and is kept for the next ones.
    ``files``: what setup_files found, which tells set-ups apart; not read here."""
    from importlib import import_module

    for fmt in options.formats:
        for module in _WRITER_MODULES.get(fmt, ()):
            import_module(module)
    _worker.state = (options, options.renderers())
    if hook is not None:
        hook()


def setup_files(options: RenderOptions, most: int = 2000) -> tuple[tuple[str, int, int], ...]:
    """The files a worker's set-up reads (template folders, letterhead) with their times
    and sizes as they are now. A worker keeps what it compiled for its next job; set up
    with these, it is not reused once one of them changed (run_one compares set-ups)."""
    found: list[tuple[str, int, int]] = []
    paths = [*map(Path, options.template_dirs), *filter(None, [options.docx_base])]
    for path in map(Path, paths):
        for file in [path, *islice(path.rglob("*") if path.is_dir() else (), most)]:
            try:
                stat = file.stat()
            except OSError:
                continue
            found.append((str(file), stat.st_mtime_ns, stat.st_size))
    return tuple(found)


def worker_renderers() -> tuple[RenderOptions, Renderers]:
    state: tuple[RenderOptions, Renderers] | None = getattr(_worker, "state", None)
    assert state is not None, "init_worker was not called in this process"
    return state


def render_job(job: RenderJob) -> tuple[dict[str, bytes], list[Finding]]:
    """In a worker: the job's documents, made within the time limit (the parent kills
    the worker if even this does not stop it). The worker's first job also compiles the
    templates: that time counts too."""
    options, renderers = worker_renderers()
    with time_limit(options.timeout):
        documents = render_spec(job.spec(), options.formats, renderers, job.nonstandard,
                                options.mark_nonstandard, job.folder, job.canonical,
                                options.edition(), job.frame)
        notices = renderers.notices(options.formats)
    return documents, notices


def prepare_job(_: object = None) -> None:
    """In a worker: build the writers (compile the templates, read the letterhead) within
    the time limit, so that a broken or far too slow template is reported once."""
    options, renderers = worker_renderers()
    with time_limit(options.timeout, "preparing the templates"):
        renderers.notices(options.formats)


def check_setup(options: RenderOptions) -> None:
    """Raise an ExpectmatrixError if the templates or the letterhead of ``options`` cannot
    be used, or take longer than the time limit to compile: before any document, in a
    worker when there is a limit (never here: compiling a template is untrusted work)."""
    if options.timeout:
        from expectmatrix.render.workers import run_one

        run_one(init_worker, (options, None, setup_files(options)), prepare_job, None,
                timeout=options.timeout)
        return
    renderers = options.renderers()
    renderers.notices(options.formats)


def render_documents(loaded: Loaded, options: RenderOptions,
                     renderers: Renderers | None = None, job: RenderJob | None = None
                     ) -> tuple[dict[str, bytes], list[Finding]]:
    """A checked spec's documents as bytes (and the writers' notices); writes nothing.
    With a time limit, they are made in a worker process that is stopped when it is up:
    compiling the templates is part of that time, and happens in the worker only."""
    job = job or RenderJob.of(loaded)
    if options.timeout:
        from expectmatrix.render.workers import run_one

        return run_one(init_worker,  # type: ignore[no-any-return]
                       (options, None, setup_files(options)), render_job, job,
                       timeout=options.timeout)
    renderers = renderers or options.renderers()
    assert loaded.spec is not None
    documents = render_spec(loaded.spec, options.formats, renderers, loaded.nonstandard,
                            options.mark_nonstandard, job.folder, job.canonical,
                            options.edition(), job.frame)
    return documents, renderers.notices(options.formats)


def render_loaded(loaded: Loaded, outdir: str | Path, options: RenderOptions | None = None,
                  renderers: Renderers | None = None) -> RenderResult:
    """Render an already checked spec; nothing is written unless every format rendered,
    and then all formats are written as one unit."""
    if errors(loaded.findings) or loaded.spec is None:
        return RenderResult(loaded.file, loaded.findings)
    options = options or RenderOptions()
    spec = loaded.spec
    job = RenderJob.of(loaded)
    documents, notices = render_documents(loaded, options, renderers, job)
    findings = [*loaded.findings, *(replace(f, file=loaded.file) for f in notices),
                *machine_notices(options.formats)]
    folder = ensure_dir(outdir)
    suffix = options.edition().suffix
    names = {output_name(spec.deal.id, spec.deal.version, fmt, suffix): data
             for fmt, data in documents.items()}
    with folder_lock(folder, wait=30):
        paths = write_documents(folder, names)
    files = [OutputFile(path, len(data), hashlib.sha256(data).hexdigest())
             for path, data in zip(paths, names.values(), strict=True)]
    return RenderResult(loaded.file, findings, files, spec.deal.id,
                        edition_fingerprint(spec, options.edition()))


def render_file(path: str | Path, outdir: str | Path, options: RenderOptions | None = None,
                strict: bool = False, library: LibrarySource = None,
                renderers: Renderers | None = None) -> RenderResult:
    """Load, check and render one spec file into ``outdir``."""
    options = options or RenderOptions()
    loaded = check_loaded(load(path), strict=strict, library=library,
                          template_dirs=options.template_dirs,
                          approvals=options.settings.approval_rules)
    return render_loaded(loaded, outdir, options, renderers)


@contextmanager
def time_limit(seconds: float | None, what: str = "rendering") -> Iterator[None]:
    """Stop one document that takes too long (a template that loops or is slow to
    compile, a huge table).

    Documents are rendered on the main thread of a worker process, so an alarm can
    interrupt Jinja and WeasyPrint between any two Python steps; the atomic writes leave
    nothing behind. The alarm raises TimeUp, which no library's ``except Exception``
    swallows. It cannot cut one long C-level step short: the parent process kills a
    worker that overruns (workers.py). On another thread (a dask worker's), where no
    signal can be caught, a timer raises TimeUp in that thread instead, between the
    same Python steps.
    """
    if not seconds:
        yield
        return
    main = threading.current_thread() is threading.main_thread()
    try:
        with (_alarm if main else _thread_alarm)(seconds):
            yield
    except TimeUp:
        raise RenderError(f"{what} took longer than {seconds:g} s and was stopped") from None


@contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    def expire(signum: int, frame: object) -> None:
        raise TimeUp

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextmanager
def _thread_alarm(seconds: float) -> Iterator[None]:
    import ctypes

    ident, lock, armed = threading.get_ident(), threading.Lock(), [True]
    raise_in = ctypes.pythonapi.PyThreadState_SetAsyncExc

    def expire() -> None:
        with lock:
            if armed[0]:
                raise_in(ctypes.c_ulong(ident), ctypes.py_object(TimeUp))

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        with lock:
            armed[0] = False
            # a TimeUp raised just as the block ended, not delivered yet, is taken back
            raise_in(ctypes.c_ulong(ident), ctypes.c_void_p(None))
        timer.cancel()
