"""The shipped samples as a customer receives them: they validate without warnings (but the
bakery's readiness risks, which it shows on purpose), and their pages read right in Arabic
and German, read back from the PDF and the DOCX."""

from __future__ import annotations

import json
import re
import shutil
from typing import Any

import pytest
from builders import in_language
from click.testing import CliRunner
from conftest import SAMPLES, docx_text, pdf_text

from expectmatrix.cli import cli

FSI, PDI = "\u2068", "\u2069"
SHOWN = ("small-bakery", "medium-logistics", "large-hospital")


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory,
              render_cache: Any) -> dict[str, dict[str, bytes]]:
    """Each rendered once: {"bakery-ar": {"pdf": ..., "docx": ...}, ...}."""
    folder = tmp_path_factory.mktemp("samples")
    wanted = {"bakery-ar": ("small-bakery", "ar", "counterparty"),
              "hospital-ar": ("large-hospital", "ar", "internal"),
              "hospital-de": ("large-hospital", "de", "internal"),
              "logistics-de": ("medium-logistics", "de", "internal")}
    return {key: render_cache.documents(in_language(sample, language, folder),
                                        audience=audience)
            for key, (sample, language, audience) in wanted.items()}


def test_the_samples_warn_of_nothing_but_the_bakerys_readiness() -> None:
    for name in SHOWN:
        result = CliRunner().invoke(cli, ["validate", str(SAMPLES / f"{name}.yaml"), "--json"])
        assert result.exit_code == 0, result.output
        warned = [(f["code"], f["path"]) for f in json.loads(result.stdout)[0]["findings"]
                  if f["severity"] != "info"]
        if name == "small-bakery":  # the sample shows readiness risk on purpose
            assert warned == [("readiness", "readiness[1].answer"),
                              ("readiness", "readiness[2].answer")]
        else:
            assert warned == [], name


def test_a_latin_address_reads_in_its_own_order_on_the_signature_page(
        documents: dict[str, dict[str, bytes]]) -> None:
    pdf = pdf_text(documents["bakery-ar"]["pdf"])[0]
    assert "Torstraße 120, 10119 Berlin, Germany" in pdf
    assert "14 Quay Street, Cobh, Co. Cork P24 X2K8, Ireland" in pdf
    assert "Torstraße 120 ,10119 Berlin" not in pdf  # the commas on the wrong side
    docx = docx_text(documents["bakery-ar"]["docx"])[0]
    # one isolated run for the whole address, not one per line
    assert f"{FSI}Torstraße 120, 10119 Berlin, Germany{PDI}" in docx
    assert f"{FSI}Torstraße 120{PDI}, " not in docx


def test_a_latin_currency_symbol_keeps_its_letters_and_sign_together(
        documents: dict[str, dict[str, bytes]]) -> None:
    pdf = pdf_text(documents["hospital-ar"]["pdf"])[0]
    for amount in ("1,250,000.00", "412,500.00"):  # the value, and the internal margin
        assert re.search(rf"{re.escape(amount)}\s?US\$", pdf), amount
    assert "$US" not in pdf
    docx = docx_text(documents["hospital-ar"]["docx"])[0]
    assert f"1,250,000.00\u00a0{FSI}US${PDI}" in docx
    assert f"412,500.00\u00a0{FSI}US${PDI}" in docx


def _pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in pdf_text(pdf)[1].pages]


def _ids(page: str) -> set[str]:
    return set(re.findall(r"(?<![A-Za-z0-9])([VC]\d{1,2})(?!\d)", page))


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_german_samples_break_their_pages_alike_in_pdf_and_docx(
        documents: dict[str, dict[str, bytes]], printed_samples: dict[Any, bytes]) -> None:
    # LibreOffice's PDF of the very DOCX files read above (the same specs, made once)
    sources = {"hospital-de": ("large-hospital", "de", "internal"),
               "logistics-de": ("medium-logistics", "de", "internal")}
    for name, key in sources.items():
        printed = _pages(printed_samples[key])
        pdf = _pages(documents[name]["pdf"])
        assert len(printed) == len(pdf), name
        assert [_ids(p) for p in printed] == [_ids(p) for p in pdf], name
        if name == "hospital-de":  # the approvals' dates, each on one line as in the PDF
            text = "\n".join(printed)
            assert "18. November 2026" in text and "19. November 2026" in text
        # the signature page never stands alone: it carries the caption naming the deal
        last: Any = pdf[-1]
        assert "Unterschriften" in last and "Unterschriftenseite zu" in last, name


def test_a_two_word_readiness_answer_stays_on_one_line(
        documents: dict[str, dict[str, bytes]]) -> None:
    # the internal edition's readiness table has a notes column, which narrowed the answers'
    pdf = pdf_text(documents["hospital-ar"]["pdf"])[0]
    assert "غير معروف" in pdf  # "unknown"
    assert "غير\nمعروف" not in pdf
