"""The checking stage as one pipeline: resolve the clauses, decide the frame, run every
phase in order, locate each finding in the file, and apply --strict once, at the end.
``validate``, ``render``, ``batch`` and ``verify`` all come through :func:`check_loaded`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from expectmatrix.checks.approvals import check_approvals
from expectmatrix.checks.assets import check_branding, check_scripts
from expectmatrix.checks.completeness import check_parties
from expectmatrix.checks.context import NO_RULES, ApprovalRules, CheckContext, LibrarySource
from expectmatrix.checks.dates import check_dates
from expectmatrix.checks.language import check_language, check_written_language
from expectmatrix.checks.library import frame_clauses, frame_defaults, library_if_needed
from expectmatrix.checks.rules import check
from expectmatrix.library.clauses import resolve
from expectmatrix.library.frame import resolve_frame
from expectmatrix.spec.findings import Finding, errors, in_file_order, make_strict
from expectmatrix.spec.loading import Loaded
from expectmatrix.spec.models import Spec
from expectmatrix.spec.salvage import caused, salvage
from expectmatrix.spec.shape import located


def _rules(spec: Spec, context: CheckContext) -> list[Finding]:
    return check(spec)


def _assets(spec: Spec, context: CheckContext) -> list[Finding]:
    return check_branding(spec, context.folder) if spec.branding is not None else []


def _scripts(spec: Spec, context: CheckContext) -> list[Finding]:
    return check_scripts(spec)


def _parties(spec: Spec, context: CheckContext) -> list[Finding]:
    return check_parties(spec)


# The phases after the clauses are resolved, in order. Each returns findings located by
# field path; check_loaded adds file, line and column, and applies --strict once, at the end.
PHASES: tuple[tuple[str, Callable[[Spec, CheckContext], list[Finding]]], ...] = (
    ("rules", _rules), ("assets", _assets), ("scripts", _scripts), ("language", check_language),
    ("approvals", check_approvals), ("dates", check_dates), ("parties", _parties),
    ("translated", check_written_language))


def check_loaded(loaded: Loaded, strict: bool = False, library: LibrarySource = None,
                 template_dirs: Sequence[Path] | Callable[[], Sequence[Path]] = (),
                 approvals: ApprovalRules = NO_RULES) -> Loaded:
    """Run the validation pipeline on a loaded spec: resolve clauses, then every phase.
    ``validate``, ``render``, ``batch`` and ``verify`` all come through here, so they
    report the same findings.

    The returned Loaded holds the resolved spec (texts filled from the library), or None
    when there are errors.
    """
    findings = list(loaded.findings)
    spec, nonstandard, frame = loaded.spec, loaded.nonstandard, loaded.frame
    located: list[Finding] = []
    # A spec the model refused still goes through the checks below, as far as what it
    # refused can be set aside: one run reports every problem, not one round per run.
    set_aside: list[tuple[str | int, ...]] = []
    if spec is None and loaded.tree is not None and errors(findings):
        spec, set_aside = salvage(loaded.tree)
    written = spec
    if spec is not None:
        chosen = library_if_needed(spec, library)
        resolved = resolve(spec, chosen)
        nonstandard = resolved.nonstandard
        located += [f for f in resolved.findings if not caused(f, set_aside, spec.balance)]
        # Clauses that could not be used leave their expectations unfilled: the checks
        # run on the rest, and say nothing the unfilled ones would cause.
        broken = set_aside + [f.path for f in resolved.findings if f.severity == "error"]
        checked = resolved.partial or spec
        frame, found = resolve_frame(checked, frame_clauses(chosen, library),
                                     frame_defaults(chosen, library))
        later = list(found)
        dirs = template_dirs if callable(template_dirs) else (lambda: template_dirs)
        context = CheckContext(loaded.folder or Path.cwd(), dirs, approvals, written)
        for _, phase in PHASES:
            later += phase(checked, context)
        paths = _paths(checked) if nonstandard else {}
        later += [Finding("nonstandard", f"{eid} is non-standard: {why}", "info",
                          paths.get(eid, ("expectations",))) for eid, why in nonstandard.items()]
        located += [f for f in later if not caused(f, broken, spec.balance)]
        spec = None if set_aside else resolved.spec
    for f in located:
        line, col = loaded.positions.locate(f.path)
        findings.append(replace(f, file=loaded.file, line=line, column=col))
    if strict:
        findings = make_strict(findings)
    if errors(findings):
        spec = None
    return replace(loaded, spec=spec, findings=in_file_order(findings), nonstandard=nonstandard,
                   frame=frame)


def _paths(spec: Spec) -> dict[str, tuple[str | int, ...]]:
    """Each expectation id's path, the first of an id written twice (looked up once per
    spec: a library-based spec has dozens of non-standard rows)."""
    paths: dict[str, tuple[str | int, ...]] = {}
    for _side, at, e in located(spec):
        paths.setdefault(e.id, at)
    return paths
