"""Faults that once gave a traceback: an inflating stream, an entity bomb, an output that
cannot be written, running out of memory, a date out of range."""

from __future__ import annotations

import subprocess
import sys
import zipfile

import pytest
from builders import spec_file
from conftest import SAMPLES


def _inflating_to(size: int, chunk: int = 1_000_000) -> bytes:
    """A zlib stream that inflates to ``size`` bytes of "0", made without them: after a
    full flush nothing refers back, so each chunk compresses to the same bytes, written
    ``size // chunk`` times, then an empty last block and the checksum of it all."""
    import zlib

    assert size % chunk == 0
    data = b"0" * chunk
    compressor = zlib.compressobj(9)
    head = compressor.compress(b"")
    block = compressor.compress(data) + compressor.flush(zlib.Z_FULL_FLUSH)
    check = 1
    for _ in range(size // chunk):
        check = zlib.adler32(data, check)
    return head + block * (size // chunk) + b"\x01\x00\x00\xff\xff" + check.to_bytes(4, "big")


def test_the_inflating_stream_is_what_it_claims():
    import zlib

    assert zlib.decompress(_inflating_to(3_000_000)) == b"0" * 3_000_000


def _pdf_with_stream(stream: bytes, attach_spec: bool) -> bytes:
    """A well-formed PDF whose one page's content is the compressed ``stream``."""
    names = b"/Names<</EmbeddedFiles<</Names[(expectmatrix-spec.json) 5 0 R]>>>>" \
        if attach_spec else b""
    objs = [b"<</Type/Catalog/Pages 2 0 R" + names + b">>",
            b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
            b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Contents 4 0 R>>",
            b"<</Length %d/Filter/FlateDecode>>stream\n" % len(stream) + stream + b"\nendstream",
            b"<</Type/Filespec/F(expectmatrix-spec.json)/EF<</F 6 0 R>>>>",
            b"<</Type/EmbeddedFile/Length 2>>stream\n{}\nendstream"]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for n, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


@pytest.mark.parametrize("attach_spec", [False, True])
def test_a_pdf_whose_stream_inflates_to_a_gigabyte_is_bounded(tmp_path, attach_spec):
    (tmp_path / "big.pdf").write_bytes(_pdf_with_stream(_inflating_to(1_000_000_000), attach_spec))
    code = ("import resource, sys\n"
            "resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000))\n"
            "from expectmatrix.cli import main\n"
            "sys.argv = ['expectmatrix', 'verify', *sys.argv[1:]]\nmain()")
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path / "big.pdf")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    if attach_spec:  # read, and found to match nothing expectmatrix would print
        assert "FAIL the embedded spec is valid" in result.stderr
    else:
        assert result.stderr.startswith(f"error: {tmp_path / 'big.pdf'}: carries no expectmatrix")
        # Compared with a spec file, its text is read: within pypdf's bound per stream.
        with_spec = subprocess.run([sys.executable, "-c", code, str(tmp_path / "big.pdf"),
                                    str(SAMPLES / "minimal.yaml")],
                                   capture_output=True, text=True, timeout=300)
        assert with_spec.returncode == 1 and "Traceback" not in with_spec.stderr
        assert "FAIL" in with_spec.stderr


def test_a_docx_with_an_entity_bomb_is_refused(run, tmp_path):
    bomb = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
            + b"".join(b'<!ENTITY %s "&%s;&%s;&%s;&%s;&%s;&%s;&%s;&%s;&%s;&%s;">'
                       % ((chr(98 + i).encode(),) + (chr(97 + i).encode(),) * 10)
                       for i in range(8))
            + b']><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/'
            b'2006/main"><w:body><w:p><w:r><w:t>&i;</w:t></w:r></w:p></w:body></w:document>')
    with zipfile.ZipFile(tmp_path / "bomb.docx", "w") as z:
        z.writestr("word/document.xml", bomb)
    result = run("verify", tmp_path / "bomb.docx")
    assert result.exit_code == 1 and "bomb.docx" in result.stderr


@pytest.mark.parametrize("command", [
    ["render", "{spec}", "-o", "{blocked}", "--timeout", "0"],
    ["schema", "-o", "{blocked}/schema.json"],
    ["extract", "{doc}", "-o", "{blocked}/spec.json"],
    ["init", "--segment", "small", "--vendor", "V", "--customer", "C", "-o", "{blocked}/d.yaml"],
    ["diff", "{spec}", "{spec}", "-f", "docx", "-o", "{blocked}/d.docx", "--timeout", "0"],
    ["templates", "copy", "{blocked}"],
])
def test_an_unwritable_output_is_an_error_not_a_traceback(run, tmp_path, command):
    spec = spec_file(tmp_path)
    if "{doc}" in command:  # the document extract reads
        assert run("render", spec, "-o", tmp_path, "-f", "docx", "--timeout", "0").exit_code == 0
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    args = [a.format(spec=spec, blocked=blocker / "sub", doc=tmp_path / "T-1-v1.docx")
            for a in command]
    result = run(*args)
    assert result.exit_code == 1 and result.stderr.startswith("error: "), result.stderr
    assert "Not a directory" in result.stderr


def test_running_out_of_memory_is_an_error(run, tmp_path, monkeypatch):
    from expectmatrix.spec import loading

    def exhausted(path: object) -> None:
        raise MemoryError

    monkeypatch.setattr(loading, "load", exhausted)
    result = run("validate", spec_file(tmp_path))
    assert result.exit_code == 1 and "out of memory" in result.stderr


@pytest.mark.parametrize("epoch", ["99999999999999999999", "-5", "soon", "100"])
def test_source_date_epoch_out_of_range_is_an_error(run, tmp_path, monkeypatch, epoch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
    result = run("render", spec_file(tmp_path), "-o", tmp_path / "out", "--timeout", "0")
    assert result.exit_code == 1 and "SOURCE_DATE_EPOCH" in result.stderr
    assert not (tmp_path / "out").exists()
