"""Reading and appending to a file that several writers share (the command line and the
browser, two reps at once): reads under a shared lock, appends under an exclusive one, all
or nothing.

Only regular files, bounded in size, are read or written; an append never follows a
symbolic link, and re-opens the file when it was replaced while the append waited.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from expectmatrix.errors import InputError
from expectmatrix.spec.inputs import check_regular

LOCK_WAIT = 30.0  # seconds to wait for another writer to finish
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # opening a FIFO must not wait for a writer
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


@contextlib.contextmanager
def locked(fd: int, exclusive: bool, what: str, wait: float = LOCK_WAIT) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # not POSIX: no advisory locks to take
        yield
        return
    mode = (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, mode)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise InputError(f"the {what} is being written by another expectmatrix for "
                                 f"more than {wait:.0f} seconds; try again") from None
            time.sleep(0.02)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


def read_all(fd: int, limit: int, name: str, what: str) -> bytes:
    """The whole file behind ``fd``, from its start; InputError past ``limit`` bytes."""
    chunks: list[bytes] = []
    total = 0
    os.lseek(fd, 0, os.SEEK_SET)  # appends go to the end whatever the offset (O_APPEND)
    while True:
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > limit:  # it grew while we read
            raise InputError(f"{name}: the {what} is larger than {limit:,} bytes")
        chunks.append(chunk)


def read_shared(path: Path, limit: int, what: str) -> bytes | None:
    """The file's bytes, read under a shared lock; None when there is no such file."""
    try:
        fd = os.open(path, os.O_RDONLY | _NONBLOCK | _CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as e:
        raise InputError(f"{path}: cannot read the {what}: {e.strerror or e}") from None
    try:
        check_regular(fd, str(path), limit, what)
        with locked(fd, False, what):
            return read_all(fd, limit, str(path), what)
    finally:
        os.close(fd)


def append_exclusive(path: Path, limit: int, what: str,
                     make: Callable[[bytes], bytes]) -> None:
    """Append ``make(current bytes)`` to the file, creating it if need be, under an
    exclusive lock. ``make`` may raise to append nothing; a file this call created is then
    removed again."""
    for _ in range(10):  # the file was replaced while we waited for it: open it again
        fd, created = _open_for_append(path, limit, what)
        try:
            with locked(fd, True, what):
                if not _same_file(fd, path):
                    continue
                _append_locked(fd, path, created, limit, what, make)
                return
        finally:
            os.close(fd)
    raise InputError(f"{path}: the {what} keeps being replaced while it is written; try again")


def _open_for_append(path: Path, limit: int, what: str) -> tuple[int, bool]:
    flags = os.O_RDWR | os.O_APPEND | _NOFOLLOW | _NONBLOCK | _CLOEXEC
    for _ in range(10):
        try:
            fd, created = os.open(path, flags), False
        except FileNotFoundError:
            try:
                fd, created = os.open(path, flags | os.O_CREAT | os.O_EXCL, 0o644), True
            except FileExistsError:  # another writer created it meanwhile
                continue
            except OSError as e:
                raise _cannot_write(path, e, what) from None
        except OSError as e:
            raise _cannot_write(path, e, what) from None
        try:
            check_regular(fd, str(path), limit, what)
        except BaseException:
            os.close(fd)
            raise
        return fd, created
    raise InputError(f"{path}: cannot open the {what}")


def _cannot_write(path: Path, e: OSError, what: str) -> InputError:
    if path.is_symlink():
        return InputError(f"{path}: the {what} is a symbolic link; expectmatrix writes only to "
                          "the file itself")
    return InputError(f"{path}: cannot write the {what}: {e.strerror or e}")


def _same_file(fd: int, path: Path) -> bool:
    try:
        on_disk = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (on_disk.st_dev, on_disk.st_ino) == (mine.st_dev, mine.st_ino)


def _append_locked(fd: int, path: Path, created: bool, limit: int, what: str,
                   make: Callable[[bytes], bytes]) -> None:
    size = check_regular(fd, str(path), limit, what).st_size
    try:
        data = make(read_all(fd, limit, str(path), what))
        if size + len(data) > limit:
            raise InputError(f"{path}: the {what} would grow beyond {limit:,} bytes")
        _write_all(fd, data, size)
    except BaseException:
        if created and os.fstat(fd).st_size == 0:
            with contextlib.suppress(OSError):  # a writer waiting on it sees it replaced
                os.unlink(path)
        raise


def _write_all(fd: int, data: bytes, size: int) -> None:
    """Write all of ``data`` at the end, or nothing: a short or failed write is cut off."""
    try:
        done = 0
        while done < len(data):
            done += os.write(fd, data[done:])
        os.fsync(fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.ftruncate(fd, size)
        raise
