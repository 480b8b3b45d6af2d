"""Legal review: diff and redlines, embedded specs, verify, extract, approvals, PDF/A."""

from __future__ import annotations

import copy
import json
import re
import zipfile

import pytest
from conftest import BASE, SAMPLES, docx_text, pdf_text

from expectmatrix.spec.canonical import fingerprint_of


def write(path, data):
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.fixture
def pair(tmp_path):
    old = copy.deepcopy(BASE)
    old["expectations"]["of_vendor"].append(
        {"id": "V3", "area": "Support", "text": "Vendor keeps a status page.", "measure": "Page up"})
    old["expectations"]["of_customer"].append(
        {"id": "C3", "area": "Support", "text": "Customer reads the status page.",
         "measure": "Read", "owner": "Admin"})
    new = copy.deepcopy(old)
    new["deal"].update(version=2, status="review", effective="2027-01-01")
    new["parties"]["customer"]["name"] = "Customer Company"
    vendor, customer = new["expectations"]["of_vendor"], new["expectations"]["of_customer"]
    vendor[0]["text"] = "Vendor sets everything up in ten days."  # changed words
    vendor[0]["due"] = "Within ten days"
    vendor[1]["id"] = "V20"  # renumbered, same text: a move
    customer[0]["owner"] = "Project lead"
    del customer[2]  # removed
    vendor.pop(2)
    vendor.append({"id": "V9", "area": "Support", "text": "Vendor sends a monthly report.",
                   "measure": "Report"})  # added
    return write(tmp_path / "v1.json", old), write(tmp_path / "v2.json", new)


def test_diff_text_covers_every_kind_of_change(run, pair):
    result = run("diff", *pair)
    assert result.exit_code == 0
    out = result.stdout
    assert "deal.version: [-1-]{+2+}" in out and "deal.status: [-draft-]{+review+}" in out
    assert "deal.effective: [-2026-12-01-]{+2027-01-01+}" in out
    assert "parties.customer.name: Customer [-Co-]{+Company+}" in out
    assert "V1 (vendor) changed" in out
    assert "[-things up.-]{+everything up in ten days.+}" in out  # the phrase, whole
    assert "due: {+Within ten days+}" in out
    assert "V2 → V20 (vendor) moved" in out
    assert "V9 (vendor) added" in out and "V3 (vendor) removed" in out
    assert "C3 (customer) removed" in out and "owner: [-Lead-]{+Project lead+}" in out
    assert "Balance: 3 of vendor, 3 of customer -> 3 of vendor, 2 of customer" in out
    assert "\x1b[" not in out  # no colour when not a terminal
    assert run("diff", *pair, "--exit-code").exit_code == 1
    same = run("diff", pair[0], pair[0], "--exit-code")
    assert same.exit_code == 0 and "No changes." in same.stdout


def test_diff_markdown_and_html(run, pair, tmp_path):
    md = run("diff", *pair, "-f", "md").stdout
    assert "~~things up.~~ **everything up in ten days.**" in md
    run("diff", *pair, "-f", "html", "-o", tmp_path / "r.html")
    html = (tmp_path / "r.html").read_text()
    assert "<del>things" in html  # the deleted word, struck through
    assert "<ins>" in html and "text-decoration: line-through" in html


def test_diff_pdf_redline(run, pair, tmp_path):
    """The agreement with its changes marked, after a summary page in human words."""
    assert run("diff", *pair, "-f", "pdf", "-o", tmp_path / "r.pdf").exit_code == 0
    _, reader = pdf_text((tmp_path / "r.pdf").read_bytes())
    first = reader.pages[0].extract_text()
    assert "Changes from version 1 to version 2" in first
    assert "Effective date: 1 December 2026 → 1 January 2027" in first
    assert "V9 added" in first and "V3 removed" in first and "V1 changed" in first
    assert "deal." not in first and "[1]" not in first  # no field paths, no zero-based indexes
    from expectmatrix.render.audience import Edition, redact
    from expectmatrix.review.compare import read_for_compare
    from expectmatrix.spec.canonical import fingerprint

    # the counterparty edition's redline names the fingerprints that edition prints
    old_fp, new_fp = (fingerprint(redact(read_for_compare(spec), Edition())) for spec in pair)
    flat = re.sub(r"\s+", "", first)
    assert old_fp in flat and new_fp in flat
    rest = "".join(page.extract_text() for page in reader.pages[1:])
    assert "Customer Co Company" in rest  # the deleted word, then the inserted one
    assert "things everything" in rest or "everything" in rest
    assert "About this matrix" in rest and "Signature page of" in rest
    with_marks = (tmp_path / "r.pdf").read_bytes()
    assert with_marks.startswith(b"%PDF")
    assert run("diff", *pair, "-f", "pdf").exit_code == 2  # a PDF needs -o


def test_diff_pdf_redline_follows_the_documents_language(run, tmp_path):
    old = SAMPLES / "medium-logistics.yaml"
    text = old.read_text(encoding="utf-8").replace("  language: en", "  language: de")
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text(text, encoding="utf-8")
    assert "version: 1" in text and "amount: 86000" in text
    b.write_text(text.replace("version: 1", "version: 2").replace("amount: 86000",
                                                                  "amount: 91000"),
                 encoding="utf-8")
    assert run("diff", a, b, "-f", "pdf", "-o", tmp_path / "r.pdf").exit_code == 0
    first = pdf_text((tmp_path / "r.pdf").read_bytes())[1].pages[0].extract_text()
    first = first.replace("\xa0", " ")
    assert "Änderungen von Version 1 zu Version 2" in first
    assert "Jährlicher Vertragswert: 86.000,00 € → 91.000,00 €" in first


def test_diff_docx_uses_tracked_changes(run, pair, tmp_path):
    assert run("diff", *pair, "-f", "docx", "-o", tmp_path / "r.docx",
               "--author", "Legal").exit_code == 0
    with zipfile.ZipFile(tmp_path / "r.docx") as z:
        xml = z.read("word/document.xml").decode()
    inserted = "".join(re.findall(r"<w:ins [^>]*>.*?</w:ins>", xml))
    deleted = "".join(re.findall(r"<w:del [^>]*>.*?</w:del>", xml))
    assert "everything" in inserted and "Project lead" in inserted
    assert "<w:delText" in deleted and "things" in deleted
    assert 'w:author="Legal"' in xml
    assert "V20" in inserted  # the renumbered row: the old one deleted, the new inserted


def test_diff_of_documents_uses_their_embedded_specs(run, pair, tmp_path):
    new = json.loads(pair[1].read_text())
    new["expectations"]["of_customer"].append(
        {"id": "C4", "area": "Support", "text": "Customer reads reports.", "measure": "Read",
         "owner": "Admin"})
    write(pair[1], new)  # balanced, so that it renders
    for name in pair:
        assert run("render", name, "-o", tmp_path / name.stem, "-f", "pdf").exit_code == 0
    old_pdf = next((tmp_path / "v1").glob("*.pdf"))
    new_pdf = next((tmp_path / "v2").glob("*.pdf"))
    result = run("diff", old_pdf, new_pdf)
    assert result.exit_code == 0 and "V2 → V20 (vendor) moved" in result.stdout


@pytest.fixture(scope="module")
def made(tmp_path_factory, render_cache):
    source = SAMPLES / "medium-logistics.yaml"
    docs = render_cache.files(source, tmp_path_factory.mktemp("made"))
    return docs, render_cache.about(source)["fingerprint"]


def test_documents_carry_spec_and_fingerprint(made, tmp_path, render_cache):
    from expectmatrix.checks import check_loaded
    from expectmatrix.render.audience import Edition, redact
    from expectmatrix.spec.canonical import canonical_json
    from expectmatrix.spec.loading import load

    docs, fp = made
    _, reader = pdf_text(docs["pdf"].read_bytes())
    [spec] = reader.attachments["expectmatrix-spec.json"]
    # The counterparty copy carries the spec without its internal fields, and states
    # that copy's fingerprint; the internal edition carries the whole spec.
    whole = check_loaded(load(SAMPLES / "medium-logistics.yaml")).spec
    assert json.loads(spec) == json.loads(canonical_json(redact(whole, Edition())))
    assert fingerprint_of(spec) == fp
    assert b"notes" not in spec or json.loads(spec)["deal"].get("notes") is None
    assert reader.metadata["/expectmatrixfingerprint"] == fp
    internal = render_cache.files(SAMPLES / "medium-logistics.yaml", tmp_path, ("pdf",),
                                  "internal")["pdf"]
    internal_fp = render_cache.about(SAMPLES / "medium-logistics.yaml", "internal")["fingerprint"]
    _, reader = pdf_text(internal.read_bytes())
    assert internal.name.endswith("-internal.pdf")
    assert fingerprint_of(reader.attachments["expectmatrix-spec.json"][0]) == internal_fp
    assert internal_fp == fingerprint_of(canonical_json(whole)) != fp
    with zipfile.ZipFile(docs["docx"]) as z:
        custom = z.read("docProps/custom.xml").decode()
        items = [z.read(n).decode() for n in z.namelist() if re.match(r"customXml/item\d+\.xml", n)]
    assert f'name="expectmatrix-fingerprint"><vt:lpwstr>{fp}<' in custom
    assert any("urn:expectmatrix:spec:1" in i and fp in i for i in items)


def test_verify_untouched_documents(run, made):
    docs, fp = made
    for doc in docs.values():
        result = run("verify", doc, SAMPLES / "medium-logistics.yaml")
        assert result.exit_code == 0, result.stderr
        assert f"matches spec {fp}" in result.stdout
    data = json.loads(run("verify", docs["pdf"], "--json").stdout)
    assert data["ok"] is True and len(data["checks"]) == 3


def rewrite_docx(source, target, **replace):
    with zipfile.ZipFile(source) as z, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in z.infolist():
            data = z.read(info.filename)
            for name, (old, new) in replace.items():
                if re.fullmatch(name.replace("_", "/").replace("X", r".*"), info.filename):
                    data = data.replace(old, new)
            out.writestr(info, data)
    return target


def test_verify_detects_text_edited_in_word(run, made, tmp_path):
    docs, _ = made
    edited = rewrite_docx(docs["docx"], tmp_path / "edited.docx",
                          word_documentXxml=(b"within 1 hour", b"within 1 day"))
    result = run("verify", edited)
    assert result.exit_code == 1
    assert "FAIL the visible text" in result.stderr and "within 1 day" in result.stderr


def test_verify_detects_a_swapped_embedded_spec(run, made, tmp_path):
    docs, _fp = made
    swapped = rewrite_docx(docs["docx"], tmp_path / "swapped.docx",
                           customXml_itemXxml=(b"Acme Software Ltd", b"Acme Software Inc"))
    result = run("verify", swapped)
    assert result.exit_code == 1 and "metadata says" in result.stderr
    assert run("extract", swapped).exit_code == 1


def test_verify_against_another_spec_says_what_differs(run, made, tmp_path):
    docs, _ = made
    other = (SAMPLES / "medium-logistics.yaml").read_text().replace("version: 1", "version: 7")
    (tmp_path / "other.yaml").write_text(other)
    result = run("verify", docs["pdf"], tmp_path / "other.yaml")
    assert result.exit_code == 1 and "deal.version: [-1-]{+7+}" in result.stderr


def test_verify_pdf_with_changed_metadata(run, made, tmp_path):
    from pypdf import PdfReader, PdfWriter

    docs, _ = made
    writer = PdfWriter(clone_from=PdfReader(docs["pdf"]))
    writer.add_metadata({"/expectmatrixfingerprint": "0" * 64})
    writer.write(tmp_path / "meta.pdf")
    result = run("verify", tmp_path / "meta.pdf")
    assert result.exit_code == 1 and "FAIL the metadata fingerprint" in result.stderr


def test_foreign_corrupt_and_encrypted_documents(run, made, tmp_path):
    import docx
    from pypdf import PdfReader, PdfWriter

    docs, _ = made
    foreign = tmp_path / "foreign.docx"
    docx.Document().save(foreign)
    blank = PdfWriter()
    blank.add_blank_page(200, 200)
    blank.write(tmp_path / "foreign.pdf")
    (tmp_path / "truncated.pdf").write_bytes(docs["pdf"].read_bytes()[:2000])
    (tmp_path / "truncated.docx").write_bytes(docs["docx"].read_bytes()[:2000])
    (tmp_path / "text.pdf").write_text("hello")
    locked = PdfWriter(clone_from=PdfReader(docs["pdf"]))
    locked.encrypt("secret")
    locked.write(tmp_path / "locked.pdf")
    expected = {"foreign.docx": "not made by expectmatrix", "foreign.pdf": "not made by",
                "truncated.pdf": "corrupt or truncated", "truncated.docx": "corrupt or truncated",
                "text.pdf": "neither a PDF nor a DOCX", "locked.pdf": "encrypted"}
    for name, words in expected.items():
        for command in ("verify", "extract"):
            result = run(command, tmp_path / name)
            assert result.exit_code == 1, (name, command)
            assert words in result.stderr, (name, result.stderr)


def test_embedded_spec_of_another_format_version(run, made, tmp_path):
    docs, _ = made
    with zipfile.ZipFile(docs["docx"]) as z:
        item = next(n for n in z.namelist() if re.match(r"customXml/item\d+\.xml", n)
                    and b"urn:expectmatrix" in z.read(n))
        xml = z.read(item)
    spec = re.search(rb"<spec>(.*)</spec>", xml).group(1)
    changed = spec.replace(b'"deal":', b'"format":"expectmatrix/2","deal":', 1)
    new_fp = fingerprint_of(changed.replace(b"&quot;", b'"')).encode()
    old_fp = re.search(rb'fingerprint="([0-9a-f]{64})"', xml).group(1)
    target = tmp_path / "v2format.docx"
    with zipfile.ZipFile(docs["docx"]) as z, zipfile.ZipFile(target, "w") as out:
        for info in z.infolist():
            data = z.read(info.filename).replace(spec, changed).replace(old_fp, new_fp)
            out.writestr(info, data)
    result = run("verify", target)
    assert result.exit_code == 1 and "expectmatrix/1" in result.stderr


def test_extract_and_rerender_gives_identical_documents(run, tmp_path, render_cache):
    # The internal edition carries the whole spec: extracting and rendering it again gives
    # the same bytes. A counterparty copy carries the spec without its internal fields.
    source = SAMPLES / "medium-logistics.yaml"
    docs = render_cache.files(source, tmp_path / "first", audience="internal")
    for kind, doc in docs.items():
        assert run("extract", doc, "-o", tmp_path / f"{kind}.json").exit_code == 0
    # both documents carry the same spec, so one rendering of it stands for both
    extracted = (tmp_path / "pdf.json").read_bytes()
    assert extracted == (tmp_path / "docx.json").read_bytes()
    out = tmp_path / "again"
    assert run("render", tmp_path / "pdf.json", "-o", out, "--audience",
               "internal").exit_code == 0
    for original in docs.values():
        assert (out / original.name).read_bytes() == original.read_bytes()
    pdf = render_cache.files(source, tmp_path / "counterparty", ("pdf",))["pdf"]
    assert run("extract", pdf, "-o", tmp_path / "cp.json").exit_code == 0
    carried = json.loads((tmp_path / "cp.json").read_text())
    assert "notes" not in carried["deal"] and all("note" not in r for r in carried["readiness"])


def test_approved_documents_show_approvals_and_no_draft(rendered, render_cache):
    text, _reader = pdf_text(rendered["large-hospital"]["pdf"])
    assert "DRAFT" not in text and "Margaret Oduya" not in text  # approvals are internal
    internal = render_cache.documents(SAMPLES / "large-hospital.yaml", audience="internal")
    text, _reader = pdf_text(internal["pdf"])
    assert "Approvals" in text and "Margaret Oduya" in text and "18 November 2026" in text
    assert "DRAFT" not in text and "INTERNAL" in text
    docx, _ = docx_text(internal["docx"])
    assert "Margaret Oduya" in docx and "DRAFT" not in docx and "INTERNAL" in docx


def test_pdf_a_and_pdf_ua(run, tmp_path):
    from pypdf import PdfReader

    for variant in ("pdf/a-3b", "pdf/ua-1"):
        out = tmp_path / variant.replace("/", "-")
        result = run("render", SAMPLES / "minimal.yaml", "-o", out, "-f", "pdf",
                     "--pdf-variant", variant)
        assert result.exit_code == 0, result.stderr
        reader = PdfReader(next(out.glob("*.pdf")))
        root = reader.trailer["/Root"]
        xmp = root["/Metadata"].get_object().get_data().decode()
        assert "expectmatrix-spec.json" in reader.attachments
        for page in reader.pages:
            for font in page["/Resources"]["/Font"].values():
                font = font.get_object()
                descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
                descriptor = descendant["/FontDescriptor"].get_object()
                assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
        if variant == "pdf/a-3b":
            assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="B"' in xmp
        else:
            assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]
            assert "pdfuaid" in xmp


def test_verify_detects_a_swapped_pdf_attachment(run, made, tmp_path):
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject

    docs, _ = made
    writer = PdfWriter(clone_from=PdfReader(docs["pdf"]))
    del writer.root_object[NameObject("/Names")][NameObject("/EmbeddedFiles")]
    other = (SAMPLES / "minimal.yaml").read_bytes()
    writer.add_attachment("expectmatrix-spec.json", other)
    writer.write(tmp_path / "swapped.pdf")
    result = run("verify", tmp_path / "swapped.pdf")
    assert result.exit_code == 1 and "metadata says" in result.stderr


def test_verify_reads_a_fresh_rendering_again_only_when_the_bytes_differ(made, tmp_path,
                                                                         monkeypatch):
    """An untouched document is byte for byte what its spec renders to, so its text is
    the fresh rendering's: that is not read a second time (a PDF's text is slow to read)."""
    from expectmatrix.review import verify as verifying

    docs, _ = made
    reads: list[str] = []
    original = verifying.read_bytes

    def counted(data, path, text=False):
        reads.append(path.name)
        return original(data, path, text)

    monkeypatch.setattr(verifying, "read_bytes", counted)
    assert verifying.verify(docs["pdf"]).ok
    assert reads == [docs["pdf"].name]
    # saved again (here: the same parts, stored uncompressed), the fresh rendering is read
    # and compared
    resaved = tmp_path / "resaved.docx"
    with zipfile.ZipFile(docs["docx"]) as z, zipfile.ZipFile(resaved, "w") as out:
        for info in z.infolist():
            out.writestr(info.filename, z.read(info.filename))
    assert resaved.read_bytes() != docs["docx"].read_bytes()
    reads.clear()
    report = verifying.verify(resaved)
    assert report.ok and any("re-saved, text unchanged" in note for note in report.notes)
    assert reads == ["resaved.docx", "fresh.docx"]
