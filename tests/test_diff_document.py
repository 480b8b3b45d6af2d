"""`diff` is one library call (review.diffing.diff_document) plus printing: the command
writes exactly the bytes the call returns, in every format."""

from __future__ import annotations

import copy
import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from conftest import BASE, pdf_text

from expectmatrix.errors import RenderError
from expectmatrix.render.pipeline import RenderOptions
from expectmatrix.review.diffing import diff_document
from expectmatrix.settings import LibraryLoader, Settings


@pytest.fixture
def pair(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    # the redline's date and author, fixed, so two runs may be compared byte for byte
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    monkeypatch.setenv("EXPECTMATRIX_AUTHOR", "Rita Reviewer")
    monkeypatch.chdir(tmp_path)  # no expectmatrix.toml of a folder above
    old = copy.deepcopy(BASE)
    new = copy.deepcopy(old)
    new["deal"]["version"] = 2
    new["expectations"]["of_vendor"][0]["text"] = "Vendor sets everything up in ten days."
    new["expectations"]["of_customer"].append(
        {"id": "C3", "area": "Support", "text": "Customer reads the status page.",
         "measure": "Read", "owner": "Admin"})
    paths = tmp_path / "v1.json", tmp_path / "v2.json"
    for path, data in zip(paths, (old, new), strict=True):
        path.write_text(json.dumps(data), encoding="utf-8")
    return paths


def _library_call(pair: tuple[Path, Path], fmt: str) -> bytes:
    options = RenderOptions.from_settings(Settings(), formats=(fmt,))
    return diff_document(*pair, fmt, options, LibraryLoader(Settings())).data


@pytest.mark.parametrize("fmt", ["text", "md", "html", "docx", "pdf"])
def test_the_command_writes_the_library_calls_bytes(run, pair, tmp_path, fmt):
    out = tmp_path / f"redline.{fmt}"
    result = run("diff", *pair, "-f", fmt, "-o", out, "--timeout", "0", "--exit-code")
    assert result.exit_code == 1, result.stderr  # the versions differ
    assert out.read_bytes() == _library_call(pair, fmt)


def test_the_bytes_are_the_redline(pair):
    """What the call returns is the change itself, in each format's own form."""
    text = _library_call(pair, "text").decode("utf-8")
    assert "ten days" in text and "C3" in text
    with zipfile.ZipFile(io.BytesIO(_library_call(pair, "docx"))) as z:
        xml = z.read("word/document.xml").decode()
    inserted = "".join(re.findall(r"<w:ins [^>]*>.*?</w:ins>", xml))  # Word tracked changes
    assert "everything" in inserted and 'w:author="Rita Reviewer"' in xml
    assert "ten days" in pdf_text(_library_call(pair, "pdf"))[0]


def test_the_same_spec_twice_is_no_change(pair):
    options = RenderOptions.from_settings(Settings(), formats=("text",))
    same = diff_document(pair[0], pair[0], "text", options)
    assert not same.diff.changed


def test_an_unknown_format_is_refused(pair):
    with pytest.raises(RenderError, match="unknown redline format 'rtf'"):
        diff_document(*pair, "rtf", RenderOptions())
