"""Inputs that are not what they claim or lie about what they hold: special files, giant
fonts, zip bombs, CSV cells beyond the limits, hidden text direction, two specs in one
document, letterhead macros."""

from __future__ import annotations

import functools
import io
import json
import os
import zipfile
from pathlib import Path

from builders import cli, spec_file
from conftest import SAMPLES

from expectmatrix.batch.runner import run_batch

# Documents made in this process (--timeout 0): what is checked is the document, not
# the worker process that makes it with a time limit.
HERE = ("--timeout", "0")


def test_a_fifo_as_spec_is_refused_without_waiting(tmp_path):
    fifo = tmp_path / "deal.yaml"
    os.mkfifo(fifo)
    for command in (["validate", fifo], ["render", fifo, "-o", tmp_path / "out"]):
        result = cli(*command, timeout=60)
        assert result.returncode == 1 and "a pipe (FIFO)" in result.stderr
    spec_file(tmp_path, "good.json")
    batch = cli("batch", fifo, tmp_path / "good.json", "-o", tmp_path / "b", "-f", "docx",
                timeout=120)
    assert batch.returncode == 1 and (tmp_path / "b" / "T-1-v1.docx").exists()


def test_a_device_as_spec_is_refused(tmp_path):
    result = cli("validate", "/dev/zero", timeout=60)
    assert result.returncode == 1 and "a device" in result.stderr


def test_a_sparse_giant_font_is_not_read(run, tmp_path):
    font = tmp_path / "huge.ttf"
    with open(font, "wb") as f:
        f.truncate(3_000_000_000)
    spec = spec_file(tmp_path)
    data = json.loads(spec.read_text())
    data["branding"] = {"font": "huge.ttf"}
    spec.write_text(json.dumps(data))
    result = run("validate", spec)
    assert result.exit_code == 1 and "3,000.0 MB; at most 30.0 MB" in result.stderr


def _zip_bomb(path: Path) -> None:
    path.write_bytes(_zip_bomb_bytes(300_000_000))


@functools.cache  # compressing 300 MB once is enough for the tests that need a bomb
def _zip_bomb_bytes(size: int) -> bytes:
    import docx

    buffer = io.BytesIO()
    docx.Document().save(buffer)
    bomb = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as src, \
            zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            out.writestr(info, src.read(info.filename))
        with out.open("word/media/image1.png", "w", force_zip64=True) as member:
            chunk = b"\0" * 1_000_000
            for _ in range(size // len(chunk)):
                member.write(chunk)
    return bomb.getvalue()


def test_a_zip_bomb_letterhead_is_refused_before_it_unpacks(run, tmp_path):
    bomb = tmp_path / "letterhead.docx"
    _zip_bomb(bomb)
    assert bomb.stat().st_size < 2_000_000
    result = run("render", *HERE, spec_file(tmp_path), "-o", tmp_path / "out", "--docx-base", bomb)
    assert result.exit_code == 1 and "word/media/image1.png" in result.stderr
    assert "at most 50.0 MB a part" in result.stderr and not (tmp_path / "out").exists()


def test_a_zip_bomb_document_is_refused_by_verify(run, tmp_path):
    bomb = tmp_path / "deal.docx"
    _zip_bomb(bomb)
    result = run("verify", *HERE, bomb)
    assert result.exit_code == 1 and "at most 50.0 MB a part" in result.stderr


def test_a_csv_index_beyond_the_models_limits_is_refused(tmp_path):
    csv_file = tmp_path / "deals.csv"
    csv_file.write_text("deal.id,parties.customer.name,expectations.of_vendor[999999].text\n"
                        "X-1,Globex LLC,Hello\n")
    result = run_batch([csv_file], tmp_path / "out", ("pdf",), base=SAMPLES / "minimal.yaml",
                       jobs=1)
    [record] = result.records
    assert record.status == "failed"
    assert "at most 500 items in expectations.of_vendor" in record.error


def test_a_csv_base_cell_naming_a_device_fails_that_row(tmp_path):
    csv_file = tmp_path / "deals.csv"
    csv_file.write_text(f"base,deal.id,parties.customer.name\n/dev/zero,X-1,Globex LLC\n"
                        f"{SAMPLES / 'minimal.yaml'},X-2,Globex LLC\n")
    result = run_batch([csv_file], tmp_path / "out", ("docx",), jobs=1)
    statuses = [r.status for r in result.records]
    assert statuses == ["failed", "ok"] and "a device" in result.records[0].error


def test_a_huge_csv_cell_fails_its_row_only(tmp_path):
    csv_file = tmp_path / "deals.csv"
    csv_file.write_text("deal.id,parties.customer.name,deal.title\nX-1,Globex LLC,"
                        + "t" * 200_000 + "\nX-2,Globex LLC,Fine\n")
    result = run_batch([csv_file], tmp_path / "out", ("docx",), base=SAMPLES / "minimal.yaml",
                       jobs=1)
    assert [r.status for r in result.records] == ["failed", "ok"]
    assert "longer than 100,000 characters" in result.records[0].error
    assert result.records[0].error.startswith(f"{csv_file}:2")


def test_bidi_controls_are_an_error_at_their_line(run, tmp_path):
    spec = tmp_path / "deal.yaml"
    text = (SAMPLES / "minimal.yaml").read_text()
    assert "\n" in text
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if "title:" in line)
    lines[at] = '  title: "Customer pays USD \u202e000,01\u202c per month"'
    spec.write_text("\n".join(lines) + "\n")
    result = run("validate", spec)
    assert result.exit_code == 1
    assert f"{spec}:{at + 1}:" in result.stderr and "U+202E" in result.stderr
    csv_file = tmp_path / "deals.csv"
    csv_file.write_text("deal.id,parties.customer.name,deal.title\n"
                        "X-1,Globex LLC,Pays \u2066USD\u2069 10\n")
    [record] = run_batch([csv_file], tmp_path / "out", ("docx",), base=SAMPLES / "minimal.yaml",
                         jobs=1).records
    assert record.status == "failed" and "U+2066" in record.error
    assert record.error.startswith(f"{csv_file}:2")


def test_a_document_with_two_specs_is_refused(run, tmp_path):
    spec = spec_file(tmp_path)
    assert run("render", *HERE, spec, "-o", tmp_path).exit_code == 0
    doc = tmp_path / "T-1-v1.docx"
    with zipfile.ZipFile(doc) as z:
        parts = {i.filename: z.read(i.filename) for i in z.infolist()}
    spec_part = next(n for n, d in parts.items() if n.startswith("customXml/item")
                     and b"urn:expectmatrix:spec:1" in d)
    forged = parts[spec_part].replace(b'"title":"Test deal"', b'"title":"Forged"')
    with zipfile.ZipFile(tmp_path / "two.docx", "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
        z.writestr("customXml/item99.xml", forged)
    for command in ("verify", "extract"):
        result = run(command, tmp_path / "two.docx")
        assert result.exit_code == 1 and "carries 2 spec parts" in result.stderr


def test_letterhead_macros_are_left_out_and_said(run, tmp_path):
    import docx

    buffer = io.BytesIO()
    docx.Document().save(buffer)
    letterhead = tmp_path / "letterhead.docx"
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as src, \
            zipfile.ZipFile(letterhead, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "word/_rels/document.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdVba" Type="http:'
                                    b'//schemas.microsoft.com/office/2006/relationships/'
                                    b'vbaProject" Target="vbaProject.bin"/></Relationships>')
            if info.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", b'<Default Extension="bin" ContentType='
                                    b'"application/vnd.ms-office.vbaProject"/></Types>')
            out.writestr(info, data)
        out.writestr("word/vbaProject.bin", b"\xd0\xcf\x11\xe0 macro")
    result = run("render", *HERE, spec_file(tmp_path), "-o", tmp_path / "out", "-f", "docx",
                 "--docx-base", letterhead)
    assert result.exit_code == 0 and "macro parts were left out" in result.stderr
    with zipfile.ZipFile(tmp_path / "out" / "T-1-v1.docx") as z:
        names = z.namelist()
        assert not [n for n in names if "vba" in n.lower()]
        assert b"vbaProject" not in z.read("word/_rels/document.xml.rels")
