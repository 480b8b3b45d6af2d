"""Where the built-in templates and fonts are: inside the wheel, or beside the package in
a source checkout (the top-level templates/ folder, which the wheel build copies in)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@cache
def builtin_templates() -> Path:
    for candidate in (_PACKAGE / "_templates", _PACKAGE.parent / "templates"):
        if (candidate / "matrix.html").is_file():
            return candidate
    raise FileNotFoundError("the built-in templates are missing from this installation; "
                            "reinstall expectmatrix")


@cache
def builtin_library() -> Path:
    for candidate in (_PACKAGE / "_library", _PACKAGE.parent / "library"):
        if (candidate / "clauses.yaml").is_file():
            return candidate
    raise FileNotFoundError("the built-in clause library is missing from this installation; "
                            "reinstall expectmatrix")


def fonts_dir() -> Path:
    return builtin_templates() / "fonts"
