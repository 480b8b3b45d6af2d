"""The document's language: labels for it, and the spec's own text written in it."""

from __future__ import annotations

from pathlib import Path

from expectmatrix.checks.completeness import check_translated
from expectmatrix.checks.context import CheckContext
from expectmatrix.spec.findings import Finding
from expectmatrix.spec.models import Spec


def check_language(spec: Spec, context: CheckContext) -> list[Finding]:
    """A language with no labels in the template folders is rendered in English: say so,
    at validate as at render."""
    from expectmatrix.language.labels import available, label_file

    language = spec.deal.language
    if label_file(language) is not None:
        return []
    dirs = tuple(map(Path, context.template_dirs()))
    if label_file(language, dirs) is not None:
        return []
    return [Finding("language", f"no labels for language {language!r} (there are: "
                    f"{', '.join(available(dirs))}); the documents use "
                    f"English. Add labels/{language}.yaml to a template folder to translate "
                    "them", "warning", ("deal", "language"))]


def check_written_language(spec: Spec, context: CheckContext) -> list[Finding]:
    """Text the spec wrote (not the library) in the document's language."""
    return check_translated(context.written or spec, spec.deal.language)
