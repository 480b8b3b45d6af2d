"""Legal's DOCX uploaded to the web app: the page shows the redline of the deal's spec
against what the edited document says, the changes with who made them, and saves it as
the next version (a new file, the old one kept) only when asked; hostile or wrong
documents are refused with a clear message and nothing written; the upload route alone
takes a body past 2 MB. And the library entry the app uses, absorb_bytes."""

from __future__ import annotations

import io
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLES
from liveserver import app_client, csrf_token
from wordedit import AUTHOR, Edited

SPEC = SAMPLES / "minimal.yaml"
NEW_TEXT = "Enable the reporting module for all named users."  # V1 said "ten"


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The DOCX of the deal, and of another deal, rendered once (in this process)."""
    from expectmatrix.render.pipeline import Renderers, RenderOptions, render_file

    root = tmp_path_factory.mktemp("documents")
    other = root / "other.yaml"
    other.write_text(SPEC.read_text(encoding="utf-8").replace("id: MIN-1", "id: MIN-2"),
                     encoding="utf-8")
    renderers = Renderers()
    out = {}
    for name, spec in (("deal", SPEC), ("other", other)):
        result = render_file(spec, root / name, RenderOptions(("docx",)), renderers=renderers)
        assert result.ok, result.findings
        out[name] = result.outputs[0].read_bytes()
    return out


@pytest.fixture(scope="module")
def edited(documents: dict[str, bytes], tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """Legal's round: V1's text rewritten with tracked changes, C1's measure typed over."""
    doc = Edited(documents["deal"])
    doc.tracked_replace("V1", NEW_TEXT)
    doc.typed_over("C1", "Sent in writing", paragraph=1)
    return doc.save(tmp_path_factory.mktemp("edited") / "legal.docx").read_bytes()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    deals = tmp_path / "deals"
    deals.mkdir()
    shutil.copy(SPEC, deals / "deal.yaml")
    return deals


@pytest.fixture
def client(folder: Path) -> Iterator[Any]:
    with app_client(folder) as client:  # its render workers stopped on leaving
        yield client


def _files(folder: Path) -> dict[str, bytes]:
    """Every file of the folder, hidden ones too, with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _upload(client: Any, data: bytes, name: str = "legal.docx", csrf: bool = True,
            spec: str = "deal.yaml") -> Any:
    headers = {"x-csrf-token": csrf_token(client)} if csrf else {}
    return client.post(f"/deals/{spec}/absorb", params={"file": name}, content=data,
                       headers=headers)


def _absorbed_text(document: bytes, spec: Path) -> str:
    from expectmatrix.review.absorb import absorb_bytes
    from expectmatrix.review.absorb_start import SpecSource
    from expectmatrix.settings import LibraryLoader, Settings

    return absorb_bytes(document, "legal.docx", SpecSource(spec.read_bytes(), spec.name),
                        LibraryLoader(Settings())).text


# --- upload, redline, save ------------------------------------------------------------


def test_an_upload_shows_the_redline_and_saving_writes_the_absorbed_spec(client, folder,
                                                                         edited):
    before = _files(folder)
    answer = _upload(client, edited)
    assert answer.status_code == 200, answer.text
    assert _files(folder) == before  # nothing written until the rep saves
    url = answer.json()["url"]
    assert re.fullmatch(r"/deals/deal\.yaml/absorbed/[\w-]{20,}", url)

    html = client.get(url).text
    redline = html.split('aria-label="Redline"')[1].split("</section>")[0]
    assert "<del>ten</del> <ins>all</ins>" in redline  # the words legal changed
    assert "<del>List sent</del> <ins>Sent in writing</ins>" in redline
    changes = html.split('aria-label="Changes"')[1].split("</section>")[0]
    assert f"V1</strong> text changed <span class=\"by\">(by {AUTHOR} on 2027-01-05" in changes
    assert "C1</strong> measure changed:" in changes  # typed over: nobody recorded
    assert "Every edit was absorbed." in html
    assert "deal-v2.yaml (version 2, status review)" in html
    assert ">Save as new version</button>" in html

    token = csrf_token(client)
    saved = client.post(url, headers={"x-csrf-token": token})
    assert saved.status_code == 200, saved.text
    assert saved.json() == {"created": "deal-v2.yaml", "version": 2}
    assert (folder / "deal.yaml").read_bytes() == before["deal.yaml"]  # the old one kept
    text = (folder / "deal-v2.yaml").read_text(encoding="utf-8")
    assert text == _absorbed_text(edited, SPEC)
    assert NEW_TEXT in text and "Sent in writing" in text and "status: review" in text
    assert sorted(_files(folder)) == ["deal-v2.yaml", "deal.yaml"]
    # Saved once: the page is gone, a second click makes no second version.
    again = client.post(url, headers={"x-csrf-token": token})
    assert again.status_code == 404 and "upload legal's DOCX again" in again.json()["error"]
    assert client.get(url).status_code == 404


def test_the_editor_offers_the_upload(client):
    html = client.get("/deals/deal.yaml").text
    assert '<label for="upload-docx">Upload legal\'s DOCX</label>' in html
    assert re.search(r'<input type="file" id="upload-docx" accept="\.docx', html)


def test_saving_is_refused_when_the_spec_changed_since_the_upload(client, folder, edited):
    url = _upload(client, edited).json()["url"]
    spec = folder / "deal.yaml"
    spec.write_text(spec.read_text(encoding="utf-8") + "# a note\n", encoding="utf-8")
    before = _files(folder)
    answer = client.post(url, headers={"x-csrf-token": csrf_token(client)})
    assert answer.status_code == 409
    assert "changed since legal's DOCX was uploaded" in answer.json()["error"]
    assert _files(folder) == before


def test_saving_never_replaces_a_version_that_exists(client, folder, edited):
    url = _upload(client, edited).json()["url"]
    (folder / "deal-v2.yaml").write_text("# someone's own version 2\n", encoding="utf-8")
    before = _files(folder)
    answer = client.post(url, headers={"x-csrf-token": csrf_token(client)})
    assert answer.status_code == 409 and "deal-v2.yaml exists already" in answer.json()["error"]
    assert _files(folder) == before


def test_upload_and_save_need_the_csrf_token(client, folder, edited):
    before = _files(folder)
    refused = _upload(client, edited, csrf=False)
    assert refused.status_code == 403 and "CSRF" in refused.json()["error"]
    url = _upload(client, edited).json()["url"]
    refused = client.post(url)
    assert refused.status_code == 403 and "CSRF" in refused.json()["error"]
    assert _files(folder) == before


def test_a_spec_with_errors_is_fixed_before_legal_s_edits_come_in(client, folder, edited):
    spec = folder / "deal.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("segment: medium",
                                                             "segment: galactic"),
                    encoding="utf-8")
    before = _files(folder)
    answer = _upload(client, edited)
    assert answer.status_code == 422
    assert "deal.yaml has errors: fix its findings" in answer.json()["error"]
    assert _files(folder) == before


# --- hostile and wrong documents ------------------------------------------------------------


def _rezipped(docx: bytes, change: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx)) as a, zipfile.ZipFile(out, "w") as b:
        for info in a.infolist():
            b.writestr(info, change.get(info.filename, a.read(info.filename)))
    return out.getvalue()


def _entity_bomb(docx: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(docx)) as z:
        xml = z.read("word/document.xml")
    laughs = b"".join(b'<!ENTITY a%d "%s">' % (i, b"&a%d;" % (i - 1) * 10) for i in range(1, 10))
    xml = xml.replace(b"?>", b'?><!DOCTYPE w:document [<!ENTITY a0 "lol">' + laughs + b"]>", 1)
    xml = xml.replace(b"<w:body>", b"<w:body><w:p><w:r><w:t>&a9;</w:t></w:r></w:p>", 1)
    return _rezipped(docx, {"word/document.xml": xml})


def _zip_bomb(docx: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", b"<a>" + b" " * 20_000_000 + b"</a>")
    return out.getvalue()


def _plain_docx(docx: bytes) -> bytes:
    from docx import Document

    out = io.BytesIO()
    Document().save(out)
    return out.getvalue()


def _not_a_docx_zip(docx: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("notes.txt", "a zip, but no Word document")
    return out.getvalue()


HOSTILE = {
    "not a zip": (lambda docx: b"Dear legal, see attached.", "neither a PDF nor a DOCX"),
    "truncated": (lambda docx: docx[: len(docx) // 2], "not a usable DOCX document"),
    "a zip, not a docx": (_not_a_docx_zip, "a zip file, but not a DOCX document"),
    "zip bomb": (_zip_bomb, "(a zip bomb?)"),
    "entity bomb": (_entity_bomb, "declares XML entities, which Word never writes"),
    "not made by expectmatrix": (_plain_docx, "carries no expectmatrix spec"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_or_foreign_document_is_refused_with_nothing_written(
        client, folder, documents, tmp_path, case):
    make, words = HOSTILE[case]
    before = _files(folder)
    answer = _upload(client, make(documents["deal"]))
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert words in error and error.startswith("legal.docx")
    assert "Traceback" not in answer.text and str(folder) not in answer.text
    assert _files(folder) == before


def test_another_deal_s_document_is_refused(client, folder, documents):
    before = _files(folder)
    answer = _upload(client, documents["other"])
    assert answer.status_code == 400
    assert answer.json()["error"] == (
        "legal.docx is the agreement of deal MIN-2, not of deal.yaml's deal MIN-1: legal's "
        "edits can only be brought into the spec of the deal they were made on")
    assert _files(folder) == before


def test_an_upload_past_the_document_limit_is_refused_before_it_is_read(client, folder):
    from expectmatrix.serve.guard import MAX_UPLOAD_BYTES

    before = _files(folder)
    request = client.build_request("POST", "/deals/deal.yaml/absorb", content=b"PK",
                                   headers={"x-csrf-token": csrf_token(client)})
    request.headers["Content-Length"] = str(MAX_UPLOAD_BYTES + 1)
    answer = client.send(request)
    assert answer.status_code == 413
    assert answer.json()["error"].startswith("the document is larger than 20 MB")
    assert _files(folder) == before


def test_a_chunked_upload_past_the_limit_is_refused(client, folder):
    from expectmatrix.serve.guard import MAX_UPLOAD_BYTES

    chunk = b"PK" + b"\0" * (1 << 20)

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it comes
        for _ in range(MAX_UPLOAD_BYTES // len(chunk) + 2):
            yield chunk

    before = _files(folder)
    answer = client.post("/deals/deal.yaml/absorb", content=chunks(),
                         headers={"x-csrf-token": csrf_token(client)})
    assert answer.status_code == 413 and "larger than 20 MB" in answer.json()["error"]
    assert _files(folder) == before


def test_an_empty_upload_and_an_unknown_deal_are_refused(client, folder, edited):
    answer = _upload(client, b"")
    assert answer.status_code == 400 and "choose legal's DOCX" in answer.json()["error"]
    answer = _upload(client, edited, spec="nobody.yaml")
    assert answer.status_code == 404
    assert client.get("/deals/deal.yaml/absorbed/no-such-key").status_code == 404


# --- the upload route's larger body, every other route's 2 MB ----------------------------


def test_a_docx_past_2_mb_is_absorbed_but_other_routes_stay_at_2_mb(client, folder, edited):
    from expectmatrix.serve.guard import MAX_BODY_BYTES

    padding = os.urandom(MAX_BODY_BYTES + 100_000)  # as fonts embedded: no compressing them
    with_fonts = io.BytesIO(edited)
    with zipfile.ZipFile(with_fonts, "a") as z:
        z.writestr("word/fonts/font99.odttf", padding)
    big = with_fonts.getvalue()
    assert len(big) > MAX_BODY_BYTES
    answer = _upload(client, big)
    assert answer.status_code == 200, answer.text
    assert "<ins>all</ins>" in client.get(answer.json()["url"]).text

    token = csrf_token(client)
    body = b"#" * (MAX_BODY_BYTES + 1)
    for method, url in (("POST", "/api/validate"), ("PUT", "/deals/deal.yaml"),
                        ("POST", "/deals/deal.yaml/versions"),
                        ("POST", "/deals/deal.yaml/track?id=V1&event=met&file=a.pdf"),
                        ("POST", f"{answer.json()['url']}")):
        refused = client.request(method, url, content=body, headers={"x-csrf-token": token})
        assert refused.status_code == 413, url
        assert refused.json()["error"] == f"the request body is limited to {MAX_BODY_BYTES} bytes"
    assert sorted(_files(folder)) == ["deal.yaml"]


# --- the library entry ---------------------------------------------------------------------


def test_absorb_bytes_gives_what_absorb_gives_and_leaves_no_file(edited, tmp_path, monkeypatch):
    from expectmatrix.review.absorb import absorb, absorb_bytes
    from expectmatrix.review.absorb_start import SpecSource
    from expectmatrix.settings import LibraryLoader, Settings

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    (tmp_path / "legal.docx").write_bytes(edited)
    library = LibraryLoader(Settings())
    from_file = absorb(tmp_path / "legal.docx", SPEC, library)
    from_bytes = absorb_bytes(edited, "legal.docx", SpecSource(SPEC.read_bytes(), SPEC.name),
                              library)
    assert from_bytes.text == from_file.text and NEW_TEXT in from_bytes.text
    for part in ("changes", "not_absorbed", "comments"):
        assert from_bytes.as_json()[part] == from_file.as_json()[part]
    assert from_bytes.version == 2
    with pytest.raises(Exception, match="a zip bomb"):
        absorb_bytes(_zip_bomb(edited), "bomb.docx", SPEC, library)
    assert list(scratch.iterdir()) == []


def test_absorb_refuses_another_deal_s_document_on_the_command_line(run, documents, tmp_path):
    (tmp_path / "other.docx").write_bytes(documents["other"])
    out = tmp_path / "new.yaml"
    result = run("absorb", tmp_path / "other.docx", SPEC, "-o", out, "--timeout", "0")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "is the agreement of deal MIN-2, not of minimal.yaml's deal MIN-1" in result.output
    assert not out.exists()
