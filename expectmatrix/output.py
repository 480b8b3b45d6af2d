"""Output files: names derived from the deal, and writes that are all or nothing."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

from .findings import OutputError


def output_name(deal_id: str, version: int, fmt: str) -> str:
    # deal.id is already restricted by the model to [A-Za-z0-9._-] without a leading dot.
    return f"{deal_id}-v{version}.{fmt}"


def ensure_dir(outdir: str | Path) -> Path:
    path = Path(outdir)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"cannot create the output folder {path}: {e.strerror or e}") from None
    return path


def prepare_dir(outdir: str | Path) -> Path:
    """Create the output folder and prove it can be written, before any rendering."""
    path = ensure_dir(outdir)
    try:
        fd, probe = tempfile.mkstemp(dir=path, prefix=".expectmatrix-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise OutputError(f"cannot write to the output folder {path}: "
                          f"{e.strerror or e}") from None
    return path


def write_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` all or nothing: see :func:`write_atomic_stream`."""
    return write_atomic_stream(path, lambda f: f.write(data))


def write_atomic_stream(path: str | Path, write: Callable[[IO[bytes]], object]) -> Path:
    """Let ``write`` fill a temporary file in the same folder, fsync, then rename it over
    ``path``. A failure at any point leaves no partial file and keeps an existing good one.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(e, OSError):
            raise OutputError(f"cannot write {path}: {e.strerror or e}") from None
        raise
    return path
