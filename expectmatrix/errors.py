"""Every error expectmatrix raises on purpose, named by its cause, and the one place that
says what each means to a person and to a shell: the message printed and the exit code.

The library raises these; the command line turns them into ``error: <message>`` on
stderr and exits with :func:`exit_code`; the web app answers with their message. Anything
else that escapes is a bug, never a user's mistake.
"""

from __future__ import annotations

import errno
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from expectmatrix.spec.findings import Finding

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class ExpectmatrixError(Exception):
    """Base of every error the library raises on purpose."""

    exit_code = EXIT_FAILED


class UsageError(ExpectmatrixError):
    """An option or argument the command cannot use (a report suffix it does not write,
    a column map that does not exist)."""

    exit_code = EXIT_USAGE


class InputError(ExpectmatrixError):
    """A file we were given cannot be read safely: not a regular file, too large, or a
    package that would expand too far."""


class InvalidFile(ExpectmatrixError):
    """A file was read but holds problems; ``findings`` says which and where."""

    def __init__(self, findings: Sequence[Finding], fallback: str = "invalid file") -> None:
        self.findings = list(findings)
        first = [f for f in self.findings if f.severity == "error"][:1] or self.findings[:1]
        super().__init__(str(first[0]) if first else fallback)


class SpecError(InvalidFile):
    """A spec could not be used."""

    def __init__(self, findings: Sequence[Finding]) -> None:
        super().__init__(findings, "invalid spec")


class SettingsError(InvalidFile):
    """The organisation's settings (expectmatrix.toml, a column map) cannot be used."""


class LibraryError(InvalidFile):
    """A clause library, frame or playbook file cannot be used."""


class RatesError(InvalidFile):
    """An exchange-rates file for the portfolio report cannot be used."""


class JournalError(InvalidFile):
    """A deal's tracking journal cannot be used."""


class LabelsError(ExpectmatrixError):
    """A labels file (a document's words in one language) cannot be used."""


class ClockError(ExpectmatrixError):
    """SOURCE_DATE_EPOCH is set to something that is not a time a document can carry."""


class AssetError(ExpectmatrixError, ValueError):
    """A logo or font file a spec names cannot be used."""


class RenderError(ExpectmatrixError):
    """A valid spec could not be turned into a document (a template, a time limit)."""


class WorkerFailed(ExpectmatrixError):
    """A job could not finish: it ran out of time or memory, or its worker died."""


class ClusterError(ExpectmatrixError):
    """A dask scheduler could not be used (not installed, not reachable, another
    version of expectmatrix on its workers)."""


class OutputError(ExpectmatrixError):
    """An output file or folder could not be written."""


class DocumentError(ExpectmatrixError):
    """The file is not a document expectmatrix can read back."""


class SigningError(ExpectmatrixError):
    """The PDF, the certificate or its passphrase cannot be used to sign."""


class RefusedError(SigningError):
    """The PDF may not be signed, or not with this certificate on this block."""


class EditRefused(ExpectmatrixError):
    """An edit that cannot apply to this text; the text is left as it was."""


class NoSuchField(EditRefused):
    """An edit's path names nothing the text holds."""


class PathRefused(ExpectmatrixError):
    """A path that leaves the served folder, or is not a spec file."""


class TimeUp(BaseException):
    """A document's time limit ran out. Not an Exception: libraries that catch every
    Exception (Jinja tries to fold each constant expression it compiles and gives up
    quietly on any error) must not swallow it; the limit turns it into a RenderError."""


def os_problem(e: OSError) -> str:
    """An operating system's refusal, in words: a name too long for the file system is
    the one people meet most with generated or pasted names."""
    if e.errno == errno.ENAMETOOLONG:
        return ("the name is longer than the file system allows; choose a shorter file or "
                "folder name, or a folder nearer the top")
    return str(e.strerror or e)


def shown_path(name: object) -> str:
    """A path as a message shows it: one of thousands of characters, cut in the middle."""
    text = str(name)
    return text if len(text) <= 240 else f"{text[:120]}…{text[-100:]}"


def message(error: BaseException) -> str:
    """What to tell a person about an error that reached the command line."""
    if isinstance(error, ExpectmatrixError):
        return str(error)
    if isinstance(error, OSError):  # a folder that cannot be written, a disk that is full
        where = f"{shown_path(error.filename)}: " if error.filename else ""
        if error.errno == errno.EPIPE:
            return "the output was closed before everything was written"
        return f"{where}{os_problem(error)}"
    if isinstance(error, MemoryError):
        return "out of memory: the input is too large for this machine"
    if isinstance(error, KeyboardInterrupt):
        return "interrupted"
    return f"unexpected {type(error).__name__}: {error}"


def exit_code(error: BaseException) -> int:
    """The exit status for an error that reached the command line."""
    if isinstance(error, ExpectmatrixError):
        return error.exit_code
    if isinstance(error, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    return EXIT_FAILED
