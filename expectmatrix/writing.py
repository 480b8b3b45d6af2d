"""Files written whole or not at all: one file (write_atomic), a set of files as one
unit (write_documents), and the folder they go to, held by one writer at a time. Every
stage that writes a file a person keeps uses this module."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from expectmatrix.errors import OutputError


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


def write_documents(folder: Path, documents: dict[str, bytes]) -> list[Path]:
    """Write the formats of one document as one unit: a PDF and a DOCX never disagree
    because one of them was replaced and the other was not.

    Every destination is checked before anything is written (a folder in the place of
    a file is refused by name); each document goes to a temporary file, all are flushed
    to disk, and only then are they moved into place. An earlier file is copied aside
    first, so that a move failing midway (a full disk, say) can put back the ones already
    replaced: a failure leaves nothing new and the earlier files as they were."""
    finals = [folder / name for name in documents]
    for final in finals:
        _check_destination(final)
    temps: list[tuple[str, Path]] = []
    backups: dict[Path, str | None] = {}  # None: there was no earlier file
    replaced: list[Path] = []
    try:
        for final, data in zip(finals, documents.values(), strict=True):
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{final.name}.", suffix=".tmp")
            temps.append((tmp, final))
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, 0o644)
        for final in finals:
            backups[final] = _copy_aside(final)
        for tmp, final in temps:
            os.replace(tmp, final)
            replaced.append(final)
        _fsync_dir(folder)
    except BaseException as e:
        for final in reversed(replaced):
            _put_back(final, backups[final])
        for leftover in [tmp for tmp, _ in temps] + [b for b in backups.values() if b]:
            with contextlib.suppress(OSError):
                os.unlink(leftover)
        if isinstance(e, OSError):
            raise OutputError(f"cannot write into {folder}: {e.strerror or e}; nothing was "
                              "written, earlier files are as they were") from None
        raise
    for backup in backups.values():
        if backup:
            with contextlib.suppress(OSError):
                os.unlink(backup)
    return finals


def _check_destination(final: Path) -> None:
    """Only a regular file (or nothing) may be where a document goes."""
    try:
        info = os.lstat(final)
    except FileNotFoundError:
        return
    except OSError as e:
        raise OutputError(f"cannot write {final}: {e.strerror or e}; nothing was written") from None
    if stat.S_ISREG(info.st_mode):
        return
    what = ("a folder" if stat.S_ISDIR(info.st_mode) else
            "a symbolic link" if stat.S_ISLNK(info.st_mode) else "something that is not a file")
    raise OutputError(f"cannot write {final}: {what} is in the way; move or rename it. "
                      "Nothing was written, earlier files are as they were")


def _copy_aside(final: Path) -> str | None:
    """A copy of the earlier file (bytes, mode and times) next to it, or None."""
    if not os.path.lexists(final):
        return None
    fd, backup = tempfile.mkstemp(dir=final.parent, prefix=f".{final.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as dst, open(final, "rb") as src:
            shutil.copyfileobj(src, dst)
        shutil.copystat(final, backup)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(backup)
        raise
    return backup


def _put_back(final: Path, backup: str | None) -> None:
    with contextlib.suppress(OSError):
        if backup is None:
            os.unlink(final)  # it is new: there was nothing before
        else:
            os.replace(backup, final)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# What write_documents and write_atomic_stream leave if the process is killed mid-write.
_STALE = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.tmp$|^\.expectmatrix-probe-")


def remove_stale(folder: Path) -> list[str]:
    """Remove temporary files a killed run left behind. Call with the folder locked."""
    removed = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            if _STALE.match(entry.name) and entry.is_file(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                    removed.append(entry.name)
    return removed


@contextmanager
def folder_lock(folder: Path, wait: float = 0.0) -> Iterator[None]:
    """Hold the output folder for one writer: a second batch into a folder in use is
    refused, a render waits briefly. The lock is on the folder itself, so no lock file
    is left behind, and the system releases it however the process ends."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no advisory locks to take
        yield
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError as e:
        raise OutputError(f"cannot use the output folder {folder}: {e.strerror or e}") from None
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise OutputError(f"the output folder {folder} is in use by another "
                                      "expectmatrix batch or render; wait for it to finish "
                                      "or choose another folder") from None
                time.sleep(0.1)
        yield
    finally:
        os.close(fd)


def write_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` all or nothing: see :func:`write_atomic_stream`."""
    return write_atomic_stream(path, lambda f: f.write(data))


def write_atomic_stream(path: str | Path, write: Callable[[IO[bytes]], object]) -> Path:
    """Let ``write`` fill a temporary file in the same folder, fsync, then rename it over
    ``path``. A failure at any point leaves no partial file and keeps an existing good one.
    """
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as e:
        raise OutputError(f"cannot write {path}: {e.strerror or e}") from None
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
