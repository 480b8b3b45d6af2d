"""The Arabic words the project ships are written without the optional vowel marks
(harakat U+064B-U+0652, and the dagger alif U+0670): LibreOffice's PDF export of a DOCX
separates them from their letters. The words read the same without them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT

MARKS = re.compile("[\u064b-\u0652\u0670]")
ARABIC = re.compile("[\u0600-\u06ff]")
FILES = [ROOT / "templates" / "labels" / "ar.yaml",
         ROOT / "library" / "translations" / "ar.yaml",
         ROOT / "library" / "frame.yaml"]


def _strings(value: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key, f"{where}.{key}(key)") if isinstance(key, str) else ()
            yield from _strings(item, f"{where}.{key}")
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from _strings(item, f"{where}[{n}]")


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_arabic_text_carries_optional_vowel_marks(path: Path) -> None:
    strings = list(_strings(yaml.safe_load(path.read_text(encoding="utf-8")), path.name))
    arabic = [(where, text) for where, text in strings if ARABIC.search(text)]
    if path.name == "ar.yaml":
        assert len(arabic) > 20, "the file should hold Arabic text"
    marked = [(where, text) for where, text in arabic if MARKS.search(text)]
    assert marked == []


def test_the_marks_are_caught() -> None:
    # the pattern finds what it is meant to: a fathatan, a shadda, a dagger alif
    for word in ("قريبًا", "المورّد", "هٰذا"):
        assert MARKS.search(word), word
    assert not MARKS.search("قريبا المورد هذا")
