"""``diff`` as one call: two versions of a spec (or documents expectmatrix made) in, the
changes out in the format asked for, as bytes, with the comparison they came from."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from expectmatrix.errors import RenderError
from expectmatrix.review.compare import Diff, compare, format_text, read_for_compare
from expectmatrix.spec.terms import REDLINE_FORMATS

if TYPE_CHECKING:
    from expectmatrix.checks import LibrarySource
    from expectmatrix.render.pipeline import RenderOptions


@dataclass(frozen=True)
class DiffResult:
    diff: Diff  # what changed: `diff --exit-code` asks it
    data: bytes  # the change list or redline, ready to print or write


def diff_document(old: str | Path, new: str | Path, fmt: str, options: RenderOptions,
                  library: LibrarySource = None, *, author: str | None = None,
                  color: bool = False) -> DiffResult:
    """``new`` against ``old`` as ``fmt``: the change list as text (``color`` for a
    terminal), md or html; the whole agreement as pdf, deleted words struck and inserted
    ones underlined; or as docx, with Word tracked changes by ``author``. The templates,
    letterhead, edition and time limit are those of ``options``; whatever runs a
    template runs in a worker that is stopped when the time is up."""
    if fmt not in REDLINE_FORMATS:
        raise RenderError(f"unknown redline format {fmt!r}; choose from "
                          f"{', '.join(REDLINE_FORMATS)}")
    old, new = Path(old), Path(new)
    old_spec, new_spec = read_for_compare(old, library), read_for_compare(new, library)
    diff = compare(old_spec, new_spec, old.name, new.name)
    if fmt in ("text", "md"):
        style: Literal["text", "md"] = "md" if fmt == "md" else "text"
        return DiffResult(diff, format_text(diff, style, color).encode("utf-8"))

    from expectmatrix.render.workers import nothing, run_one
    from expectmatrix.review import redline as rl

    timeout = options.timeout
    if fmt == "html":
        from expectmatrix.render.view import document_time

        data = run_one(nothing, (), rl.redline, diff, fmt, document_time(new_spec),
                       tuple(options.template_dirs), timeout=timeout)
        return DiffResult(diff, bytes(data))
    frames = (rl.frame_for(old_spec, library), rl.frame_for(new_spec, library))
    if fmt == "docx":
        data = run_one(nothing, (), rl.agreement_redline, old_spec, new_spec, frames, options,
                       rl.default_author(author), rl.redline_time(), timeout=timeout)
    else:  # the spec's logo and font are beside it; a document carries its own
        folder = str(new.parent) if new.suffix.lower() not in (".pdf", ".docx") else None
        data = run_one(nothing, (), rl.agreement_redline_pdf, old_spec, new_spec, frames,
                       options, folder, timeout=timeout)
    return DiffResult(diff, bytes(data))
