"""expectmatrix: a deal spec in, a balanced expectations matrix out (PDF and DOCX).

The public API is the names below. Importing this package stays cheap: WeasyPrint and
python-docx are loaded only when a document is rendered.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = [
    "ExpectmatrixError",
    "Finding",
    "Loaded",
    "RenderError",
    "RenderOptions",
    "Spec",
    "SpecError",
    "__version__",
    "check",
    "check_loaded",
    "fingerprint",
    "load",
    "render_file",
    "render_spec",
]


def __getattr__(name: str) -> object:
    # Lazy: `import expectmatrix` must not pay for pydantic models or the renderers.
    if name in ("Finding", "SpecError", "RenderError", "ExpectmatrixError"):
        from expectmatrix.spec import findings

        return getattr(findings, name)
    if name in ("load", "Loaded"):
        from expectmatrix.spec import loading

        return getattr(loading, name)
    if name in ("check", "check_loaded"):
        from expectmatrix import checks

        return getattr(checks, name)
    if name == "Spec":
        from expectmatrix.spec.models import Spec

        return Spec
    if name == "fingerprint":
        from expectmatrix.spec.canonical import fingerprint

        return fingerprint
    if name in ("render_file", "render_spec", "RenderOptions"):
        from expectmatrix.render import pipeline as rendering

        return getattr(rendering, name)
    raise AttributeError(f"module 'expectmatrix' has no attribute {name!r}")
