"""Which clause library a spec is checked against, read only when the spec needs it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from expectmatrix.checks.context import LibrarySource
from expectmatrix.library.contents import Library
from expectmatrix.spec.models import FrameChoice, Spec
from expectmatrix.spec.shape import located

if TYPE_CHECKING:
    from expectmatrix.library.frame_models import FrameClause


def frame_clauses(chosen: Library, library: LibrarySource) -> dict[str, FrameClause]:
    """The frame clauses of the library in use: a company's library may word the frame
    its own way; without one, the built-in frame is read alone (it is small)."""
    if chosen.frame:
        return chosen.frame
    if callable(library) and not getattr(library, "builtin_only", False):
        loaded = library()
        if loaded.frame:
            return loaded.frame
    from expectmatrix.library.files import builtin_frame

    return builtin_frame()


def frame_defaults(chosen: Library, library: LibrarySource) -> dict[str, FrameChoice]:
    """The organisation's frame choices (expectmatrix.toml [frame.PART]): carried by the
    library its settings describe, or told by the loader that has not read it yet."""
    if chosen.frame_defaults:
        return dict(chosen.frame_defaults)
    told = getattr(library, "frame_defaults", None)
    if told is None and callable(library):  # a loader that cannot tell: ask its library
        told = library().frame_defaults
    return dict(told or {})


def library_if_needed(spec: Spec, library: LibrarySource) -> Library:
    """Reading the library costs more than validating a spec: only specs that name a
    clause need it (one without clauses is non-standard line by line, library or not)."""
    if isinstance(library, Library):
        return library
    if not any(e.clause for _, _, e in located(spec)):
        return Library()
    if library is not None:
        return library()
    from expectmatrix.library.files import builtin

    return builtin()
