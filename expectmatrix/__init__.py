"""expectmatrix: a deal spec in, a balanced expectations matrix out (PDF and DOCX).

The public API is the names below. Importing this package stays cheap: WeasyPrint and
python-docx are loaded only when a document is rendered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

# The errors are cheap to import and every caller may catch them: here at once.
from expectmatrix.errors import (
    AssetError,
    ClockError,
    DocumentError,
    EditRefused,
    ExpectmatrixError,
    InputError,
    InvalidFile,
    JournalError,
    LabelsError,
    LibraryError,
    OutputError,
    PathRefused,
    RatesError,
    RefusedError,
    RenderError,
    SettingsError,
    SigningError,
    SpecError,
    UsageError,
    WorkerFailed,
)
from expectmatrix.version import __version__

__all__ = [
    "AssetError",
    "BatchResult",
    "ClockError",
    "DocumentError",
    "EditRefused",
    "ExpectmatrixError",
    "Finding",
    "InputError",
    "InvalidFile",
    "JournalError",
    "LabelsError",
    "LibraryError",
    "Loaded",
    "OutputError",
    "PathRefused",
    "RatesError",
    "RefusedError",
    "RenderError",
    "RenderOptions",
    "Report",
    "SettingsError",
    "SigningError",
    "Spec",
    "SpecError",
    "UsageError",
    "WorkerFailed",
    "__version__",
    "check",
    "check_loaded",
    "fingerprint",
    "load",
    "render_file",
    "render_spec",
    "run_batch",
    "verify",
]

# Where each public name lives; imported on first use, so `import expectmatrix` stays
# cheap (no pydantic models, no renderers).
_PUBLIC = {
    "Finding": "expectmatrix.spec.findings",
    "load": "expectmatrix.spec.loading", "Loaded": "expectmatrix.spec.loading",
    "Spec": "expectmatrix.spec.models", "fingerprint": "expectmatrix.spec.canonical",
    "check": "expectmatrix.checks", "check_loaded": "expectmatrix.checks",
    "render_file": "expectmatrix.render.pipeline", "render_spec": "expectmatrix.render.pipeline",
    "RenderOptions": "expectmatrix.render.pipeline",
    "verify": "expectmatrix.review.verify", "Report": "expectmatrix.review.verify",
    "run_batch": "expectmatrix.batch.runner", "BatchResult": "expectmatrix.batch.runner",
}

if TYPE_CHECKING:  # what type checkers and editors see; at run time, __getattr__ below
    from expectmatrix.batch.runner import BatchResult, run_batch
    from expectmatrix.checks import check, check_loaded
    from expectmatrix.render.pipeline import RenderOptions, render_file, render_spec
    from expectmatrix.review.verify import Report, verify
    from expectmatrix.spec.canonical import fingerprint
    from expectmatrix.spec.findings import Finding
    from expectmatrix.spec.loading import Loaded, load
    from expectmatrix.spec.models import Spec


def __getattr__(name: str) -> object:
    if name in _PUBLIC:
        import importlib

        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'expectmatrix' has no attribute {name!r}")
