"""Evidence uploaded from the Track view: a file name checked before anything is written,
and the file stored inside the served folder (evidence/DEAL-ID/NAME), where the journal
names it relative to the spec as `record --evidence` does. A stored file is never
replaced: the journal keeps its SHA-256, which must stay true."""

from __future__ import annotations

import hashlib
import os
import unicodedata
from pathlib import Path

from expectmatrix.errors import EditRefused
from expectmatrix.spec.terms import JOURNAL_SUFFIX, SPEC_SUFFIXES

EVIDENCE_FOLDER = "evidence"
MAX_NAME = 100
# Names Windows keeps for devices, with any extension: a file so named cannot be opened
# there, or opens the device.
_DEVICES = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)),
            *(f"lpt{i}" for i in range(10))}
_FORBIDDEN = set('/\\:*?"<>|')


def evidence_name(raw: str) -> str:
    """The upload's file name as it will be stored, or EditRefused saying what is wrong
    with it. Refused, never rewritten: a name that tries to leave its folder is no
    mistake to correct quietly."""
    name = unicodedata.normalize("NFC", raw)
    if not name.strip():
        raise EditRefused("the evidence file needs a name")
    if len(name) > MAX_NAME:
        raise EditRefused(f"the evidence file's name is longer than {MAX_NAME} characters: "
                          "rename the file")
    if any(c in _FORBIDDEN for c in name):
        raise EditRefused(f"{name!r} is not a plain file name: evidence is stored in the "
                          "deal's evidence folder, under its own name only")
    if any(unicodedata.category(c).startswith("C") for c in name):
        raise EditRefused("the evidence file's name holds control or invisible characters: "
                          "rename the file")
    if name.startswith((".", "-", " ")) or name.endswith((".", " ")):
        raise EditRefused(f"{name!r} cannot be stored: a name may not start with a dot, a "
                          "dash or a space, nor end with a dot or a space")
    if name.split(".", 1)[0].strip().casefold() in _DEVICES:
        raise EditRefused(f"{name!r} is a name reserved for devices: rename the file")
    if name.casefold().endswith((*SPEC_SUFFIXES, JOURNAL_SUFFIX)):
        # A folder's specs are found by suffix, below it too: evidence must not become one.
        raise EditRefused(f"{name!r} has the suffix of a spec: attach it as PDF, image or "
                          "another document, or rename it")
    return name


def store_evidence(folder: Path, deal_id: str, name: str, data: bytes) -> tuple[Path, bool]:
    """Store ``data`` as evidence/DEAL-ID/NAME inside ``folder`` (checked names only) and
    return its path and whether this call created it. The same bytes under the same name
    are the file already there; other bytes get the next free name (NAME-2.pdf, ...)."""
    home = folder.resolve()
    where = home / EVIDENCE_FOLDER / deal_id
    where.mkdir(parents=True, exist_ok=True)
    if not where.resolve().is_relative_to(home) or any(
            p.is_symlink() for p in (home / EVIDENCE_FOLDER, where)):
        raise EditRefused(f"{EVIDENCE_FOLDER}/{deal_id} is a link: evidence is stored only "
                          "inside the served folder")
    stem, dot, suffix = name.rpartition(".") if "." in name else (name, "", "")
    digest = hashlib.sha256(data).hexdigest()
    for n in range(1, 100):
        candidate = where / (name if n == 1 else f"{stem}-{n}{dot}{suffix}")
        if candidate.is_symlink():
            continue
        if candidate.exists():
            if (candidate.is_file() and candidate.stat().st_size == len(data)
                    and _sha256(candidate) == digest):
                return candidate, False
            continue
        try:
            fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:  # taken since it was looked at
            continue
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        except BaseException:
            candidate.unlink(missing_ok=True)
            raise
        return candidate, True
    raise EditRefused(f"{EVIDENCE_FOLDER}/{deal_id} holds too many files named like "
                      f"{name!r}: rename the file")


def remove_evidence(folder: Path, path: Path) -> None:
    """Take back a file store_evidence created, and the folders it left empty."""
    path.unlink(missing_ok=True)
    home = folder.resolve()
    for parent in path.parents:
        if parent.resolve() == home or not parent.resolve().is_relative_to(home):
            break
        try:
            parent.rmdir()  # only while empty
        except OSError:
            break


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
