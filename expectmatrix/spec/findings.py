"""Findings (located problems) and the few exceptions the library raises.

Everything that can go wrong with a user's input becomes a :class:`Finding`; the CLI is
the one place that turns findings and exceptions into text, JSON and exit codes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

from expectmatrix.spec.shape import FieldPath
from expectmatrix.spec.shape import format_path as format_path  # where findings are printed

# info: worth knowing, never a failure (not even under --strict), e.g. a non-standard clause
Severity = Literal["error", "warning", "info"]

Path = FieldPath


@dataclass(frozen=True, slots=True)  # slots: a batch holds thousands of them
class Finding:
    """One problem with a spec, located as precisely as the input allows."""

    code: str
    message: str
    severity: Severity = "error"
    path: Path = ()
    file: str | None = None
    line: int | None = None
    column: int | None = None

    @property
    def field(self) -> str:
        return format_path(self.path)

    @property
    def location(self) -> str:
        """``deal.yaml:14:7`` (as much of it as is known)."""
        parts = [self.file or "<spec>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def __str__(self) -> str:
        # file:line:col field: message, or file:line: field: message without a column
        if self.file is None and self.line is None and not self.path:
            # about the run, not a spec; an error is prefixed where it is printed
            return self.message if self.severity == "error" else f"{self.severity}: {self.message}"
        head = self.location + (":" if self.column is None else "")
        field = f" {self.field}:" if self.path else ""
        tag = "" if self.severity == "error" else f" {self.severity}:"
        return f"{head}{field}{tag} {self.message}"

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["path"] = self.field
        return data

    def strict(self) -> Finding:
        """The same finding, raised to an error (``--strict``)."""
        return replace(self, severity="error")


def errors(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "error"]


def in_file_order(findings: Iterable[Finding]) -> list[Finding]:
    """Findings in a stable order: by file, then where they are in it (those about the
    file as a whole first), then by code; the same spec always lists the same way."""
    return sorted(findings, key=lambda f: (f.file or "", f.line or 0, f.column or 0, f.code,
                                           format_path(f.path), f.message))


def make_strict(findings: Sequence[Finding]) -> list[Finding]:
    return [f.strict() if f.severity == "warning" else f for f in findings]












def findings_json(source: str, findings: Sequence[Finding]) -> dict[str, Any]:
    """One file's findings as `validate --json` (and the web app's API) give them."""
    return {"file": source, "ok": not errors(findings),
            "findings": [f.to_dict() for f in findings]}
