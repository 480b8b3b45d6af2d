"""Reading files that people give us: specs, CSV exports, base specs, logos, fonts,
letterheads, templates, labels, clause files and documents to verify.

Every read goes through here and is bounded before it happens: only regular files
(``open()`` on a FIFO waits forever, ``/dev/zero`` never ends), a size checked with
``fstat`` before reading and enforced while reading (a file may grow meanwhile), and zip
packages checked member by member before anything is inflated.
"""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING

from expectmatrix.errors import InputError, os_problem, shown_path

if TYPE_CHECKING:
    import zipfile


MB = 1_000_000




def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


# A file is written beside itself under a temporary name this much longer
# (".NAME.XXXXXXXX.tmp"), then renamed; a folder must leave room for the files in it.
TEMPORARY_EXTRA = 14
FOLDER_ROOM = 100


def output_name_problem(path: Path, folder: bool = False) -> str | None:
    """Why ``path`` cannot be written as given (a name or a path longer than the file
    system takes), in words; None when it can be tried."""
    probe = os.path.abspath(path)
    while not os.path.exists(probe) and os.path.dirname(probe) != probe:
        probe = os.path.dirname(probe)
    try:
        name_max, path_max = os.pathconf(probe, "PC_NAME_MAX"), os.pathconf(probe, "PC_PATH_MAX")
    except (OSError, ValueError):
        name_max, path_max = 255, 4096
    parts = path.parts
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        limit = name_max - (TEMPORARY_EXTRA if last and not folder else 0)
        size = len(os.fsencode(part))
        if size > limit:
            shown = part if len(part) <= 40 else part[:30] + "…"
            return (f"the name {shown!r} is too long for the file system ({size} bytes; at "
                    f"most {limit} here): choose a shorter one")
    room = FOLDER_ROOM if folder else TEMPORARY_EXTRA
    size = len(os.fsencode(os.path.abspath(path)))
    if size + room >= path_max:
        return (f"the path is too long for the file system ({size} bytes; at most "
                f"{path_max - room - 1} here): choose a folder nearer the top")
    return None


def _size(n: int) -> str:
    return f"{n / MB:,.1f} MB" if n >= MB else f"{n:,} bytes"


class _Bounded(io.RawIOBase):
    """A file that refuses to yield more than ``limit`` bytes."""

    def __init__(self, fd: int, limit: int, name: str, what: str) -> None:
        self.fd, self.limit, self.name_, self.what, self.seen = fd, limit, name, what, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        n = os.readv(self.fd, [buffer])
        self.seen += n
        if self.seen > self.limit:
            raise InputError(f"{self.name_}: the {self.what} is larger than "
                             f"{_size(self.limit)}")
        return n

    def close(self) -> None:
        if not self.closed:
            os.close(self.fd)
        super().close()


def open_bounded(path: str | Path, limit: int, what: str = "file") -> IO[bytes]:
    """Open a regular file for reading at most ``limit`` bytes; InputError otherwise."""
    name = str(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(name, flags)  # O_NONBLOCK: opening a FIFO must not wait for a writer
    except OSError as e:
        raise InputError(f"{shown_path(name)}: cannot read the {what}: {os_problem(e)}"
                         ) from None
    try:
        check_regular(fd, name, limit, what)
    except BaseException:
        os.close(fd)
        raise
    return io.BufferedReader(_Bounded(fd, limit, name, what))


def check_regular(fd: int, name: str, limit: int, what: str = "file") -> os.stat_result:
    """The open file ``fd`` is a regular file of at most ``limit`` bytes (InputError
    otherwise), set to blocking reads; its stat."""
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        raise InputError(f"{name}: the {what} is {_kind(info.st_mode)}; give a file")
    if info.st_size > limit:
        raise InputError(f"{name}: the {what} is {_size(info.st_size)}; at most "
                         f"{_size(limit)}")
    if hasattr(os, "O_NONBLOCK"):
        os.set_blocking(fd, True)
    return info


def read_bytes(path: str | Path, limit: int, what: str = "file") -> bytes:
    try:
        with open_bounded(path, limit, what) as f:
            return f.read()
    except OSError as e:
        raise InputError(f"{shown_path(path)}: cannot read the {what}: {os_problem(e)}"
                         ) from None


# What a file that is not text is, by its first bytes (or, in a zip package, its parts):
# a person who gave a document where a spec belongs is told what they gave.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "a PDF document"), (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Word or Excel file"),
    (b"\x89PNG", "a PNG picture"), (b"\xff\xd8\xff", "a JPEG picture"), (b"GIF8", "a GIF picture"),
    (b"\x1f\x8b", "a gzip archive"), (b"{\\rtf", "an RTF document"),
    (b"\xff\xfe", "UTF-16 text"), (b"\xfe\xff", "UTF-16 text"))
_ZIPPED: tuple[tuple[bytes, str], ...] = (
    (b"word/", "a Word document (DOCX)"), (b"xl/", "an Excel workbook (XLSX)"),
    (b"ppt/", "a PowerPoint file (PPTX)"), (b"opendocument", "an OpenDocument file"))


def file_kind(data: bytes) -> str | None:
    """``a PDF document``, ``a Word document (DOCX)``... for data that is no text file,
    by its signature; None when it does not look like any of those."""
    if data.startswith(b"PK\x03\x04"):
        head = data[:200_000]
        return next((kind for mark, kind in _ZIPPED if mark in head), "a zip archive")
    return next((kind for mark, kind in _MAGIC if data.startswith(mark)), None)


def not_text(data: bytes, what: str, fallback: str, written: str = "UTF-8 text") -> str:
    """Why ``data`` cannot be read as a text ``what`` (a spec, a CSV export): what it is,
    when its first bytes tell, and what to give instead (the ``what``, ``written`` so)."""
    kind = file_kind(data)
    if kind is None:
        return fallback
    if kind == "UTF-16 text":
        return f"the {what} is saved as UTF-16 text; save it as UTF-8"
    return f"this is {kind}, not a {what}; give the {what} ({written})" + (
        "; `expectmatrix extract` writes out the spec a PDF or DOCX made by expectmatrix "
        "carries" if what == "spec" and kind in ("a PDF document", "a Word document (DOCX)")
        else "")


def read_text(path: str | Path, limit: int, what: str = "file") -> str:
    data = read_bytes(path, limit, what)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: " + not_text(
            data, what, f"the {what} is not UTF-8 text (byte {e.start + 1})")) from None


# --- zip packages (DOCX) -------------------------------------------------------------------

MAX_ZIP_MEMBERS = 2_000
MAX_MEMBER_BYTES = 50 * MB
MAX_UNPACKED_BYTES = 200 * MB
MAX_RATIO = 200  # zip deflate reaches about 1000:1 only on contrived data
# Parts that run code in Word: never carried from a letterhead into a document we write.
MACRO_PARTS = ("vbaproject.bin", "vbadata.xml", "activex")


def check_zip(data: bytes, name: str, what: str = "Word file") -> zipfile.ZipFile:
    """A zip package whose every member was checked (count, declared sizes, ratio) before
    any is inflated. Members still inflate through :func:`read_member`, which holds the
    declared size (a lying header cannot make a member larger)."""
    import zipfile  # only here: reading a spec needs none of it

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as e:
        raise InputError(f"{name}: not a usable {what} (corrupt or truncated?): {e}") from None
    if len(members) > MAX_ZIP_MEMBERS:
        raise InputError(f"{name}: the {what} has {len(members):,} parts; at most "
                         f"{MAX_ZIP_MEMBERS:,}")
    total = 0
    for m in members:
        if m.file_size > MAX_MEMBER_BYTES:
            raise InputError(f"{name}: the part {m.filename} of the {what} unpacks to "
                             f"{_size(m.file_size)}; at most {_size(MAX_MEMBER_BYTES)} a part")
        if m.file_size > 1 * MB and m.file_size > MAX_RATIO * max(m.compress_size, 1):
            raise InputError(f"{name}: the part {m.filename} of the {what} would expand "
                             f"{m.file_size // max(m.compress_size, 1):,} times (a zip bomb?)")
        total += m.file_size
    if total > MAX_UNPACKED_BYTES:
        raise InputError(f"{name}: the {what} unpacks to {_size(total)}; at most "
                         f"{_size(MAX_UNPACKED_BYTES)}")
    return archive


def read_member(archive: zipfile.ZipFile, member: str, name: str) -> bytes:
    """One member, inflated no further than its declared (and checked) size."""
    import zipfile

    info = archive.getinfo(member)
    try:
        with archive.open(info) as f:
            data = f.read(info.file_size + 1)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as e:
        raise InputError(f"{name}: the part {member} cannot be read: {e}") from None
    if len(data) > info.file_size:
        raise InputError(f"{name}: the part {member} is larger than its header says")
    return data


def macro_parts(names: Iterable[str]) -> list[str]:
    return [n for n in names if any(m in n.lower() for m in MACRO_PARTS)]


# --- folders -------------------------------------------------------------------------------


def walk_folder(folder: str | Path, wanted: Callable[[str], bool],
                follow_symlinks: bool = False,
                refused: Callable[[Path, OSError], None] | None = None,
                ) -> Iterator[tuple[Path, Path | None]]:
    """The files under ``folder`` whose name is ``wanted``, in name order, as (path, None).

    A symbolic link, to a file or a folder, that leads out of ``folder`` would let a
    folder someone hands over read ``/etc/passwd`` or ``/proc/self/environ``: unless
    ``follow_symlinks``, it is not read but yielded as (link, where it leads). A link to a
    folder inside ``folder`` is not entered (its files are found where they are). A
    folder that cannot be read (a path longer than the system takes, say) goes to
    ``refused``, if given."""
    root = Path(folder).resolve()
    entered: set[tuple[int, int]] = set()  # folders walked, against links that loop

    def walk(current: Path) -> Iterator[tuple[Path, Path | None]]:
        try:
            info = current.stat()
            if (info.st_dev, info.st_ino) in entered:
                return
            entered.add((info.st_dev, info.st_ino))
            with os.scandir(current) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as e:
            if refused is not None:
                refused(current, e)
            return
        for entry in entries:
            path = Path(entry.path)
            chosen = wanted(entry.name)
            is_dir = _safe(entry.is_dir)
            if entry.is_symlink():
                target = path.resolve()
                if not target.is_relative_to(root):
                    if not follow_symlinks:
                        if is_dir or chosen:
                            yield path, target
                        continue
                elif is_dir:
                    continue
            if is_dir:
                yield from walk(path)
            elif chosen and _safe(entry.is_file):
                yield path, None

    yield from walk(Path(folder))  # paths as they were given, as rglob gave them


def _safe(test: Callable[[], bool]) -> bool:
    try:
        return test()
    except OSError:
        return False
