"""Shared fixtures: a valid spec to start from, and documents rendered once per session."""

from __future__ import annotations

import atexit
import copy
import functools
import hashlib
import importlib.util
import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from expectmatrix.cli import cli

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


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, bytes]]:
    """Every sample rendered once, in every format: {sample stem: {fmt: bytes}}."""
    from expectmatrix.render.pipeline import Renderers, RenderOptions, render_file

    out = tmp_path_factory.mktemp("rendered")
    renderers = Renderers()
    docs: dict[str, dict[str, bytes]] = {}
    for sample in sorted(SAMPLES.glob("*.yaml")):
        result = render_file(sample, out, RenderOptions(("pdf", "docx", "html")),
                             renderers=renderers)
        assert result.ok, result.findings
        docs[sample.stem] = {p.suffix[1:]: p.read_bytes() for p in result.outputs}
    return docs


# The files that take longest, mostly waiting on time limits, a dask cluster, LibreOffice
# or a browser. Test processes take files whole, in collection order: started last, one
# of these keeps a process busy while the others have nothing left to do.
LONG_FILES = ("test_serve_hostile.py", "test_templates.py", "test_dask_batch.py",
              "test_time_limits.py", "test_fingerprints.py", "test_sign_checks.py",
              "test_review.py", "test_standalone_page.py", "test_signing.py",
              "test_template_sandbox.py", "test_editions.py", "test_browser.py",
              "test_batch.py", "test_resaved.py")
assert all((Path(__file__).parent / name).exists() for name in LONG_FILES), "renamed?"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(LONG_FILES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(LONG_FILES)))  # stable
