"""What the phases after loading need to know besides the spec: the organisation's
approval rules, where the spec's files and the templates are, the spec as written."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from expectmatrix.library.contents import Library
from expectmatrix.spec.models import Spec

LibrarySource = Library | Callable[[], Library] | None


@dataclass(frozen=True)
class ApprovalRules:
    """An organisation's rule for approved specs (expectmatrix.toml [approvals]): an
    approval from each of these sides, and from each of these roles."""

    sides: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()


NO_RULES = ApprovalRules()


@dataclass(frozen=True)
class CheckContext:
    """What the phases after loading need to know besides the spec."""

    folder: Path  # where the spec's logo and font are
    # where labels for the document's language may be; asked only for a language the
    # built-in labels lack (reading the settings costs more than validating a spec)
    template_dirs: Callable[[], Sequence[Path]] = tuple
    approvals: ApprovalRules = NO_RULES
    written: Spec | None = None  # the spec as written, before the library filled it in
