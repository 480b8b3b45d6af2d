"""An Arabic DOCX paginates as its PDF does: its lines are as tall as the PDF's (the Arabic
font's own line is half as tall again as the Latin one's), read back from the DOCX and
from LibreOffice's PDF of it."""

from __future__ import annotations

import re
import shutil
from typing import Any

import pytest
from builders import in_language
from conftest import docx_text, pdf_text

from expectmatrix.render.docxlines import style_sizes

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
NAMES = ("small-bakery", "medium-logistics")


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory,
              render_cache: Any) -> dict[str, dict[str, bytes]]:
    """The samples in Arabic (and the bakery in English, its DOCX), each rendered once."""
    folder = tmp_path_factory.mktemp("arabic")
    docs = {f"{n}-ar": render_cache.documents(in_language(n, "ar", folder)) for n in NAMES}
    docs["small-bakery-en"] = render_cache.documents(in_language("small-bakery", "en", folder),
                                                     ("docx",))
    return docs


def _paragraph_sizes(document: Any) -> list[tuple[float, Any]]:
    """(largest font size in points on it, its w:spacing) for each body paragraph with
    text (not the empty spacers, exactly as high as the PDF's gaps in every language)."""
    paragraph, character = style_sizes(document.styles.element)
    found = []
    for p in document.element.body.iter(f"{W}p"):
        if p.find(f".//{W}t") is None:
            continue
        ppr = p.find(f"{W}pPr")
        style = ppr.find(f"{W}pStyle") if ppr is not None else None
        base = paragraph[style.get(f"{W}val")] if style is not None else paragraph["Normal"]
        mark = ppr.find(f"{W}rPr/{W}sz") if ppr is not None else None
        sizes = [int(mark.get(f"{W}val")) / 2 if mark is not None else base]
        for r in p.iter(f"{W}r"):
            size = r.find(f"{W}rPr/{W}sz")
            named = r.find(f"{W}rPr/{W}rStyle")
            sizes.append(int(size.get(f"{W}val")) / 2 if size is not None else
                         character.get(named.get(f"{W}val"), base) if named is not None
                         else base)
        found.append((max(sizes), ppr.find(f"{W}spacing") if ppr is not None else None))
    return found


def test_every_arabic_line_is_as_tall_as_the_pdfs(documents: dict[str, dict[str, bytes]]) -> None:
    for name in NAMES:
        _, document = docx_text(documents[f"{name}-ar"]["docx"])
        sizes = _paragraph_sizes(document)
        assert len(sizes) > 50
        lines = [(size, spacing) for size, spacing in sizes
                 if spacing is not None and spacing.get(f"{W}lineRule") == "exact"
                 and int(spacing.get(f"{W}line")) == round(size * 1.35 * 20)]
        # matrix.css: line-height 1.35 of the font size, in twentieths of a point
        assert len(lines) == len(sizes), name
    # a left-to-right document keeps Word's own line (its font's line is the PDF's)
    _, english = docx_text(documents["small-bakery-en"]["docx"])
    assert all(spacing is None or spacing.get(f"{W}lineRule") != "exact"
               for _, spacing in _paragraph_sizes(english))


def _expectations_by_page(pdf: bytes) -> list[list[str]]:
    return [re.findall(r"(?<![A-Za-z0-9])([VC]\d{1,2})(?!\d)", page.extract_text())
            for page in pdf_text(pdf)[1].pages]


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_an_arabic_docx_has_as_many_pages_as_its_pdf(documents: dict[str, dict[str, bytes]],
                                                     printed_samples: dict[Any, bytes]) -> None:
    for name in NAMES:
        # LibreOffice's PDF of the very DOCX read above (the same spec, made once)
        printed = printed_samples[name, "ar", "counterparty"]
        pdf = documents[f"{name}-ar"]["pdf"]
        assert len(pdf_text(printed)[1].pages) == len(pdf_text(pdf)[1].pages), name
        # and each page holds the same expectations (a row is never split)
        assert ([set(p) for p in _expectations_by_page(printed)]
                == [set(p) for p in _expectations_by_page(pdf)]), name
