"""Builders the tests share: a spec file, a template folder, a tiny PNG, the command in its
own process, and a pickle that runs code when loaded."""

from __future__ import annotations

import copy
import json
import re
import struct
import subprocess
import sys
import zlib
from pathlib import Path

from conftest import BASE, SAMPLES

CLI = [sys.executable, "-m", "expectmatrix"]


def spec_file(folder: Path, name: str = "deal.json", **deal: object) -> Path:
    data = copy.deepcopy(BASE)
    data["deal"].update(deal)
    data["readiness"] = [{"question": "Admin time?", "answer": "yes"}]
    path = folder / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def template(folder: Path, body: str, block: str = "header") -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "matrix.html").write_text('{% extends "builtin/matrix.html" %}'
                                        f"{{% block {block} %}}{body}{{% endblock %}}")
    return folder


def cli(*args: object, timeout: float = 120, **kwargs: object) -> subprocess.CompletedProcess[str]:
    """The command in its own process; it never prints a traceback."""
    result = subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True,
                            timeout=timeout, **kwargs)  # type: ignore[call-overload]
    assert "Traceback" not in result.stderr, result.stderr
    return result


class RunsCode:
    """A pickle that, when loaded, creates a marker file (as `id` would run)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, ...]:
        return (Path.touch, (self.marker,))


def png() -> bytes:
    """A valid one-pixel PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    raw = b"\x00\xff\x00\x00"
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def in_language(sample: str, language: str, folder: Path) -> Path:
    """A copy of a sample spec whose deal is in ``language``, in ``folder``."""
    text = (SAMPLES / f"{sample}.yaml").read_text(encoding="utf-8")
    text = re.sub(r"^  language: \w+\n", "", text, flags=re.M)
    text = re.sub(r"^(deal:\n  id: [^\n]+\n)", rf"\1  language: {language}\n", text, count=1,
                  flags=re.M)
    path = folder / f"{sample}-{language}.yaml"
    path.write_text(text, encoding="utf-8")
    return path
