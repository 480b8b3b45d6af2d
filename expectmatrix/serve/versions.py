"""Versions of a deal in the folder: a new version is a new file (the old one stays as it
was, for git, `diff` and legal), and the previous version is the file of the same deal
id with the version number one lower."""

from __future__ import annotations

import re
from pathlib import Path

from expectmatrix.spec.roundtrip import set_at
from expectmatrix.spec.terms import is_spec_name

_VERSIONED = re.compile(r"^(?P<stem>.+?)-v\d+$")


def new_version_name(name: str, version: int) -> str:
    """``deal.yaml`` or ``deal-v2.yaml`` -> ``deal-v3.yaml`` for version 3."""
    path = Path(name)
    m = _VERSIONED.match(path.stem)
    stem = m.group("stem") if m else path.stem
    return f"{stem}-v{version}{path.suffix}"


def bump(text: str, fmt: str, version: int) -> str:
    """The spec's text as the next version: only deal.version changes."""
    return set_at(text, ("deal", "version"), version, fmt)


def spec_files(folder: Path) -> list[Path]:
    """The folder's spec files, as the app lists them: no hidden files, no journals, no
    symlinks."""
    return [p for p in sorted(folder.iterdir())
            if is_spec_name(p.name) and not p.is_symlink() and p.is_file()]


def previous_version(folder: Path, deal_id: str, version: int,
                     max_bytes: int = 2_000_000) -> Path | None:
    """The file of ``deal_id`` at ``version - 1``, if the folder has it."""
    from expectmatrix.errors import ExpectmatrixError, InputError
    from expectmatrix.spec.inputs import read_bytes
    from expectmatrix.spec.loading import load_bytes

    if version <= 1:
        return None
    for path in spec_files(folder):
        try:
            loaded = load_bytes(read_bytes(path, max_bytes, "spec"), path.name)
        except (InputError, ExpectmatrixError):
            continue
        spec = loaded.spec
        if spec is not None and spec.deal.id == deal_id and spec.deal.version == version - 1:
            return path
    return None
