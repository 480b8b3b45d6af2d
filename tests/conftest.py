"""Shared fixtures: a valid spec to start from, and documents rendered once per session."""

from __future__ import annotations

import atexit
import contextlib
import copy
import functools
import hashlib
import importlib.util
import io
import json
import os
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from expectmatrix.cli import cli

try:
    import fcntl
except ImportError:  # not on Windows: each test process keeps its own documents
    fcntl = None  # type: ignore[assignment]

ROOT = Path(__file__).resolve().parent.parent

# Nothing a test runs may reach the network: every Python process the tests start loads
# the guard in tests/netguard (through PYTHONPATH), this one too; what it refused is
# written to one log, which must be empty when the session ends.
NETGUARD = Path(__file__).resolve().parent / "netguard"
_netlog_fd, NETLOG = tempfile.mkstemp(prefix="expectmatrix-netlog-")
os.close(_netlog_fd)
os.environ["EXPECTMATRIX_TEST_NETLOG"] = NETLOG
atexit.register(Path(NETLOG).unlink, missing_ok=True)  # read by the session's last fixture
# The commands the tests start in processes of their own compile this checkout's modules
# once and reuse the bytecode, as an installed copy does, whatever the shell says.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(NETGUARD), *filter(None, [os.environ.get("PYTHONPATH")])])
_guard_spec = importlib.util.spec_from_file_location("expectmatrix_netguard",
                                                     NETGUARD / "sitecustomize.py")
assert _guard_spec is not None and _guard_spec.loader is not None
_guard = importlib.util.module_from_spec(_guard_spec)
_guard_spec.loader.exec_module(_guard)


@pytest.fixture(scope="session", autouse=True)
def nothing_reaches_the_network():
    yield
    attempts = Path(NETLOG).read_text(encoding="utf-8")
    Path(NETLOG).unlink(missing_ok=True)
    assert attempts == "", f"tests reached for the network:\n{attempts}"


@pytest.fixture(scope="session", autouse=True)
def workers_outlive_the_test_that_started_them():
    """A render worker kept for reuse serves callers with the environment it was started
    in, and pytest writes the running test's name into the environment: without this,
    every test's first render or verify started a worker of its own (a third of a second
    of processor time each). Any other change to the environment still needs a new one."""
    from expectmatrix.render import workers

    def environment() -> int:
        return hash(tuple(sorted((k, v) for k, v in os.environ.items()
                                 if k != "PYTEST_CURRENT_TEST")))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(workers, "_environment", environment)
        yield


SAMPLES = ROOT / "samples"

BASE: dict[str, Any] = {
    "deal": {"id": "T-1", "title": "Test deal", "segment": "medium", "effective": "2026-12-01"},
    "parties": {
        "vendor": {"name": "Vendor Co", "registration": "Company no. 01234567",
                   "signatory": {"name": "Val Vendor", "title": "CEO"}},
        "customer": {"name": "Customer Co", "registration": "Company no. 07654321",
                     "signatory": {"name": "Cas Customer", "title": "COO"}},
    },
    "expectations": {
        "of_vendor": [
            {"id": "V1", "area": "Setup", "text": "Vendor sets things up.", "measure": "Done"},
            {"id": "V2", "area": "Support", "text": "Vendor answers tickets.", "measure": "SLA"},
        ],
        "of_customer": [
            {"id": "C1", "area": "Setup", "text": "Customer names a lead.", "measure": "Named",
             "owner": "Lead"},
            {"id": "C2", "area": "Support", "text": "Customer reports issues.", "measure": "Tickets",
             "owner": "Admin"},
        ],
    },
}


@pytest.fixture
def spec_data() -> dict[str, Any]:
    return copy.deepcopy(BASE)


@pytest.fixture
def write_spec(tmp_path: Path):
    """Write a dict (as JSON) or text to a spec file and return its path."""

    def write(content: dict[str, Any] | str | bytes, name: str | None = None) -> Path:
        if isinstance(content, dict):
            path = tmp_path / (name or "spec.json")
            path.write_text(json.dumps(content), encoding="utf-8")
        else:
            path = tmp_path / (name or "spec.yaml")
            data = content if isinstance(content, bytes) else content.encode("utf-8")
            path.write_bytes(data)
        return path

    return write


@pytest.fixture(scope="module")
def browser() -> Any:
    """One Chromium per browser test file (a launch costs more than a page); each test
    opens its page in a fresh context of it (liveserver.browser_page)."""
    from liveserver import chromium

    with chromium() as launched:
        yield launched


@pytest.fixture
def run():
    def invoke(*args: str) -> Any:
        return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)

    return invoke


def pdf_text(data: bytes) -> tuple[str, Any]:
    """The text of every page, and the reader (pypdf's text extraction is slow, and many
    tests read the same rendered documents: each is read once per test process)."""
    return _pdf_text(hashlib.sha256(data).digest(), data)


@functools.lru_cache(maxsize=64)
def _pdf_text(digest: bytes, data: bytes) -> tuple[str, Any]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages), reader


def docx_text(data: bytes) -> tuple[str, Any]:
    """Body paragraphs, table cells, headers and footers, as Word would show them."""
    import docx

    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]

    def walk_tables(tables: Any) -> None:
        for table in tables:
            for row in table.rows:
                for cell in row.cells:
                    parts.extend(p.text for p in cell.paragraphs)
                    walk_tables(cell.tables)

    walk_tables(document.tables)
    for section in document.sections:
        for part in (section.header, section.footer):
            parts.extend(p.text for p in part.paragraphs)
    return "\n".join(parts), document


class RenderCache:
    """Documents of a spec file, each rendered once per test run and shared by every test
    process of the run: the same spec in the same edition gives the same bytes, so tests
    that only read a document need not pay for making it again. Tests of rendering itself
    (same bytes twice, a reused renderer, the command's own output) render on their own.

    Files are keyed by the spec's bytes (and its folder, when it names files of its own
    through branding; and SOURCE_DATE_EPOCH), edition and format; a lock per key makes one
    process render while the others wait for its files. Rendered with the default options
    (no settings file, template folder or letterhead)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._memory: dict[tuple[str, str, str], bytes] = {}
        self._renderers: Any = None

    @staticmethod
    def _key(source: Path) -> str:
        data = source.read_bytes()
        digest = hashlib.sha256(data)
        if b"branding" in data:  # a logo or font named relative to the spec's folder
            digest.update(str(source.resolve().parent).encode())
        # the one setting of the environment that changes documents (their dates)
        digest.update(os.environ.get("SOURCE_DATE_EPOCH", "").encode())
        return digest.hexdigest()[:40]

    def _stored(self, key: str, audience: str, fmt: str) -> Path:
        return self.folder / f"{key}-{audience}.{fmt}"

    def documents(self, source: Path, formats: tuple[str, ...] = ("pdf", "docx"),
                  audience: str = "counterparty") -> dict[str, bytes]:
        """{format: bytes} of ``source``'s documents in ``audience``'s edition."""
        key = self._key(source)
        wanted = [fmt for fmt in formats if (key, audience, fmt) not in self._memory]
        if wanted:
            with _file_lock(self.folder / f"{key}.lock"):
                missing = [f for f in wanted if not self._stored(key, audience, f).exists()]
                if missing:
                    self._render(source, key, tuple(missing), audience)
            for fmt in wanted:
                self._memory[key, audience, fmt] = self._stored(key, audience, fmt).read_bytes()
        return {fmt: self._memory[key, audience, fmt] for fmt in formats}

    def files(self, source: Path, out: Path, formats: tuple[str, ...] = ("pdf", "docx"),
              audience: str = "counterparty") -> dict[str, Path]:
        """Fresh copies of the documents in ``out``, named as ``render`` names them: the
        test may change or sign them."""
        docs = self.documents(source, formats, audience)
        stem = self.about(source, audience)["stem"]
        out.mkdir(parents=True, exist_ok=True)
        made = {}
        for fmt, data in docs.items():
            made[fmt] = out / f"{stem}.{fmt}"
            made[fmt].write_bytes(data)
        return made

    def about(self, source: Path, audience: str = "counterparty") -> dict[str, str]:
        """{"stem": the documents' file name without suffix, "fingerprint": the one they
        print}, once one of them was rendered."""
        about = self.folder / f"{self._key(source)}-{audience}.json"
        if not about.exists():
            self.documents(source, ("pdf",), audience)
        return json.loads(about.read_text(encoding="utf-8"))  # type: ignore[no-any-return]

    def _render(self, source: Path, key: str, formats: tuple[str, ...], audience: str) -> None:
        from expectmatrix.render.pipeline import Renderers, RenderOptions, render_file

        if self._renderers is None:
            self._renderers = Renderers()
        scratch = Path(tempfile.mkdtemp(dir=self.folder))
        result = render_file(source, scratch, RenderOptions(formats, audience=audience),  # type: ignore[arg-type]
                             renderers=self._renderers)
        assert result.ok, result.findings
        for made in result.outputs:
            os.replace(made, self._stored(key, audience, made.suffix[1:]))
        about = scratch / "about.json"
        about.write_text(json.dumps({"stem": result.outputs[0].stem,
                                     "fingerprint": result.fingerprint}), encoding="utf-8")
        os.replace(about, self.folder / f"{key}-{audience}.json")
        scratch.rmdir()


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Held by one process of the test run at a time (released if it dies)."""
    with path.open("a+b") as handle:
        if fcntl is not None:
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(handle, fcntl.LOCK_UN)


def run_folder(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """A folder every test process of this run shares (each process of pytest-xdist has a
    base folder of its own, under the run's); without xdist, or without file locks, this
    process's own."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER") and fcntl is not None:
        folder = base.parent / name
        folder.mkdir(exist_ok=True)
        return folder
    return tmp_path_factory.mktemp(name, numbered=False)


@pytest.fixture(scope="session")
def render_cache(tmp_path_factory: pytest.TempPathFactory) -> RenderCache:
    return RenderCache(run_folder(tmp_path_factory, "render-cache"))


class _Samples(Mapping[str, Mapping[str, bytes]]):
    """{sample stem: {format: bytes}}, each document rendered when first read."""

    def __init__(self, cache: RenderCache) -> None:
        self.cache = cache
        self.names = sorted(p.stem for p in SAMPLES.glob("*.yaml"))

    def __getitem__(self, name: str) -> Mapping[str, bytes]:
        if name not in self.names:
            raise KeyError(name)
        return _Formats(self.cache, SAMPLES / f"{name}.yaml")

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)


class _Formats(Mapping[str, bytes]):
    def __init__(self, cache: RenderCache, source: Path) -> None:
        self.cache, self.source = cache, source

    def __getitem__(self, fmt: str) -> bytes:
        if fmt not in FORMATS:
            raise KeyError(fmt)
        return self.cache.documents(self.source, (fmt,))[fmt]

    def __iter__(self) -> Iterator[str]:
        return iter(FORMATS)

    def __len__(self) -> int:
        return len(FORMATS)


FORMATS = ("pdf", "docx", "html")


@pytest.fixture(scope="session")
def rendered(render_cache: RenderCache) -> Mapping[str, Mapping[str, bytes]]:
    """Every sample's counterparty edition, in every format: {sample stem: {fmt: bytes}}."""
    return _Samples(render_cache)


# Samples in other languages that several files read as LibreOffice prints their DOCX:
# (sample, language, edition).
PRINTED_SAMPLES = (("large-hospital", "de", "internal"), ("medium-logistics", "de", "internal"),
                   ("small-bakery", "ar", "counterparty"),
                   ("medium-logistics", "ar", "counterparty"),
                   ("medium-logistics", "en", "counterparty"))


@pytest.fixture(scope="session")
def printed_samples(tmp_path_factory: pytest.TempPathFactory,
                    render_cache: RenderCache) -> dict[tuple[str, str, str], bytes]:
    """LibreOffice's PDF of the DOCX of each of PRINTED_SAMPLES (the spec made by
    builders.in_language), all made in one LibreOffice run for the test run: starting
    LibreOffice costs more than converting a document."""
    from builders import in_language

    folder = run_folder(tmp_path_factory, "printed-samples")
    names = {key: "-".join(key) for key in PRINTED_SAMPLES}
    with _file_lock(folder / "lock"):
        if not all((folder / f"{name}.pdf").exists() for name in names.values()):
            scratch = Path(tempfile.mkdtemp(dir=folder))
            for (sample, language, audience), name in names.items():
                spec = in_language(sample, language, scratch)
                docx = render_cache.documents(spec, ("docx",), audience)["docx"]
                (scratch / f"{name}.docx").write_bytes(docx)
            subprocess.run(["soffice", f"-env:UserInstallation={(scratch / 'lo').as_uri()}",
                            "--headless", "--convert-to", "pdf", "--outdir", str(scratch),
                            *(str(scratch / f"{name}.docx") for name in names.values())],
                           check=True, capture_output=True, timeout=600)
            for name in names.values():
                os.replace(scratch / f"{name}.pdf", folder / f"{name}.pdf")
    return {key: (folder / f"{name}.pdf").read_bytes() for key, name in names.items()}


# The files that take longest, mostly waiting on time limits, a dask cluster, LibreOffice
# or a browser. Test processes take files whole, in collection order: started last, one
# of these keeps a process busy while the others have nothing left to do.
LONG_FILES = ("test_serve_hostile.py", "test_templates.py", "test_dask_batch.py",
              "test_template_sandbox.py", "test_resaved.py", "test_time_limits.py",
              "test_absorb_property.py", "test_browser.py", "test_editions.py",
              "test_input_limits.py", "test_batch.py", "test_sign_checks.py",
              "test_review.py", "test_absorb_resaved.py")
assert all((Path(__file__).parent / name).exists() for name in LONG_FILES), "renamed?"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(LONG_FILES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(LONG_FILES)))  # stable


# On CI (.ci/run installs LibreOffice, Chromium, poppler and fontconfig), a test that
# skips because a tool is missing has not run: the run fails rather than pass without it.
_SKIPPED: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and os.environ.get("CI") == "true":
        _SKIPPED.append(f"{report.nodeid}: {report.longrepr}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _SKIPPED and not hasattr(session.config, "workerinput"):  # the controlling process
        print("\non CI no test may skip; these did:\n" + "\n".join(_SKIPPED))
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
