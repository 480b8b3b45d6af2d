"""The formats of one document are written as one unit, whatever stands in the way of
one of them: nothing is replaced, or what was replaced is put back."""

from __future__ import annotations

import json
import os

import pytest
from conftest import BASE

from expectmatrix.errors import OutputError
from expectmatrix.writing import write_documents

OLD_PDF = b"%PDF-1.7 the earlier, signed-off version"


def test_a_folder_in_the_place_of_the_docx_leaves_the_pdf_alone(run, tmp_path):
    spec = tmp_path / "deal.json"
    spec.write_text(json.dumps(BASE), encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "T-1-v1.pdf").write_bytes(OLD_PDF)
    (out / "T-1-v1.docx").mkdir()
    result = run("render", spec, "-o", out, "-f", "pdf", "-f", "docx")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"cannot write {out / 'T-1-v1.docx'}: a folder is in the way" in result.stderr
    assert (out / "T-1-v1.pdf").read_bytes() == OLD_PDF
    assert sorted(os.listdir(out)) == ["T-1-v1.docx", "T-1-v1.pdf"]  # no temporary left
    assert os.listdir(out / "T-1-v1.docx") == []


def test_a_symbolic_link_in_the_way_is_refused_by_name(tmp_path):
    (tmp_path / "elsewhere.docx").write_bytes(b"not ours")
    (tmp_path / "X-v1.docx").symlink_to(tmp_path / "elsewhere.docx")
    (tmp_path / "X-v1.pdf").write_bytes(OLD_PDF)
    with pytest.raises(OutputError, match=r"X-v1\.docx: a symbolic link is in the way"):
        write_documents(tmp_path, {"X-v1.pdf": b"%PDF new", "X-v1.docx": b"PK new"})
    assert (tmp_path / "X-v1.pdf").read_bytes() == OLD_PDF
    assert (tmp_path / "elsewhere.docx").read_bytes() == b"not ours"


def test_a_move_failing_midway_puts_the_earlier_files_back(tmp_path, monkeypatch):
    (tmp_path / "X-v1.pdf").write_bytes(OLD_PDF)
    os.utime(tmp_path / "X-v1.pdf", (1_000_000_000, 1_000_000_000))
    real_replace = os.replace
    moves: list[str] = []

    def second_move_fails(src, dst):
        if str(dst).endswith(".docx") and str(src).endswith(".tmp"):
            raise OSError(28, "No space left on device")
        moves.append(str(dst))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", second_move_fails)
    with pytest.raises(OutputError, match="No space left on device; nothing was written"):
        write_documents(tmp_path, {"X-v1.pdf": b"%PDF new", "X-v1.docx": b"PK new"})
    assert str(tmp_path / "X-v1.pdf") in moves  # the PDF had been replaced...
    assert (tmp_path / "X-v1.pdf").read_bytes() == OLD_PDF  # ...and is back as it was
    assert os.stat(tmp_path / "X-v1.pdf").st_mtime == 1_000_000_000
    assert os.listdir(tmp_path) == ["X-v1.pdf"]  # no new DOCX, no temporary or copy left


def test_a_new_file_is_taken_away_again_when_its_pair_fails(tmp_path, monkeypatch):
    real_replace = os.replace

    def docx_fails(src, dst):
        if str(dst).endswith(".docx"):
            raise OSError(5, "Input/output error")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", docx_fails)
    with pytest.raises(OutputError):
        write_documents(tmp_path, {"X-v1.pdf": b"%PDF new", "X-v1.docx": b"PK new"})
    assert os.listdir(tmp_path) == []


def test_a_good_write_replaces_both_and_leaves_only_them(tmp_path):
    (tmp_path / "X-v1.pdf").write_bytes(OLD_PDF)
    paths = write_documents(tmp_path, {"X-v1.pdf": b"%PDF new", "X-v1.docx": b"PK new"})
    assert paths == [tmp_path / "X-v1.pdf", tmp_path / "X-v1.docx"]
    assert (tmp_path / "X-v1.pdf").read_bytes() == b"%PDF new"
    assert sorted(os.listdir(tmp_path)) == ["X-v1.docx", "X-v1.pdf"]
