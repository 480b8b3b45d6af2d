"""expectmatrix: a deal spec in, a balanced expectations matrix out (PDF and DOCX).

The public API is the names below. Importing this package stays cheap: WeasyPrint and
python-docx are loaded only when a document is rendered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from expectmatrix.version import __version__

__all__ = [
    "BatchResult",
    "DocumentError",
    "ExpectmatrixError",
    "Finding",
    "InputError",
    "Loaded",
    "OutputError",
    "RenderError",
    "RenderOptions",
    "Report",
    "Spec",
    "SpecError",
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
    "Finding": "expectmatrix.spec.findings", "SpecError": "expectmatrix.spec.findings",
    "RenderError": "expectmatrix.spec.findings", "OutputError": "expectmatrix.spec.findings",
    "ExpectmatrixError": "expectmatrix.spec.findings", "InputError": "expectmatrix.spec.inputs",
    "load": "expectmatrix.spec.loading", "Loaded": "expectmatrix.spec.loading",
    "Spec": "expectmatrix.spec.models", "fingerprint": "expectmatrix.spec.canonical",
    "check": "expectmatrix.checks", "check_loaded": "expectmatrix.checks",
    "render_file": "expectmatrix.render.pipeline", "render_spec": "expectmatrix.render.pipeline",
    "RenderOptions": "expectmatrix.render.pipeline", "WorkerFailed": "expectmatrix.render.workers",
    "verify": "expectmatrix.review.verify", "Report": "expectmatrix.review.verify",
    "DocumentError": "expectmatrix.review.documents",
    "run_batch": "expectmatrix.batch.runner", "BatchResult": "expectmatrix.batch.runner",
}

if TYPE_CHECKING:  # what type checkers and editors see; at run time, __getattr__ below
    from expectmatrix.batch.runner import BatchResult, run_batch
    from expectmatrix.checks import check, check_loaded
    from expectmatrix.render.pipeline import RenderOptions, render_file, render_spec
    from expectmatrix.render.workers import WorkerFailed
    from expectmatrix.review.documents import DocumentError
    from expectmatrix.review.verify import Report, verify
    from expectmatrix.spec.canonical import fingerprint
    from expectmatrix.spec.findings import (
        ExpectmatrixError,
        Finding,
        OutputError,
        RenderError,
        SpecError,
    )
    from expectmatrix.spec.inputs import InputError
    from expectmatrix.spec.loading import Loaded, load
    from expectmatrix.spec.models import Spec


def __getattr__(name: str) -> object:
    if name in _PUBLIC:
        import importlib

        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'expectmatrix' has no attribute {name!r}")
